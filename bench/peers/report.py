"""The markdown report of ``python -m bench.peers``: header and tables.

Every cell is ``median (min–max)`` over the runs (one process each), as
:func:`bench.engine.report.spread` writes it.  ``× emgmm`` is a peer's
seconds per iteration over emgmm's measured in the same run (same size and
threads), then the spread of those ratios over runs.  A peer that did not
run says why in place of its figures (``skipped: ...``).
"""

import math
from collections import defaultdict

import numpy as np

from bench.engine.report import HOST_SENTENCE, spread

__all__ = ["format_report", "plain", "progress_line"]

CASE_COLUMNS = [
    ("peer", "peer"),
    ("threads", "threads"),
    ("em_s_per_iter", "s/iter"),
    ("times_emgmm", "× emgmm"),
    ("one_iter_fit_s", "1-iteration fit s"),
    ("same_n_iter", "iters"),
    ("peak_mib", "peak MiB"),
    ("same_loglik", "log-lik/sample"),
    ("default_fit_s", "default fit s"),
    ("default_n_iter", "default iters"),
    ("default_loglik", "default log-lik/sample"),
]
"""Columns of a size's table: ``(key in a row, header)``."""

FIRST_COLUMNS = [
    ("peer", "peer"),
    ("threads", "threads"),
    ("first_call_s", "import + first fit s"),
    ("process_wall_s", "process wall s"),
]

_RENAME = {"s_per_iter": "em_s_per_iter"}


def _fmt(key, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if key.endswith("loglik"):
        return f"{value:.6f}"
    if key.startswith("times_"):
        return f"{value:.3g}x"
    if key.endswith("n_iter"):
        return str(int(value))
    if key.endswith("_mib"):
        return f"{value:.1f}"
    return f"{value:.3g}"


def _cell(key, values):
    """``median (min–max)`` of the runs' values, formatted for ``key``."""
    values = [np.nan if v is None else float(v) for v in values]
    finite = [v for v in values if np.isfinite(v)]
    if not finite:
        return "n/a"
    if key.endswith("loglik") or key.endswith("n_iter") or key.startswith("times_"):
        mid, lo, hi = np.median(finite), min(finite), max(finite)
        text = _fmt(key, mid)
        if _fmt(key, lo) != _fmt(key, hi):
            text += f" ({_fmt(key, lo)}–{_fmt(key, hi)})"
        return text
    # spread() picks the format from the key's suffix (.3g s, .1f MiB)
    return spread(key, finite)


SAME_END_RTOL = 1e-6
"""A peer's same-start fit ends where emgmm's does if their log-likelihoods
per sample agree to this (relative); else its iterations are not emgmm's."""


def _with_ratios(rows):
    """Rows with ``em_s_per_iter`` and, per run, ``times_emgmm`` and
    ``other_end`` (the same-start fit ended at another log-likelihood than
    emgmm's: it did not run the same iterations)."""
    emgmm = {
        (r["n"], r["d"], r["k"], r["threads"], r["run"]): r
        for r in rows
        if r["peer"] == "emgmm" and r["mode"] == "case" and r["status"] == "ok"
    }
    out = []
    for r in rows:
        r = {_RENAME.get(k, k): v for k, v in r.items()}
        ref = emgmm.get((r["n"], r["d"], r["k"], r["threads"], r["run"]), {})
        mine = r.get("em_s_per_iter")
        if r["mode"] == "case" and ref.get("s_per_iter") and mine is not None:
            r["times_emgmm"] = mine / ref["s_per_iter"]
            end, theirs = ref["same_loglik"], r.get("same_loglik")
            r["other_end"] = not (
                theirs is not None and abs(theirs - end) <= SAME_END_RTOL * abs(end)
            )
        out.append(r)
    return out


def _table(columns, groups):
    lines = ["| " + " | ".join(h for _, h in columns) + " |"]
    lines.append("|:---|" + "---:|" * (len(columns) - 1))
    for runs in groups:
        ok = [r for r in runs if r["status"] == "ok"]
        failed = [None if r["status"] == "ok" else r["status"] for r in runs]
        cells = [runs[0]["peer"], str(runs[0]["threads"])]
        if not ok:
            cells += [_with_reasons("", failed)] + [""] * (len(columns) - 3)
        else:
            for key, _ in columns[2:]:
                cells.append(_cell(key, [r.get(key) for r in ok]))
                if key == "default_fit_s":
                    default = [r.get("default_status") for r in ok]
                    cells[-1] = _with_reasons(cells[-1], default)
                if key == "times_emgmm" and any(r.get("other_end") for r in ok):
                    cells[-1] += " (other end)"
            cells[2] = _with_reasons(cells[2], failed)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _with_reasons(cell, reasons):
    """``cell`` and the runs' ``reasons`` (why a run has no value; None where
    it has one): every run's in its place, or the count and the first after
    it where only some runs have one."""
    why = [w for w in reasons if w]
    if not why:
        return cell
    if len(why) == len(reasons):
        return "; ".join(dict.fromkeys(why))
    return f"{cell} [{len(why)} of {len(reasons)} runs: {why[0]}]"


def _grouped(rows, mode):
    groups = defaultdict(list)
    for r in rows:
        if r["mode"] == mode:
            groups[(r["n"], r["d"], r["k"], r["threads"], r["peer"])].append(r)
    by_size = defaultdict(list)
    for (n, d, k, _, _), runs in groups.items():
        by_size[(n, d, k)].append(runs)
    return by_size


def format_header(info):
    """Machine, commit, command, versions and method, a bullet each."""
    versions = "; ".join(f"{peer}: {v}" for peer, v in info["versions"].items())
    threads = "; ".join(
        f"{peer}: {how}" for peer, how in info["threads_how"].items() if how
    )
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} logical cores; 1-min load "
        f"average {info['load_start']:.2f} at the start, {info['load_end']:.2f} "
        "at the end (above the threads used means other processes competed)",
        f"Started {info['started']}, {info['minutes']:.1f} min; git commit "
        f"{info['commit'] or 'unknown'}; Python {info['python']}, numpy "
        f"{info['numpy']}",
        f"Command: `{info['command']}`",
        f"Versions: {versions}",
        f"Threads: every peer in its own process with OMP_NUM_THREADS, "
        f"OPENBLAS_NUM_THREADS, MKL_NUM_THREADS, NUMBA_NUM_THREADS and "
        f"threadpoolctl set to the count; besides: {threads}",
        f"s/iter: from scikit-learn's k-means start (weights, means, "
        f"covariances; tolerance 0), a warm-up fit, then pairs of fits of 1 "
        f"and 1 + {info['n_iter']} iterations until {info['min_time']:g} s, "
        "each after a garbage collection and malloc_trim; "
        "(long − short) / (iterations long − short), median over pairs "
        "(iters: those the long fit did; oneDAL, mclust and Spark take no "
        "negative tolerance and stop early where an iteration leaves the "
        "log-likelihood exactly unchanged); cells are median "
        f"(min–max) over {info['runs']} run(s), one process each; "
        "1-iteration fit s: the short fit, median over pairs (what a fit "
        "costs besides its iterations, plus one iteration)",
        "Default fit: each library's own defaults with K components (full "
        "covariance), timed once in the same process after the same-start "
        "fits and a warm-up default fit on 2000 rows, before any fit is "
        "scored (the scores' BLAS threads spin on the cores for 0.1 s after)"
        if info.get("default_fit", True)
        else "Default fit: not run (--no-default-fit)",
        "Peak MiB: resident memory of the peer's process and its children "
        "(Spark's JVM, R) during the long same-start fit: VmHWM after, reset "
        "through /proc/<pid>/clear_refs, minus VmRSS before",
        "log-lik/sample: the mean log-likelihood of the fitted parameters, "
        "computed by the same NumPy code for every peer",
        "(other end): the peer's same-start fit ended at another "
        f"log-likelihood than emgmm's (relative difference above "
        f"{SAME_END_RTOL:g}), so it did not run the same iterations and its "
        "× emgmm compares other work",
        f"Budget: a process is stopped after {info['budget']:g} s and the peer's "
        "larger sizes are skipped",
        HOST_SENTENCE,
    ]
    return "\n".join("- " + line for line in lines) + "\n"


def format_report(info, rows):
    """Header, the first-call table and one table per size (markdown)."""
    rows = _with_ratios(rows)
    out = [format_header(info)]
    first = _grouped(rows, "first")
    for (n, d, k), groups in first.items():
        out.append(
            f"### First call: import + first default fit of {n} × {d}, K = {k}\n"
        )
        out.append(_table(FIRST_COLUMNS, groups))
    for (n, d, k), groups in _grouped(rows, "case").items():
        title = f"### (N, d, K) = ({n:.0e}, {d}, {k})\n".replace("+0", "")
        out.append(title)
        out.append(_table(CASE_COLUMNS, groups))
    return "\n".join(out)


def progress_line(row):
    """One line for stderr as a row finishes."""
    what = (
        "first call" if row["mode"] == "first" else f"{row['n']}x{row['d']}x{row['k']}"
    )
    text = f"{row['peer']} {what}, {row['threads']} thread(s), run {row['run']}: "
    if row["status"] != "ok":
        return text + row["status"]
    if row["mode"] == "first":
        return text + f"first call {row['first_call_s']:.2f} s"
    default = row.get("default_fit_s")
    default = row.get("default_status") if default is None else f"{default:.3g} s"
    return text + (
        f"{row['s_per_iter']:.3g} s/iter, default fit {default}, "
        f"log-lik {row['same_loglik']:.6f}"
    )


def plain(value):
    """JSON-ready: NumPy scalars to Python, NaN to None."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
