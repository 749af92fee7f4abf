"""Benchmark ``emgmm.GaussianMixture`` against scikit-learn, side by side.

Run ``python -m emgmm.bench`` (or ``emgmm-bench``); ``--quick`` runs small
sizes in a few seconds for CI, ``--format markdown`` prints a table that pastes
into the README.

What is compared, and how
-------------------------
* **Same data.** A seeded synthetic Gaussian mixture (:func:`make_data`), one
  float64 C-contiguous array shared by both estimators.
* **Same start.** Both estimators get the same ``weights_init``,
  ``means_init`` and ``precisions_init`` (:func:`make_init`, computed once),
  ``init_params='random_from_data'`` (the cheapest start scikit-learn accepts:
  its ``'kmeans'`` default would run k-means even with all three inits given)
  and the same ``random_state``.
* **Same number of iterations.** ``tol=0`` so that neither stops early; the
  fitted ``n_iter_`` of both is checked.
* **What is timed.** ``fit`` is called exactly as a user would call it, once
  with ``max_iter=1`` and once with ``max_iter=1 + n_iter``; seconds per
  iteration are ``(t_long - t_short) / n_iter`` with each time the best of
  ``repeats`` (more at small sizes, the same number for both, until the
  repeats add up to ``min_time`` seconds).  The difference cancels what a fit
  does besides its EM iterations (input checks, initialisation, scikit-learn's
  final E-step), so the figure is the cost of one E-step plus one M-step for
  both.  Before timing each estimator is fitted once on the full data with
  ``max_iter=1`` so that just-in-time compilation and first-touch costs are
  not timed.
* **Memory.** Peak extra resident memory of the long fit: on Linux the
  process's peak RSS (``VmHWM``) is reset by writing ``5`` to
  ``/proc/self/clear_refs`` and the fit's peak is ``VmHWM`` after minus
  ``VmRSS`` before (after ``gc.collect()`` and glibc ``malloc_trim(0)``), so
  allocations made by compiled code (numba, BLAS) are counted as well as
  NumPy's.  Where that is unavailable :mod:`tracemalloc` is used instead (it
  sees NumPy's allocations only); the header says which.
* **Threads.** Both fits run under
  ``threadpoolctl.threadpool_limits(limits=threads, user_api="blas")`` and
  with ``numba.set_num_threads(threads)``; the header prints the BLAS
  libraries and thread counts seen.
* **Parameter difference.** For each of ``weights_``, ``means_`` and
  ``covariances_``: ``max|ours - sklearn| / max|sklearn|``; the table shows the
  largest of the three, from the long fits.
* **Limit.** The machine's float64 GEMM rate (best of a few ``n x n``
  matrix products) and streaming bandwidth (best of a few copies of a large
  array, counting bytes read plus written) are measured under the same
  threads.  For each row the lower bound on seconds per iteration is the
  larger of (i) the floating-point work of the iteration's matrix products
  divided by the GEMM rate (:func:`iteration_flops`; for full covariance
  ``4 N K d^2``: ``2 N K d^2`` for the whitened distances of the E-step and
  ``2 N K d^2`` for the second moments of the M-step) and (ii) one read of the
  data (``8 N d`` bytes) divided by the bandwidth.  ``ours/bound`` says how far
  ``emgmm`` is from that bound.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import platform
import re
import subprocess
import sys
import time
import tracemalloc
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = [
    "COLUMNS",
    "DEFAULT_SIZES",
    "QUICK_SIZES",
    "format_header",
    "format_table",
    "iteration_bytes",
    "iteration_flops",
    "machine_info",
    "main",
    "make_data",
    "make_init",
    "max_parameter_difference",
    "measure_bandwidth",
    "measure_gemm_rate",
    "run_benchmark",
    "run_case",
]

DEFAULT_SIZES = [
    (n, d, k)
    for n in (10_000, 100_000, 1_000_000)
    for d, k in ((2, 4), (16, 8), (64, 16))
]
"""Sizes ``(N, d, K)`` of the full benchmark."""

QUICK_SIZES = [
    (n, d, k) for n in (1_000, 10_000) for d, k in ((2, 4), (16, 8), (64, 16))
]
"""Sizes ``(N, d, K)`` of ``--quick`` (a few seconds, for CI)."""

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

COLUMNS = [
    ("n_samples", "N"),
    ("n_features", "d"),
    ("n_components", "K"),
    ("covariance_type", "covariance"),
    ("n_iter", "iters"),
    ("repeats", "reps"),
    ("sklearn_s_per_iter", "sklearn s/iter"),
    ("emgmm_s_per_iter", "emgmm s/iter"),
    ("speedup", "speed-up"),
    ("sklearn_peak_mib", "sklearn peak MiB"),
    ("emgmm_peak_mib", "emgmm peak MiB"),
    ("memory_ratio", "emgmm/sklearn mem"),
    ("max_rel_diff", "max param diff"),
    ("bound_s_per_iter", "bound s/iter"),
    ("bound_kind", "bound"),
    ("emgmm_over_bound", "emgmm/bound"),
]
"""Table columns: ``(key in a result row, header)``."""

_MIB = 1024.0**2
_MAX_REPEATS = 100


# ---------------------------------------------------------------- data, inits


def make_data(n_samples, n_features, n_components, seed=0):
    """Draw a seeded, moderately separated Gaussian mixture.

    Parameters
    ----------
    n_samples : int
        Number of points ``N``.
    n_features : int
        Dimension ``d``.
    n_components : int
        Number of mixture components ``K``.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Float64, C-contiguous, rows shuffled.
    """
    rng = np.random.default_rng([seed, n_samples, n_features, n_components])
    weights = rng.dirichlet(np.full(n_components, 5.0))
    counts = rng.multinomial(n_samples, weights)
    # Means about 4 standard deviations apart: separated, but overlapping
    # enough for EM to keep moving for a few iterations.
    means = rng.normal(scale=4.0 / np.sqrt(2.0), size=(n_components, n_features))
    X = np.empty((n_samples, n_features))
    start = 0
    for k, count in enumerate(counts):
        a = rng.normal(size=(n_features, n_features)) / np.sqrt(n_features)
        chol = np.linalg.cholesky(a @ a.T + 0.5 * np.eye(n_features))
        z = rng.standard_normal((count, n_features))
        X[start : start + count] = means[k] + z @ chol.T
        start += count
    rng.shuffle(X, axis=0)
    return np.ascontiguousarray(X)


def make_init(X, n_components, covariance_type="full", seed=0):
    """Initial parameters given identically to both estimators.

    Means are ``n_components`` distinct rows of ``X`` drawn at random, weights
    are uniform and every component's covariance is the covariance of the
    whole data set (a broad start, so EM does real work in every iteration).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data.
    n_components : int
        Number of components ``K``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Decides the shape of ``precisions_init``.
    seed : int, default=0
        Seed of the draw of the means.

    Returns
    -------
    init : dict
        ``weights_init``, ``means_init`` and ``precisions_init`` in the shapes
        :class:`sklearn.mixture.GaussianMixture` expects.
    """
    rng = np.random.default_rng([seed, 1])
    n_samples, n_features = X.shape
    rows = rng.choice(n_samples, size=n_components, replace=False)
    sample = X[rng.choice(n_samples, size=min(n_samples, 100_000), replace=False)]
    cov = np.atleast_2d(np.cov(sample, rowvar=False))
    if covariance_type == "full":
        prec = np.broadcast_to(np.linalg.inv(cov), (n_components,) + cov.shape)
    elif covariance_type == "tied":
        prec = np.linalg.inv(cov)
    elif covariance_type == "diag":
        prec = np.broadcast_to(1.0 / np.diag(cov), (n_components, n_features))
    elif covariance_type == "spherical":
        prec = np.full(n_components, 1.0 / np.mean(np.diag(cov)))
    else:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, "
            f"got {covariance_type!r}"
        )
    prec = np.ascontiguousarray(prec)
    if covariance_type in ("full", "tied"):
        prec = 0.5 * (prec + np.swapaxes(prec, -1, -2))
    return {
        "weights_init": np.full(n_components, 1.0 / n_components),
        "means_init": np.ascontiguousarray(X[rows]),
        "precisions_init": prec,
    }


# ------------------------------------------------------------ machine limits


def iteration_flops(n_samples, n_features, n_components, covariance_type="full"):
    """Floating-point work of one EM iteration's matrix products.

    Parameters
    ----------
    n_samples, n_features, n_components : int
        ``N``, ``d`` and ``K``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'

    Returns
    -------
    flops : float
        ``full``: ``4 N K d^2`` (E-step whitened distances ``(X - mu_k) L_k``
        and M-step second moments ``sum_n r_nk x x^T``, ``2 N K d^2`` each);
        ``tied``: ``4 N d^2 + 4 N K d``; ``diag``: ``8 N K d``;
        ``spherical``: ``4 N K d``.
    """
    n, d, k = float(n_samples), float(n_features), float(n_components)
    return {
        "full": 4 * n * k * d * d,
        "tied": 4 * n * d * d + 4 * n * k * d,
        "diag": 8 * n * k * d,
        "spherical": 4 * n * k * d,
    }[covariance_type]


def iteration_bytes(n_samples, n_features):
    """Bytes any EM iteration must move: one read of the float64 data.

    Parameters
    ----------
    n_samples, n_features : int
        ``N`` and ``d``.

    Returns
    -------
    nbytes : float
        ``8 N d``.
    """
    return 8.0 * n_samples * n_features


def measure_gemm_rate(n=2000, repeats=5):
    """Measured float64 matrix-product rate, best of ``repeats``.

    Parameters
    ----------
    n : int, default=2000
        Size of the square matrices.
    repeats : int, default=5

    Returns
    -------
    rate : float
        FLOP/s, counting ``2 n^3`` per product.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    out = np.empty((n, n))
    np.matmul(a, b, out=out)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best


def measure_bandwidth(nbytes=512 * 2**20, repeats=5):
    """Measured streaming memory bandwidth: copy of a large array.

    Parameters
    ----------
    nbytes : int, default=512 MiB
        Size of the array copied.
    repeats : int, default=5

    Returns
    -------
    rate : float
        Bytes per second, counting each copied byte twice (read and write);
        best of ``repeats``.
    """
    src = np.ones(nbytes // 8)
    dst = np.empty_like(src)
    np.copyto(dst, src)
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * src.nbytes / best


# ---------------------------------------------------------- machine, threads


def _cpu_model():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def _git(*args):
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip()


def _git_commit():
    """Short commit of the package's checkout, noting modified tracked files."""
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return None
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", ".")
    if dirty:
        names = sorted(Path(line[3:]).name for line in dirty.splitlines())
        commit += " + uncommitted changes to " + ", ".join(names)
    return commit


def _load_average():
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Linux
        return None


def _set_numba_threads(threads):
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    threads = min(threads, numba.config.NUMBA_NUM_THREADS)
    numba.set_num_threads(threads)
    return numba.get_num_threads()


def machine_info(threads=None):
    """Describe the machine, the library versions and the thread settings.

    Parameters
    ----------
    threads : int, optional
        Threads the benchmark runs with, if already set.

    Returns
    -------
    info : dict
        CPU model, logical cores, memory, versions, git commit of ``emgmm``,
        ``threadpool_info()`` (BLAS libraries with their thread counts) and
        numba's thread count.
    """
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    import emgmm

    mem_total = None
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem_total = int(match.group(1)) * 1024 if match else None
    except OSError:
        pass
    try:
        import numba

        numba_version = numba.__version__
        numba_threads = numba.get_num_threads()
    except ImportError:  # pragma: no cover
        numba_version = numba_threads = None
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": mem_total,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "numba": numba_version,
        "emgmm": emgmm.__version__,
        "emgmm_commit": _git_commit(),
        "threads": threads,
        "numba_threads": numba_threads,
        "threadpools": threadpool_info(),
    }


# ------------------------------------------------------------------- memory


def _read_status():
    text = Path("/proc/self/status").read_text()
    return {
        key: int(re.search(key + r":\s+(\d+) kB", text).group(1)) * 1024
        for key in ("VmRSS", "VmHWM")
    }


def _rss_peak_available():
    try:
        _read_status()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except (OSError, AttributeError):
        return False
    return True


def _malloc_trim():
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@contextmanager
def _peak_extra_memory(method):
    """Yield a dict whose ``'peak'`` is set to the peak extra bytes on exit."""
    result = {"peak": np.nan}
    gc.collect()
    _malloc_trim()
    if method == "rss":
        before = _read_status()["VmRSS"]
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        try:
            yield result
        finally:
            result["peak"] = _read_status()["VmHWM"] - before
    else:
        tracemalloc.start()
        try:
            yield result
        finally:
            result["peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()


# --------------------------------------------------------------- comparison


def max_parameter_difference(ours, ref):
    """Largest scale-relative difference between two fitted mixtures.

    Parameters
    ----------
    ours, ref : fitted estimators
        With ``weights_``, ``means_`` and ``covariances_``.

    Returns
    -------
    diff : float
        ``max`` over the three attributes of
        ``max|ours - ref| / max|ref|``.
    """
    diffs = []
    for name in ("weights_", "means_", "covariances_"):
        a = np.asarray(getattr(ours, name), dtype=np.float64)
        b = np.asarray(getattr(ref, name), dtype=np.float64)
        if a.shape != b.shape:
            return np.inf
        diffs.append(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
    return float(max(diffs))


def _fit(cls, X, init, n_components, covariance_type, max_iter, seed, memory):
    params = {key: np.array(value) for key, value in init.items()}
    est = cls(
        n_components=n_components,
        covariance_type=covariance_type,
        tol=0.0,
        max_iter=max_iter,
        init_params="random_from_data",
        random_state=seed,
        **params,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: ConvergenceWarning by design
        if memory is None:
            t0 = time.perf_counter()
            est.fit(X)
            elapsed = time.perf_counter() - t0
            peak = np.nan
        else:
            with _peak_extra_memory(memory) as mem:
                t0 = time.perf_counter()
                est.fit(X)
                elapsed = time.perf_counter() - t0
            peak = mem["peak"]
    if est.n_iter_ != max_iter:
        raise RuntimeError(
            f"{cls.__module__}.{cls.__name__} ran {est.n_iter_} iterations, "
            f"expected {max_iter} (tol=0 must not stop early)"
        )
    return est, elapsed, peak


def run_case(
    X,
    n_components,
    covariance_type="full",
    n_iter=10,
    repeats=3,
    min_time=2.0,
    seed=0,
    memory="rss",
    gemm_rate=None,
    bandwidth=None,
):
    """Fit both estimators on ``X`` and compare them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data (float64, C-contiguous).
    n_components : int
        ``K``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
    n_iter : int, default=10
        EM iterations timed (long fits run ``1 + n_iter``).
    repeats : int, default=3
        Each timed fit is repeated at least this many times; the best time is
        kept, and the largest peak memory.
    min_time : float, default=2.0
        More repeats (at most 100), the same number for both estimators, until
        ``repeats * (slower long fit) >= min_time`` seconds: at small sizes
        ten iterations take milliseconds and one repeat is at the mercy of
        timing noise.
    seed : int, default=0
        Seed of the initialisation and ``random_state``.
    memory : {'rss', 'tracemalloc'}, default='rss'
        How peak extra memory is measured.
    gemm_rate, bandwidth : float, optional
        Measured FLOP/s and bytes/s; without them the bound columns are NaN.

    Returns
    -------
    row : dict
        One table row, keyed as in :data:`COLUMNS`.
    """
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    from emgmm import GaussianMixture

    n_samples, n_features = X.shape
    init = make_init(X, n_components, covariance_type, seed)
    impls = {"sklearn": SkGaussianMixture, "emgmm": GaussianMixture}
    args = (X, init, n_components, covariance_type)

    for cls in impls.values():  # warm-up: compilation, first touch
        _fit(cls, *args, 1, seed, None)

    short = dict.fromkeys(impls, np.inf)
    long = dict.fromkeys(impls, np.inf)
    peak = dict.fromkeys(impls, 0.0)
    fitted = {}
    done = 0
    while done < repeats or (
        done < _MAX_REPEATS and done * max(long.values()) < min_time
    ):
        done += 1
        for name, cls in impls.items():
            _, t, _ = _fit(cls, *args, 1, seed, None)
            short[name] = min(short[name], t)
            est, t, p = _fit(cls, *args, 1 + n_iter, seed, memory)
            long[name] = min(long[name], t)
            peak[name] = max(peak[name], p)
            fitted[name] = est
            del est
            gc.collect()

    # A non-positive difference means timing noise exceeded n_iter iterations.
    per_iter = {
        name: (long[name] - short[name]) / n_iter
        if long[name] > short[name]
        else np.nan
        for name in impls
    }
    flops = iteration_flops(n_samples, n_features, n_components, covariance_type)
    nbytes = iteration_bytes(n_samples, n_features)
    t_flops = flops / gemm_rate if gemm_rate else np.nan
    t_bytes = nbytes / bandwidth if bandwidth else np.nan
    if np.isnan(t_flops) or np.isnan(t_bytes):
        bound, kind = np.nan, ""
    elif t_flops >= t_bytes:
        bound, kind = t_flops, "GEMM"
    else:
        bound, kind = t_bytes, "memory"
    ours, theirs = per_iter["emgmm"], per_iter["sklearn"]
    return {
        "n_samples": n_samples,
        "n_features": n_features,
        "n_components": n_components,
        "covariance_type": covariance_type,
        "n_iter": n_iter,
        "repeats": done,
        "sklearn_s_per_iter": theirs,
        "emgmm_s_per_iter": ours,
        "speedup": theirs / ours,
        "sklearn_peak_mib": peak["sklearn"] / _MIB,
        "emgmm_peak_mib": peak["emgmm"] / _MIB,
        "memory_ratio": (
            peak["emgmm"] / peak["sklearn"] if peak["sklearn"] > 0 else np.nan
        ),
        "max_rel_diff": max_parameter_difference(fitted["emgmm"], fitted["sklearn"]),
        "bound_s_per_iter": bound,
        "bound_kind": kind,
        "emgmm_over_bound": ours / bound if bound > 0 else np.nan,
        "sklearn_fit_s": long["sklearn"],
        "emgmm_fit_s": long["emgmm"],
        "flops_per_iter": flops,
        "bytes_per_iter": nbytes,
    }


def run_benchmark(
    sizes=None,
    covariance_types=("full",),
    threads=None,
    n_iter=10,
    repeats=3,
    min_time=2.0,
    seed=0,
    measure_limits=True,
    progress=None,
):
    """Run :func:`run_case` over sizes and covariance types.

    Parameters
    ----------
    sizes : list of (int, int, int), optional
        ``(N, d, K)`` triples; default :data:`DEFAULT_SIZES`.
    covariance_types : sequence of str, default=('full',)
    threads : int, optional
        BLAS and numba threads for both estimators; default all logical cores.
    n_iter : int, default=10
    repeats : int, default=3
    min_time : float, default=2.0
        See :func:`run_case`.
    seed : int, default=0
    measure_limits : bool, default=True
        Measure the GEMM rate and bandwidth (about a second).
    progress : callable, optional
        Called with each row as it is done (e.g. to print it).

    Returns
    -------
    info : dict
        :func:`machine_info` plus ``gemm_flops``, ``bandwidth_bytes``,
        ``memory_method``, ``n_iter`` and ``repeats``.
    rows : list of dict
        One per (size, covariance type), in order.
    """
    from threadpoolctl import threadpool_limits

    sizes = DEFAULT_SIZES if sizes is None else sizes
    threads = threads or os.cpu_count() or 1
    memory = "rss" if _rss_peak_available() else "tracemalloc"
    rows = []
    with threadpool_limits(limits=threads, user_api="blas"):
        numba_threads = _set_numba_threads(threads)
        info = machine_info(threads)
        info["numba_threads"] = numba_threads
        info["memory_method"] = memory
        info["n_iter"] = n_iter
        info["repeats"] = repeats
        info["min_time"] = min_time
        info["gemm_flops"] = measure_gemm_rate() if measure_limits else None
        info["bandwidth_bytes"] = measure_bandwidth() if measure_limits else None
        info["load_start"] = _load_average()
        for n_samples, n_features, n_components in sizes:
            X = make_data(n_samples, n_features, n_components, seed)
            for covariance_type in covariance_types:
                row = run_case(
                    X,
                    n_components,
                    covariance_type,
                    n_iter=n_iter,
                    repeats=repeats,
                    min_time=min_time,
                    seed=seed,
                    memory=memory,
                    gemm_rate=info["gemm_flops"],
                    bandwidth=info["bandwidth_bytes"],
                )
                rows.append(row)
                if progress is not None:
                    progress(row)
            del X
            gc.collect()
    info["load_end"] = _load_average()
    return info, rows


# --------------------------------------------------------------- formatting


def _fmt(key, value):
    if isinstance(value, str):
        return value
    if key in ("n_samples", "n_features", "n_components", "n_iter", "repeats"):
        return (
            f"{int(value):,}".replace(",", "_")
            if key == "n_samples"
            else str(int(value))
        )
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "n/a"
    if key in ("sklearn_s_per_iter", "emgmm_s_per_iter", "bound_s_per_iter"):
        return f"{value:.3g}"
    if key in ("speedup", "emgmm_over_bound"):
        return f"{value:.1f}x"
    if key in ("sklearn_peak_mib", "emgmm_peak_mib"):
        return f"{value:.1f}"
    if key == "memory_ratio":
        return f"{value:.2f}"
    if key == "max_rel_diff":
        return f"{value:.1e}"
    return str(value)


def format_table(rows, fmt="text"):
    """Format result rows as a table.

    Parameters
    ----------
    rows : list of dict
        From :func:`run_benchmark` or :func:`run_case`.
    fmt : {'text', 'markdown', 'tsv'}, default='text'
        ``tsv`` keeps full precision and the machine-readable keys as header.

    Returns
    -------
    table : str
    """
    if fmt == "tsv":
        keys = [key for key, _ in COLUMNS] + [
            "sklearn_fit_s",
            "emgmm_fit_s",
            "flops_per_iter",
            "bytes_per_iter",
        ]
        lines = ["\t".join(keys)]
        lines += ["\t".join(str(row.get(key, "")) for key in keys) for row in rows]
        return "\n".join(lines) + "\n"
    headers = [header for _, header in COLUMNS]
    cells = [[_fmt(key, row[key]) for key, _ in COLUMNS] for row in rows]
    if fmt == "markdown":
        right = [key not in ("covariance_type", "bound_kind") for key, _ in COLUMNS]
        lines = ["| " + " | ".join(headers) + " |"]
        lines.append("|" + "|".join("---:" if r else ":---" for r in right) + "|")
        lines += ["| " + " | ".join(c) + " |" for c in cells]
        return "\n".join(lines) + "\n"
    if fmt != "text":
        raise ValueError(f"fmt must be 'text', 'markdown' or 'tsv', got {fmt!r}")
    widths = [
        max(len(h), *(len(c[i]) for c in cells)) if cells else len(h)
        for i, h in enumerate(headers)
    ]
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
        lib = Path(pool.get("filepath", "")).parts
        owner = lib[-2].removesuffix(".libs") if len(lib) >= 2 else "?"
        parts.append(
            f"{pool.get('internal_api')} {pool.get('version')} "
            f"({owner}, {pool.get('architecture')}, "
            f"{pool.get('num_threads')} threads)"
        )
    return "; ".join(parts) or "none loaded"


def format_header(info, fmt="text"):
    """Describe machine, versions, threads and limits in a few lines.

    Parameters
    ----------
    info : dict
        From :func:`run_benchmark`.
    fmt : {'text', 'markdown', 'tsv'}, default='text'
        Markdown gives a bullet list; tsv gives ``# ``-prefixed comment lines.

    Returns
    -------
    header : str
    """
    mem = info.get("memory_bytes")
    commit = info.get("emgmm_commit")
    gemm = info.get("gemm_flops")
    bw = info.get("bandwidth_bytes")
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} logical cores"
        + (f", {mem / 2**30:.1f} GiB RAM" if mem else ""),
        f"Versions: Python {info['python']}, numpy {info['numpy']}, "
        f"scipy {info['scipy']}, scikit-learn {info['sklearn']}, "
        f"numba {info['numba']}, emgmm {info['emgmm']}"
        + (f" (git {commit})" if commit else ""),
        f"Threads: {info['threads']} for both estimators: BLAS "
        f"{_blas_summary(info['threadpools'])}; numba "
        f"{info.get('numba_threads')} threads",
        f"Timing: seconds per EM iteration = (fit with max_iter=1+{info['n_iter']}"
        f" - fit with max_iter=1) / {info['n_iter']}, tol=0, same inits; "
        f"best of {info['repeats']} repeats, more (same number for both, "
        f"column 'reps') until reps x slower long fit >= {info['min_time']:g} s",
        "Memory: peak extra "
        + (
            "resident memory during fit (VmHWM reset via /proc/self/clear_refs)"
            if info.get("memory_method") == "rss"
            else "memory seen by tracemalloc during fit (NumPy allocations only)"
        ),
    ]
    load = info.get("load_start"), info.get("load_end")
    if None not in load:
        lines.append(
            f"Load average (1 min) at start {load[0]:.2f}, at end {load[1]:.2f} "
            f"on {info['cores']} cores (above the benchmark's own threads means "
            "other processes competed for the CPU)"
        )
    if gemm and bw:
        lines.append(
            f"Limits: float64 GEMM {gemm / 1e9:.1f} GFLOP/s (2000x2000 matmul), "
            f"bandwidth {bw / 1e9:.1f} GB/s (copy, read+write); "
            "bound = max(matrix-product flops / GEMM, 8*N*d bytes / bandwidth)"
        )
    if fmt == "markdown":
        return "\n".join("- " + line for line in lines) + "\n"
    if fmt == "tsv":
        return "\n".join("# " + line for line in lines) + "\n"
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------- CLI


def _parse_size(text):
    try:
        n, d, k = (int(float(part)) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be NxDxK, e.g. 1e6x64x16, got {text!r}"
        ) from None
    if min(n, d, k) < 1 or n < k:
        raise argparse.ArgumentTypeError(
            f"size needs N >= K >= 1 and d >= 1, got {text!r}"
        )
    return n, d, k


def _parser():
    p = argparse.ArgumentParser(
        prog="python -m emgmm.bench",
        description="Fit emgmm.GaussianMixture and sklearn.mixture."
        "GaussianMixture side by side (same data, inits, iterations and "
        "threads) and print seconds per iteration, peak extra memory and the "
        "largest parameter difference.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (N in 1e3, 1e4) for CI; a few seconds",
    )
    p.add_argument(
        "--sizes",
        nargs="+",
        type=_parse_size,
        metavar="NxDxK",
        help="sizes to run, e.g. 1e6x2x4 1e6x64x16 (default: N in 1e4, 1e5, "
        "1e6 x (d, K) in (2, 4), (16, 8), (64, 16))",
    )
    p.add_argument(
        "--covariance-type",
        nargs="+",
        choices=COVARIANCE_TYPES,
        default=["full"],
        help="covariance types to run (default: full)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help=f"BLAS and numba threads for both (default: {os.cpu_count()})",
    )
    p.add_argument(
        "--n-iter",
        type=int,
        default=10,
        help="EM iterations timed per fit (default: 10)",
    )
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="repeats per timed fit, best kept (default: 3, --quick: 2)",
    )
    p.add_argument(
        "--min-time",
        type=float,
        default=None,
        help="repeat small sizes until repeats x slower fit >= this many "
        "seconds, at most 100 repeats (default: 2, --quick: 0.5)",
    )
    p.add_argument("--seed", type=int, default=0, help="data and init seed")
    p.add_argument(
        "--format",
        choices=("text", "markdown", "tsv"),
        default=None,
        help="table format (default: from --output's extension, else text)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=None,
        help="also write header and table to this file (.md, .tsv or .txt)",
    )
    return p


def main(argv=None):
    """Command-line entry point: ``python -m emgmm.bench``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments; default ``sys.argv[1:]``.

    Returns
    -------
    rows : list of dict
        The result rows (also printed, and written to ``--output``).
    """
    args = _parser().parse_args(argv)
    if args.threads is not None and args.threads < 1:
        _parser().error(f"--threads must be >= 1, got {args.threads}")
    if args.n_iter < 1:
        _parser().error(f"--n-iter must be >= 1, got {args.n_iter}")
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    repeats = args.repeats or (2 if args.quick else 3)
    min_time = args.min_time
    if min_time is None:
        min_time = 0.5 if args.quick else 2.0
    fmt = args.format
    if fmt is None and args.output is not None:
        fmt = {".md": "markdown", ".tsv": "tsv"}.get(args.output.suffix, "text")
    fmt = fmt or "text"

    def progress(row):
        print(
            "done "
            + ", ".join(f"{header}={_fmt(key, row[key])}" for key, header in COLUMNS),
            file=sys.stderr,
            flush=True,
        )

    info, rows = run_benchmark(
        sizes=sizes,
        covariance_types=args.covariance_type,
        threads=args.threads,
        n_iter=args.n_iter,
        repeats=repeats,
        min_time=min_time,
        seed=args.seed,
        progress=progress,
    )
    text = format_header(info, fmt) + "\n" + format_table(rows, fmt)
    print(text, end="")
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text)
    return rows


if __name__ == "__main__":
    main()
