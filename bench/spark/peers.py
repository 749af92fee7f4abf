"""The fits of one peer on one Zarr store, in the process that runs them.

Each function takes the store, the start (weights, means, covariances), the
iteration count M, the number of runs and a time budget, and returns plain
data: per run the wall time of a fit of 1 iteration and of M iterations, the
fitted parameters of the last M-iteration fit, and peak resident memory.
Every fit starts from the same given parameters, so the first E-step of each
peer sees the same model.  Before the timed runs one untimed fit of one
iteration loads what the first call loads (numba's kernels, the JVM's JIT,
Spark's cached rows).  A run is not started when the runs so far, at their
mean duration, say it would end after ``budget`` seconds; at least one run
always happens.
"""

import time
import warnings
from pathlib import Path

import numpy as np

from bench.engine.measure import peak_rss_mib


def _descendants(pid):
    """The live processes below ``pid`` (Spark's Python workers)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _runs(fit, iterations, n_runs, budget):
    """``n_runs`` pairs (1 iteration, ``iterations``) of timed fits.

    ``fit(m)`` fits m iterations and returns the fitted parameters.
    """
    fit(1)  # untimed warm-up
    times, params, start = [], None, time.perf_counter()
    for run in range(n_runs):
        elapsed = time.perf_counter() - start
        if run and elapsed + elapsed / run > budget:
            break
        t0 = time.perf_counter()
        fit(1)
        t1 = time.perf_counter()
        params = fit(iterations)
        times.append((t1 - t0, time.perf_counter() - t1))
    return times, params


def _as_lists(weights, means, covariances):
    return {
        "weights": np.asarray(weights).tolist(),
        "means": np.asarray(means).tolist(),
        "covariances": np.asarray(covariances).tolist(),
    }


def emgmm_dask(store, start, iterations, n_runs, budget, workers=0, threads=2):
    """``emgmm.GaussianMixture.fit`` of a Dask array read from ``store``.

    Dask's threaded scheduler on ``threads`` threads, or (``workers`` > 0) a
    ``distributed.LocalCluster`` of ``workers`` processes of one thread.
    """
    import dask.array as da

    from emgmm import GaussianMixture

    X = da.from_zarr(str(store))
    precisions = np.linalg.inv(start["covariances"])

    def fit(m):
        gm = GaussianMixture(
            len(start["weights"]),
            weights_init=start["weights"],
            means_init=start["means"],
            precisions_init=precisions,
            max_iter=m,
            tol=0.0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "did not converge": tol=0
            gm.fit(X)
        assert gm.n_iter_ == m
        return _as_lists(gm.weights_, gm.means_, gm.covariances_)

    from bench.dask.__main__ import scheduler

    with scheduler(workers, threads) as peaks:
        times, params = _runs(fit, iterations, n_runs, budget)
        rss = peaks()
    return {"times": times, "params": params, "peak_rss_mib": rss}


def _zarr_rows(store):
    """A function of a chunk index: that chunk's rows as MLlib vectors."""

    def rows(i):
        import zarr
        from pyspark.mllib.linalg import Vectors

        z = zarr.open_array(store, mode="r")
        n = z.chunks[0]
        for row in z[i * n : (i + 1) * n]:
            yield Vectors.dense(row)

    return rows


def spark(store, start, iterations, n_runs, budget, memory="8g", threads=2):
    """``pyspark.mllib``'s ``GaussianMixture`` in local mode on ``threads`` cores.

    The rows go from the Zarr store to the JVM once: one partition per Zarr
    chunk, each read by a Python worker and sent as MLlib vectors, cached in
    the JVM as the Java objects MLlib's training reads (``load_s`` is that
    step).  Every fit is then ``PythonMLLibAPI.trainGaussianMixtureModel``
    on that cached RDD (what ``GaussianMixture.train(rdd, k, convergenceTol,
    maxIterations, seed, initialModel)`` calls, without converting the
    rows again), ``convergenceTol=0``: MLlib stops when the log-likelihood
    does not change at all, else after ``maxIterations``.
    """
    import zarr
    from pyspark import SparkConf, SparkContext
    from pyspark.mllib.clustering import GaussianMixtureModel
    from pyspark.mllib.common import _to_java_object_rdd, callMLlibFunc
    from pyspark.mllib.linalg import DenseMatrix, Vectors

    conf = (
        SparkConf()
        .setMaster(f"local[{threads}]")
        .setAppName("emgmm bench.spark")
        .set("spark.driver.memory", memory)
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
    )
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    try:
        jvm = sc._jvm
        z = zarr.open_array(str(store), mode="r")
        n_chunks = -(-z.shape[0] // z.chunks[0])
        t0 = time.perf_counter()
        rows = sc.parallelize(range(n_chunks), n_chunks).flatMap(_zarr_rows(str(store)))
        jrdd = _to_java_object_rdd(rows).persist(
            jvm.org.apache.spark.storage.StorageLevel.MEMORY_ONLY()
        )
        assert jrdd.count() == z.shape[0]
        load_s = time.perf_counter() - t0
        k = len(start["weights"])
        weights = [float(w) for w in start["weights"]]
        mus = [Vectors.dense(m) for m in start["means"]]
        d = len(mus[0])
        sigmas = [
            DenseMatrix(d, d, np.ravel(c, order="F")) for c in start["covariances"]
        ]

        def fit(m):
            java_model = callMLlibFunc(
                "trainGaussianMixtureModel",
                jrdd,
                k,
                0.0,
                m,
                0,
                weights,
                mus,
                sigmas,
            )
            model = GaussianMixtureModel(java_model)
            out = _as_lists(
                model.weights,
                [g.mu.toArray() for g in model.gaussians],
                [g.sigma.toArray() for g in model.gaussians],
            )
            # MLlib's training caches its own copy of the rows and leaves it
            for rdd_id, cached in sc._jsc.getPersistentRDDs().items():
                if rdd_id != jrdd.id():
                    cached.unpersist(True)
            return out

        times, params = _runs(fit, iterations, n_runs, budget)
        pid = jvm.java.lang.ProcessHandle.current().pid()
        rss = {"driver (Python)": peak_rss_mib(), "JVM": peak_rss_mib(pid)}
        workers = _descendants(pid)
        if workers:
            # the daemon and the workers it forked, alive (reused) after the load
            rss["Python workers"] = sum(peak_rss_mib(p) for p in workers)
        try:
            blas = jvm.dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getName()
        except Exception:  # noqa: BLE001 - only a label in the report
            blas = "unknown"
        info = {
            "java": jvm.java.lang.System.getProperty("java.version"),
            "spark": sc.version,
            "blas": blas,
        }
    finally:
        sc.stop()
    return {
        "times": times,
        "params": params,
        "peak_rss_mib": rss,
        "load_s": load_s,
        "info": info,
    }
