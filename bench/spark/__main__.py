"""emgmm on Dask against Spark MLlib's GaussianMixture: same rows, same start.

    pip install -e ".[dask]" zarr pyspark        # Java 17 for Spark
    python -m bench.spark --rows 1e6 1e7 --features 2 16 --runs 3 \\
        --output spark.md --json spark.json

For each size (rows x features) a seeded mixture of ``--components``
Gaussians is written once to a Zarr store (:func:`bench.dask.__main__.
write_store`, chunks of ``--chunk-rows`` rows; reused if present).  The
start is emgmm's own: ``GaussianMixture(K, max_iter=0, random_state=0)``
fitted to the store (its k-means start, on a seeded sample of rows when the
rows are many; ``init_rows`` in the JSON), whose ``weights_``, ``means_``
and ``covariances_`` every peer then starts from.  Peers (``--peers``), each
in a fresh process so that its peak memory is its own:

- ``emgmm-threads``: ``emgmm.GaussianMixture(K, weights_init, means_init,
  precisions_init, max_iter=M, tol=0).fit(dask.array.from_zarr(store))``,
  Dask's threaded scheduler on 2 threads;
- ``emgmm-cluster``: the same fit on a ``distributed.LocalCluster`` of 2
  processes of one thread;
- ``spark``: ``pyspark.mllib.clustering.GaussianMixture``'s training
  (``initialModel`` the start, ``convergenceTol=0``, ``maxIterations=M``) in
  local mode, ``local[2]``, on the same rows: one partition per Zarr chunk,
  read by Spark's Python workers and cached in the JVM once (``load_s``).

Seconds per EM iteration: every run times a fit of 1 iteration and a fit of
M iterations (``--iterations``) from the start, and takes ``(t_M - t_1) /
(M - 1)``: what each fit does once (checks or caching of the rows, job
set-up, the result's return) cancels, the M - 1 further E- and M-steps
remain.  Neither peer stops early: emgmm's ``tol=0`` runs every iteration,
and MLlib's ``convergenceTol=0`` stops only where the log-likelihood repeats
exactly.  Reported per peer: median and min-max over ``--runs`` runs; the
ratio Spark / peer, run by run (the i-th run of each, one invocation).  An
untimed fit of 1 iteration precedes the runs.  ``--budget`` seconds per
peer and size: no further run is started once the runs so far say it
would end past the budget (at least one run always happens).

Log-likelihood per sample: the parameters each peer fitted in its last run
are scored the same way, ``GaussianMixture(K, weights_init, means_init,
precisions_init, max_iter=0).fit(X).score(X)`` on the Dask array (emgmm's
log-space formulas for both).  MLlib computes its E-step in probabilities
(``weight * pdf + EPSILON``), not logs, so where densities underflow its EM
moves differently: the log-likelihoods and the largest difference of a
fitted mean from emgmm's show it.  Peak memory: ``VmHWM`` of each
Python process (and of each Dask worker), the JVM's ``VmHWM`` and its live
Python workers'.  Without pyspark (or Java) the Spark rows say why and the
rest runs.
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
import warnings
from pathlib import Path

import numpy as np

from bench.engine.measure import cpu_model

PROG = "python -m bench.spark"
ROOT = Path(__file__).resolve().parents[2]
PEERS = {
    "emgmm-threads": "emgmm, Dask threads (2)",
    "emgmm-cluster": "emgmm, Dask LocalCluster (2 x 1)",
    "spark": "Spark MLlib, local[2]",
}


def spark_missing():
    """Why the Spark peer cannot run here, or None."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "skipped: pyspark not installed: pip install pyspark"
    java = os.environ.get("JAVA_HOME")
    if not (java and Path(java, "bin", "java").exists()) and not shutil.which("java"):
        return "skipped: java not found: install Java 17 (java on PATH or JAVA_HOME)"
    return None


def store_path(args, rows, features):
    return args.store_dir / (
        f"emgmm-bench-{rows}x{features}-k{args.components}-c{args.chunk_rows}.zarr"
    )


def emgmm_start(store, components):
    """emgmm's own start on the store: weights, means, covariances, rows used."""
    import dask
    import dask.array as da

    from emgmm import GaussianMixture

    with dask.config.set(scheduler="threads", num_workers=2):
        gm = GaussianMixture(components, max_iter=0, random_state=0)
        gm.fit(da.from_zarr(str(store)))
    start = {a: getattr(gm, a + "_") for a in ("weights", "means", "covariances")}
    return start, int(gm.init_rows_)


def score(store, params):
    """Mean log-likelihood of the rows under ``params``, by emgmm's ``score``."""
    import dask
    import dask.array as da

    from emgmm import GaussianMixture

    X = da.from_zarr(str(store))
    covariances = np.asarray(params["covariances"])
    gm = GaussianMixture(
        len(params["weights"]),
        weights_init=np.asarray(params["weights"]),
        means_init=np.asarray(params["means"]),
        precisions_init=np.linalg.inv(covariances),
        max_iter=0,
    )
    with dask.config.set(scheduler="threads", num_workers=2), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(gm.fit(X).score(X))


def run_peer(args, peer, store, start_file):
    """One peer's runs in a fresh process; its JSON, or an error string."""
    env = dict(
        os.environ,
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        SPARK_LOCAL_IP=os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
        PYTHONPATH=os.pathsep.join(
            [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    )
    child = [sys.executable, "-m", "bench.spark", "--child", peer]
    child += ["--store", str(store), "--start", str(start_file)]
    child += [f"--iterations={args.iterations}", f"--runs={args.runs}"]
    child += [f"--budget={args.budget}", f"--spark-memory={args.spark_memory}"]
    proc = subprocess.run(child, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return f"failed: {last}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(args):
    from bench.spark import peers

    with np.load(args.start) as f:
        start = {k: f[k] for k in f.files}
    common = (args.store, start, args.iterations, args.runs, args.budget)
    if args.child == "spark":
        out = peers.spark(*common, memory=args.spark_memory)
    else:
        out = peers.emgmm_dask(*common, workers=2 if "cluster" in args.child else 0)
    print(json.dumps(out))
    return 0


def per_iteration(times, iterations):
    return [(t_m - t_1) / (iterations - 1) for t_1, t_m in times]


def spread(values, fmt="{:.3g}"):
    """``median (min-max)`` of ``values``; the median alone if one value."""
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def measure(args):
    """Every size and peer; a list of result dicts (one per size and peer)."""
    missing = spark_missing()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows:
            for features in args.features:
                store = store_path(args, rows, features)
                if not (store / "zarr.json").exists():
                    from bench.dask.__main__ import write_store

                    t0 = time.perf_counter()
                    write_store(store, rows, features, args.components, args.chunk_rows)
                    print(f"{PROG}: wrote {store} in {time.perf_counter() - t0:.1f} s")
                t0 = time.perf_counter()
                start, init_rows = emgmm_start(store, args.components)
                start_s = time.perf_counter() - t0
                start_file = Path(tmp, f"start-{rows}x{features}.npz")
                np.savez(start_file, **start)
                size = {"rows": rows, "features": features, "K": args.components}
                size |= {"init_rows": init_rows, "start_s": start_s}
                for peer in args.peers:
                    row = dict(size, peer=peer)
                    if peer == "spark" and missing:
                        row["skipped"] = missing
                        results.append(row)
                        continue
                    t0 = time.perf_counter()
                    out = run_peer(args, peer, store, start_file)
                    row["wall_s"] = time.perf_counter() - t0
                    if isinstance(out, str):
                        row["skipped"] = out
                    else:
                        row |= out
                        row["per_iteration_s"] = per_iteration(
                            out["times"], args.iterations
                        )
                        row["log_likelihood"] = score(store, out["params"])
                    results.append(row)
                    print(f"{PROG}: {describe(row)}", flush=True)
    return results


def describe(row):
    size = f"{row['rows']:.0e} x {row['features']}, {PEERS[row['peer']]}"
    if "skipped" in row:
        return f"{size}: {row['skipped']}"
    return (
        f"{size}: {spread(row['per_iteration_s'])} s/iteration over "
        f"{len(row['times'])} runs, log-likelihood {row['log_likelihood']:.10f}"
    )


def _by_size(results):
    sizes = {}
    for row in results:
        sizes.setdefault((row["rows"], row["features"]), {})[row["peer"]] = row
    return sizes


def compare(results):
    """Per row: Spark's s/iteration over this peer's, run by run; parameter
    and log-likelihood differences from the ``emgmm-threads`` fit."""
    for peers in _by_size(results).values():
        spark, ours = peers.get("spark"), peers.get("emgmm-threads")
        for row in peers.values():
            if "skipped" in row:
                continue
            if spark and "skipped" not in spark and row is not spark:
                row["spark_ratio"] = [
                    s / o
                    for s, o in zip(
                        spark["per_iteration_s"], row["per_iteration_s"], strict=False
                    )
                ]
            if ours and "skipped" not in ours and row is not ours:
                row["max_mean_difference"] = float(
                    np.max(
                        np.abs(
                            np.asarray(row["params"]["means"])
                            - np.asarray(ours["params"]["means"])
                        )
                    )
                )
                row["log_likelihood_difference"] = (
                    row["log_likelihood"] - ours["log_likelihood"]
                )


def table(args, results):
    head = (
        "| rows | d | peer | s / iteration | runs | Spark ÷ peer | "
        "log-likelihood / sample | − emgmm threads | max abs Δ mean | "
        "peak RSS MiB | rows to JVM s |"
    )
    lines = [head, "|---:|---:|:---|---:|---:|---:|---:|---:|---:|:---|---:|"]
    for row in results:
        cells = [f"{row['rows']:.0e}", str(row["features"]), PEERS[row["peer"]]]
        if "skipped" in row:
            lines.append("| " + " | ".join(cells + [row["skipped"]] + [""] * 7) + " |")
            continue
        runs = len(row["times"])
        runs_cell = str(runs) if runs == args.runs else f"{runs} of {args.runs}"
        rss = ", ".join(f"{k} {v:.0f}" for k, v in row["peak_rss_mib"].items())
        cells += [
            spread(row["per_iteration_s"]),
            runs_cell,
            spread(row["spark_ratio"], "{:.1f}x") if "spark_ratio" in row else "",
            f"{row['log_likelihood']:.10f}",
            f"{row['log_likelihood_difference']:.2e}"
            if "log_likelihood_difference" in row
            else "",
            f"{row['max_mean_difference']:.2e}" if "max_mean_difference" in row else "",
            rss,
            f"{row['load_s']:.1f}" if "load_s" in row else "",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def goals(args, results):
    """The issue's goal at the largest row count: emgmm ≥ 10x Spark."""
    lines = []
    largest = max(args.rows)
    for (rows, features), peers in sorted(_by_size(results).items()):
        if rows != largest:
            continue
        for peer in ("emgmm-threads", "emgmm-cluster"):
            row = peers.get(peer)
            if not row or "spark_ratio" not in row:
                continue
            ratios = row["spark_ratio"]
            verdict = (
                "holds in every run"
                if min(ratios) >= 10
                else "holds at the median only"
                if statistics.median(ratios) >= 10
                else "does not hold"
            )
            lines.append(
                f"- {rows:.0e} x {features}: {PEERS[peer]} is "
                f"{spread(ratios, '{:.1f}x')} faster per iteration than Spark: "
                f"goal ≥ 10x {verdict}"
            )
    return lines


def header(args, results):
    import dask

    from emgmm import __version__

    git = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    info = next((r["info"] for r in results if "info" in r), None)
    spark = (
        f"pyspark {info['spark']}, Java {info['java']}, netlib BLAS {info['blas']}"
        if info
        else "pyspark: not run"
    )
    return [
        f"{PROG}: {platform.node()}, {cpu_model()}, {os.cpu_count()} CPUs, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end",
        f"emgmm {__version__} (git {git}), dask {dask.__version__}, {spark}, "
        f"Python {platform.python_version()}",
        f"K = {args.components}, M = {args.iterations} iterations, "
        f"chunks of {args.chunk_rows:,} rows, median (min–max) over runs, "
        f"s / iteration = (t_M - t_1) / (M - 1)",
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    number = lambda s: int(float(s))  # noqa: E731 - 1e6 on the command line
    parser.add_argument("--rows", type=number, nargs="+", default=[10**6, 10**7])
    parser.add_argument("--features", type=int, nargs="+", default=[2, 16])
    parser.add_argument("--components", type=int, default=4)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chunk-rows", type=number, default=250_000)
    parser.add_argument("--peers", nargs="+", choices=list(PEERS), default=list(PEERS))
    parser.add_argument("--budget", type=float, default=1800.0)
    parser.add_argument("--spark-memory", default="8g")
    parser.add_argument("--store-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", choices=list(PEERS), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    for name in ("components", "runs", "chunk_rows"):
        if getattr(args, name) < 1:
            parser.exit(2, f"{PROG}: --{name.replace('_', '-')} must be >= 1\n")
    if args.iterations < 2:
        parser.exit(2, f"{PROG}: --iterations must be >= 2 (t_M - t_1)\n")
    if min(args.rows) < 2 or min(args.features) < 1:
        parser.exit(2, f"{PROG}: --rows must be >= 2 and --features >= 1\n")
    try:
        import dask  # noqa: F401
        import zarr  # noqa: F401
    except ImportError as err:
        parser.exit(2, f'{PROG}: needs {err.name}: pip install -e ".[dask]" zarr\n')
    results = measure(args)
    compare(results)
    lines = header(args, results) + [""] + table(args, results)
    lines += [""] + goals(args, results)
    text = "\n".join(lines).rstrip() + "\n"
    print(text)
    if args.output:
        args.output.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 1 if any(r.get("skipped", "").startswith("failed") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
