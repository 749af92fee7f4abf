"""Fit a mixture to rows on disk through Dask: time and every process's memory.

    pip install -e ".[dask]" zarr
    python -m bench.dask --rows 100_000_000 --store /tmp/emgmm-1e8.zarr
    python -m bench.dask --rows 1_000_000 --workers 2 --compare

Writes, once per store, a seeded mixture of ``--components`` Gaussians in
``--features`` dimensions as a Zarr array of float64 rows (chunks of
``--chunk-rows`` rows, uncompressed), a chunk at a time.  Then, in a fresh
process, ``emgmm.GaussianMixture(K, max_iter=M, tol=0, random_state=0)``
fits ``dask.array.from_zarr(store)``: with Dask's threaded scheduler on
``--threads`` threads, or on a ``distributed.LocalCluster`` of ``--workers``
processes of one thread each.  Reported: the fit's wall time; seconds per
EM iteration, from a second fit with ``max_iter=0`` (the shift pass and the
start) subtracted, both after an untimed fit with ``max_iter=1``; the rows
the start used (``init_rows_``); the final lower bound; and the peak
resident memory (VmHWM) of the process that fitted and of every worker.
``--compare`` also fits the rows in memory (NumPy) and reports the largest
difference of a fitted parameter.
"""

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

from bench.engine.measure import cpu_model, peak_rss_mib

PROG = "python -m bench.dask"


def write_store(path, rows, features, components, chunk_rows, seed=0):
    """A seeded mixture as a Zarr array of rows, written chunk by chunk."""
    import numpy as np
    import zarr

    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(components, features))
    scales = rng.uniform(0.5, 2.0, size=(components, features))
    store = zarr.create_array(
        str(path),
        shape=(rows, features),
        chunks=(chunk_rows, features),
        dtype="float64",
        compressors=None,
        overwrite=True,
    )
    for i, start in enumerate(range(0, rows, chunk_rows)):
        n = min(chunk_rows, rows - start)
        block = np.random.default_rng([seed, i])
        label = block.integers(0, components, size=n)
        store[start : start + n] = centres[label] + scales[label] * block.normal(
            size=(n, features)
        )


@contextmanager
def scheduler(workers, threads):
    """Dask's threaded scheduler on ``threads`` threads, or (``workers``) a
    LocalCluster of that many one-thread processes; yields a function that
    gives the peak memory (MiB) of this process and of every worker."""
    import dask

    if not workers:
        with dask.config.set(scheduler="threads", num_workers=threads):
            yield lambda: {"fitting process": peak_rss_mib()}
        return
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):

        def peaks():
            out = {"fitting process": peak_rss_mib()}
            worker_rss = client.run(peak_rss_mib)
            for i, key in enumerate(sorted(worker_rss)):
                out[f"worker {i}"] = worker_rss[key]
            return out

        yield peaks


def fit(store, components, iterations, threads, workers, compare):
    """The fits, in this process; returns the measurements."""
    import dask.array as da
    import numpy as np

    from emgmm import GaussianMixture

    X = da.from_zarr(str(store))
    out = {"rows": X.shape[0], "features": X.shape[1], "chunks": len(X.chunks[0])}
    with scheduler(workers, threads) as peaks:
        kwargs = dict(tol=0.0, random_state=0)
        # not timed: the kernels loaded, the scheduler's first tasks
        GaussianMixture(components, max_iter=1, **kwargs).fit(X)
        start = time.perf_counter()
        GaussianMixture(components, max_iter=0, **kwargs).fit(X)
        out["start_s"] = time.perf_counter() - start
        gm = GaussianMixture(components, max_iter=iterations, **kwargs)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "did not converge": tol=0
            gm.fit(X)
        out["fit_s"] = time.perf_counter() - start
        out["per_iteration_s"] = (out["fit_s"] - out["start_s"]) / gm.n_iter_
        out["n_iter"] = int(gm.n_iter_)
        out["init_rows"] = int(gm.init_rows_)
        out["lower_bound"] = float(gm.lower_bound_)
        out["peak_rss_mib"] = peaks()
    if compare:
        reference = GaussianMixture(components, max_iter=iterations, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference.fit(X.compute())
        out["max_difference"] = max(
            float(np.max(np.abs(getattr(gm, a) - getattr(reference, a))))
            for a in ("weights_", "means_", "covariances_", "precisions_cholesky_")
        )
        out["same_n_iter"] = reference.n_iter_ == gm.n_iter_
    return out


def report(args, out):
    rss = ", ".join(f"{k} {v:.0f}" for k, v in out["peak_rss_mib"].items())
    where = (
        f"LocalCluster of {args.workers} processes"
        if args.workers
        else f"threaded scheduler, {args.threads} threads"
    )
    lines = [
        f"{PROG} on {out['machine']}: {out['rows']:,} x {out['features']} "
        "float64 rows in "
        f"{out['chunks']} Zarr chunks, K = {args.components}, {where}",
        f"  fit ({out['n_iter']} iterations): {out['fit_s']:.1f} s; "
        f"start (shift pass + start on {out['init_rows']:,} rows): "
        f"{out['start_s']:.1f} s; per iteration {out['per_iteration_s']:.2f} s",
        f"  lower bound {out['lower_bound']:.6f}; peak RSS MiB: {rss}",
    ]
    if "max_difference" in out:
        lines.append(
            f"  in memory: largest parameter difference {out['max_difference']:.1e}, "
            f"same n_iter: {out['same_n_iter']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda s: int(float(s)), default=10**6)
    parser.add_argument("--features", type=int, default=2)
    parser.add_argument("--components", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--chunk-rows", type=lambda s: int(float(s)), default=10**6)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--compare", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("rows", "features", "components", "iterations", "chunk_rows"):
        if getattr(args, name) < 1:
            parser.exit(2, f"{PROG}: --{name.replace('_', '-')} must be >= 1\n")
    try:
        import dask  # noqa: F401
        import zarr  # noqa: F401
    except ImportError as err:
        parser.exit(2, f'{PROG}: needs {err.name}: pip install -e ".[dask]" zarr\n')
    store = args.store or Path(
        f"/tmp/emgmm-bench-{args.rows}x{args.features}-k{args.components}"
        f"-c{args.chunk_rows}.zarr"
    )
    if args.child:
        print(
            json.dumps(
                fit(
                    store,
                    args.components,
                    args.iterations,
                    args.threads,
                    args.workers,
                    args.compare,
                )
            )
        )
        return 0
    if not (store / "zarr.json").exists():
        start = time.perf_counter()
        write_store(store, args.rows, args.features, args.components, args.chunk_rows)
        print(f"{PROG}: wrote {store} in {time.perf_counter() - start:.1f} s")
    # a fresh process: its peak memory is the fit's alone
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    child = [sys.executable, "-m", "bench.dask", "--child", "--store", str(store)]
    child += [
        f"--{k}={v}"
        for k, v in (
            ("components", args.components),
            ("iterations", args.iterations),
            ("threads", args.threads),
            ("workers", args.workers),
        )
    ]
    child += ["--compare"] if args.compare else []
    proc = subprocess.run(child, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["machine"] = cpu_model()
    print(report(args, out))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
