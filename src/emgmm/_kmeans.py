"""scikit-learn's k-means start with Lloyd's iterations compiled.

``GaussianMixture(init_params='kmeans')`` starts from the labels of
``sklearn.cluster.KMeans(n_clusters=K, n_init=1, random_state=rs)``.  On
large data that k-means took 40-60 % of a default fit (0.26 s of 0.64 s at
1e6 x 2, K = 4), most of it in Lloyd's iterations.  :func:`kmeans_labels`
replays ``KMeans.fit`` step by step (scikit-learn 1.8 and 1.9, dense
float64 data):

* the tolerance ``mean(var(X, axis=0)) * 1e-4``, the rows centred at their
  mean (a copy, as ``copy_x=True``), their squared norms, and the k-means++
  seeding by scikit-learn's own :func:`sklearn.cluster.kmeans_plusplus`, so
  ``random_state`` is consumed exactly as ``KMeans.fit`` consumes it;
* Lloyd's iterations: each row's label is the first centre minimising
  ``|c|^2 + (-2 x.c)``, with the dot products from BLAS as scikit-learn
  takes them (the same bits: rows that tie exactly, as on integer data, get
  the same label); the centres are the weighted means of their rows (the
  sums times ``1 / weight``, as scikit-learn does); the loop stops when no
  label changed or when the squared centre shifts sum to at most the
  tolerance (at most 300 iterations); unless the labels stopped changing, a
  last pass labels the rows by the final centres.  The passes are compiled
  (:func:`_lloyd_pass`), parallel over fixed blocks of rows whose sums are
  added in block order.

BLAS runs on one thread throughout, as in scikit-learn's Lloyd loop: the
products of k-means++ and of the passes give the same bits on any number of
threads (50 of 50 products of 4 centres with 1e5 x 16 rows were equal on one
and two OpenBLAS threads), and OpenBLAS threads woken by a call keep
spinning for about 0.1 s after it, on the cores the compiled passes need.
On 2 cores that made a default fit at (1e5, 16, 8) take 0.15 s instead of
0.09 s.  (k-means++'s
potential, a dot product of all rows, is summed by OpenBLAS in one part per
thread: scikit-learn's own start can differ with its BLAS threads, in the
last bit of that sum (167 of 200 sums of 1e5 random values differed between
one and two threads), which changes a drawn centre only if a uniform draw
falls within that bit of a cumulative sum.)

The labels equal scikit-learn's wherever no row lies within rounding of the
bisector of two centres whose sums differ in their last bits: scikit-learn
adds each thread's row sums in the order the threads finish, so its own
centres, and such labels, depend on its thread count.  Here the blocks of
rows depend only on the number of rows: the same labels whatever the number
of threads.
``tests/library/test_kmeans.py`` compares hundreds of starts with
scikit-learn's, on benign, far-from-origin, tight, integer and weighted data.

Where a cluster empties during the iterations (scikit-learn then moves its
centre to the farthest row), or for float32 data, ``random_state`` is
rewound and scikit-learn's ``KMeans`` runs instead: the same labels, its
speed.
"""

import llvmlite.binding as _ll
import numpy as np
from numba import njit, prange, types
from numba.extending import get_cython_function_address

from ._em import sklearn_labels
from ._em_numba import _FASTMATH, _numba_thread_limit, n_blocks_for, sum_blocks
from ._engine import single_threaded_blas

__all__ = ["kmeans_labels"]

MAX_ITER = 300  # KMeans' defaults
TOL = 1e-4


def kmeans_labels(X, n_clusters, random_state, sample_weight=None, n_threads=1):
    """scikit-learn's k-means labels, Lloyd's iterations compiled.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    n_clusters : int
    random_state : numpy.random.RandomState
        Consumed as ``KMeans(random_state=random_state).fit`` consumes it.
    sample_weight : ndarray of shape (n_samples,), default=None
    n_threads : int, default=1
        numba threads of Lloyd's passes (the labels do not depend on it).

    Returns
    -------
    labels : ndarray of shape (n_samples,), int32
    """
    if X.dtype != np.float64:
        return sklearn_labels(X, n_clusters, random_state, sample_weight)
    with single_threaded_blas():
        return _kmeans_labels(X, n_clusters, random_state, sample_weight, n_threads)


def _kmeans_labels(X, n_clusters, random_state, sample_weight, n_threads):
    """:func:`kmeans_labels` of float64 data (BLAS on one thread)."""
    from sklearn.utils.extmath import row_norms

    try:  # what KMeans.fit calls, without the public function's checks
        from sklearn.cluster._kmeans import _kmeans_plusplus as kmeans_plusplus
    except ImportError:  # pragma: no cover - a later scikit-learn
        from sklearn.cluster import kmeans_plusplus

    state = random_state.get_state()
    weights = (
        np.ones(X.shape[0])
        if sample_weight is None
        else np.ascontiguousarray(sample_weight, dtype=np.float64)
    )
    X = np.ascontiguousarray(X)
    if X.shape[1] > 1:
        Xc, variances = _centred(X, np.empty_like(X))
    else:  # one column: NumPy sums it pairwise
        variances = np.var(X, axis=0)
        Xc = X - X.mean(axis=0)
    tol = np.mean(variances) * TOL
    centers, _ = kmeans_plusplus(
        Xc,
        n_clusters,
        sample_weight=weights,
        x_squared_norms=row_norms(Xc, squared=True),
        random_state=random_state,
    )
    with _numba_thread_limit(n_threads, n_blocks_for(X.shape[0])):
        labels = _lloyd(Xc, weights, centers, tol)
    if labels is None or np.bincount(labels, minlength=n_clusters).min() == 0:
        # a cluster emptied: scikit-learn relocates it (or warns)
        random_state.set_state(state)
        return sklearn_labels(X, n_clusters, random_state, sample_weight)
    return labels


def _lloyd(X, weights, centers, tol):
    """Lloyd's iterations from ``centers``; None if a cluster empties."""
    from sklearn.utils.extmath import row_norms

    n_samples = X.shape[0]
    n_blocks = n_blocks_for(n_samples)
    labels = np.full(n_samples, -1, dtype=np.int32)
    labels_old = labels.copy()
    strict = False
    for _ in range(MAX_ITER):
        norms = row_norms(centers, squared=True)
        sums, counts = _lloyd_pass(X, weights, centers, norms, labels, True, n_blocks)
        sums, counts = sum_blocks(sums), sum_blocks(counts)
        if np.any(counts == 0):
            return None
        new = sums * (1.0 / counts)[:, None]
        shift = _center_shift(centers, new)
        centers = new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if (shift**2).sum() <= tol:
            break
        labels_old[:] = labels
    if not strict:
        norms = row_norms(centers, squared=True)
        _lloyd_pass(X, weights, centers, norms, labels, False, n_blocks)
    return labels


@njit(cache=True, nogil=True, error_model="numpy")
def _centred(X, out):
    """``X - X.mean(axis=0)`` into ``out`` and ``np.var(X, axis=0)``, the
    same bits as NumPy's for two or more columns: its sums over axis 0 of a
    C-ordered array then add the rows in order (a single column it sums
    pairwise), and the squares are rounded before they are added (no fused
    multiply-add here)."""
    n_samples, n_features = X.shape
    total = np.zeros(n_features)
    for i in range(n_samples):
        for j in range(n_features):
            total[j] += X[i, j]
    mean = total / n_samples
    squares = np.zeros(n_features)
    for i in range(n_samples):
        for j in range(n_features):
            v = X[i, j] - mean[j]
            out[i, j] = v
            squares[j] += v * v
    return out, squares / n_samples


def _center_shift(old, new):
    """Euclidean distance of each centre to its previous position, summed in
    scikit-learn's order (groups of four features)."""
    diff = new - old
    n_features = diff.shape[1]
    n_main = n_features // 4 * 4
    result = np.zeros(len(diff))
    for i in range(0, n_main, 4):
        d0, d1, d2, d3 = diff[:, i], diff[:, i + 1], diff[:, i + 2], diff[:, i + 3]
        result += d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3
    for i in range(n_main, n_features):
        result += diff[:, i] * diff[:, i]
    return np.sqrt(result)


# scikit-learn's distances come from BLAS's dgemm on chunks of 256 rows; the
# same call on the same chunks gives the same bits (other chunk sizes do not:
# 1 of 100 starts on the digits differed).  numba calls SciPy's dgemm, the
# one scikit-learn calls, by its address, registered under a fixed name so
# that the compiled kernel can be cached.
CHUNK_SIZE = 256
_ll.add_symbol(
    "emgmm_scipy_dgemm",
    get_cython_function_address("scipy.linalg.cython_blas", "dgemm"),
)
_dgemm = types.ExternalFunction("emgmm_scipy_dgemm", types.void(*[types.voidptr] * 13))


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _lloyd_pass(X, weights, centers, norms, labels, update, n_blocks):
    """Label every row by its first nearest centre; with ``update``, the
    weighted row sums and weights of each label per block of rows.

    Per chunk of 256 rows: ``dist = |c|^2``, then dgemm(``'t', 'n'``, K, m,
    d, -2, centres, d, rows, d, 1, dist, K), scikit-learn's call
    (``lloyd_iter_chunked_dense``); dgemm's scalar arguments are passed by
    address, from small arrays.  A block is whole chunks; its rows are added
    in order.
    """
    n_samples, n_features = X.shape
    n_clusters = centers.shape[0]
    n_chunks = (n_samples + CHUNK_SIZE - 1) // CHUNK_SIZE
    per_block = (n_chunks + n_blocks - 1) // n_blocks
    sums = np.zeros((n_blocks, n_clusters, n_features))
    counts = np.zeros((n_blocks, n_clusters))
    for b in prange(n_blocks):
        dist = np.empty((CHUNK_SIZE, n_clusters))
        ints = np.empty(6, dtype=np.int32)
        scal = np.array([-2.0, 1.0])
        chars = np.array([ord("t"), ord("n")], dtype=np.uint8)
        at = ints.ctypes.data
        for chunk in range(b * per_block, min(n_chunks, (b + 1) * per_block)):
            start = chunk * CHUNK_SIZE
            m = min(CHUNK_SIZE, n_samples - start)
            for i in range(m):
                for k in range(n_clusters):
                    dist[i, k] = norms[k]
            ints[0] = n_clusters
            ints[1] = m
            ints[2] = n_features
            ints[3] = n_features
            ints[4] = n_features
            ints[5] = n_clusters
            _dgemm(
                chars.ctypes.data,
                chars.ctypes.data + 1,
                at,
                at + 4,
                at + 8,
                scal.ctypes.data,
                centers.ctypes.data,
                at + 12,
                X.ctypes.data + start * n_features * 8,
                at + 16,
                scal.ctypes.data + 8,
                dist.ctypes.data,
                at + 20,
            )
            for i in range(m):
                best = 0
                for k in range(1, n_clusters):
                    if dist[i, k] < dist[i, best]:
                        best = k
                labels[start + i] = best
                if update:
                    w = weights[start + i]
                    counts[b, best] += w
                    for j in range(n_features):
                        sums[b, best, j] += X[start + i, j] * w
    return sums, counts
