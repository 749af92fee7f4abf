"""Timing, peak extra memory, the machine's description, and one run's parts.

How each figure is measured
---------------------------
* **Same start** (:func:`same_start_case`).  Both estimators get the same
  ``weights_init``, ``means_init`` and ``precisions_init``
  (:func:`bench.engine.cases.make_init`), ``init_params='random_from_data'``
  (the cheapest start scikit-learn accepts: with ``'kmeans'`` it would run
  k-means even with all three inits given), ``tol=0`` (neither stops early;
  ``n_iter_`` is checked) and the same ``random_state``.
* **Seconds per iteration.**  ``fit`` is called as a user would call it, once
  with ``max_iter=1`` and once with ``max_iter=1 + n_iter``; one repeat gives
  ``(t_long - t_short) / n_iter`` (NaN if timing noise makes it non-positive).
  The difference cancels what a fit does besides its EM iterations (input
  checks, initialisation, scikit-learn's final E-step).  Repeats alternate
  the estimators (the same number for both): at least ``repeats``, more until
  ``min_time`` seconds are spent (at most 100, for small sizes), fewer if one
  repeat already took ``max_time`` seconds (large sizes).  The table gives
  the median and the min-max over repeats, or over runs with
  ``--repeat-runs``.  Before timing, each emgmm configuration is fitted once
  with ``max_iter=1`` (numba compilation is not timed); scikit-learn, which
  compiles nothing, is warmed up on the first rows only.
* **Peak extra memory** of the long fit: on Linux the process's peak RSS
  (``VmHWM``) is reset by writing ``5`` to ``/proc/self/clear_refs``; the peak
  is ``VmHWM`` after minus ``VmRSS`` before (after ``gc.collect()`` and glibc
  ``malloc_trim(0)``), so memory that numba and BLAS allocate counts too.
  Without ``/proc``, :mod:`tracemalloc` (NumPy's allocations only); the header
  says which.  The largest over repeats.
* **Parameter difference**: for each of ``weights_``, ``means_``,
  ``covariances_``, ``max|a - b| / max|b|``; the largest of the three.
* **Float32** (:func:`float32_case`): emgmm with ``dtype='float32'`` against
  emgmm in float64 from the same start on the same float64 data (speed and the
  three parameter differences), and scikit-learn on the data cast to float32
  (its float32 mode) for reference.
* **Default fit** (:func:`default_fit_case`): ``GaussianMixture(n_components=K,
  random_state=seed).fit(X)`` of both, every other parameter at its default
  (k-means start, ``tol=1e-3``, ``max_iter=100``): wall time of the whole
  ``fit``, iterations, peak extra memory and parameter difference.
* **Threads**: everything runs under
  ``threadpoolctl.threadpool_limits(limits=threads, user_api='blas')`` and
  ``numba.set_num_threads(threads)``.
"""

import ctypes
import gc
import os
import platform
import re
import subprocess
import time
import tracemalloc
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from bench.engine import cases, limits

__all__ = [
    "cpu_model",
    "default_fit_case",
    "float32_case",
    "git_commit",
    "load_average",
    "machine_info",
    "malloc_trim",
    "max_parameter_difference",
    "parameter_differences",
    "peak_extra_memory",
    "peak_rss_mib",
    "run",
    "same_start_case",
]

MIB = 1024.0**2
MAX_REPEATS = 100
ROOT = Path(__file__).resolve().parents[2]
"""The repository the benchmark lives in (its git commit is reported)."""


# ------------------------------------------------------------------- memory


def peak_rss_mib(pid="self"):
    """Peak resident memory (VmHWM, MiB) of this or a live process; 0 if gone.

    VmHWM starts anew at exec; Linux keeps ``ru_maxrss`` across exec, so a
    child's would be at least its parent's peak at fork.
    """
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else 0.0


def _read_status():
    text = Path("/proc/self/status").read_text()
    return {
        key: int(re.search(key + r":\s+(\d+) kB", text).group(1)) * 1024
        for key in ("VmRSS", "VmHWM")
    }


def memory_method():
    """``'rss'`` where the peak RSS can be reset (Linux), else ``'tracemalloc'``."""
    try:
        _read_status()
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except (OSError, AttributeError):
        return "tracemalloc"
    return "rss"


def malloc_trim():
    """Return the memory glibc keeps for reuse to the system (no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


@contextmanager
def peak_extra_memory(method):
    """Yield a dict whose ``'peak'`` (bytes) is set on exit.

    Parameters
    ----------
    method : {'rss', 'tracemalloc'}
        See :func:`memory_method`.
    """
    result = {"peak": np.nan}
    gc.collect()
    malloc_trim()
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


# ------------------------------------------------------------------ machine


def cpu_model():
    """The CPU's model name (/proc/cpuinfo), else the platform's machine."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    match = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return match.group(1).strip() if match else platform.machine()


def _git(*args):
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), *args],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_commit():
    """Short commit of the repository, naming modified engine or bench files."""
    commit = _git("rev-parse", "--short", "HEAD")
    if not commit:
        return None
    dirty = _git("status", "--porcelain", "--untracked-files=no", "--", "src", "bench")
    if dirty:
        # "XY path" lines; _git's strip() took the first line's leading blank
        names = sorted(line.split(maxsplit=1)[1] for line in dirty.splitlines())
        commit += " + uncommitted changes to " + ", ".join(names)
    return commit


def load_average():
    """The 1-minute load average, or None where unavailable."""
    try:
        return os.getloadavg()[0]
    except OSError:  # pragma: no cover - not on Linux
        return None


def set_numba_threads(threads):
    """Set numba's thread count (capped by its pool); return the count set."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()


def machine_info(threads):
    """Describe the machine, the library versions and the thread settings.

    Parameters
    ----------
    threads : int
        Threads the benchmark runs with (set by the caller).

    Returns
    -------
    info : dict
        CPU model, logical cores, memory, versions, the emgmm imported (path),
        git commit, ``threadpool_info()`` (BLAS libraries and thread counts)
        and numba's thread count.
    """
    import numba
    import scipy
    import sklearn
    import threadpoolctl

    import emgmm

    mem_total = None
    try:
        match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem_total = int(match.group(1)) * 1024 if match else None
    except OSError:
        pass
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_bytes": mem_total,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "numba": numba.__version__,
        "threadpoolctl": threadpoolctl.__version__,
        "emgmm": emgmm.__version__,
        "emgmm_path": str(Path(emgmm.__file__).parent),
        "commit": git_commit(),
        "threads": threads,
        "numba_threads": numba.get_num_threads(),
        "threadpools": threadpoolctl.threadpool_info(),
        "memory_method": memory_method(),
    }


# --------------------------------------------------------------- comparison


def parameter_differences(ours, ref):
    """Scale-relative differences of two fitted mixtures, per attribute.

    Parameters
    ----------
    ours, ref : fitted estimators
        With ``weights_``, ``means_`` and ``covariances_``.

    Returns
    -------
    diffs : dict
        ``{'weights_': ..., 'means_': ..., 'covariances_': ...}``, each
        ``max|ours - ref| / max|ref|`` (``inf`` if the shapes differ).
    """
    diffs = {}
    for name in ("weights_", "means_", "covariances_"):
        a = np.asarray(getattr(ours, name), dtype=np.float64)
        b = np.asarray(getattr(ref, name), dtype=np.float64)
        if a.shape != b.shape:
            diffs[name] = np.inf
        else:
            diffs[name] = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
    return diffs


def max_parameter_difference(ours, ref):
    """Largest of :func:`parameter_differences`."""
    return max(parameter_differences(ours, ref).values())


# --------------------------------------------------------------------- fits


def _estimator(impl, n_components, covariance_type, seed, max_iter, init, dtype):
    if impl == "sklearn":
        from sklearn.mixture import GaussianMixture
    else:
        from emgmm import GaussianMixture
    params = {
        "n_components": n_components,
        "covariance_type": covariance_type,
        "random_state": seed,
    }
    if max_iter is not None:
        params["max_iter"] = max_iter
    if init is not None:
        params.update(tol=0.0, init_params="random_from_data")
        params.update({key: np.array(value) for key, value in init.items()})
    if dtype is not None:
        params["dtype"] = dtype
    return GaussianMixture(**params)


def _fit(est, X, memory=None):
    """Fit ``est`` on ``X``; return ``(est, seconds, peak extra bytes)``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: ConvergenceWarning by design
        if memory is None:
            t0 = time.perf_counter()
            est.fit(X)
            return est, time.perf_counter() - t0, np.nan
        with peak_extra_memory(memory) as mem:
            t0 = time.perf_counter()
            est.fit(X)
            elapsed = time.perf_counter() - t0
    return est, elapsed, mem["peak"]


def _enough(done, spent, repeats, min_time, max_time):
    if done >= MAX_REPEATS or spent >= max_time:
        return True
    return done >= repeats and spent >= min_time


def _per_iteration(contenders, n_components, covariance_type, n_iter, opts):
    """Time each contender's EM iterations from the same start.

    ``contenders`` maps a name to ``(impl, X, init, dtype)``.  Returns
    ``(per-iteration seconds per repeat, largest peak bytes, last long fit)``
    as dicts by name, and the number of repeats.
    """
    seed, memory = opts["seed"], opts["memory"]

    def make(name, max_iter):
        impl, _, init, dtype = contenders[name]
        return _estimator(
            impl, n_components, covariance_type, seed, max_iter, init, dtype
        )

    for name, (impl, X, _, _) in contenders.items():  # warm-up, untimed
        _fit(make(name, 1), X if impl == "emgmm" else X[: max(4096, n_components)])

    per_iter = {name: [] for name in contenders}
    peak = dict.fromkeys(contenders, 0.0)
    fitted = {}
    done, spent = 0, 0.0
    while True:
        for name, (_, X, _, _) in contenders.items():
            # both fits under the memory probe: it collects garbage and
            # returns free memory to the system first, and a fit's first
            # allocations then fault their pages in again; timed in one fit
            # only, that cost would not cancel (at (1e3, 2, 4) on one thread
            # emgmm's 5-iteration difference gave 68 us per iteration, 41 us
            # with both fits probed)
            _, t_short, _ = _fit(make(name, 1), X, memory)
            est, t_long, p = _fit(make(name, 1 + n_iter), X, memory)
            if est.n_iter_ != 1 + n_iter:
                raise RuntimeError(
                    f"{name} ran {est.n_iter_} iterations, expected "
                    f"{1 + n_iter} (tol=0 must not stop early)"
                )
            per_iter[name].append(
                (t_long - t_short) / n_iter if t_long > t_short else np.nan
            )
            peak[name] = max(peak[name], p)
            fitted[name] = est
            spent += t_short + t_long
            del est
            gc.collect()
        done += 1
        if _enough(done, spent, opts["repeats"], opts["min_time"], opts["max_time"]):
            return per_iter, peak, fitted, done


def _median(values):
    values = np.asarray(values, dtype=float)
    return float(np.nanmedian(values)) if np.any(np.isfinite(values)) else np.nan


def _ratio(a, b):
    return a / b if b > 0 else np.nan


def same_start_case(X, n_components, covariance_type, opts):
    """scikit-learn and emgmm from the same start: one table row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Float64 data.
    n_components : int
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    opts : dict
        ``n_iter``, ``repeats``, ``min_time``, ``max_time``, ``seed``,
        ``memory`` (:func:`memory_method`), ``gemm_rate`` and ``bandwidth``
        (float64, measured, or None).

    Returns
    -------
    row : dict
        ``part='same-start'``; per-repeat lists ``sklearn_s_per_iter`` and
        ``emgmm_s_per_iter``; ``speedup`` (ratio of their medians), peaks
        (MiB), ``memory_ratio``, ``max_rel_diff``, ``bound_s_per_iter``,
        ``bound_kind``, ``emgmm_over_bound``, ``flops``, ``bytes``.
    """
    n_samples, n_features = X.shape
    init = cases.make_init(X, n_components, covariance_type, opts["seed"])
    contenders = {
        "sklearn": ("sklearn", X, init, None),
        "emgmm": ("emgmm", X, init, None),
    }
    per_iter, peak, fitted, done = _per_iteration(
        contenders, n_components, covariance_type, opts["n_iter"], opts
    )
    flops = limits.iteration_flops(n_samples, n_features, n_components, covariance_type)
    nbytes = limits.iteration_bytes(n_samples, n_features)
    bound, kind = limits.bound(flops, nbytes, opts["gemm_rate"], opts["bandwidth"])
    theirs, ours = _median(per_iter["sklearn"]), _median(per_iter["emgmm"])
    return {
        "part": "same-start",
        "n_samples": n_samples,
        "n_features": n_features,
        "n_components": n_components,
        "covariance_type": covariance_type,
        "n_iter": opts["n_iter"],
        "repeats": done,
        "sklearn_s_per_iter": per_iter["sklearn"],
        "emgmm_s_per_iter": per_iter["emgmm"],
        "speedup": _ratio(theirs, ours),
        "sklearn_peak_mib": peak["sklearn"] / MIB,
        "emgmm_peak_mib": peak["emgmm"] / MIB,
        "memory_ratio": _ratio(peak["emgmm"], peak["sklearn"]),
        "max_rel_diff": max_parameter_difference(fitted["emgmm"], fitted["sklearn"]),
        "bound_s_per_iter": bound,
        "bound_kind": kind,
        "emgmm_over_bound": _ratio(ours, bound),
        "flops": flops,
        "bytes": nbytes,
        "load": load_average(),
    }


def float32_case(X, n_components, opts):
    """emgmm's float32 mode against its float64 mode, full covariance.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Float64 data (cast to float32 for scikit-learn's float32 run).
    n_components : int
    opts : dict
        As for :func:`same_start_case`, plus ``gemm_rate32`` (float32 FLOP/s).

    Returns
    -------
    row : dict
        ``part='float32'``; per-repeat lists ``emgmm64_s_per_iter``,
        ``emgmm32_s_per_iter``, ``sklearn32_s_per_iter``; ``speedup_32_vs_64``
        and ``speedup_32_vs_sklearn32`` (ratios of medians); the differences
        of emgmm float32 from emgmm float64 (``diff_weights``, ``diff_means``,
        ``diff_covariances``, ``max_rel_diff``) and scikit-learn float32's
        (``sklearn32_max_rel_diff``); float32 bound and peaks.
    """
    n_samples, n_features = X.shape
    init = cases.make_init(X, n_components, "full", opts["seed"])
    X32 = X.astype(np.float32)
    init32 = {key: value.astype(np.float32) for key, value in init.items()}
    contenders = {
        "emgmm64": ("emgmm", X, init, None),
        "emgmm32": ("emgmm", X, init, "float32"),
        "sklearn32": ("sklearn", X32, init32, None),
    }
    per_iter, peak, fitted, done = _per_iteration(
        contenders, n_components, "full", opts["n_iter"], opts
    )
    diffs = parameter_differences(fitted["emgmm32"], fitted["emgmm64"])
    flops = limits.iteration_flops(n_samples, n_features, n_components, "full")
    nbytes = limits.iteration_bytes(n_samples, n_features, itemsize=4)
    bound, kind = limits.bound(flops, nbytes, opts["gemm_rate32"], opts["bandwidth"])
    t64, t32 = _median(per_iter["emgmm64"]), _median(per_iter["emgmm32"])
    t_sk32 = _median(per_iter["sklearn32"])
    return {
        "part": "float32",
        "n_samples": n_samples,
        "n_features": n_features,
        "n_components": n_components,
        "covariance_type": "full",
        "n_iter": opts["n_iter"],
        "repeats": done,
        "emgmm64_s_per_iter": per_iter["emgmm64"],
        "emgmm32_s_per_iter": per_iter["emgmm32"],
        "sklearn32_s_per_iter": per_iter["sklearn32"],
        "speedup_32_vs_64": _ratio(t64, t32),
        "speedup_32_vs_sklearn32": _ratio(t_sk32, t32),
        "emgmm32_dtype": str(fitted["emgmm32"].means_.dtype),
        "diff_weights": diffs["weights_"],
        "diff_means": diffs["means_"],
        "diff_covariances": diffs["covariances_"],
        "max_rel_diff": max(diffs.values()),
        "sklearn32_max_rel_diff": max_parameter_difference(
            fitted["sklearn32"], fitted["emgmm64"]
        ),
        "emgmm64_peak_mib": peak["emgmm64"] / MIB,
        "emgmm32_peak_mib": peak["emgmm32"] / MIB,
        "sklearn32_peak_mib": peak["sklearn32"] / MIB,
        "bound_s_per_iter": bound,
        "bound_kind": kind,
        "emgmm32_over_bound": _ratio(t32, bound),
        "flops": flops,
        "bytes": nbytes,
        "load": load_average(),
    }


def default_fit_case(X, n_components, opts):
    """Default ``fit()`` of both, end to end (k-means start included).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_components : int
    opts : dict
        ``repeats``, ``min_time``, ``max_time``, ``seed``, ``memory``.

    Returns
    -------
    row : dict
        ``part='default-fit'``; per-repeat lists ``sklearn_fit_s`` and
        ``emgmm_fit_s``; ``speedup`` (ratio of medians), ``sklearn_n_iter``,
        ``emgmm_n_iter``, ``sklearn_converged``, ``emgmm_converged``, peaks,
        ``memory_ratio``, ``max_rel_diff``.
    """
    n_samples, n_features = X.shape
    seed, memory = opts["seed"], opts["memory"]

    def make(impl, max_iter=None):
        return _estimator(impl, n_components, "full", seed, max_iter, None, None)

    _fit(make("emgmm", 1), X)  # warm-up (compilation), untimed
    times = {"sklearn": [], "emgmm": []}
    peak = dict.fromkeys(times, 0.0)
    fitted = {}
    done, spent = 0, 0.0
    while True:
        for impl in times:
            est, t, p = _fit(make(impl), X, memory)
            times[impl].append(t)
            peak[impl] = max(peak[impl], p)
            fitted[impl] = est
            spent += t
        done += 1
        if _enough(done, spent, opts["repeats"], opts["min_time"], opts["max_time"]):
            break
    theirs, ours = _median(times["sklearn"]), _median(times["emgmm"])
    return {
        "part": "default-fit",
        "n_samples": n_samples,
        "n_features": n_features,
        "n_components": n_components,
        "covariance_type": "full",
        "repeats": done,
        "sklearn_fit_s": times["sklearn"],
        "emgmm_fit_s": times["emgmm"],
        "speedup": _ratio(theirs, ours),
        "sklearn_n_iter": int(fitted["sklearn"].n_iter_),
        "emgmm_n_iter": int(fitted["emgmm"].n_iter_),
        "sklearn_converged": bool(fitted["sklearn"].converged_),
        "emgmm_converged": bool(fitted["emgmm"].converged_),
        "sklearn_peak_mib": peak["sklearn"] / MIB,
        "emgmm_peak_mib": peak["emgmm"] / MIB,
        "memory_ratio": _ratio(peak["emgmm"], peak["sklearn"]),
        "max_rel_diff": max_parameter_difference(fitted["emgmm"], fitted["sklearn"]),
        "load": load_average(),
    }


# ---------------------------------------------------------------------- run


def run(plan, opts, progress=None):
    """One pass over every part of the plan, under the caller's thread limits.

    Parameters
    ----------
    plan : dict
        ``sizes`` (full covariance, same start), ``other_sizes`` (tied, diag,
        spherical), ``float32_sizes``, ``fit_sizes``: lists of ``(N, d, K)``.
    opts : dict
        ``n_iter``, ``repeats``, ``min_time``, ``max_time``, ``seed``,
        ``memory``, optionally ``limit_sizes``: ``(n, nbytes)``, the matrix
        size of the GEMM rate and the bytes of the bandwidth copy (default
        ``(2000, 512 MiB)``).
    progress : callable, optional
        Called with each row when it is done.

    Returns
    -------
    run_info : dict
        Measured ``gemm_rate``, ``gemm_rate32``, ``bandwidth``, ``gemm_n``,
        ``load_start``, ``load_end``, ``started``, ``seconds``.
    rows : list of dict
        Same-start rows (full, then the other types), float32 rows, default-fit
        rows, in plan order.
    """
    started = time.time()
    info = {"load_start": load_average(), "started": started}
    gemm_n, copy_bytes = opts.get("limit_sizes", (2000, 512 * 2**20))
    info["gemm_n"] = gemm_n
    info["gemm_rate"] = limits.measure_gemm_rate(gemm_n)
    info["gemm_rate32"] = limits.measure_gemm_rate(gemm_n, dtype=np.float32)
    info["bandwidth"] = limits.measure_bandwidth(copy_bytes)
    opts = {**opts, **{k: info[k] for k in ("gemm_rate", "gemm_rate32", "bandwidth")}}
    jobs = [("same-start", size, "full") for size in plan["sizes"]]
    jobs += [
        ("same-start", size, cov)
        for size in plan["other_sizes"]
        for cov in cases.COVARIANCE_TYPES[1:]
    ]
    jobs += [("float32", size, "full") for size in plan["float32_sizes"]]
    jobs += [("default-fit", size, "full") for size in plan["fit_sizes"]]
    rows, data = [], {}
    for part, (n, d, k), cov in jobs:
        if (n, d, k) not in data:
            data = {(n, d, k): cases.make_data(n, d, k, opts["seed"])}
            gc.collect()
        X = data[(n, d, k)]
        if part == "same-start":
            row = same_start_case(X, k, cov, opts)
        elif part == "float32":
            row = float32_case(X, k, opts)
        else:
            row = default_fit_case(X, k, opts)
        rows.append(row)
        if progress is not None:
            progress(row)
    info["load_end"] = load_average()
    info["seconds"] = time.time() - started
    return info, rows
