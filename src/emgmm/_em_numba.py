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
from numba import (
    get_num_threads,
    njit,
    prange,
    set_num_threads,
    set_parallel_chunksize,
)

__all__ = [
    "full_weighted_log_prob",
    "fused_full_pass",
    "n_blocks_for",
    "numba_threads",
]


def n_blocks_for(n_samples):
    """Number of row blocks: fixed by ``n_samples`` only (determinism)."""
    return int(max(1, min(64, n_samples // 4096)))


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
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
        x = np.empty(n_features)
        # block-local accumulators (written back once)
        l_nk = np.zeros(n_components)
        l_sx = np.zeros((n_components, n_features))
        l_sxx = np.zeros((n_components, n_features, n_features))
        acc = 0.0
        for i in range(start, stop):
            for j in range(n_features):
                x[j] = X[i, j] - shift[j]
            for k in range(n_components):
                q = 0.0
                for j in range(n_features):
                    diff[k, j] = x[j] - means[k, j]
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
                mx = 0.0
            s = 0.0
            for k in range(n_components):
                logp[k] = math.exp(logp[k] - mx)
                s += logp[k]
            acc += mx + math.log(s)
            inv_s = 1.0 / s
            for k in range(n_components):
                r = logp[k] * inv_s
                l_nk[k] += r
                for j in range(n_features):
                    rd = r * diff[k, j]
                    l_sx[k, j] += rd
                    for t in range(j + 1):
                        l_sxx[k, j, t] += rd * diff[k, t]
        lse_sum[b] = acc
        nk[b] = l_nk
        sx[b] = l_sx
        sxx[b] = l_sxx
    return lse_sum, nk, sx, sxx


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def _full_weighted_log_prob(
    X, shift, log_weights, means, prec_chol, log_const, n_blocks
):
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    out = np.empty((n_samples, n_components))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        x = np.empty(n_features)
        diff = np.empty(n_features)
        for i in range(start, stop):
            for j in range(n_features):
                x[j] = X[i, j] - shift[j]
            for k in range(n_components):
                for j in range(n_features):
                    diff[j] = x[j] - means[k, j]
                q = 0.0
                for j in range(n_features):
                    y = 0.0
                    for t in range(j + 1):
                        y += diff[t] * prec_chol[k, t, j]
                    q += y * y
                out[i, k] = log_const[k] + log_weights[k] - 0.5 * q
    return out


def full_weighted_log_prob(
    X, shift, log_weights, means, prec_chol, log_const, n_threads
):
    """``log w_k + log N(x_i | k)`` for all rows (each row independent)."""
    with _numba_thread_limit(n_threads):
        return _full_weighted_log_prob(
            X, *_as_f64(shift, log_weights, means, prec_chol, log_const),
            n_blocks_for(X.shape[0]),
        )


def _as_f64(*arrays):
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in arrays)


class _numba_thread_limit:
    """Context manager: numba threads <= ``n_threads`` inside."""

    def __init__(self, n_threads):
        self.n_threads = n_threads

    def __enter__(self):
        self.previous = get_num_threads()
        set_num_threads(max(1, min(self.n_threads, self.previous)))
        # hand out row blocks one at a time (dynamic): a thread descheduled
        # on a busy machine does not hold up the whole pass
        self.previous_chunksize = set_parallel_chunksize(1)

    def __exit__(self, *exc):
        set_parallel_chunksize(self.previous_chunksize)
        set_num_threads(self.previous)


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
    with _numba_thread_limit(n_threads):
        lse_sum, nk, sx, sxx = _fused_full_blocks(
            X, *_as_f64(shift, log_weights, means, prec_chol, log_const), n_blocks
        )
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
