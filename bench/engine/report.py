"""Text and markdown tables of one or more runs, with spreads.

A figure measured over several repeats (seconds) is shown as
``median (min-max)`` over the repeats of a run.  With several runs
(``--repeat-runs``) every figure of a run is first reduced to one value (the
median over its repeats for times; ratios, memory and differences as
measured in that run) and the cell shows ``median (min-max)`` over the runs.
A speed-up is always computed inside one run (ratio of that run's median
times), never across runs.
"""

import json
import time

import numpy as np

from bench.engine import cases

__all__ = [
    "TABLES",
    "format_goals",
    "format_header",
    "format_report",
    "format_table",
    "run_values",
    "spread",
    "to_json",
]

HOST_SENTENCE = (
    "Ratios vary by host (CPU, BLAS build, core count, load): compare only "
    "ratios measured in one run of this command, on one machine."
)

_KEY = [("n_samples", "N"), ("n_features", "d"), ("n_components", "K")]

TABLES = {
    "same-start": [
        *_KEY,
        ("covariance_type", "covariance"),
        ("repeats", "reps"),
        ("sklearn_s_per_iter", "sklearn s/iter"),
        ("emgmm_s_per_iter", "emgmm s/iter"),
        ("speedup", "speed-up"),
        ("sklearn_peak_mib", "sklearn MiB"),
        ("emgmm_peak_mib", "emgmm MiB"),
        ("memory_ratio", "mem ratio"),
        ("max_rel_diff", "max param diff"),
        ("bound_s_per_iter", "bound s/iter"),
        ("bound_kind", "bound"),
        ("emgmm_over_bound", "emgmm/bound"),
    ],
    "float32": [
        *_KEY,
        ("repeats", "reps"),
        ("emgmm64_s_per_iter", "emgmm f64 s/iter"),
        ("emgmm32_s_per_iter", "emgmm f32 s/iter"),
        ("speedup_32_vs_64", "f32 speed-up"),
        ("sklearn32_s_per_iter", "sklearn f32 s/iter"),
        ("speedup_32_vs_sklearn32", "vs sklearn f32"),
        ("diff_weights", "diff weights"),
        ("diff_means", "diff means"),
        ("diff_covariances", "diff covariances"),
        ("sklearn32_max_rel_diff", "sklearn f32 diff"),
        ("emgmm32_peak_mib", "emgmm f32 MiB"),
        ("emgmm64_peak_mib", "emgmm f64 MiB"),
        ("bound_s_per_iter", "f32 bound s/iter"),
        ("emgmm32_over_bound", "emgmm f32/bound"),
    ],
    "default-fit": [
        *_KEY,
        ("repeats", "reps"),
        ("sklearn_fit_s", "sklearn fit s"),
        ("emgmm_fit_s", "emgmm fit s"),
        ("speedup", "speed-up"),
        ("sklearn_n_iter", "sklearn iters"),
        ("emgmm_n_iter", "emgmm iters"),
        ("sklearn_peak_mib", "sklearn MiB"),
        ("emgmm_peak_mib", "emgmm MiB"),
        ("memory_ratio", "mem ratio"),
        ("max_rel_diff", "max param diff"),
    ],
}
"""Columns of each part's table: ``(key in a row, header)``."""

_TITLES = {
    "full": "Full covariance, float64, same start: seconds per EM iteration",
    "other": "Other covariance types, float64, same start",
    "float32": "Float32 mode (emgmm dtype='float32') against float64, full covariance",
    "default-fit": "Default fit() end to end (k-means start, tol=1e-3, max_iter=100)",
}


def _number(key, value):
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a" if value is None or np.isnan(value) else str(value)
    if isinstance(value, bool):
        return str(value)
    if key == "n_samples":
        return f"{int(value):_}"
    if key in ("n_features", "n_components", "repeats") or key.endswith("n_iter"):
        return str(int(round(value)))
    if key.endswith("_s_per_iter") or key.endswith("_fit_s"):
        return f"{value:.3g}"
    if key.startswith("speedup") or key.endswith("_over_bound"):
        return f"{value:.1f}x"
    if key.endswith("_mib"):
        return f"{value:.1f}"
    if key == "memory_ratio":
        return f"{value:.2f}"
    if "diff" in key:
        return f"{value:.1e}"
    return f"{value:.3g}"


def _median(values):
    values = np.asarray(values, dtype=float)
    return float(np.nanmedian(values)) if np.any(np.isfinite(values)) else np.nan


def run_values(row, key):
    """A row's value of ``key`` in its run: the median of per-repeat lists."""
    value = row[key]
    return _median(value) if isinstance(value, list) else value


def spread(key, values):
    """``median (min-max)`` of ``values``, or the value when all are equal."""
    if all(isinstance(v, str) for v in values):
        return "/".join(dict.fromkeys(values))
    arr = np.asarray(values, dtype=float)
    finite = arr[np.isfinite(arr)]
    if finite.size == 0:
        return _number(key, float(arr[0]))
    mid = _number(key, float(np.median(finite)))
    lo, hi = _number(key, float(finite.min())), _number(key, float(finite.max()))
    text = mid if lo == hi else f"{mid} ({lo}–{hi})"
    if finite.size < arr.size:
        text += f" [{arr.size - finite.size} n/a]"
    return text


def cell(key, rows):
    """One table cell for ``key`` from the same row of every run.

    Parameters
    ----------
    key : str
    rows : list of dict
        The row as measured in each run (one element for a single run).

    Returns
    -------
    text : str
    """
    if len(rows) == 1:
        value = rows[0][key]
        if isinstance(value, list):
            return spread(key, value)
        return _number(key, value)
    return spread(key, [run_values(row, key) for row in rows])


def format_table(columns, rows_by_run, fmt="text"):
    """Format one table.

    Parameters
    ----------
    columns : list of (str, str)
        ``(key, header)``, e.g. ``TABLES['same-start']``.
    rows_by_run : list of list of dict
        ``rows_by_run[i][r]`` is row ``i`` as measured in run ``r``.
    fmt : {'text', 'markdown'}, default='text'

    Returns
    -------
    table : str
    """
    headers = [header for _, header in columns]
    cells = [[cell(key, rows) for key, _ in columns] for rows in rows_by_run]
    if fmt == "markdown":
        left = {"covariance_type", "bound_kind"}
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append(
            "|" + "|".join(":---" if k in left else "---:" for k, _ in columns) + "|"
        )
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ValueError(f"fmt must be 'text' or 'markdown', got {fmt!r}")
    widths = [max([len(h)] + [len(c[i]) for c in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines += [
        "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells
    ]
    return "\n".join(lines) + "\n"


def _blas_summary(threadpools):
    parts = []
    for pool in threadpools:
        if pool.get("user_api") != "blas":
            continue
        path = pool.get("filepath", "").split("/")
        owner = path[-2].removesuffix(".libs") if len(path) >= 2 else "?"
        parts.append(
            f"{pool.get('internal_api')} {pool.get('version')} "
            f"({owner}, {pool.get('architecture')}, "
            f"{pool.get('num_threads')} threads)"
        )
    return "; ".join(parts) or "none loaded"


def _rate_spread(values, scale, unit):
    values = [v for v in values if v]
    if not values:
        return "not measured"
    lo, hi, mid = min(values) / scale, max(values) / scale, np.median(values) / scale
    return f"{mid:.1f} {unit}" + ("" if len(values) == 1 else f" ({lo:.1f}–{hi:.1f})")


def format_header(info, run_infos, opts, fmt="text"):
    """Machine, versions, threads, method, load and limits, a line each.

    Parameters
    ----------
    info : dict
        :func:`bench.engine.measure.machine_info`.
    run_infos : list of dict
        One per run, from :func:`bench.engine.measure.run`.
    opts : dict
        ``n_iter``, ``repeats``, ``min_time``, ``max_time``.
    fmt : {'text', 'markdown'}, default='text'

    Returns
    -------
    header : str
    """
    mem = info.get("memory_bytes")
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(run_infos[0]["started"]))
    minutes = sum(r["seconds"] for r in run_infos) / 60
    loads = ", ".join(
        f"{r['load_start']:.2f}→{r['load_end']:.2f}"
        for r in run_infos
        if r["load_start"] is not None
    )
    memory = (
        "peak extra resident memory of the fit (VmHWM reset via "
        "/proc/self/clear_refs; numba and BLAS allocations included)"
        if info["memory_method"] == "rss"
        else "peak memory seen by tracemalloc during the fit (NumPy only)"
    )
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} logical cores"
        + (f", {mem / 2**30:.1f} GiB RAM" if mem else ""),
        f"Versions: Python {info['python']}, numpy {info['numpy']}, "
        f"scipy {info['scipy']}, scikit-learn {info['sklearn']}, "
        f"numba {info['numba']}, threadpoolctl {info['threadpoolctl']}, "
        f"emgmm {info['emgmm']} from {info['emgmm_path']}",
        f"Git commit: {info['commit'] or 'unknown'}",
        f"Threads: {info['threads']} for every fit: BLAS "
        f"{_blas_summary(info['threadpools'])}; numba {info['numba_threads']}",
        f"Runs: {len(run_infos)}, started {when} UTC, {minutes:.1f} min in all; "
        f"1-min load average at start→end of each run: {loads} "
        f"(on {info['cores']} cores; above {info['threads']} means other "
        "processes competed for the CPU)",
        f"Timing: s/iter = (fit with max_iter=1+{opts['n_iter']} − fit with "
        f"max_iter=1) / {opts['n_iter']}, tol=0, same inits; repeats alternate "
        f"the estimators, at least {opts['repeats']} and until "
        f"{opts['min_time']:g} s (at most 100), or 1 once a repeat takes "
        f"{opts['max_time']:g} s; cells are median (min–max) over "
        + ("repeats" if len(run_infos) == 1 else "runs (each run's median)"),
        f"Memory: {memory}; mem ratio = emgmm / scikit-learn",
        "Limits: float64 GEMM "
        + _rate_spread([r["gemm_rate"] for r in run_infos], 1e9, "GFLOP/s")
        + ", float32 GEMM "
        + _rate_spread([r["gemm_rate32"] for r in run_infos], 1e9, "GFLOP/s")
        + f" ({run_infos[0]['gemm_n']}² matmul), bandwidth "
        + _rate_spread([r["bandwidth"] for r in run_infos], 1e9, "GB/s")
        + " (copy, read+write); bound = max(minimal flops / GEMM rate, "
        "one read of the data / bandwidth), flops as in bench/engine/limits.py "
        "(full: N·K·(2d² + 8d))",
        HOST_SENTENCE,
    ]
    if fmt == "markdown":
        return "\n".join("- " + line for line in lines) + "\n"
    return "\n".join(lines) + "\n"


def _size(row):
    return row["n_samples"], row["n_features"], row["n_components"]


def format_goals(rows_by_run, fmt="text"):
    """Check the full-covariance same-start rows against :data:`cases.GOALS`.

    Parameters
    ----------
    rows_by_run : list of list of dict
        As for :func:`format_table`.
    fmt : {'text', 'markdown'}, default='text'

    Returns
    -------
    table : str
        One line per goal: the figure (median and spread over runs), and
        whether it holds in every run, in the median only, or not; empty if
        no row matches any goal.
    """
    full = [
        rows
        for rows in rows_by_run
        if rows[0]["part"] == "same-start" and rows[0]["covariance_type"] == "full"
    ]
    lines = []
    for key, where, op, target in cases.GOALS:
        if where == "N>=1e5":
            chosen = [rows for rows in full if rows[0]["n_samples"] >= 100_000]
            label = "every size with N ≥ 1e5"
        else:
            chosen = [rows for rows in full if _size(rows[0]) == where]
            label = "(N, d, K) = ({:.0e}, {}, {})".format(*where).replace("+0", "")
        if not chosen:
            continue
        pick = min if op == ">=" else max  # the worst size decides
        per_run = [pick(rows[r][key] for rows in chosen) for r in range(len(chosen[0]))]
        ok = [v >= target if op == ">=" else v <= target for v in per_run]
        med = _median(per_run)
        med_ok = med >= target if op == ">=" else med <= target
        holds = "yes, every run" if all(ok) else ("median only" if med_ok else "no")
        name = "speed-up" if key == "speedup" else "mem ratio"
        goal = f"{name} {op.replace('>=', '≥').replace('<=', '≤')} {target:.3g}"
        lines.append((f"{goal} at {label}", spread(key, per_run), holds))
    if not lines:
        return ""
    if fmt == "markdown":
        out = ["| goal | measured (worst size; median (min–max) over runs) | holds |"]
        out.append("|:---|---:|:---|")
        out += [f"| {g} | {m} | {h} |" for g, m, h in lines]
        return "\n".join(out) + "\n"
    width = max(len(g) for g, _, _ in lines)
    return "\n".join(f"{g.ljust(width)}  {m}  {h}" for g, m, h in lines) + "\n"


def _group(rows_by_run):
    groups = {"full": [], "other": [], "float32": [], "default-fit": []}
    for rows in rows_by_run:
        part = rows[0]["part"]
        if part == "same-start":
            full = rows[0]["covariance_type"] == "full"
            groups["full" if full else "other"].append(rows)
        else:
            groups[part].append(rows)
    return groups


def format_report(info, runs, opts, fmt="text"):
    """Header, goals and the four tables of one or more runs.

    Parameters
    ----------
    info : dict
        :func:`bench.engine.measure.machine_info`.
    runs : list of (dict, list of dict)
        ``(run_info, rows)`` per run, rows in the same order in every run.
    opts : dict
        As for :func:`format_header`.
    fmt : {'text', 'markdown', 'json'}, default='text'

    Returns
    -------
    report : str
    """
    if fmt == "json":
        return to_json(info, runs, opts)
    rows_by_run = [list(rows) for rows in zip(*(rows for _, rows in runs), strict=True)]
    out = [format_header(info, [r for r, _ in runs], opts, fmt)]
    title = "### {}\n" if fmt == "markdown" else "{}\n"
    goals = format_goals(rows_by_run, fmt)
    if goals:
        out.append(title.format("Goals (float64, full covariance, same start)"))
        out.append(goals)
    for name, rows in _group(rows_by_run).items():
        if not rows:
            continue
        part = "same-start" if name in ("full", "other") else name
        out.append(title.format(_TITLES[name]))
        out.append(format_table(TABLES[part], rows, fmt))
    return "\n".join(out)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def to_json(info, runs, opts):
    """Every measured value as JSON (NaN as null): ``{info, opts, runs}``."""
    doc = {
        "info": info,
        "opts": opts,
        "runs": [{"info": run_info, "rows": rows} for run_info, rows in runs],
    }
    return json.dumps(_plain(doc), indent=1, sort_keys=True) + "\n"
