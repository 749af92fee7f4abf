"""UMAP embedding of a data matrix, deterministic and with a persistent numba cache.

The workflow's ``umap`` rule is a thin caller of :func:`umap_embed`.  Two things
here exist because of how umap-learn and numba behave (see
``docs/umap_startup.md`` for the measurements):

* **Start-up.**  In a fresh process most of the first ``fit_transform`` is numba
  compiling umap's kernels.  pynndescent marks most of its kernels
  ``cache=True`` (so they are compiled once and loaded from disk afterwards),
  but umap-learn does not (0.5.12: one of ~40 kernels), so setting
  ``NUMBA_CACHE_DIR`` alone changes nothing for them.  :func:`enable_numba_cache`
  turns on numba's on-disk cache for the module-level kernels of umap and
  pynndescent before they are first called, so the second process loads
  instead of compiling.  Cache files get a tag derived from the kernel's
  compile options, because numba's cache key does not include them and umap
  compiles the same Python function both with and without ``parallel=True``.
* **Threads.**  Snakemake does not set ``NUMBA_NUM_THREADS`` or the BLAS
  limits; :func:`emgmm.runtime.configure_threads` sets them from the job's
  ``threads`` (and a persistent ``NUMBA_CACHE_DIR`` if none is set) and must
  run before ``numba`` or ``umap`` are imported to take full effect.

* **Small data.**  Below 4096 rows umap-learn computes all pairwise distances
  with ``sklearn.metrics.pairwise_distances`` and its numba distance as a
  Python callable: millions of Python-level calls (seconds for digits).  For
  the euclidean metric without a subsample, :func:`umap_embed` computes the
  same distances in one numba loop (umap's formula, float32 as umap stores
  them), takes the neighbours as umap does (``fast_knn_indices``) and passes
  them as ``precomputed_knn``: the same graph, the same embedding to the bit
  (checked in the tests), without the loop.  ``info["neighbours"]`` records
  which path ran; ``EMGMM_UMAP_NEIGHBOURS=umap`` forces umap's own.

``umap`` is imported inside the functions, so ``import emgmm`` stays fast.
"""

import hashlib
import inspect
import logging
import os
import time
import warnings
from contextlib import contextmanager
from importlib import metadata
from numbers import Integral

import numpy as np

from .. import InputError
from .config import check_value, parameter_schema

__all__ = [
    "chunk_rows",
    "enable_numba_cache",
    "gather_embedding",
    "transform_chunk",
    "umap_embed",
    "umap_fit",
]

logger = logging.getLogger(__name__)

_INITS = ("spectral", "random", "pca", "tswspectral")
# Modules whose module-level numba kernels get an on-disk cache.  Kernels that
# umap builds per call (non-euclidean ``output_metric``, densMAP, custom
# metrics) and kernels that take a distance function as an argument (the
# nearest-neighbour descent) cannot be cached by numba and still compile.
_CACHED_MODULES = (
    "umap.utils",
    "umap.umap_",
    "umap.layouts",
    "umap.distances",
    "umap.sparse",
    "pynndescent.utils",
    "pynndescent.distances",
    "pynndescent.sparse",
    "pynndescent.rp_trees",
    "pynndescent.pynndescent_",
    "pynndescent.sparse_nndescent",
    "pynndescent.graph_utils",
    "pynndescent.threaded_rp_trees",
    "pynndescent.search",
    "pynndescent.search_graph",
    "pynndescent.hybrid_forest",
    "pynndescent.hub_tree",
    "pynndescent.kernels",
)
_CACHE_OPT_OUT = "EMGMM_NUMBA_CACHE"  # set to "0" to leave umap's kernels uncached
_cache_enabled = False
# umap-learn's exact-neighbour path below this many rows (umap_.py, 0.5.12).
_SMALL_DATA = 4096
_NEIGHBOURS_ENV = "EMGMM_UMAP_NEIGHBOURS"  # "umap": umap's own small-data path
_pairwise_kernel = None


def _cache_tag(dispatcher):
    """Tag for a kernel's cache files from its compile options (parallel, ...)."""
    options = dispatcher.targetoptions
    words = [name for name in ("parallel", "fastmath") if options.get(name)]
    digest = hashlib.sha1(repr(sorted(options.items())).encode()).hexdigest()[:8]
    return "-".join(["emgmm", *words, digest])


def enable_numba_cache():
    """Give umap's and pynndescent's module-level numba kernels an on-disk cache.

    Equivalent to ``@numba.njit(cache=True)`` on every module-level kernel of
    umap-learn and pynndescent that does not already have it, done at run time
    before their first call.  Cache files go where numba puts them
    (``NUMBA_CACHE_DIR`` if set, else next to the package's sources if that is
    writable, else ``~/.cache/numba``) and carry a tag of the kernel's compile
    options.  Idempotent; does nothing if the environment variable
    ``EMGMM_NUMBA_CACHE`` is ``0``.

    Returns
    -------
    n_enabled : int
        Number of kernels whose cache was switched on by this call.
    """
    global _cache_enabled
    if _cache_enabled or os.environ.get(_CACHE_OPT_OUT, "1") == "0":
        return 0
    import importlib

    try:  # numba internals (tested with numba 0.68): degrade to no cache
        from numba.core.caching import FunctionCache, IndexDataCacheFile, NullCache
        from numba.core.registry import CPUDispatcher
    except ImportError as err:
        logger.warning("numba cache for umap not enabled (numba internals: %s)", err)
        _cache_enabled = True
        return 0

    class _TaggedFunctionCache(FunctionCache):
        def __init__(self, py_func, tag):
            super().__init__(py_func)
            self._cache_file = IndexDataCacheFile(
                cache_path=self._cache_path,
                filename_base=f"{self._impl.filename_base}-{tag}",
                source_stamp=self._impl.locator.get_source_stamp(),
            )

    seen, n_enabled = set(), 0
    for name in _CACHED_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # module absent in this umap/pynndescent version
            continue
        for obj in list(vars(module).values()):
            if not isinstance(obj, CPUDispatcher) or id(obj) in seen:
                continue
            seen.add(id(obj))
            if not isinstance(obj._cache, NullCache):  # already cache=True
                continue
            try:
                cache = _TaggedFunctionCache(obj.py_func, _cache_tag(obj))
            except (RuntimeError, AttributeError) as err:
                # RuntimeError: no writable cache location; AttributeError:
                # numba internals changed.  Either way: run uncached, say so.
                logger.warning("numba cache for umap not enabled: %s", err)
                _cache_enabled = True
                return n_enabled
            obj._cache = cache
            n_enabled += 1
    _cache_enabled = True
    logger.debug("numba on-disk cache enabled for %d umap kernels", n_enabled)
    return n_enabled


def _pairwise_euclidean_py(X):
    """All pairwise euclidean distances of ``X``'s rows, float32 (numba body).

    The per-pair loop is umap-learn's ``umap.distances.euclidean`` (same
    operations, ``fastmath``), written to a float32 matrix as
    ``sklearn.metrics.pairwise_distances`` does for float32 data; only the
    upper triangle is computed and mirrored, as scikit-learn does.
    """
    n, d = X.shape
    out = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        for j in range(i + 1, n):
            result = 0.0
            for k in range(d):
                result += (X[i, k] - X[j, k]) ** 2
            out[i, j] = np.sqrt(result)
            out[j, i] = out[i, j]
    return out


def _exact_neighbours(X, n_neighbors):
    """umap's small-data neighbours of float32 ``X``, computed in one numba loop.

    Returns ``(knn_indices, knn_dists)`` as umap's ``nearest_neighbors`` with
    ``metric="precomputed"`` makes them from the full distance matrix.
    """
    global _pairwise_kernel
    import numba
    from umap.utils import fast_knn_indices

    if _pairwise_kernel is None:
        _pairwise_kernel = numba.njit(cache=True, fastmath=True)(_pairwise_euclidean_py)
    dmat = _pairwise_kernel(X)
    knn_indices = fast_knn_indices(dmat, n_neighbors)
    knn_dists = dmat[np.arange(dmat.shape[0])[:, None], knn_indices].copy()
    return knn_indices, knn_dists


def _neighbour_path(params, fit_rows, n_samples):
    """``"exact (emgmm)"`` where :func:`_exact_neighbours` gives umap's graph."""
    if (
        os.environ.get(_NEIGHBOURS_ENV, "exact") != "umap"
        and params["metric"] == "euclidean"
        and fit_rows == n_samples  # no transform: precomputed_knn has no index
        and n_samples < _SMALL_DATA
    ):
        return "exact (emgmm)"
    return "umap"


def _check_int(name, value, minimum, fix):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InputError(
            f"{name} must be an integer >= {minimum}, got {value!r}; {fix}"
        )
    if value < minimum:
        raise InputError(f"{name} must be >= {minimum}, got {value}; {fix}")
    return int(value)


def _check_params(
    X,
    n_components,
    n_neighbors,
    min_dist,
    metric,
    random_state,
    subsample,
    init,
    low_memory,
    n_epochs,
    transform_chunks=1,
):
    """Validate everything before importing umap; return float32 X and fit rows.

    The bounds of the settings the config also has come from the config
    schema (``$defs/umap_parameters``), the one place for them.
    """

    def bounded(name, value, fix):
        return check_value(name, value, parameter_schema("umap_parameters", name), fix)

    n_components = bounded(
        "n_components",
        n_components,
        "use 2 (the figures draw the first two coordinates)",
    )
    n_neighbors = bounded(
        "n_neighbors", n_neighbors, "use the default 15 or a value >= 2"
    )
    min_dist = bounded("min_dist", min_dist, "use the default 0.1")
    if not isinstance(metric, str) or not metric:
        raise InputError(
            f"metric must be the name of a umap metric, got {metric!r}; "
            "use e.g. 'euclidean' or 'cosine'"
        )
    if random_state is not None:
        random_state = bounded(
            "random_state",
            random_state,
            "use a non-negative integer seed, or None for a parallel, "
            "non-reproducible run",
        )
    subsample = bounded(
        "subsample", subsample, "use None to fit on all rows, or a row count"
    )
    if not isinstance(init, str) or init not in _INITS:
        raise InputError(
            f"init must be one of {', '.join(repr(i) for i in _INITS)}, "
            f"got {init!r}; use the default 'spectral'"
        )
    if not isinstance(low_memory, (bool, np.bool_)):
        raise InputError(
            f"low_memory must be True or False, got {low_memory!r}; "
            "use the default True"
        )
    if n_epochs is not None:
        n_epochs = _check_int(
            "n_epochs", n_epochs, 1, "use None for umap's default (200 or 500)"
        )
    transform_chunks = bounded(
        "transform_chunks",
        transform_chunks,
        "use 1 for one transform of all other rows, or a number of jobs",
    )

    try:
        X = np.asarray(X)
    except Exception as err:  # ragged lists and the like
        raise InputError(
            f"X must be a 2-D numeric array, could not convert it ({err}); "
            "pass an array of shape (n_samples, n_features)"
        ) from None
    if X.ndim != 2:
        raise InputError(
            f"X must be 2-D (n_samples, n_features), got shape {X.shape}; "
            "reshape it, e.g. X.reshape(-1, 1) for a single feature"
        )
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise InputError(
            f"X must be numeric, got dtype {X.dtype}; convert it with "
            "X.astype(float) or drop non-numeric columns"
        )
    X = np.ascontiguousarray(X, dtype=np.float32)  # what umap computes in
    n_samples, n_features = X.shape
    if n_features < 1:
        raise InputError(
            f"X must have at least 1 feature, got shape {X.shape}; "
            "check the columns of the data file"
        )
    n_bad = int(np.count_nonzero(~np.isfinite(X).all(axis=1)))
    if n_bad:
        raise InputError(
            f"X must be finite, got {n_bad} rows with NaN or infinity "
            f"(after conversion to float32); drop or impute them"
        )
    fit_rows = n_samples if subsample is None else min(subsample, n_samples)
    if n_neighbors >= fit_rows:
        where = (
            "rows"
            if fit_rows == n_samples
            else f"subsampled rows (subsample={subsample})"
        )
        raise InputError(
            f"n_neighbors must be < the number of {where} UMAP is fitted on "
            f"({fit_rows}), got {n_neighbors}; lower n_neighbors or use more rows"
        )
    if n_components >= fit_rows - 1:
        raise InputError(
            f"n_components must be < {fit_rows - 1} (rows used minus 1), got "
            f"{n_components}; lower n_components or use more rows"
        )
    return (
        X,
        fit_rows,
        dict(
            n_components=n_components,
            n_neighbors=n_neighbors,
            min_dist=float(min_dist),
            metric=metric,
            random_state=random_state,
            subsample=subsample,
            init=init,
            low_memory=bool(low_memory),
            n_epochs=n_epochs,
            transform_chunks=transform_chunks,
        ),
    )


def _versions():
    out = {}
    for dist in ("umap-learn", "numba", "pynndescent", "llvmlite", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _subsample(n_samples, fit_rows, random_state):
    """``(seed, fit_idx, rest_idx)``: the rows UMAP is fitted on and the others
    (both None when it is fitted on all rows)."""
    if fit_rows == n_samples:
        return None, None, None
    if random_state is None:
        seed = int(np.random.SeedSequence().generate_state(1)[0])
    else:
        seed = random_state
    rng = np.random.default_rng(seed)
    fit_idx = np.sort(rng.choice(n_samples, size=fit_rows, replace=False))
    rest = np.ones(n_samples, dtype=bool)
    rest[fit_idx] = False
    return seed, fit_idx, np.flatnonzero(rest)


def chunk_rows(rest_idx, n_chunks, chunk):
    """The rows of transform chunk ``chunk`` (of ``n_chunks``): consecutive,
    sizes differing by at most one (``np.array_split``)."""
    return np.array_split(rest_idx, n_chunks)[chunk]


@contextmanager
def _umap_threads(random_state, metric):
    """numba's threads for a UMAP call (1 with a seed) and umap's own errors
    as one line; yields the thread count."""
    import numba

    threads_before = numba.get_num_threads()
    n_threads = 1 if random_state is not None else threads_before
    try:
        # umap sets 1 thread for fit only; transform's neighbour search shares a
        # random state across its parallel loop, so keep 1 thread throughout.
        numba.set_num_threads(n_threads)
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="n_jobs value", category=UserWarning
            )
            # precomputed_knn below 4096 rows: umap says it skips its own search
            warnings.filterwarnings(
                "ignore", message=".*precomputed_knn.*", category=UserWarning
            )
            yield n_threads
    except ValueError as err:
        # umap's own parameter checks (e.g. an unknown metric name)
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        if "metric" in message.lower():
            raise InputError(
                f"metric must be a metric umap knows, got {metric!r} ({message}); "
                "use e.g. 'euclidean', 'cosine' or 'manhattan'"
            ) from None
        raise
    finally:
        numba.set_num_threads(threads_before)


def _import_umap(timings):
    t0 = time.perf_counter()
    import numba
    import umap
    import umap.umap_

    enable_numba_cache()
    if umap.umap_.init_graph_transform is not init_graph_transform:
        global _UMAP_INIT_GRAPH_TRANSFORM
        _UMAP_INIT_GRAPH_TRANSFORM = umap.umap_.init_graph_transform
        umap.umap_.init_graph_transform = init_graph_transform
    timings["import"] = time.perf_counter() - t0
    return numba, umap


# umap-learn's own init_graph_transform, kept for the test that compares them
_UMAP_INIT_GRAPH_TRANSFORM = None


def init_graph_transform(graph, embedding):
    """umap-learn's ``umap_.init_graph_transform``, vectorised: the same bytes.

    ``UMAP.transform`` starts each new row at the average of its neighbours'
    places, weighted by the graph's strengths (or at the place of a
    neighbour of strength 1; NaN without neighbours). umap-learn 0.5.12 does
    that in a Python loop over rows, 40 % of a transform's time (4.3 s of
    50,000 rows against 0.09 s here). Here the same float32 operations run in
    the same order, one neighbour position at a time over all rows; each
    row's sum is numpy's over its values, as ``graph[row].sum()`` is.
    :func:`_import_umap` puts it in umap's place.
    """
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    counts = np.diff(indptr)
    result = np.zeros((graph.shape[0], embedding.shape[1]), dtype=np.float32)
    row_sum = np.array(
        [data[a:b].sum() for a, b in zip(indptr[:-1], indptr[1:], strict=True)],
        dtype=data.dtype,
    )
    done = counts == 0
    result[done] = np.nan
    for k in range(int(counts.max(initial=0))):
        rows = np.flatnonzero((counts > k) & ~done)
        at = indptr[rows] + k
        value = data[at]
        one = value == 1  # the row takes that neighbour's place, and stops
        if one.any():
            result[rows[one]] = embedding[indices[at[one]]]
            done[rows[one]] = True
            rows, at, value = rows[~one], at[~one], value[~one]
        result[rows] += (value / row_sum[rows])[:, None] * embedding[indices[at]]
    return result


def umap_fit(X, **params):
    """UMAP fitted on ``X`` (or its seeded subsample): the first half of
    :func:`umap_embed`, for a workflow that transforms the other rows in
    separate jobs (:func:`transform_chunk`, :func:`gather_embedding`).

    Parameters as :func:`umap_embed` (and its defaults).

    Returns
    -------
    reducer : umap.UMAP
        The fitted model (picklable).
    parts : dict of ndarray
        ``fit_idx`` and ``rest_idx`` (the rows fitted and the others; empty
        ``rest_idx`` without a subsample) and ``fit_embedding`` (float64).
    info : dict
        As :func:`umap_embed`'s.
    """
    defaults = {
        name: p.default
        for name, p in inspect.signature(umap_embed).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }
    X, fit_rows, params = _check_params(X, **{**defaults, **params})
    n_samples, n_features = X.shape
    random_state = params["random_state"]
    timings = {}
    numba, umap = _import_umap(timings)
    subsample_seed, fit_idx, rest_idx = _subsample(n_samples, fit_rows, random_state)
    neighbours = _neighbour_path(params, fit_rows, n_samples)
    precomputed_knn = (None, None, None)
    if neighbours != "umap":
        t = time.perf_counter()
        precomputed_knn = _exact_neighbours(X, params["n_neighbors"])
        timings["neighbours"] = time.perf_counter() - t
    reducer = umap.UMAP(
        precomputed_knn=precomputed_knn,
        n_components=params["n_components"],
        n_neighbors=params["n_neighbors"],
        min_dist=params["min_dist"],
        metric=params["metric"],
        random_state=random_state,
        init=params["init"],
        low_memory=params["low_memory"],
        n_epochs=params["n_epochs"],
        n_jobs=1 if random_state is not None else -1,
    )
    with _umap_threads(random_state, params["metric"]) as n_threads:
        t = time.perf_counter()
        fitted = X if fit_idx is None else X[fit_idx]
        fit_embedding = np.asarray(reducer.fit_transform(fitted), dtype=np.float64)
        timings["fit"] = time.perf_counter() - t
    if fit_idx is None:
        fit_idx = np.arange(n_samples)
        rest_idx = np.arange(0)
    info = {
        "params": params,
        "n_samples": int(n_samples),
        "n_features": int(n_features),
        "fit_rows": int(fit_rows),
        "transformed_rows": int(n_samples - fit_rows),
        "subsample_seed": subsample_seed,
        "neighbours": neighbours,
        "numba_threads": int(n_threads),
        "numba_cache_dir": numba.config.CACHE_DIR or None,
        "versions": _versions(),
        "timings_s": timings,
    }
    parts = {"fit_idx": fit_idx, "rest_idx": rest_idx, "fit_embedding": fit_embedding}
    return reducer, parts, info


def transform_chunk(reducer, X, rest_idx, n_chunks, chunk):
    """UMAP's placement of transform chunk ``chunk`` of ``n_chunks``.

    The rows are :func:`chunk_rows` of ``rest_idx``; with a seed the result
    depends only on them (and the fitted model), never on other chunks or on
    how many jobs run at once.

    Returns
    -------
    embedding : ndarray of shape (len(rows), n_components), float64
    seconds : float
        The transform's time.
    """
    rows = chunk_rows(rest_idx, n_chunks, chunk)
    _import_umap({})
    n_components = reducer.n_components
    if rows.size == 0:
        return np.empty((0, n_components)), 0.0
    X = np.ascontiguousarray(X[rows], dtype=np.float32)
    t = time.perf_counter()
    with _umap_threads(reducer.random_state, reducer.metric):
        embedding = np.asarray(reducer.transform(X), dtype=np.float64)
    return embedding, time.perf_counter() - t


def gather_embedding(n_samples, fit_idx, fit_embedding, rest_idx, chunks):
    """The whole embedding from the fitted rows and the transform chunks (in
    order); row ``i`` embeds row ``i`` of the data."""
    embedding = np.empty((n_samples, fit_embedding.shape[1]), dtype=np.float64)
    embedding[fit_idx] = fit_embedding
    if rest_idx.size:
        embedding[rest_idx] = np.concatenate(chunks)
    return embedding


def umap_embed(
    X,
    *,
    n_components=2,
    n_neighbors=15,
    min_dist=0.1,
    metric="euclidean",
    random_state=42,
    subsample=None,
    init="spectral",
    low_memory=True,
    n_epochs=None,
    transform_chunks=1,
):
    """Embed the rows of ``X`` with UMAP; deterministic when ``random_state`` is set.

    With ``random_state`` set, numba runs single-threaded for the whole call
    (fit and transform) and the result is byte-identical across calls and
    processes.  With ``random_state=None`` umap uses numba's thread pool and the
    result differs between runs.  umap computes in float32; the embedding is
    returned as float64 so that later fits do not differ for that reason.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Data, finite.  Converted to float32 (as umap does).
    n_components : int, default=2
        Dimension of the embedding, at least 2 (the workflow's figures draw
        the first two coordinates).
    n_neighbors : int, default=15
        Size of the local neighbourhood; must be < the rows UMAP is fitted on.
    min_dist : float, default=0.1
        Minimum distance between embedded points, in [0, 1].
    metric : str, default="euclidean"
        Input metric, any name umap accepts.
    random_state : int or None, default=42
        Seed of UMAP and of the subsample.  None: parallel and not reproducible.
    subsample : int or None, default=None
        If set and ``n_samples > subsample``, UMAP is fitted on ``subsample``
        rows drawn without replacement with ``random_state`` (indices sorted)
        and the other rows are placed with ``UMAP.transform``.
    init : {"spectral", "random", "pca", "tswspectral"}, default="spectral"
        Initial layout.
    low_memory : bool, default=True
        Passed to umap (nearest-neighbour descent for more than 4096 rows).
    n_epochs : int or None, default=None
        Optimisation epochs; None is umap's default (500 up to 10000 rows,
        else 200; a third of it for ``transform``).
    transform_chunks : int, default=1
        The other rows are placed in this many consecutive chunks, one
        ``UMAP.transform`` each (the workflow runs each as a job).  The
        embedding may depend on it (umap-learn 0.5.12 places a batch of rows
        together), never on where or how many at once the chunks run.

    Returns
    -------
    embedding : ndarray of shape (n_samples, n_components), dtype float64
        C-contiguous; row ``i`` embeds ``X[i]``.
    info : dict
        JSON-serialisable: ``params`` (the arguments above), ``n_samples``,
        ``n_features``, ``fit_rows``, ``transformed_rows``, ``subsample_seed``
        (None if no subsample was drawn), ``neighbours`` (``"exact (emgmm)"``
        or ``"umap"``: who computed the nearest neighbours), ``numba_threads``,
        ``numba_cache_dir``, ``versions`` and ``timings_s`` (the only part that
        changes between identical runs).

    Raises
    ------
    InputError
        On an invalid parameter or data (one line: parameter, expected, got, fix).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).normal(size=(60, 4))
    >>> Y, info = umap_embed(X, n_neighbors=5, n_epochs=20)  # doctest: +SKIP
    >>> Y.shape, Y.dtype, info["fit_rows"]  # doctest: +SKIP
    ((60, 2), dtype('float64'), 60)
    """
    reducer, parts, info = umap_fit(
        X,
        n_components=n_components,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        metric=metric,
        random_state=random_state,
        subsample=subsample,
        init=init,
        low_memory=low_memory,
        n_epochs=n_epochs,
        transform_chunks=transform_chunks,
    )
    X = np.asarray(X)
    chunks, seconds = [], 0.0
    if parts["rest_idx"].size:
        for chunk in range(info["params"]["transform_chunks"]):
            part, t = transform_chunk(
                reducer, X, parts["rest_idx"], transform_chunks, chunk
            )
            chunks.append(part)
            seconds += t
        info["timings_s"]["transform"] = seconds
    embedding = gather_embedding(
        len(X), parts["fit_idx"], parts["fit_embedding"], parts["rest_idx"], chunks
    )
    timings = info["timings_s"]
    info["timings_s"] = {k: round(v, 3) for k, v in timings.items()}
    logger.info(
        "UMAP: %d rows (%d fitted, %d transformed) in %.1f s",
        info["n_samples"],
        info["fit_rows"],
        info["transformed_rows"],
        sum(timings.values()),
    )
    return embedding, info
