"""Serial kernels for small data: one E-step pass and the full M-step.

Below :data:`SMALL_MAX_ROWS` rows an EM iteration's work is tens of
microseconds, and what a pass costs is everything around it: the parallel
region's launch, the Python between the E-step and the M-step (Cholesky
factors, their inverses, parameter objects) and, in a fresh environment,
compiling the tiled parallel kernel of :mod:`emgmm._em_numba` (seconds).
These kernels do the same work in plain loops, one row at a time and on the
calling thread:

* :func:`small_pass`: log-densities, log-sum-exp, responsibilities and the
  centred statistics ``sum w r``, ``sum w r (x - c_k)`` and
  ``sum w r (x - c_k)(x - c_k)^T`` (the fused kernel's outputs);
* :func:`small_weighted_log_prob`: ``log w_k + log N(x | k)`` per row;
* :func:`full_m_step`: scikit-learn's full-covariance M-step from those
  statistics, with the Cholesky factor of each covariance, its inverse and
  the log-determinant, in one call.

They compile in a fraction of a second (scalar loops, no tiles, no parfor),
so a small fit never waits for the tiled kernel.  Which kernel serves a fit
depends only on its size (never on the threads or on what is cached), and
the rows are summed in order: the same bytes whatever the number of threads.
"""

import math

import numpy as np
from numba import njit

__all__ = [
    "SMALL_MAX_WORK",
    "full_m_step",
    "is_small",
    "small_pass",
    "small_weighted_log_prob",
]

# A pass of at most this much work (N K d (d + 3) / 2 multiply-adds:
# distances and second moments) runs on these kernels, above it on the tiled
# kernel of _em_numba.  These kernels are 1.8-5x slower per pass than the
# tiled one (docs/benchmark.md, "Small data") but compile in under a second
# where the tiled one takes 3-7 s: at this size a pass is under 0.1 ms either
# way, so the compile would never pay back.  500 x 2 rows at K = 3 are 7,500;
# iris (150 x 4, K = 3) 6,300; 1,000 x 2 at K = 4 already 20,000.
SMALL_MAX_WORK = 2**14

_LOG_2PI = math.log(2 * math.pi)
_FASTMATH = {"contract"}


def is_small(n_samples, n_features, n_components):
    """Whether a pass over ``n_samples`` rows runs on these serial kernels."""
    work = n_samples * n_components * n_features * (n_features + 3) // 2
    return work <= SMALL_MAX_WORK


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _small_pass(X, shift, log_w, means, prec_chol, sample_weight, stats, logp_out):
    """The kernel of :func:`small_pass` and :func:`small_weighted_log_prob`.

    One function (compiling is most of a fresh environment's first fit), no
    arrays made inside (each kind of array made costs compile time): the
    outputs and the scratch come in ``stats`` = ``(nk, sx, sxx, x, diff,
    logp)``.  With ``logp_out`` of one row per sample, only the
    log-densities are written there.
    """
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    nk, sx, sxx, x, diff, logp = stats
    weighted = sample_weight.shape[0] > 0
    densities_only = logp_out.shape[0] == n_samples
    total = 0.0
    for i in range(n_samples):
        w = sample_weight[i] if weighted else 1.0
        if w == 0.0 and not densities_only:
            continue
        for j in range(n_features):
            x[j] = X[i, j] - shift[j]
        for k in range(n_components):
            for j in range(n_features):
                diff[k, j] = x[j] - means[k, j]
            q = 0.0
            for j in range(n_features):
                y = 0.0
                # prec_chol is upper triangular: column j has rows <= j
                for t in range(j + 1):
                    y += diff[k, t] * prec_chol[k, t, j]
                q += y * y
            logp[k] = log_w[k] - 0.5 * q
        if densities_only:
            for k in range(n_components):
                logp_out[i, k] = logp[k]
            continue
        mx = logp[0]
        for k in range(1, n_components):
            mx = logp[k] if logp[k] > mx else mx
        # all components -inf (or nan): no shift, as the tiled kernel does
        mx = mx if abs(mx) < math.inf else 0.0
        s = 0.0
        for k in range(n_components):
            logp[k] = math.exp(logp[k] - mx)
            s += logp[k]
        total += w * (math.log(s) + mx)
        scale = w / s
        for k in range(n_components):
            r = logp[k] * scale
            nk[k] += r
            for j in range(n_features):
                rd = r * diff[k, j]
                sx[k, j] += rd
                for t in range(j + 1):
                    sxx[k, j, t] += rd * diff[k, t]
    return total


def _buffers(n_features, n_components):
    return (
        np.zeros(n_components),
        np.zeros((n_components, n_features)),
        np.zeros((n_components, n_features, n_features)),
        np.empty(n_features),
        np.empty((n_components, n_features)),
        np.empty(n_components),
    )


_NO_ROWS = np.empty((0, 0))


def small_pass(X, shift, log_w, means, prec_chol, sample_weight):
    """One E-step and the centred statistics, row after row.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64 or float32
        C-contiguous.
    shift : ndarray of shape (n_features,)
        Subtracted from every row (the engine's coordinates).
    log_w : ndarray of shape (n_components,)
        ``log w_k + log_const_k``.
    means : ndarray of shape (n_components, n_features)
        Current means (shifted); the statistics are centred at them.
    prec_chol : ndarray of shape (n_components, n_features, n_features)
        Upper-triangular Cholesky factors of the precisions.
    sample_weight : ndarray of shape (n_samples,) or (0,)
        Weight of each row; empty for all ones.  Rows of weight 0 add
        nothing (even where their log-density is -inf).

    Returns
    -------
    total, nk, sx, sxx
        As :func:`emgmm._em_numba.fused_full_pass` (``sxx`` symmetric).
    """
    stats = _buffers(*means.shape[::-1])
    args = (X, shift, log_w, means, prec_chol, sample_weight)
    total = _small_pass(*args, stats, _NO_ROWS)
    nk, sx, sxx = stats[:3]
    sxx += np.swapaxes(np.tril(sxx, -1), 1, 2)  # the kernel fills the lower half
    return total, nk, sx, sxx


def small_weighted_log_prob(X, shift, log_w, means, prec_chol):
    """``log w_k + log N(x_i | k)`` for every row, shape (n_samples, K)."""
    out = np.empty((X.shape[0], means.shape[0]))
    stats = _buffers(*means.shape[::-1])
    _small_pass(X, shift, log_w, means, prec_chol, np.empty(0), stats, out)
    return out


def full_m_step(nk_raw, sx, m2, centres, shift, reg_covar, eps):
    """scikit-learn's full-covariance M-step from centred statistics.

    ``nk = nk_raw + 10 eps``, means ``(sx + nk_raw c) / nk`` (a component
    with no responsibility at all gets scikit-learn's mean 0, i.e.
    ``-shift``), covariances ``sum r (x - mu)(x - mu)^T / nk + reg_covar I``
    (moved from the centres ``c`` to the new means exactly), their Cholesky
    factors ``L``, ``prec_chol = inv(L)^T`` and ``log_const = -d/2 log(2 pi)
    + log det prec_chol``.

    Returns
    -------
    weights, means, covariances, prec_chol, log_const, failed
        ``failed`` is the first component whose covariance is not positive
        definite, or -1 (the caller raises scikit-learn's error).
    """
    n_components, n_features = centres.shape
    nk = nk_raw + 10 * eps
    out = (
        nk / nk.sum(),
        np.empty((n_components, n_features)),
        np.empty((n_components, n_features, n_features)),
        np.zeros((n_components, n_features, n_features)),
        np.empty(n_components),
        np.zeros((n_features, n_features)),
        np.empty(n_features),
    )
    failed = _full_m_step(nk_raw, nk, sx, m2, centres, shift, reg_covar, out)
    return (*out[:5], failed)


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _full_m_step(nk_raw, nk, sx, m2, centres, shift, reg_covar, out):
    """:func:`full_m_step` into ``out``; returns the failed component or -1."""
    n_components, n_features = centres.shape
    _, means, cov, prec_chol, log_const, chol, delta = out
    for k in range(n_components):
        for j in range(n_features):
            if nk_raw[k] == 0.0:
                means[k, j] = -shift[j]
            else:
                means[k, j] = (sx[k, j] + nk_raw[k] * centres[k, j]) / nk[k]
            delta[j] = means[k, j] - centres[k, j]
        for j in range(n_features):
            for t in range(j + 1):
                m = (
                    m2[k, j, t]
                    - sx[k, j] * delta[t]
                    - delta[j] * sx[k, t]
                    + nk_raw[k] * delta[j] * delta[t]
                )
                m = m / nk[k]
                cov[k, j, t] = m
                cov[k, t, j] = m
            cov[k, j, j] += reg_covar
        # Cholesky factor L (lower), row by row
        for j in range(n_features):
            for t in range(j + 1):
                s = cov[k, j, t]
                for u in range(t):
                    s -= chol[j, u] * chol[t, u]
                if t == j:
                    if not s > 0.0:
                        return k
                    chol[j, j] = math.sqrt(s)
                else:
                    chol[j, t] = s / chol[t, t]
        # inv(L) by forward substitution, stored transposed (upper)
        log_det = 0.0
        for c in range(n_features):
            for j in range(c, n_features):
                s = 1.0 if j == c else 0.0
                for u in range(c, j):
                    s -= chol[j, u] * prec_chol[k, c, u]
                prec_chol[k, c, j] = s / chol[j, j]
            log_det += math.log(prec_chol[k, c, c])
        log_const[k] = -0.5 * n_features * _LOG_2PI + log_det
    return -1
