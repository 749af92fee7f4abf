"""The machine's limit for one EM iteration: minimal work over measured rates.

The bound on the seconds of one EM iteration (one E-step plus one M-step) is
the larger of

* the minimal floating-point work of the iteration (:func:`iteration_flops`)
  divided by the matrix-product rate measured on this machine under the same
  threads (:func:`measure_gemm_rate`: best of five products of two 2000 x 2000
  matrices, ``2 n^3`` flops each, float64 or float32), and
* one read of the data (:func:`iteration_bytes`: ``itemsize * N * d``)
  divided by the measured streaming bandwidth (:func:`measure_bandwidth`:
  best of five copies of a 512 MiB array, bytes read plus written).

Both are optimistic (the work is counted at the GEMM rate though only its
largest terms can run at that rate; the data are read once though an E-step
and an M-step each need them), so the bound is a true lower bound and
``emgmm/bound`` a fair distance from it.

The minimal work, derived
-------------------------
A multiply and an add count as two flops.  The parameters are those
scikit-learn keeps: the precision's upper-triangular Cholesky factor ``L_k``
(``d x d``), means ``mu_k``, responsibilities ``r_nk``.  Not counted: the
``O(N K)`` scalar work (log-sum-exp, ``exp``, ``log``, normalising the
responsibilities), which has no flop count a GEMM rate applies to, and the
``O(K d^3)`` per-component factorisations, which do not grow with ``N``.
Per point ``n`` and component ``k``:

``full``
    E-step: ``y = x L_k - mu_k L_k`` (``mu_k L_k`` once per component): a
    triangular matrix times a vector, output entry ``j`` needs ``j + 1``
    multiplies and ``j`` adds, ``sum_j (2 j + 1) = d^2``; the subtraction
    ``d``; the squared norm ``|y|^2`` ``2 d - 1``: ``d^2 + 3 d - 1``.
    M-step: ``N_k`` ``1``; ``sum_n r_nk x_n`` ``2 d``; the centred second
    moments ``sum_n (r_nk (x_n - mu_k)) (x_n - mu_k)^T``: centring ``d``,
    scaling ``d``, and a symmetric rank-one update of the ``d (d + 1) / 2``
    entries of one triangle, ``d (d + 1)``: ``d^2 + 5 d + 1``.
    Total ``N K (2 d^2 + 8 d)``: the triangular product ``N K d^2`` and the
    symmetric rank-k update ``N K d (d + 1)`` are the leading terms (a
    general product for each would be ``4 N K d^2``, twice as much).
``tied``
    ``y = x L`` once per point, ``d^2``; per component the subtraction and
    norm ``3 d - 1``; ``N_k`` and means ``2 d + 1``; the tied second moments
    as one symmetric rank-k update of the data, ``d (d + 1)`` per point
    (minus ``sum_k N_k mu_k mu_k^T``, ``O(K d^2)``).
    Total ``N (2 d^2 + d) + 5 N K d``.
``diag``
    E-step ``sum_j p_kj (x_j - mu_kj)^2``: ``4 d - 1``; M-step ``N_k``,
    ``sum_n r_nk x_n`` and ``sum_n r_nk x_n^2`` (``x^2`` once per point,
    ``d``): ``4 d + 1``.  Total ``8 N K d + N d``.
``spherical``
    ``|x|^2`` once per point (``2 d - 1``); per component the cross term
    ``x . mu_k`` and the combination: ``2 d + 2``; M-step ``N_k``, means and
    ``sum_n r_nk |x_n|^2``: ``2 d + 3``.  Total ``N K (4 d + 5) + N (2 d - 1)``.
"""

import time

import numpy as np

__all__ = [
    "bound",
    "iteration_bytes",
    "iteration_flops",
    "measure_bandwidth",
    "measure_gemm_rate",
]


def iteration_flops(n_samples, n_features, n_components, covariance_type="full"):
    """Minimal floating-point work of one EM iteration (module docstring).

    Parameters
    ----------
    n_samples, n_features, n_components : int
        ``N``, ``d`` and ``K``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'

    Returns
    -------
    flops : float
        ``full``: ``N K (2 d^2 + 8 d)``; ``tied``: ``N (2 d^2 + d) + 5 N K d``;
        ``diag``: ``8 N K d + N d``; ``spherical``:
        ``N K (4 d + 5) + N (2 d - 1)``.

    Examples
    --------
    One point, one component, d = 64: E-step plus M-step.

    >>> iteration_flops(1, 64, 1, "full") == (64**2 + 3 * 64 - 1) + (64**2 + 5 * 64 + 1)
    True
    """
    n, d, k = float(n_samples), float(n_features), float(n_components)
    return {
        "full": n * k * (2 * d * d + 8 * d),
        "tied": n * (2 * d * d + d) + 5 * n * k * d,
        "diag": 8 * n * k * d + n * d,
        "spherical": n * k * (4 * d + 5) + n * (2 * d - 1),
    }[covariance_type]


def iteration_bytes(n_samples, n_features, itemsize=8):
    """Bytes any EM iteration must move: one read of the data.

    Parameters
    ----------
    n_samples, n_features : int
        ``N`` and ``d``.
    itemsize : int, default=8
        Bytes per value (8 for float64, 4 for float32).

    Returns
    -------
    nbytes : float
        ``itemsize * N * d``.
    """
    return float(itemsize) * n_samples * n_features


def bound(flops, nbytes, gemm_rate, bandwidth):
    """Lower bound on seconds per iteration and which limit sets it.

    Parameters
    ----------
    flops, nbytes : float
        From :func:`iteration_flops` and :func:`iteration_bytes`.
    gemm_rate, bandwidth : float or None
        Measured FLOP/s and bytes/s; ``None`` gives ``(nan, '')``.

    Returns
    -------
    seconds : float
    kind : {'GEMM', 'memory', ''}
    """
    if not gemm_rate or not bandwidth:
        return float("nan"), ""
    t_flops, t_bytes = flops / gemm_rate, nbytes / bandwidth
    return (t_flops, "GEMM") if t_flops >= t_bytes else (t_bytes, "memory")


def measure_gemm_rate(n=2000, repeats=5, dtype=np.float64):
    """Measured matrix-product rate, best of ``repeats``.

    Parameters
    ----------
    n : int, default=2000
        Size of the square matrices.
    repeats : int, default=5
    dtype : dtype, default=numpy.float64

    Returns
    -------
    rate : float
        FLOP/s, counting ``2 n^3`` per product.
    """
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(dtype)
    b = rng.standard_normal((n, n)).astype(dtype)
    out = np.empty((n, n), dtype=dtype)
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
