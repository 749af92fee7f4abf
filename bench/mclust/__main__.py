"""Time emgmm's ``mclust.bic`` against R mclust's ``mclustBIC``.

    python -m bench.mclust --runs 3
    python -m bench.mclust --runs 3 --tables penguins --output mclust.md

Both fit all 14 covariance models for ``G = 1..9`` with their defaults
(mclust's hierarchical start) on the same tables, written once as CSV with
17 significant digits:

* ``penguins``: Palmer penguins' four measurements (``palmerpenguins``
  package; rows with a missing measurement dropped);
* ``blobs``: 3,000 x 4, scikit-learn's ``make_blobs`` with 4 centres,
  ``random_state=0``;
* ``faithful``: R's ``faithful`` (272 x 2), written by ``Rscript`` at
  benchmark time (skipped without R).

Each run of each side is a new process (``python -c`` with the interpreter
the command runs with, or ``Rscript``), one BLAS/OpenMP thread: it reads the
table, calls the function once untimed (emgmm's compiled kernels loaded or
compiled, R's code byte-compiled), then times one call with a monotonic
clock (``time.perf_counter``, R's ``proc.time()[["elapsed"]]``) and writes
its table.  The report gives, per table, the median (min-max) over
``--runs`` processes of each side, the ratio of the medians (R / emgmm), the
largest relative difference between the two tables and whether their NaN/NA
cells agree.  Without ``Rscript`` or R's mclust the R column says why and
only emgmm is timed.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.engine.measure import cpu_model, git_commit

PROG = "python -m bench.mclust"
TABLES = ("penguins", "blobs", "faithful")
PENGUIN_COLUMNS = [
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
]

PY_CHILD = """
import json, sys, time
import numpy as np, pandas as pd
from emgmm import mclust

X = pd.read_csv(sys.argv[1]).to_numpy(float)
t0 = time.perf_counter()
mclust.bic(X)
t1 = time.perf_counter()
table = mclust.bic(X)
t2 = time.perf_counter()
table.to_csv(sys.argv[2], float_format="%.17g", index=False)
print(json.dumps({"first": t1 - t0, "seconds": t2 - t1}))
"""

R_CHILD = """
suppressPackageStartupMessages(library(mclust))
args <- commandArgs(trailingOnly = TRUE)
X <- as.matrix(read.csv(args[1]))
invisible(mclustBIC(X, G = 1:9, verbose = FALSE))
t0 <- proc.time()[["elapsed"]]
b <- mclustBIC(X, G = 1:9, verbose = FALSE)
t1 <- proc.time()[["elapsed"]]
m <- matrix(b, nrow = nrow(b), dimnames = dimnames(b))
write.csv(m, args[2], row.names = FALSE)
cat(sprintf('{"seconds": %.6f}\\n', t1 - t0))
"""

R_FAITHFUL = (
    "write.csv(faithful, commandArgs(trailingOnly = TRUE)[1], row.names = FALSE)"
)

R_VERSIONS = (
    "suppressPackageStartupMessages(library(mclust)); "
    'cat(R.version$major, ".", R.version$minor, " ", '
    'as.character(packageVersion("mclust")), "\\n", sep = "")'
)


def r_status():
    """``(available, reason or versions)`` of ``Rscript`` with mclust."""
    if shutil.which("Rscript") is None:
        return (
            False,
            "Rscript not found (tests/library/mclust/install_r.sh installs it)",
        )
    proc = subprocess.run(["Rscript", "-e", R_VERSIONS], capture_output=True, text=True)
    if proc.returncode != 0:
        return (
            False,
            "R's mclust package is not installed (apt-get install r-cran-mclust)",
        )
    r, mc = proc.stdout.split()
    return True, f"R {r}, mclust {mc}"


def write_tables(folder, names, with_r):
    """The tables as CSV in ``folder``; ``{name: path or reason skipped}``."""
    paths = {}
    for name in names:
        path = Path(folder) / f"{name}.csv"
        if name == "penguins":
            import palmerpenguins

            frame = palmerpenguins.load_penguins()[PENGUIN_COLUMNS].dropna()
            frame.to_csv(path, index=False, float_format="%.17g")
        elif name == "blobs":
            from sklearn.datasets import make_blobs

            X, _ = make_blobs(n_samples=3000, n_features=4, centers=4, random_state=0)
            pd.DataFrame(X, columns=[f"x{j}" for j in range(4)]).to_csv(
                path, index=False, float_format="%.17g"
            )
        elif name == "faithful":
            if not with_r:
                paths[name] = "faithful is taken from R, which is not available"
                continue
            subprocess.run(["Rscript", "-e", R_FAITHFUL, str(path)], check=True)
        paths[name] = path
    return paths


def _env():
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    return env


def run_child(side, data, out):
    """One process of ``side`` ("emgmm" or "R"): its timings and its table."""
    if side == "emgmm":
        cmd = [sys.executable, "-c", PY_CHILD, str(data), str(out)]
    else:
        cmd = ["Rscript", "-e", R_CHILD, str(data), str(out)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env())
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{side} on {data} failed:\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result, pd.read_csv(out).to_numpy(float)


def compare(ours, theirs):
    """Largest relative difference of two tables and whether NaN cells agree."""
    same_nan = bool(np.array_equal(np.isnan(ours), np.isnan(theirs)))
    both = np.isfinite(ours) & np.isfinite(theirs)
    rel = np.abs(ours[both] - theirs[both]) / np.abs(theirs[both])
    return (float(rel.max()) if rel.size else 0.0), same_nan


def measure(name, data, runs, with_r, tmp):
    """``runs`` processes per side for one table, alternating the sides."""
    row = {"table": name, "emgmm": [], "R": [], "shape": None}
    X = pd.read_csv(data).to_numpy(float)
    row["shape"] = list(X.shape)
    for i in range(runs):
        for side in ("emgmm", "R") if with_r else ("emgmm",):
            out = Path(tmp) / f"{name}-{side}-{i}.csv"
            result, table = run_child(side, data, out)
            row[side].append(result)
            row[f"{side}_table"] = table
    if with_r:
        row["max_rel_diff"], row["same_nan"] = compare(
            row.pop("emgmm_table"), row.pop("R_table")
        )
    else:
        row.pop("emgmm_table")
    return row


def _spread(values):
    return statistics.median(values), min(values), max(values)


def _cell(values, digits=3):
    med, lo, hi = _spread(values)
    return f"{med:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def format_markdown(rows, info):
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, "
        f"numpy {info['numpy']}, {info['r']}; one BLAS thread; {info['date']}; "
        f"git {info['commit']}; median (min-max) of {info['runs']} processes per "
        "side, each timing its second call.",
        "",
        "| table | n x d | emgmm `mclust.bic` (s) | R `mclustBIC` (s) | R / emgmm "
        "| emgmm first call (s) | largest relative difference | NaN cells agree |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        ours = [r["seconds"] for r in row["emgmm"]]
        first = [r["first"] for r in row["emgmm"]]
        shape = f"{row['shape'][0]:,} x {row['shape'][1]}"
        if row["R"]:
            theirs = [r["seconds"] for r in row["R"]]
            ratio = statistics.median(theirs) / statistics.median(ours)
            cells = [
                _cell(theirs),
                f"{ratio:.1f}x",
                _cell(first, 2),
                f"{row['max_rel_diff']:.1e}",
                "yes" if row["same_nan"] else "no",
            ]
        else:
            cells = [f"skipped: {info['r']}", "-", _cell(first, 2), "-", "-"]
        lines.append(
            f"| {row['table']} | {shape} | {_cell(ours)} | " + " | ".join(cells) + " |"
        )
    for row in rows:
        if row.get("skipped"):
            lines.append(f"\n{row['table']}: skipped, {row['skipped']}.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="processes per side")
    parser.add_argument(
        "--tables",
        default=",".join(TABLES),
        help=f"comma-separated, from {', '.join(TABLES)}",
    )
    parser.add_argument("--no-r", action="store_true", help="time emgmm only")
    parser.add_argument("--output", type=Path, help="also write the table here")
    parser.add_argument("--json", type=Path, help="write every measurement here")
    args = parser.parse_args(argv)
    names = [t.strip() for t in args.tables.split(",") if t.strip()]
    unknown = sorted(set(names) - set(TABLES))
    if args.runs < 1 or unknown or not names:
        parser.exit(
            2,
            f"{PROG}: error: --runs must be >= 1 and --tables from "
            f"{', '.join(TABLES)}, got --runs {args.runs} --tables {args.tables}\n",
        )
    with_r, r_info = (False, "R not requested (--no-r)") if args.no_r else r_status()
    import numpy

    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "r": r_info,
        "runs": args.runs,
        "date": time.strftime("%Y-%m-%d"),
        "commit": git_commit() or "unknown",
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="emgmm-bench-mclust-") as tmp:
        for name, data in write_tables(tmp, names, with_r).items():
            if isinstance(data, str):
                rows.append({"table": name, "skipped": data})
                continue
            rows.append(measure(name, data, args.runs, with_r, tmp))
            print(format_markdown(rows[-1:], info).splitlines()[-1], flush=True)
    measured = [row for row in rows if not row.get("skipped")]
    text = format_markdown(measured, info)
    for row in rows:
        if row.get("skipped"):
            text += f"\n{row['table']}: skipped, {row['skipped']}.\n"
    print(text)
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps({"info": info, "rows": rows}, indent=1))
    return info, rows


if __name__ == "__main__":
    main()
