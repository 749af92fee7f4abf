"""Gaussian mixture fitted by EM: a faster drop-in for scikit-learn's.

The maths follows ``sklearn/mixture/_gaussian_mixture.py`` (scikit-learn 1.9.1)
step by step so that, with the same ``random_state``, every fitted attribute
agrees to rounding error, the same iteration stops and the same warnings are
raised.  What differs is how each iteration is computed:

* the data are shifted by their mean (per chunk, on the fly), so data far
  from the origin lose no precision; statistics are accumulated in float64
  and centred at the current means once per pass;
* the E-step and the sufficient statistics of the M-step are computed in one
  pass over row chunks with a few matrix products per chunk (BLAS) instead of
  sklearn's per-component loops and ``n_samples x n_features`` temporaries, so
  the extra memory is ``O(chunk_size * n_components * n_features)`` and no
  ``n_samples x n_components`` array is kept during the iterations; the
  chunks are split into a fixed number of parts that run in threads
  (single-threaded BLAS inside), summed in a fixed order;
* for ``covariance_type='full'`` with at most 6 features a fused numba kernel
  (:mod:`emgmm._em_numba`) does the whole pass in one parallel loop with
  exactly centred statistics.

The product form of the statistics (``sum r x x^T`` in shifted coordinates,
then centred) has a relative rounding error of about ``eps * |mu_k|^2 /
sigma_k^2`` (``mu_k`` measured from the data mean); sklearn's own formulas
for 'tied'/'diag'/'spherical' have the same kind of error in raw
coordinates.

Private helpers come one per covariance type, picked by a dict on
``covariance_type`` as in scikit-learn.
"""

import math
import warnings
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from numbers import Integral, Real
from time import time

import numpy as np
from sklearn import cluster
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.cluster import kmeans_plusplus
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._errors import SingularCovarianceError

__all__ = ["GaussianMixture"]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")
_LOG_2PI = math.log(2 * math.pi)
# fused numba kernel for 'full' up to this many features (measured: numba
# 26 vs 39 ms/iter at d=3, 85 vs 95 at d=6, 103 vs 95 at d=8; N=2e5, K=8)
_NUMBA_MAX_FEATURES = 6
# target size of one chunk's work arrays
_CHUNK_BYTES = 4 * 2**20
# fixed number of row parts of a pass (threads take whole parts)
_N_PARTS = 8
# lower bounds of two starts closer than this (relative) count as a tie
_TIE_RTOL = 1e-12

_SKLEARN_SINGULAR_MESSAGE = (
    "Fitting the mixture model failed because some components have "
    "ill-defined empirical covariance (for instance caused by singleton "
    "or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


###############################################################################
# Validation of user-given initial parameters (sklearn's messages)


def _check_shape(param, param_shape, name):
    if param.shape != param_shape:
        raise ValueError(
            f"The parameter '{name}' should have the shape of {param_shape}, "
            f"but got {param.shape}"
        )


def _check_weights(weights, n_components):
    weights = check_array(weights, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(weights, (n_components,), "weights")
    if np.any(weights < 0.0) or np.any(weights > 1.0):
        raise ValueError(
            "The parameter 'weights' should be in the range "
            f"[0, 1], but got max value {np.min(weights):.5f}, "
            f"min value {np.max(weights):.5f}"
        )
    atol = 1e-6 if weights.dtype == np.float32 else 1e-8
    if not np.allclose(float(np.abs(1.0 - np.sum(weights))), 0.0, atol=atol):
        raise ValueError(
            "The parameter 'weights' should be normalized, "
            f"but got sum(weights) = {np.sum(weights):.5f}"
        )
    return weights


def _check_means(means, n_components, n_features):
    means = check_array(means, dtype=[np.float64, np.float32], ensure_2d=False)
    _check_shape(means, (n_components, n_features), "means")
    return means


def _check_precisions(precisions, covariance_type, n_components, n_features):
    precisions = check_array(
        precisions,
        dtype=[np.float64, np.float32],
        ensure_2d=False,
        allow_nd=covariance_type == "full",
    )
    shapes = {
        "full": (n_components, n_features, n_features),
        "tied": (n_features, n_features),
        "diag": (n_components, n_features),
        "spherical": (n_components,),
    }
    _check_shape(precisions, shapes[covariance_type], f"{covariance_type} precision")
    if covariance_type in ("diag", "spherical"):
        if np.any(precisions <= 0.0):
            raise ValueError(f"'{covariance_type} precision' should be positive")
    else:
        mats = precisions[None] if covariance_type == "tied" else precisions
        for mat in mats:
            if not (
                np.all(np.isclose(mat, mat.T)) and np.all(np.linalg.eigvalsh(mat) > 0)
            ):
                raise ValueError(
                    f"'{covariance_type} precision' should be symmetric, "
                    "positive-definite"
                )
    return precisions


###############################################################################
# Precision Cholesky factors (one function per covariance type)


def _singular_error(component, iteration, min_eigenvalue, float32):
    where = "initialisation" if iteration < 0 else f"iteration {iteration}"
    message = (
        f"{_SKLEARN_SINGULAR_MESSAGE} [component {component} at {where}: "
        f"smallest covariance eigenvalue {min_eigenvalue:.3g}]"
    )
    if float32:
        message += (
            " The numerical accuracy can also be improved by passing float64"
            " data instead of float32."
        )
    return SingularCovarianceError(
        message,
        component=int(component),
        iteration=int(iteration),
        min_eigenvalue=float(min_eigenvalue),
    )


def _cholesky_inverse_t(covariances, iteration, float32):
    """``inv(cholesky(cov)).T`` for a stack of matrices, naming a failure."""
    try:
        chol = np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        for k, cov in enumerate(covariances):
            try:
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                min_eig = float(np.linalg.eigvalsh(cov)[0])
                raise _singular_error(k, iteration, min_eig, float32) from None
        raise  # pragma: no cover - batched and looped Cholesky disagree
    n_features = covariances.shape[-1]
    eye = np.broadcast_to(np.eye(n_features), covariances.shape)
    inv = np.linalg.solve(chol, eye)
    return np.triu(np.swapaxes(inv, -1, -2))


def _precision_cholesky_full(covariances, iteration=-1, float32=False):
    return _cholesky_inverse_t(covariances, iteration, float32)


def _precision_cholesky_tied(covariances, iteration=-1, float32=False):
    return _cholesky_inverse_t(covariances[None], iteration, float32)[0]


def _precision_cholesky_diag(covariances, iteration=-1, float32=False):
    if np.any(covariances <= 0.0):
        bad = np.argwhere(covariances <= 0.0)[0]
        min_value = float(covariances[tuple(bad)])
        raise _singular_error(bad[0], iteration, min_value, float32)
    return 1.0 / np.sqrt(covariances)


_precision_cholesky_spherical = _precision_cholesky_diag

_PRECISION_CHOLESKY = {
    "full": _precision_cholesky_full,
    "tied": _precision_cholesky_tied,
    "diag": _precision_cholesky_diag,
    "spherical": _precision_cholesky_spherical,
}


def _compute_precision_cholesky(covariances, covariance_type, iteration=-1):
    """Cholesky factors of the precisions (sklearn's ``precisions_cholesky_``).

    Raises :class:`~emgmm.SingularCovarianceError` (a ``ValueError`` with
    sklearn's message plus the component and iteration) when a covariance is
    not positive definite.
    """
    return _PRECISION_CHOLESKY[covariance_type](
        np.asarray(covariances, dtype=np.float64),
        iteration,
        np.asarray(covariances).dtype == np.float32,
    )


def _flipudlr(array):
    return np.flip(np.flip(array, axis=-1), axis=-2)


def _precision_cholesky_from_precisions(precisions, covariance_type):
    """sklearn's ``_compute_precision_cholesky_from_precisions``."""
    precisions = np.asarray(precisions, dtype=np.float64)
    if covariance_type in ("full", "tied"):
        return _flipudlr(np.linalg.cholesky(_flipudlr(precisions)))
    return np.sqrt(precisions)


def _precisions_from_cholesky(prec_chol, covariance_type):
    if covariance_type == "full":
        return prec_chol @ np.swapaxes(prec_chol, 1, 2)
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


def _covariances_from_precision_cholesky(prec_chol, covariance_type):
    """Covariances implied by precision Cholesky factors (user precisions)."""
    if covariance_type in ("diag", "spherical"):
        return 1.0 / prec_chol**2
    inv = np.linalg.inv(prec_chol)
    return np.swapaxes(inv, -1, -2) @ inv


###############################################################################
# Log-densities (one function per covariance type)


def _log_det_cholesky(prec_chol, covariance_type, n_features):
    """log det of the precision Cholesky factor (sklearn's sign convention)."""
    if covariance_type == "full":
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)
    if covariance_type == "tied":
        return np.sum(np.log(np.diag(prec_chol)))
    if covariance_type == "diag":
        return np.sum(np.log(prec_chol), axis=1)
    return n_features * np.log(prec_chol)


def _log_const(prec_chol, covariance_type, n_components, n_features):
    """Per-component constant ``-d/2 log(2 pi) + log det(prec_chol)``."""
    log_det = _log_det_cholesky(prec_chol, covariance_type, n_features)
    return np.broadcast_to(-0.5 * n_features * _LOG_2PI + log_det, (n_components,))


def _prepare_full(means, prec_chol, dtype):
    """Stacked factors ``[P_1 .. P_K]`` with ``-mu_k P_k`` as an extra row.

    With rows augmented by a column of ones, one GEMM gives every
    ``(x - mu_k) P_k``.
    """
    n_components, n_features = means.shape
    paug = np.empty((n_features + 1, n_components * n_features), dtype=dtype)
    paug[:n_features] = np.swapaxes(prec_chol, 0, 1).reshape(n_features, -1)
    paug[n_features] = -np.einsum("kd,kde->ke", means, prec_chol).reshape(-1)
    return paug, n_components


def _prepare_tied(means, prec_chol, dtype):
    """``P``, ``-2 (mu_k P)^T`` and ``|mu_k P|^2`` for the expanded form."""
    offset = means @ prec_chol
    return (
        prec_chol.astype(dtype),
        (-2.0 * offset.T).astype(dtype),
        np.sum(offset**2, axis=1).astype(dtype),
    )


def _diag_weights(means, precisions, dtype):
    """``W`` with ``[x^2, x, 1] @ W`` the squared distances (sklearn's form)."""
    n_components, n_features = means.shape
    w = np.empty((2 * n_features + 1, n_components))
    w[:n_features] = precisions.T
    w[n_features : 2 * n_features] = -2.0 * (means * precisions).T
    w[2 * n_features] = np.sum(means**2 * precisions, axis=1)
    return w.astype(dtype)


def _prepare_diag(means, prec_chol, dtype):
    return _diag_weights(means, prec_chol**2, dtype)


def _prepare_spherical(means, prec_chol, dtype):
    precisions = np.repeat((prec_chol**2)[:, None], means.shape[1], axis=1)
    return _diag_weights(means, precisions, dtype)


def _square_augment(X1, work=None):
    """``[x^2, x, 1]`` rows of a chunk (cached in ``work`` for its M-step)."""
    if work is not None and work.square_of is X1:
        return work.square
    n_samples, n_aug = X1.shape
    n_features = n_aug - 1
    shape = (n_samples, 2 * n_features + 1)
    a = np.empty(shape, dtype=X1.dtype) if work is None else work.get("sq", shape)
    np.square(X1[:, :n_features], out=a[:, :n_features])
    a[:, n_features:] = X1
    if work is not None:
        work.square_of, work.square = X1, a
    return a


def _sq_maha_full(X1, prepared, work=None):
    """Squared Mahalanobis distances: one GEMM for all components."""
    paug, n_components = prepared
    y = None if work is None else work.get("y", (X1.shape[0], paug.shape[1]))
    y = np.matmul(X1, paug, out=y).reshape(X1.shape[0], n_components, -1)
    return np.einsum("mkd,mkd->mk", y, y)


def _sq_maha_tied(X1, prepared, work=None):
    """``|x P|^2 - 2 (x P) . (mu_k P) + |mu_k P|^2``: two small GEMMs."""
    prec_chol, minus_two_offset_t, offset_sq = prepared
    y = X1[:, :-1] @ prec_chol
    q = y @ minus_two_offset_t
    q += np.einsum("md,md->m", y, y)[:, None]
    q += offset_sq
    return q


def _sq_maha_diag(X1, prepared, work=None):
    """One GEMM ``[x^2, x, 1] @ W`` (sklearn's expanded form)."""
    return _square_augment(X1, work) @ prepared


_sq_maha_spherical = _sq_maha_diag


_PREPARE = {
    "full": _prepare_full,
    "tied": _prepare_tied,
    "diag": _prepare_diag,
    "spherical": _prepare_spherical,
}
_SQ_MAHA = {
    "full": _sq_maha_full,
    "tied": _sq_maha_tied,
    "diag": _sq_maha_diag,
    "spherical": _sq_maha_spherical,
}


def _estimate_log_gaussian_prob(X, means, prec_chol, covariance_type):
    """Log-densities ``log N(x_i | mu_k, Sigma_k)`` of shape (n_samples, K).

    Same quantity as sklearn's ``_estimate_log_gaussian_prob``, computed with
    one matrix product for all components.
    """
    n_components, n_features = means.shape
    prepared = _PREPARE[covariance_type](means, prec_chol, X.dtype)
    const = _log_const(prec_chol, covariance_type, n_components, n_features)
    return const - 0.5 * _SQ_MAHA[covariance_type](_augment(X), prepared)


def _augment(X, shift=None, dtype=None):
    """Rows ``X - shift`` with a trailing column of ones (the chunk layout)."""
    n_samples, n_features = X.shape
    X1 = np.empty((n_samples, n_features + 1), dtype=dtype or X.dtype)
    if shift is None:
        X1[:, :n_features] = X
    else:
        np.subtract(X, shift, out=X1[:, :n_features], casting="unsafe")
    X1[:, n_features] = 1
    return X1


###############################################################################
# Sufficient statistics and covariances (one function per covariance type)
#
# Statistics of one chunk, centred at per-component centres c_k:
#   nk_raw = sum_i r_ik,  sx = sum_i r_ik (x_i - c_k),
#   m2 = sum_i r_ik (x_i - c_k)(x_i - c_k)^T   (full; per type below)


def _suffstat_full(X1, resp, centers, work=None):
    """Raw statistics of one chunk: ``sum r`` and one GEMM ``X1^T (r x)``.

    ``g[j, k, i] = sum_n r_nk x_ni x_nj`` for ``j < d`` and ``sum_n r_nk x_ni``
    for ``j = d`` (the column of ones); :func:`_finish_full` centres them.
    """
    n_samples, n_aug = X1.shape
    n_components = resp.shape[1]
    z = None
    if work is not None:
        z = work.get("z", (n_samples, n_components, n_aug - 1))
    z = np.einsum("mk,md->mkd", resp, X1[:, :-1], out=z)
    return resp.sum(axis=0), X1.T @ z.reshape(n_samples, -1)


def _finish_full(stats, centers):
    """Centre the accumulated raw statistics at ``centers``.

    The products are uncentred in the (globally shifted) chunk coordinates,
    which costs a relative error of about ``eps |mu_k|^2 / sigma_k^2`` with
    ``mu_k`` measured from the data mean; the numba kernel centres exactly.
    """
    nk_raw, g = stats
    n_components, n_features = centers.shape
    g = g.reshape(n_features + 1, n_components, n_features)
    sxx = np.transpose(g[:n_features], (1, 2, 0))
    sx_raw = g[n_features]
    sx = sx_raw - nk_raw[:, None] * centers
    cx = sx_raw[:, :, None] * centers[:, None, :]
    m2 = (
        sxx
        - cx
        - np.swapaxes(cx, 1, 2)
        + nk_raw[:, None, None] * centers[:, :, None] * centers[:, None, :]
    )
    return nk_raw, sx, m2


def _suffstat_tied(X1, resp, centers, work=None):
    """``resp^T [x, 1]`` and ``sum_n rho_n [x, 1][x, 1]^T`` (rho = sum_k r)."""
    rho = resp.sum(axis=1)
    return resp.T @ X1, X1.T @ (X1 * rho[:, None])


def _finish_tied(stats, centers):
    g, s = stats
    n_features = centers.shape[1]
    sx_raw = g[:, :n_features]
    nk_raw = g[:, n_features].copy()
    sx = sx_raw - nk_raw[:, None] * centers
    cross = sx_raw.T @ centers
    m2 = (
        s[:n_features, :n_features]
        - cross
        - cross.T
        + (nk_raw[:, None] * centers).T @ centers
    )
    return nk_raw, sx, m2


def _suffstat_diag(X1, resp, centers, work=None):
    """One GEMM ``resp^T [x^2, x, 1]``: sums of r x^2, r x and r."""
    return (resp.T @ _square_augment(X1, work),)


def _finish_diag(stats, centers):
    (g,) = stats
    n_features = centers.shape[1]
    sxx = g[:, :n_features]
    sx_raw = g[:, n_features : 2 * n_features]
    nk_raw = g[:, 2 * n_features].copy()
    sx = sx_raw - nk_raw[:, None] * centers
    m2 = sxx - 2.0 * centers * sx_raw + nk_raw[:, None] * centers**2
    return nk_raw, sx, m2


_suffstat_spherical = _suffstat_diag

_SUFFSTAT = {
    "full": _suffstat_full,
    "tied": _suffstat_tied,
    "diag": _suffstat_diag,
    "spherical": _suffstat_spherical,
}
_FINISH = {
    "full": _finish_full,
    "tied": _finish_tied,
    "diag": _finish_diag,
    "spherical": _finish_diag,
}


def _sufficient_statistics(X1, resp, centers, covariance_type):
    """``(sum r, sum r (x - c), second moments about c)`` of one chunk."""
    stats = _SUFFSTAT[covariance_type](X1, resp, centers)
    return _FINISH[covariance_type](stats, centers)


def _centred_correction(sx, delta, nk_raw):
    """``- sx delta^T - delta sx^T + nk_raw delta delta^T`` per component."""
    outer = sx[:, :, None] * delta[:, None, :]
    return (
        -outer
        - np.swapaxes(outer, 1, 2)
        + nk_raw[:, None, None] * delta[:, :, None] * delta[:, None, :]
    )


def _covariances_full(stats, nk, means, centers, reg_covar, shift):
    nk_raw, sx, m2 = stats
    delta = means - centers
    cov = (m2 + _centred_correction(sx, delta, nk_raw)) / nk[:, None, None]
    cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
    idx = np.arange(means.shape[1])
    cov[:, idx, idx] += reg_covar
    return cov


def _covariances_tied(stats, nk, means, centers, reg_covar, shift):
    nk_raw, sx, m2 = stats
    delta = means - centers
    orig = means + shift
    # sklearn's X^T X - sum_k nk mu mu^T differs from the centred scatter by
    # sum_k (nk - sum r) mu mu^T (nk includes 10 eps): replay it.
    bias = ((nk - nk_raw)[:, None] * orig).T @ orig
    cov = (m2 + _centred_correction(sx, delta, nk_raw).sum(axis=0) + bias) / nk.sum()
    cov = 0.5 * (cov + cov.T)
    cov.flat[:: cov.shape[0] + 1] += reg_covar
    return cov


def _covariances_diag(stats, nk, means, centers, reg_covar, shift):
    nk_raw, sx, m2 = stats
    delta = means - centers
    centred = m2 - 2.0 * sx * delta + nk_raw[:, None] * delta**2
    # sklearn computes E[x^2] - mu^2 with nk = sum(r) + 10 eps, which differs
    # from the centred value by mu^2 (1 - sum(r) / nk): replay it exactly.
    bias = (means + shift) ** 2 * (1.0 - nk_raw / nk)[:, None]
    return centred / nk[:, None] + bias + reg_covar


def _covariances_spherical(stats, nk, means, centers, reg_covar, shift):
    return _covariances_diag(stats, nk, means, centers, reg_covar, shift).mean(axis=1)


_COVARIANCES = {
    "full": _covariances_full,
    "tied": _covariances_tied,
    "diag": _covariances_diag,
    "spherical": _covariances_spherical,
}


def _parameters_from_stats(stats, centers, reg_covar, covariance_type, shift, eps):
    """M-step from sufficient statistics: ``(nk, means, covariances)``.

    ``nk`` includes sklearn's ``10 * eps``; means are in internal (shifted)
    coordinates.
    """
    nk_raw, sx = stats[0], stats[1]
    nk = nk_raw + 10 * eps
    means = (sx + nk_raw[:, None] * centers) / nk[:, None]
    # a component with exactly zero responsibility gets sklearn's mean 0
    dead = nk_raw == 0
    if np.any(dead):
        means[dead] = -shift
    covariances = _COVARIANCES[covariance_type](
        stats, nk, means, centers, reg_covar, shift
    )
    return nk, means, covariances


###############################################################################
# Chunked passes over the data


def _auto_chunk_size(n_samples, n_features, n_components, itemsize=8):
    per_row = itemsize * (3 * n_components * n_features + n_features + 4 * n_components)
    return int(max(64, min(n_samples, _CHUNK_BYTES // max(per_row, 1))))


def _chunks(n_samples, chunk_size):
    for start in range(0, n_samples, chunk_size):
        yield slice(start, min(n_samples, start + chunk_size))


class _Workspace:
    """Reusable chunk buffers (avoid fresh allocations every chunk)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.buffers = {}
        self.square_of = self.square = None

    def get(self, name, shape):
        size = math.prod(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size:
            buf = self.buffers[name] = np.empty(size, dtype=self.dtype)
        return buf[:size].reshape(shape)


def _log_resp_rows(wlp):
    """Row-wise log-sum-exp and responsibilities with one ``exp`` pass."""
    amax = wlp.max(axis=1)
    if not np.all(np.isfinite(amax)):
        amax = np.where(np.isfinite(amax), amax, 0.0)
    with np.errstate(under="ignore", divide="ignore", invalid="ignore"):
        e = np.exp(wlp - amax[:, None])
        total = e.sum(axis=1)
        e /= total[:, None]
        return np.log(total) + amax, e


def _logsumexp_rows(a):
    """Row-wise log-sum-exp (safe for rows of -inf)."""
    amax = a.max(axis=1)
    shift = np.where(np.isfinite(amax), amax, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(a - shift[:, None]).sum(axis=1)) + shift


class _Engine:
    """Data, shift and settings shared by every pass of one fit.

    Holds the raw data (never copied), the global shift (data mean) and the
    working dtype; model parameters travel as :class:`_Params`.
    """

    def __init__(
        self, X, covariance_type, reg_covar, chunk_size, dtype, n_threads, shift=None
    ):
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.dtype = np.dtype(dtype)
        # sklearn's nk = sum(r) + 10 eps; accumulators are float64 in every
        # mode, so float64's eps (float32's would bias float32 mode)
        self.eps = np.finfo(np.float64).eps
        self.n_threads = n_threads
        self.chunk_size = chunk_size
        self._executor = None
        if shift is None:
            shift = np.zeros(self.n_features)
            for sl in _chunks(self.n_samples, 65536):
                shift += X[sl].sum(axis=0, dtype=np.float64)
            shift /= self.n_samples
        self.shift = shift
        self.far_from_origin = False
        if np.any(shift != 0):
            var = np.zeros(self.n_features)
            for sl in _chunks(self.n_samples, 65536):
                var += ((X[sl] - shift) ** 2).sum(axis=0)
            scale = np.sqrt(var / self.n_samples)
            self.far_from_origin = bool(np.any(np.abs(shift) > 1e3 * scale))

    def chunk_rows(self, n_components):
        if self.chunk_size is not None:
            return int(self.chunk_size)
        return _auto_chunk_size(
            self.n_samples, self.n_features, n_components, self.dtype.itemsize
        )

    def rows(self, sl):
        """Rows ``sl`` in internal coordinates, working dtype, plus a 1s column."""
        return _augment(self.X[sl], self.shift, self.dtype)

    def use_numba(self, params):
        return (
            self.covariance_type == "full"
            and self.n_features <= _NUMBA_MAX_FEATURES
            and params.null_space is None
        )

    # -- passes ------------------------------------------------------------
    def weighted_log_prob(self, params, sl):
        """``log w_k + log N(x | k)`` for rows ``sl`` (float64)."""
        key = (id(params), self.dtype)
        if getattr(self, "_prepared_key", None) != key:
            self._prepared = _PREPARE[self.covariance_type](
                params.means, params.prec_chol, self.dtype
            )
            self._prepared_key = key
            self._prepared_params = params  # keeps id(params) unique
        if self.use_numba(params):
            from ._em_numba import full_weighted_log_prob

            return full_weighted_log_prob(
                self.X[sl],
                self.shift,
                np.log(params.weights),
                params.means,
                params.prec_chol,
                params.log_const,
                self.n_threads,
            )
        Xc = self.rows(sl)
        wlp = params.log_const + np.log(params.weights) - 0.5 * _SQ_MAHA[
            self.covariance_type
        ](Xc, self._prepared)
        return params.mask_outside_support(Xc, wlp)

    def e_step_stats(self, params):
        """E-step with ``params`` and the centred statistics of the M-step.

        Returns the sum over points of ``log p(x_i)`` and the statistics.
        """
        if self.use_numba(params):
            from ._em_numba import fused_full_pass

            total, nk_raw, sx, m2 = fused_full_pass(
                self.X,
                self.shift,
                np.log(params.weights),
                params.means,
                params.prec_chol,
                params.log_const,
                self.n_threads,
            )
            return total, (nk_raw, sx, m2)
        cov_type = self.covariance_type
        prepared = _PREPARE[cov_type](params.means, params.prec_chol, self.dtype)
        log_w = (params.log_const + np.log(params.weights)).astype(self.dtype)
        centers = params.means.astype(self.dtype)
        chunk = self.chunk_rows(len(params.weights))

        def run_part(part):
            total = 0.0
            acc = None
            work = _Workspace(self.dtype)
            for sl in _chunks(part.stop - part.start, chunk):
                sl = slice(part.start + sl.start, part.start + sl.stop)
                Xc = self.rows(sl)
                wlp = _SQ_MAHA[cov_type](Xc, prepared, work)
                wlp *= -0.5
                wlp += log_w
                wlp = params.mask_outside_support(Xc, wlp)
                lse, resp = _log_resp_rows(wlp)
                total += float(lse.sum(dtype=np.float64))
                stats = _SUFFSTAT[cov_type](Xc, resp, centers, work)
                if acc is None:
                    acc = [s.astype(np.float64) for s in stats]
                else:
                    for a, s in zip(acc, stats, strict=True):
                        a += s
            return total, acc

        results = self.map_parts(run_part, chunk)
        total = 0.0
        acc = None
        for part_total, part_acc in results:  # fixed order: deterministic
            total += part_total
            if acc is None:
                acc = part_acc
            else:
                for a, s in zip(acc, part_acc, strict=True):
                    a += s
        return total, _FINISH[cov_type](tuple(acc), params.means)

    def map_parts(self, func, chunk):
        """``func`` over a fixed partition of the rows, in threads if allowed.

        The partition depends only on ``n_samples`` and the chunk size (never
        on the thread count), and results come back in order, so the sums
        are the same bytes whatever the number of threads.  Each worker runs
        whole chunks with single-threaded BLAS (see :meth:`blas_guard`):
        parallel over chunks instead of inside many small GEMMs, whose
        thread hand-overs dominate on a busy machine.
        """
        n_parts = int(min(_N_PARTS, max(1, self.n_samples // max(chunk, 1))))
        bounds = np.linspace(0, self.n_samples, n_parts + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        if self.n_threads <= 1 or n_parts == 1:
            return [func(part) for part in parts]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.n_threads)
        return list(self._executor.map(func, parts))

    def close(self):
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def blas_guard(self):
        """Context: single-threaded BLAS for the chunk loops.

        Chunks are parallel over row parts (worker threads) instead; BLAS
        threads inside many small GEMMs would mostly wait for each other.
        """
        if self.n_samples < 2048:  # a single small chunk: not worth the call
            return nullcontext()
        return threadpool_limits(limits=1, user_api="blas")

    def stats_from_resp(self, resp, centers):
        acc = None
        centers_w = centers.astype(self.dtype)
        for sl in _chunks(self.n_samples, self.chunk_rows(resp.shape[1])):
            stats = _SUFFSTAT[self.covariance_type](
                self.rows(sl), resp[sl].astype(self.dtype, copy=False), centers_w
            )
            if acc is None:
                acc = [s.astype(np.float64) for s in stats]
            else:
                for a, s in zip(acc, stats, strict=True):
                    a += s
        return _FINISH[self.covariance_type](tuple(acc), centers)

    def _sklearn_parameters_from_resp(self, resp):
        cov_type = self.covariance_type
        nk_raw = sx = q = None
        for sl in _chunks(self.n_samples, self.chunk_rows(resp.shape[1])):
            Xc = self.X[sl].astype(np.float64)
            rc = resp[sl].astype(np.float64)
            parts = (
                rc.sum(axis=0),
                rc.T @ Xc,
                Xc.T @ Xc if cov_type == "tied" else rc.T @ (Xc * Xc),
            )
            if nk_raw is None:
                nk_raw, sx, q = parts
            else:
                nk_raw, sx, q = nk_raw + parts[0], sx + parts[1], q + parts[2]
        nk = nk_raw + 10 * self.eps
        means = sx / nk[:, np.newaxis]
        if cov_type == "tied":
            covariances = (q - nk * means.T @ means) / np.sum(nk)
            covariances.flat[:: covariances.shape[0] + 1] += self.reg_covar
        else:
            covariances = q / nk[:, np.newaxis] - means**2 + self.reg_covar
            if cov_type == "spherical":
                covariances = covariances.mean(axis=1)
        return nk, means - self.shift, covariances

    def m_step(self, stats, centers):
        return _parameters_from_stats(
            stats, centers, self.reg_covar, self.covariance_type, self.shift, self.eps
        )

    def parameters_from_resp(self, resp):
        """sklearn's ``_estimate_gaussian_parameters`` on given responsibilities.

        For 'tied', 'diag' and 'spherical' sklearn uses uncentred formulas in
        the data's own coordinates (``E[x^2] - mu^2``; for 'tied' ``X^T X``
        over all rows even when the responsibilities do not sum to one, as
        with 'k-means++' and 'random_from_data').  They are replayed exactly,
        unless the data lie far from the origin relative to their spread,
        where that formula loses precision and the centred one is used.
        """
        if self.covariance_type != "full" and not self.far_from_origin:
            return self._sklearn_parameters_from_resp(resp)
        n_components = resp.shape[1]
        zero = np.zeros((n_components, self.n_features))
        nk_raw, sx = self.stats_from_resp(resp, zero)[:2]
        centers = sx / np.where(nk_raw > 0, nk_raw, 1.0)[:, None]
        return self.m_step(self.stats_from_resp(resp, centers), centers)


def _initial_resp(X, n_components, init_params, random_state):
    """Initial responsibilities exactly as sklearn's ``_initialize_parameters``.

    ``random_state`` (a ``RandomState``) is consumed in the same order, so the
    whole sequence of starts replays scikit-learn's.
    """
    n_samples = X.shape[0]
    if init_params == "kmeans":
        resp = np.zeros((n_samples, n_components), dtype=X.dtype)
        label = (
            cluster.KMeans(n_clusters=n_components, n_init=1, random_state=random_state)
            .fit(X)
            .labels_
        )
        resp[np.arange(n_samples), label] = 1
    elif init_params == "random":
        resp = np.asarray(
            random_state.uniform(size=(n_samples, n_components)), dtype=X.dtype
        )
        resp /= np.sum(resp, axis=1)[:, np.newaxis]
    elif init_params == "random_from_data":
        resp = np.zeros((n_samples, n_components), dtype=X.dtype)
        indices = random_state.choice(n_samples, size=n_components, replace=False)
        resp[indices, np.arange(n_components)] = 1
    else:  # "k-means++"
        resp = np.zeros((n_samples, n_components), dtype=X.dtype)
        _, indices = kmeans_plusplus(X, n_components, random_state=random_state)
        resp[indices, np.arange(n_components)] = 1
    return resp


class _Params:
    """Mixture parameters in internal (shifted) coordinates, float64."""

    def __init__(self, weights, means, covariances, prec_chol, covariance_type):
        self.weights = weights
        self.means = means
        self.covariances = covariances
        self.prec_chol = prec_chol
        self.covariance_type = covariance_type
        n_components, n_features = means.shape
        self.log_const = np.array(
            _log_const(prec_chol, covariance_type, n_components, n_features),
            dtype=np.float64,
        )
        # (component, basis of the null space, tolerance) for pseudo-inverse
        # components (allow_singular=True of the notebook class only)
        self.null_space = None

    def mask_outside_support(self, Xc, wlp):
        if self.null_space is None:
            return wlp
        for k, basis, tol in self.null_space:
            residual = np.linalg.norm((Xc[:, :-1] - self.means[k]) @ basis, axis=1)
            wlp[residual >= tol, k] = -np.inf
        return wlp


def _blas_threads():
    """Threads for a pass: the current BLAS limit (threadpoolctl).

    The limit set with ``threadpoolctl.threadpool_limits`` (or the BLAS
    environment variables) also caps numba's threads and the worker threads
    of the NumPy path, so one setting governs the whole fit. Results are the
    same bytes whatever the number of threads.
    """
    from threadpoolctl import threadpool_info

    counts = [
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    ]
    return min(counts) if counts else 1


###############################################################################
# The estimator


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM; drop-in for scikit-learn's.

    Same parameters, attributes, methods and results as
    :class:`sklearn.mixture.GaussianMixture` (scikit-learn 1.9.1): with the
    same ``random_state`` every fitted attribute agrees to about 1e-12
    relative in float64, with the same ``n_iter_`` and ``converged_``.  Each
    iteration is computed in one chunked pass with large matrix products (and
    a fused numba kernel for ``covariance_type='full'`` with at most 6
    features), several times faster and with a fraction of sklearn's memory.

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Type of covariance parameters, as in scikit-learn.
    tol : float, default=1e-3
        Convergence threshold on the change of the mean log-likelihood per
        sample (sklearn's lower bound) between iterations.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of the covariances.
    max_iter : int, default=100
        The number of EM iterations to perform.
    n_init : int, default=1
        The number of initialisations; the best result is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How responsibilities (hence weights, means and covariances) are
        initialised, as in scikit-learn.
    weights_init : array-like of shape (n_components,), default=None
        User-provided initial weights.
    means_init : array-like of shape (n_components, n_features), default=None
        User-provided initial means.
    precisions_init : array-like, default=None
        User-provided initial precisions (inverse covariances); shape as
        ``precisions_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation (and of :meth:`sample`); the random state
        is used in exactly the same order as scikit-learn does.
    warm_start : bool, default=False
        Reuse the previous solution as initialisation (``n_init`` ignored).
    verbose : int, default=0
        Verbosity, as in scikit-learn.
    verbose_interval : int, default=10
        Iterations between messages.
    history : {'none', 'means', 'covariances'}, default='means'
        What to record per iteration in ``history_``: nothing, weights and
        means, or also covariances.
    dtype : {None, 'float64', 'float32'}, default=None
        Working precision.  ``None`` works like scikit-learn (float64, or
        float32 when the input is float32); ``'float32'`` computes the
        passes over the data in float32 (on data shifted by their mean, with
        float64 accumulators and M-step); attributes are then float32.
        Measured against float64 on blobs (N=3000, K=3, d=3/16/64): means
        agree to 1e-6 relative or better, covariances to 3e-5 ('full'),
        2e-6 ('tied'), 1.3e-4 ('diag') and 2e-5 ('spherical');
        ``tests/test_numerics.py`` asserts 1e-5 and 3e-4.  'full' with at
        most 6 features runs the numba kernel, which computes in float64
        even in this mode (5e-8).
    chunk_size : int, default=None
        Rows per chunk; ``None`` chooses it so that a chunk's work arrays
        take about 4 MiB.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing proportions.
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Covariances; shape depends on ``covariance_type`` as in scikit-learn.
    precisions_ : ndarray
        Inverses of the covariances.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions.
    converged_ : bool
        Whether the best start converged.
    n_iter_ : int
        Iterations of the best start.
    lower_bound_ : float
        Mean log-likelihood per sample of the best start (before its last
        M-step, as scikit-learn).
    lower_bounds_ : list of float
        Trace of the lower bound of the best start.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` has string feature names.
    history_ : dict
        ``'weights'`` (n_iter_ + 1, n_components) and ``'means'``
        (n_iter_ + 1, n_components, n_features); ``'covariances'`` when
        ``history='covariances'``.  Row 0 is after initialisation, row ``i``
        after the ``i``-th M-step; with ``n_init > 1`` of the best start.
        Empty dict when ``history='none'``.
    failed_inits_ : list of dict
        Starts (``n_init > 1``) abandoned because a covariance became
        singular: ``{'init': i, 'component': k, 'iteration': t,
        'min_eigenvalue': float, 'message': str}``.  scikit-learn instead
        aborts the whole fit; here the fit only fails if every start fails.

    See Also
    --------
    emgmm.GaussianMixtureEM : The notebook interface on the same engine.

    Notes
    -----
    Deliberate differences from scikit-learn 1.9.1:

    * A start whose covariance becomes singular raises
      :class:`~emgmm.SingularCovarianceError`, a ``ValueError`` whose message
      begins with sklearn's and adds the component, iteration and smallest
      eigenvalue.  With ``n_init > 1`` such a start is recorded in
      ``failed_inits_``, warned about and skipped; the fit fails only if
      every start fails (sklearn aborts on the first failure).
    * Starts whose lower bounds agree to 1e-12 relative (the same optimum,
      up to a permutation of components) count as a tie and the earlier one
      is kept, as sklearn's strict ``>`` does for exactly equal values;
      without this, last-bit rounding could pick a permuted copy.
    * For 'tied', 'diag' and 'spherical', sklearn's initial M-step uses
      uncentred formulas (``E[x^2] - mu^2``); they are replayed exactly unless
      the data's mean is more than 1e3 standard deviations from the origin,
      where they lose all precision (sklearn then often fails) and the
      centred formula is used.
    * With ``precisions_init`` and ``max_iter=0``, ``covariances_`` is the
      inverse of the given precisions (sklearn leaves it unset).
    * ``predict``/``score_samples`` always compute in float64 or float32,
      even for integer input.

    Examples
    --------
    >>> import numpy as np
    >>> from emgmm import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    >>> gm.history_["means"].shape
    (3, 2, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [
            StrOptions({"kmeans", "random", "random_from_data", "k-means++"})
        ],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "history": [StrOptions({"none", "means", "covariances"})],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        history="means",
        dtype=None,
        chunk_size=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.history = history
        self.dtype = dtype
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Estimate model parameters with the EM algorithm.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        self : object
            The fitted mixture.

        Raises
        ------
        SingularCovarianceError
            (a ``ValueError``) if a covariance stops being positive definite
            in every start.
        """
        self.fit_predict(X, y)
        return self

    def _validate_fit_data(self, X):
        X = validate_data(
            self, X, dtype=[np.float64, np.float32], ensure_min_samples=2
        )
        if X.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components "
                f"but got n_components = {self.n_components}, "
                f"n_samples = {X.shape[0]}"
            )
        return X

    def _working_dtype(self, X):
        if self.dtype is None:
            return X.dtype
        return np.dtype(self.dtype)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None):
        """Estimate model parameters using X and predict the labels for X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels.
        """
        X = self._validate_fit_data(X)
        n_samples, n_features = X.shape
        weights_init, means_init, precisions_init = self._checked_inits(n_features)
        dtype = self._working_dtype(X)
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        random_state = check_random_state(self.random_state)
        engine = _Engine(
            X,
            self.covariance_type,
            self.reg_covar,
            self.chunk_size,
            dtype,
            _blas_threads(),
        )

        try:
            max_lower_bound = -np.inf
            best = None
            self.converged_ = False
            self.failed_inits_ = []
            for init in range(n_init):
                self._print_verbose_msg_init_beg(init)
                try:
                    if do_init:
                        params = self._initial_params(
                            engine, X, random_state, weights_init, means_init,
                            precisions_init,
                        )
                        lower_bound = -np.inf
                    else:
                        params = self._params_from_attributes(engine)
                        lower_bound = self.lower_bound_
                    with engine.blas_guard():
                        result = self._run_em(engine, params, lower_bound)
                except SingularCovarianceError as err:
                    if n_init == 1:
                        raise
                    self.failed_inits_.append(
                        {
                            "init": init,
                            "component": err.component,
                            "iteration": err.iteration,
                            "min_eigenvalue": err.min_eigenvalue,
                            "message": str(err),
                        }
                    )
                    warnings.warn(
                        f"Initialization {init} of {n_init} failed and was skipped: "
                        f"{err}",
                        UserWarning,
                        stacklevel=2,
                    )
                    continue
                params, n_iter, lower_bound, lower_bounds, converged, hist = result
                if self.max_iter == 0:
                    best = (params, 0, [], False, hist)
                elif max_lower_bound == -np.inf or lower_bound > max_lower_bound + (
                    _TIE_RTOL * abs(max_lower_bound)
                ):
                    # starts reaching the same optimum (up to a permutation of the
                    # components) tie up to rounding; sklearn's strict ">" then
                    # keeps the earlier one, and so do we despite last-bit noise
                    max_lower_bound = lower_bound
                    best = (params, n_iter, lower_bounds, converged, hist)
                    self.converged_ = converged
            if best is None:
                first = self.failed_inits_[0]
                raise SingularCovarianceError(
                    f"All {n_init} initializations failed; first failure: "
                    f"{first['message']}",
                    component=first["component"],
                    iteration=first["iteration"],
                    min_eigenvalue=first["min_eigenvalue"],
                )

            if not self.converged_ and self.max_iter > 0:
                warnings.warn(
                    (
                        "Best performing initialization did not converge. "
                        "Try different init parameters, or increase max_iter, "
                        "tol, or check for degenerate data."
                    ),
                    ConvergenceWarning,
                    stacklevel=2,
                )

            params, n_iter, lower_bounds, _, hist = best
            self._set_fitted(params, engine, X.dtype if self.dtype is None else dtype)
            self.n_iter_ = n_iter
            self.lower_bound_ = max_lower_bound
            self.lower_bounds_ = lower_bounds
            self.history_ = self._history_arrays(hist, engine)
            self._engine_shift = engine.shift
            # final E-step: labels consistent with fit(X).predict(X)
            return self._argmax_labels(engine, params)
        finally:
            engine.close()

    def _checked_inits(self, n_features):
        weights_init = means_init = precisions_init = None
        if self.weights_init is not None:
            weights_init = _check_weights(self.weights_init, self.n_components)
        if self.means_init is not None:
            means_init = _check_means(self.means_init, self.n_components, n_features)
        if self.precisions_init is not None:
            precisions_init = _check_precisions(
                self.precisions_init,
                self.covariance_type,
                self.n_components,
                n_features,
            )
        return weights_init, means_init, precisions_init

    def _initial_resp(self, X, random_state):
        """Initial responsibilities, consuming ``random_state`` as sklearn."""
        return _initial_resp(X, self.n_components, self.init_params, random_state)

    def _initial_params(
        self, engine, X, random_state, weights_init, means_init, precisions_init
    ):
        cov_type = self.covariance_type
        n_samples = X.shape[0]
        weights = means = covariances = None
        if weights_init is None or means_init is None or precisions_init is None:
            resp = self._initial_resp(X, random_state)
            weights, means, covariances = engine.parameters_from_resp(resp)
            del resp
            if weights_init is None:
                weights = weights / n_samples
        if weights_init is not None:
            weights = np.asarray(weights_init, dtype=np.float64)
        if means_init is not None:
            means = np.asarray(means_init, dtype=np.float64) - engine.shift
        if precisions_init is None:
            prec_chol = _compute_precision_cholesky(covariances, cov_type, -1)
        else:
            prec_chol = _precision_cholesky_from_precisions(precisions_init, cov_type)
            covariances = _covariances_from_precision_cholesky(prec_chol, cov_type)
        return _Params(weights, means, covariances, prec_chol, cov_type)

    def _params_from_attributes(self, engine):
        return _Params(
            np.asarray(self.weights_, dtype=np.float64),
            np.asarray(self.means_, dtype=np.float64) - engine.shift,
            np.asarray(self.covariances_, dtype=np.float64),
            np.asarray(self.precisions_cholesky_, dtype=np.float64),
            self.covariance_type,
        )

    def _run_em(self, engine, params, lower_bound):
        """EM iterations of one start, replaying sklearn's stopping rule."""
        record = self.history != "none"
        record_cov = self.history == "covariances"
        hist = []
        if record:
            hist.append(_snapshot(params, record_cov))
        lower_bounds = []
        converged = False
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):
            prev_lower_bound = lower_bound
            total, stats = engine.e_step_stats(params)
            params = self._m_step(engine, params, stats, n_iter)
            lower_bound = total / engine.n_samples
            lower_bounds.append(lower_bound)
            if record:
                hist.append(_snapshot(params, record_cov))
            change = lower_bound - prev_lower_bound
            self._print_verbose_msg_iter_end(n_iter, change)
            if abs(change) < self.tol:
                converged = True
                break
        if self.max_iter > 0:
            self._print_verbose_msg_init_end(lower_bound, converged)
        return params, n_iter, lower_bound, lower_bounds, converged, hist

    def _m_step(self, engine, params, stats, iteration):
        nk, means, covariances = engine.m_step(stats, params.means)
        weights = nk / nk.sum()
        prec_chol = _compute_precision_cholesky(
            covariances, self.covariance_type, iteration
        )
        return _Params(weights, means, covariances, prec_chol, self.covariance_type)

    def _set_fitted(self, params, engine, out_dtype):
        out = np.dtype(out_dtype)
        self.weights_ = params.weights.astype(out)
        self.means_ = (params.means + engine.shift).astype(out)
        self.covariances_ = params.covariances.astype(out)
        self.precisions_cholesky_ = params.prec_chol.astype(out)
        self.precisions_ = _precisions_from_cholesky(
            params.prec_chol, self.covariance_type
        ).astype(out)

    def _history_arrays(self, hist, engine):
        if self.history == "none" or not hist:
            return {}
        out = {
            "weights": np.array([h[0] for h in hist]),
            "means": np.array([h[1] for h in hist]) + engine.shift,
        }
        if self.history == "covariances":
            out["covariances"] = np.array([h[2] for h in hist])
        return out

    # --------------------------------------------------------- prediction
    def _fitted_params(self):
        """Parameters of the fitted model in float64, unshifted coordinates."""
        return _Params(
            np.asarray(self.weights_, dtype=np.float64),
            np.asarray(self.means_, dtype=np.float64),
            np.asarray(self.covariances_, dtype=np.float64),
            np.asarray(self.precisions_cholesky_, dtype=np.float64),
            self.covariance_type,
        )

    def _predict_engine(self, X):
        dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        shift = np.asarray(self._engine_shift, dtype=np.float64)
        return _Engine(
            X,
            self.covariance_type,
            self.reg_covar,
            self.chunk_size,
            dtype,
            _blas_threads() if X.shape[0] >= 100_000 else 1,
            shift,
        )

    def _predict_params(self):
        params = self._fitted_params()
        params.means = params.means - self._engine_shift
        return params

    def _weighted_log_prob(self, X):
        engine = self._predict_engine(X)
        params = self._predict_params()
        out = np.empty((X.shape[0], self.n_components), dtype=engine.dtype)
        with engine.blas_guard():
            for sl in _chunks(engine.n_samples, engine.chunk_rows(self.n_components)):
                out[sl] = engine.weighted_log_prob(params, sl)
        return out

    def _argmax_labels(self, engine, params):
        labels = np.empty(engine.n_samples, dtype=np.intp)
        with engine.blas_guard():
            for sl in _chunks(engine.n_samples, engine.chunk_rows(len(params.weights))):
                labels[sl] = np.argmax(engine.weighted_log_prob(params, sl), axis=1)
        return labels

    def _estimate_weighted_log_prob(self, X):
        """``log p(x | k) + log w_k`` (sklearn's private name)."""
        return self._weighted_log_prob(X)

    def score_samples(self, X):
        """Compute the log-likelihood of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
            Log-likelihood of each sample under the model.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return _logsumexp_rows(self._weighted_log_prob(X))

    def score(self, X, y=None):
        """Compute the per-sample average log-likelihood of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data points.
        y : Ignored
            Not used, present for API consistency.

        Returns
        -------
        log_likelihood : float
            Mean log-likelihood of X under the model.
        """
        return float(np.mean(self.score_samples(X)))

    def predict(self, X):
        """Predict the component label of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Component labels.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return np.argmax(self._weighted_log_prob(X), axis=1)

    def predict_proba(self, X):
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Responsibilities.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        wlp = self._weighted_log_prob(X)
        with np.errstate(under="ignore"):
            return np.exp(wlp - _logsumexp_rows(wlp)[:, None])

    def sample(self, n_samples=1):
        """Generate random samples from the fitted mixture (as sklearn).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Generated samples.
        y : ndarray of shape (n_samples,)
            Component labels.
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {self.n_components} . The "
                "sampling requires at least one sample."
            )
        _, n_features = self.means_.shape
        rng = check_random_state(self.random_state)
        n_samples_comp = rng.multinomial(n_samples, self.weights_)
        if self.covariance_type == "full":
            X = np.vstack(
                [
                    rng.multivariate_normal(mean, covariance, int(sample))
                    for (mean, covariance, sample) in zip(
                        self.means_, self.covariances_, n_samples_comp, strict=True
                    )
                ]
            )
        elif self.covariance_type == "tied":
            X = np.vstack(
                [
                    rng.multivariate_normal(mean, self.covariances_, int(sample))
                    for (mean, sample) in zip(self.means_, n_samples_comp, strict=True)
                ]
            )
        else:
            X = np.vstack(
                [
                    mean
                    + rng.standard_normal(size=(sample, n_features))
                    * np.sqrt(covariance)
                    for (mean, covariance, sample) in zip(
                        self.means_, self.covariances_, n_samples_comp, strict=True
                    )
                ]
            )
        y = np.concatenate(
            [np.full(int(n), i, dtype=np.int64) for i, n in enumerate(n_samples_comp)]
        )
        return np.asarray(X, dtype=np.float64), y

    def n_parameters(self):
        """Number of free parameters of the fitted model.

        Returns
        -------
        n_parameters : int
            Free parameters (as sklearn's ``_n_parameters``).
        """
        _, n_features = self.means_.shape
        if self.covariance_type == "full":
            cov_params = self.n_components * n_features * (n_features + 1) / 2.0
        elif self.covariance_type == "diag":
            cov_params = self.n_components * n_features
        elif self.covariance_type == "tied":
            cov_params = n_features * (n_features + 1) / 2.0
        else:
            cov_params = self.n_components
        mean_params = n_features * self.n_components
        return int(cov_params + mean_params + self.n_components - 1)

    _n_parameters = n_parameters

    def bic(self, X):
        """Bayesian information criterion of the model on X.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        bic : float
            The lower the better.
        """
        return -2 * self.score(X) * X.shape[0] + self.n_parameters() * math.log(
            X.shape[0]
        )

    def aic(self, X):
        """Akaike information criterion of the model on X.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        aic : float
            The lower the better.
        """
        return -2 * self.score(X) * X.shape[0] + 2 * self.n_parameters()

    # ------------------------------------------------------------ verbose
    def _print_verbose_msg_init_beg(self, n_init):
        if self.verbose == 1:
            print(f"Initialization {n_init}")
        elif self.verbose >= 2:
            print(f"Initialization {n_init}")
            self._init_prev_time = time()
            self._iter_prev_time = self._init_prev_time

    def _print_verbose_msg_iter_end(self, n_iter, diff_ll):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            elif self.verbose >= 2:
                cur_time = time()
                print(
                    f"  Iteration {n_iter}\t time lapse "
                    f"{cur_time - self._iter_prev_time:.5f}s\t ll change {diff_ll:.5f}"
                )
                self._iter_prev_time = cur_time

    def _print_verbose_msg_init_end(self, lb, init_has_converged):
        converged_msg = "converged" if init_has_converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {converged_msg}.")
        elif self.verbose >= 2:
            t = time() - self._init_prev_time
            print(
                f"Initialization {converged_msg}. time lapse {t:.5f}s\t lower bound"
                f" {lb:.5f}."
            )


def _snapshot(params, with_covariances):
    return (
        params.weights.copy(),
        params.means.copy(),
        params.covariances.copy() if with_covariances else None,
    )
