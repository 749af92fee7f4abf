"""Fused numba E-step + sufficient statistics for full covariances at small d.

At small ``n_features`` an EM iteration is dominated by the overhead of many
array operations, not by arithmetic.  :func:`fused_full_pass` does one loop over
the points that computes, per point, the log-densities of all components, their
log-sum-exp and the responsibilities, and accumulates the sufficient statistics
``sum r``, ``sum r (x - c_k)`` and ``sum r (x - c_k)(x - c_k)^T`` centred at the
current means ``c_k`` (so no cancellation for data far from the origin).

Determinism: the rows are split into a number of blocks that depends only on
``n_samples`` (never on the thread count); each block writes its own partial
sums and the blocks are reduced afterwards in a fixed order.  The same input
therefore gives the same bytes whatever the number of threads.
"""

import math

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

__all__ = ["fused_full_pass", "n_blocks_for", "numba_threads"]


def n_blocks_for(n_samples):
    """Number of row blocks: fixed by ``n_samples`` only (determinism)."""
    return int(max(1, min(64, n_samples // 4096)))


@njit(parallel=True, cache=True, nogil=True)
def _fused_full_blocks(X, shift, log_weights, means, prec_chol, log_const, n_blocks):
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    lse_sum = np.zeros(n_blocks)
    nk = np.zeros((n_blocks, n_components))
    sx = np.zeros((n_blocks, n_components, n_features))
    sxx = np.zeros((n_blocks, n_components, n_features, n_features))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        diff = np.empty((n_components, n_features))
        logp = np.empty(n_components)
        acc = 0.0
        for i in range(start, stop):
            for k in range(n_components):
                for j in range(n_features):
                    diff[k, j] = (X[i, j] - shift[j]) - means[k, j]
                q = 0.0
                for j in range(n_features):
                    y = 0.0
                    for t in range(j + 1):
                        # prec_chol is upper triangular: column j has rows <= j
                        y += diff[k, t] * prec_chol[k, t, j]
                    q += y * y
                logp[k] = log_const[k] + log_weights[k] - 0.5 * q
            mx = logp[0]
            for k in range(1, n_components):
                if logp[k] > mx:
                    mx = logp[k]
            if not math.isfinite(mx):
                mx_shift = 0.0
            else:
                mx_shift = mx
            s = 0.0
            for k in range(n_components):
                logp[k] = math.exp(logp[k] - mx_shift)
                s += logp[k]
            acc += mx_shift + math.log(s)
            inv_s = 1.0 / s
            for k in range(n_components):
                r = logp[k] * inv_s
                nk[b, k] += r
                for j in range(n_features):
                    rd = r * diff[k, j]
                    sx[b, k, j] += rd
                    for t in range(j + 1):
                        sxx[b, k, j, t] += rd * diff[k, t]
        lse_sum[b] = acc
    return lse_sum, nk, sx, sxx


def fused_full_pass(X, shift, log_weights, means, prec_chol, log_const, n_threads):
    """One E-step and the centred sufficient statistics of the M-step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64 or float32
        Raw data (C-contiguous).
    shift : ndarray of shape (n_features,)
        Global shift subtracted from every row (internal coordinates).
    log_weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
        Current means in internal (shifted) coordinates; the statistics are
        centred at them.
    prec_chol : ndarray of shape (n_components, n_features, n_features)
        Upper-triangular Cholesky factors of the precisions.
    log_const : ndarray of shape (n_components,)
        ``-n_features/2 log(2 pi) + log det(prec_chol)``.
    n_threads : int
        Numba threads to use for this call.

    Returns
    -------
    lse_sum : float
        Sum over the points of ``log p(x_i)``.
    nk : ndarray of shape (n_components,)
        Sum of the responsibilities.
    sx : ndarray of shape (n_components, n_features)
        ``sum_i r_ik (x_i - c_k)``.
    sxx : ndarray of shape (n_components, n_features, n_features)
        ``sum_i r_ik (x_i - c_k)(x_i - c_k)^T``.
    """
    n_blocks = n_blocks_for(X.shape[0])
    previous = get_num_threads()
    set_num_threads(max(1, min(n_threads, previous if previous else n_threads)))
    try:
        lse_sum, nk, sx, sxx = _fused_full_blocks(
            X,
            np.ascontiguousarray(shift, dtype=np.float64),
            np.ascontiguousarray(log_weights, dtype=np.float64),
            np.ascontiguousarray(means, dtype=np.float64),
            np.ascontiguousarray(prec_chol, dtype=np.float64),
            np.ascontiguousarray(log_const, dtype=np.float64),
            n_blocks,
        )
    finally:
        set_num_threads(previous)
    # fixed-order reduction over blocks (deterministic)
    total = 0.0
    for value in lse_sum:
        total += float(value)
    nk_t = nk[0].copy()
    sx_t = sx[0].copy()
    sxx_t = sxx[0].copy()
    for b in range(1, n_blocks):
        nk_t += nk[b]
        sx_t += sx[b]
        sxx_t += sxx[b]
    # fill the upper triangle from the lower one
    lower = np.tril(sxx_t)
    sxx_t = lower + np.swapaxes(np.tril(sxx_t, -1), 1, 2)
    return total, nk_t, sx_t, sxx_t


def numba_threads(limit):
    """Threads numba may use: ``min(limit, NUMBA_NUM_THREADS)``."""
    import numba

    return max(1, min(int(limit), int(numba.config.NUMBA_NUM_THREADS)))
