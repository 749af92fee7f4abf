"""Time a fresh process's first fit: emgmm against scikit-learn.

    python -m bench.first_call --runs 3
    python -m bench.first_call --runs 3 --output first_call.md

Each case runs in a new Python process (the interpreter the command runs
with), the way a notebook or a cluster job meets the library:

* ``cold``: an empty ``NUMBA_CACHE_DIR`` (a fresh environment: every kernel
  the fit needs is compiled);
* ``warm``: a cache that a previous process filled with the same fit
  (kernels loaded from disk, not yet in memory).

A process measures, with ``time.perf_counter``: importing numpy and the
estimator (``from emgmm import GaussianMixture``, or scikit-learn's), making
the data (not counted) and the first ``fit``.  The parent also measures the
process's wall time, which adds the interpreter's start and shutdown.  Each
figure is the median of ``--runs`` processes with its min-max.  The data: a
seeded two-cluster mixture of the case's size; the fit: the estimator's
defaults with ``n_components=K`` and ``random_state=0``.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.engine.measure import cpu_model

PROG = "python -m bench.first_call"

# (label, estimator, N, d, K, cache): the first call of the size, a
# pass large enough for the tiled kernel (what the first large fit costs), and
# the end-to-end sizes of the engine benchmark with a warm cache
CASES = [
    ("first small fit", "emgmm", 500, 2, 3, "cold"),
    ("first small fit", "sklearn", 500, 2, 3, "none"),
    ("first small fit", "emgmm", 500, 2, 3, "warm"),
    ("first tiled fit", "emgmm", 10_000, 2, 4, "cold"),
    ("first tiled fit", "sklearn", 10_000, 2, 4, "none"),
    ("first tiled fit", "emgmm", 10_000, 2, 4, "warm"),
    ("first default fit", "emgmm", 100_000, 16, 8, "warm"),
    ("first default fit", "sklearn", 100_000, 16, 8, "none"),
    ("first default fit", "emgmm", 1_000_000, 2, 4, "warm"),
    ("first default fit", "sklearn", 1_000_000, 2, 4, "none"),
]

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
if {estimator!r} == "emgmm":
    from emgmm import GaussianMixture
else:
    from sklearn.mixture import GaussianMixture
t1 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.normal(size=({n}, {d}))
X[: {n} // 2] += 3.0
t2 = time.perf_counter()
gm = GaussianMixture(n_components={k}, random_state=0).fit(X)
t3 = time.perf_counter()
print(json.dumps({{"import": t1 - t0, "fit": t3 - t2, "first_call": t1 - t0 + t3 - t2,
                  "n_iter": int(gm.n_iter_), "lower_bound": float(gm.lower_bound_)}}))
"""


def run_child(estimator, n, d, k, cache_dir, threads):
    """One fresh process; returns its measurements and its wall time."""
    env = dict(os.environ)
    env.pop("NUMBA_CACHE_DIR", None)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = str(cache_dir)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    code = CHILD.format(estimator=estimator, n=n, d=d, k=k)
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"{estimator} at {n}x{d}x{k} failed:\n{out.stderr}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def run_case(case, runs, threads):
    """``runs`` processes of one case (each ``cold`` one with a new cache)."""
    label, estimator, n, d, k, cache = case
    results = []
    with tempfile.TemporaryDirectory(prefix="emgmm-first-call-") as tmp:
        warm_dir = Path(tmp) / "warm"
        if cache == "warm":  # fill the cache with the same fit, not timed
            run_child(estimator, n, d, k, warm_dir, threads)
        for i in range(runs):
            cache_dir = {
                "cold": Path(tmp) / f"cold-{i}",
                "warm": warm_dir,
                "none": None,
            }[cache]
            results.append(run_child(estimator, n, d, k, cache_dir, threads))
    return {
        "case": label,
        "estimator": estimator,
        "size": f"{n:,} x {d}, K = {k}",
        "cache": cache,
        "runs": results,
    }


def _spread(values):
    return (statistics.median(values), min(values), max(values))


def format_markdown(rows, info):
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"{info['threads']} thread(s); {info['date']}; median (min-max) of "
        f"{info['runs']} processes per row.",
        "",
        "| case | estimator | size | numba cache | import + first fit (s) "
        "| of which fit (s) | process wall (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = []
        for key in ("first_call", "fit", "wall"):
            med, lo, hi = _spread([r[key] for r in row["runs"]])
            cells.append(f"{med:.2f} ({lo:.2f}-{hi:.2f})")
        cache = "-" if row["cache"] == "none" else row["cache"]
        lines.append(
            f"| {row['case']} | {row['estimator']} | {row['size']} | {cache} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="processes per case")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--cases",
        default="all",
        help="'all', or comma-separated case labels' first words, e.g. 'first'",
    )
    parser.add_argument("--output", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.threads < 1:
        parser.exit(2, f"{PROG}: error: --runs and --threads must be >= 1\n")
    cases = CASES
    if args.cases != "all":
        wanted = {c.strip() for c in args.cases.split(",")}
        cases = [c for c in CASES if c[0] in wanted]
    rows = []
    for case in cases:
        rows.append(run_case(case, args.runs, args.threads))
        print(format_markdown(rows[-1:], _info(args)).splitlines()[-1], flush=True)
    text = format_markdown(rows, _info(args))
    print(text)
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"info": _info(args), "rows": rows}, indent=1))


def _info(args):
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "threads": args.threads,
        "runs": args.runs,
        "date": time.strftime("%Y-%m-%d"),
    }


if __name__ == "__main__":
    main()
