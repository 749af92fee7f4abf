"""One object per covariance type: everything that depends on the type.

Each model answers every per-type question of the EM engine, of
:mod:`emgmm.covariance` and of :mod:`emgmm.criteria`: the shapes of the parameters,
the Cholesky factors of the precisions and their log-determinants, squared
Mahalanobis distances of a chunk of rows, the sufficient statistics of a chunk,
the M-step, the parameter count, sampling and the checks of user-given
precisions.  Nobody else branches on ``covariance_type``; they ask
``MODELS[covariance_type]``.

Conventions (as in ``sklearn/mixture/_gaussian_mixture.py``):

* ``prec_chol`` is the upper-triangular ``P`` with ``precision = P P^T``
  (full: (K, d, d); tied: (d, d); diag: (K, d); spherical: (K,));
* a *chunk* ``X1`` is rows ``x - shift`` in the working dtype with a trailing
  column of ones (see :func:`emgmm._engine.augment`);
* statistics of a chunk are centred at per-component centres ``c_k`` (the
  means of the previous iteration) and accumulate by ``+=``;
  :meth:`CovarianceModel.finish` turns the accumulated sums into
  ``(nk_raw, sx, m2)`` with ``sx = sum r (x - c)`` and ``m2`` the second
  moments about ``c`` in the type's shape.

Accuracy: 'full' statistics are centred (every row is first moved by the
centre of its own component, the rest of the move is exact algebra), so their
rounding error is of order ``eps |mu_k - c_k|^2 / sigma_k^2`` — zero at
convergence.  'tied', 'diag' and 'spherical' are centred the same way (rows
moved by their own component's centre, group sums moving the rest), far
better than scikit-learn's expanded formulas in raw coordinates
(``eps |mu_k|^2 / sigma_k^2``).  See ``docs/accuracy.md``.
"""

import math
from abc import ABC, abstractmethod

import numpy as np

from ._errors import SingularCovarianceError

__all__ = ["MODELS", "CovarianceModel", "Diag", "Full", "Spherical", "Tied"]

LOG_2PI = math.log(2 * math.pi)

SKLEARN_SINGULAR_MESSAGE = (
    "Fitting the mixture model failed because some components have "
    "ill-defined empirical covariance (for instance caused by singleton "
    "or collapsed samples). Try to decrease the number of components, "
    "increase reg_covar, or scale the input data."
)


def singular_error(component, iteration, min_eigenvalue, float32):
    """sklearn's message plus the component, iteration and eigenvalue."""
    where = "initialisation" if iteration < 0 else f"iteration {iteration}"
    message = (
        f"{SKLEARN_SINGULAR_MESSAGE} [component {component} at {where}: "
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


def check_shape(param, param_shape, name):
    """sklearn's ``_check_shape`` message."""
    if param.shape != param_shape:
        raise ValueError(
            f"The parameter '{name}' should have the shape of {param_shape}, "
            f"but got {param.shape}"
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
                raise singular_error(k, iteration, min_eig, float32) from None
        raise  # pragma: no cover - batched and looped Cholesky disagree
    n_features = covariances.shape[-1]
    eye = np.broadcast_to(np.eye(n_features), covariances.shape)
    inv = np.linalg.solve(chol, eye)
    return np.triu(np.swapaxes(inv, -1, -2))


def _flipudlr(array):
    return np.flip(np.flip(array, axis=-1), axis=-2)


def _check_positive_definite(mats, name):
    for mat in mats:
        if not (np.all(np.isclose(mat, mat.T)) and np.all(np.linalg.eigvalsh(mat) > 0)):
            raise ValueError(f"'{name}' should be symmetric, positive-definite")


def _centred_correction(sx, delta, nk_raw):
    """``- sx delta^T - delta sx^T + nk_raw delta delta^T`` per component."""
    outer = sx[:, :, None] * delta[:, None, :]
    return (
        -outer
        - np.swapaxes(outer, 1, 2)
        + nk_raw[:, None, None] * delta[:, :, None] * delta[:, None, :]
    )


def _moved_to_own(X1, resp, centres):
    """Rows moved by the centre of their most responsible component.

    Returns ``own`` (that component, per row) and ``[x - c_own, 1]``.
    """
    own = np.argmax(resp, axis=1)
    n_features = centres.shape[1]
    xt = np.empty_like(X1)
    np.subtract(X1[:, :n_features], centres[own], out=xt[:, :n_features])
    xt[:, n_features] = 1
    return own, xt


def _group_sums(own, resp, xt):
    """``G[a, k] = sum_{own(x) = a} r_k [x~, 1]``, shape (K, K, d + 1).

    One small matrix product per group of rows (rows sorted by ``own``).
    """
    n_components = resp.shape[1]
    order = np.argsort(own, kind="stable")
    bounds = np.searchsorted(own[order], np.arange(n_components + 1))
    g = np.zeros((n_components, n_components, xt.shape[1]), dtype=np.float64)
    for a in range(n_components):
        rows = order[bounds[a] : bounds[a + 1]]
        if len(rows):
            g[a] = resp[rows].T @ xt[rows]
    return g


def _moved_to_each(g, centres):
    """From group sums to ``nk_raw``, ``sx = sum r (x - c_k)`` and the deltas.

    ``x - c_k = x~ + (c_a - c_k)`` for the rows of group ``a``: exact algebra,
    and no move at all for the rows of component ``k`` itself.
    """
    n_features = centres.shape[1]
    group_sx, group_nk = g[..., :n_features], g[..., n_features]
    delta = centres[:, None, :] - centres[None, :, :]  # [a, k] = c_a - c_k
    nk_raw = group_nk.sum(axis=0)
    sx = group_sx.sum(axis=0) + np.einsum("ak,akd->kd", group_nk, delta)
    return nk_raw, sx, group_sx, group_nk, delta


def square_augment(X1, work=None):
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


class CovarianceModel(ABC):
    """What the engine asks of a covariance type (see the module docstring).

    An abstract base class: a subclass sets :attr:`name` and implements every
    abstract method, or cannot be instantiated (``MODELS`` below instantiates
    each type at import, so a missing method fails there, not mid-fit). The
    methods fall in three groups: the shapes and parameters of the type, the
    statistics of one chunk of rows with the M-step, and the adapter to the
    fused numba kernel. A type whose scikit-learn initial M-step uses
    expanded (uncentred) sums also derives from :class:`ExpandedInit`.
    """

    #: the type's name, as scikit-learn's ``covariance_type``
    name = None
    #: whether the fused numba kernel (:mod:`emgmm._em_numba`) can run a pass:
    #: it works with per-component full factors
    #: (:meth:`kernel_precision_cholesky`) and full second moments, which
    #: :meth:`from_kernel_statistics` turns into this type's statistics
    fused_kernel = True

    @property
    def expanded_init(self):
        """Whether sklearn's initial M-step uses expanded (uncentred) sums,
        which :class:`ExpandedInit`'s methods replay."""
        return isinstance(self, ExpandedInit)

    # -- shapes and parameters ---------------------------------------------
    @abstractmethod
    def covariance_shape(self, n_components, n_features):
        """Shape of ``covariances_`` (and ``precisions_``) of this type."""

    @abstractmethod
    def n_covariance_parameters(self, n_components, n_features):
        """Free parameters of the covariances alone."""

    def n_parameters(self, n_components, n_features):
        """Free parameters of the mixture (sklearn's ``_n_parameters``)."""
        cov = self.n_covariance_parameters(n_components, n_features)
        return int(cov + n_features * n_components + n_components - 1)

    @abstractmethod
    def per_component(self, covariances, n_components, n_features):
        """Covariances as a stack of full (d, d) matrices, one per component."""

    def precision_cholesky(self, covariances, iteration=-1):
        """Cholesky factors of the precisions (sklearn's ``precisions_cholesky_``).

        Raises :class:`~emgmm.SingularCovarianceError` (a ``ValueError`` with
        sklearn's message plus the component and iteration) when a covariance
        is not positive definite.
        """
        float32 = np.asarray(covariances).dtype == np.float32
        return self._precision_cholesky(
            np.asarray(covariances, dtype=np.float64), iteration, float32
        )

    @abstractmethod
    def _precision_cholesky(self, covariances, iteration, float32):
        """:meth:`precision_cholesky` of float64 ``covariances``."""

    @abstractmethod
    def log_det(self, prec_chol, n_features):
        """log det of the precision Cholesky factor, shape (K,) or ()."""

    def log_const(self, prec_chol, n_components, n_features):
        """Per-component ``-d/2 log(2 pi) + log det(prec_chol)``, shape (K,)."""
        log_det = self.log_det(prec_chol, n_features)
        return np.array(
            np.broadcast_to(-0.5 * n_features * LOG_2PI + log_det, (n_components,)),
            dtype=np.float64,
        )

    def precision_factors(self, covariances, means, iteration=-1):
        """``(prec_chol, log_const, aux)`` for new covariances.

        The fields of the engine's :class:`~emgmm._engine.Params`; ``aux`` is
        None for the four standard models.
        """
        prec_chol = self.precision_cholesky(covariances, iteration)
        n_components, n_features = means.shape
        return prec_chol, self.log_const(prec_chol, n_components, n_features), None

    @abstractmethod
    def precisions(self, prec_chol):
        """Precisions (``precisions_``) from their Cholesky factors."""

    def covariances_from_precision_cholesky(self, prec_chol):
        """Covariances implied by precision Cholesky factors (user precisions)."""
        inv = np.linalg.inv(prec_chol)
        return np.swapaxes(inv, -1, -2) @ inv

    def precision_cholesky_from_precisions(self, precisions):
        """sklearn's ``_compute_precision_cholesky_from_precisions``."""
        precisions = np.asarray(precisions, dtype=np.float64)
        return _flipudlr(np.linalg.cholesky(_flipudlr(precisions)))

    def check_precisions(self, precisions, n_components, n_features):
        """Validate user-given ``precisions_init`` (sklearn's messages)."""
        from sklearn.utils import check_array

        precisions = check_array(
            precisions,
            dtype=[np.float64, np.float32],
            ensure_2d=False,
            allow_nd=self.name == "full",
        )
        check_shape(
            precisions,
            self.covariance_shape(n_components, n_features),
            f"{self.name} precision",
        )
        self._check_precision_values(precisions)
        return precisions

    @abstractmethod
    def _check_precision_values(self, precisions):
        """Raise sklearn's ``ValueError`` for precisions that are not valid."""

    def sample(self, rng, means, covariances, counts):
        """Draw ``counts[k]`` points of each component (sklearn's ``sample``)."""
        full = self.per_component(covariances, *means.shape)
        return np.vstack(
            [
                rng.multivariate_normal(mean, cov, int(n))
                for mean, cov, n in zip(means, full, counts, strict=True)
            ]
        )

    # -- one chunk of rows, and the M-step -----------------------------------
    def prepare_params(self, params, dtype):
        """Per-pass constants of engine parameters (see :meth:`prepare`)."""
        return self.prepare(params.means, params.prec_chol, dtype)

    @abstractmethod
    def prepare(self, means, prec_chol, dtype):
        """Per-pass constants for :meth:`sq_mahalanobis`."""

    @abstractmethod
    def sq_mahalanobis(self, X1, prepared, work=None):
        """Squared Mahalanobis distances of a chunk, shape (rows, K)."""

    @abstractmethod
    def statistics(self, X1, resp, centres, work=None):
        """Sufficient statistics of a chunk (a tuple of arrays to ``+=``)."""

    @abstractmethod
    def finish(self, stats, centres):
        """Accumulated statistics -> ``(nk_raw, sx, m2)`` about ``centres``."""

    @abstractmethod
    def covariances(self, stats, nk, means, centres, reg_covar, shift):
        """Covariances from finished statistics (sklearn's M-step formulas).

        ``nk`` includes sklearn's ``10 * eps``; ``means`` and ``centres`` are
        in shifted coordinates, ``shift`` the engine's shift.
        """

    # -- the fused numba kernel's adapter ------------------------------------
    @abstractmethod
    def kernel_precision_cholesky(self, prec_chol, n_components, n_features):
        """``prec_chol`` as per-component factors, shape (K, d, d)."""

    @abstractmethod
    def from_kernel_statistics(self, nk_raw, sx, m2):
        """This type's ``(nk_raw, sx, m2)`` from the kernel's full ones.

        The kernel's ``m2`` is ``sum_i r_ik (x_i - c_k)(x_i - c_k)^T`` per
        component, shape (K, d, d), centred at the same ``c_k`` as
        :meth:`finish`'s.
        """


class ExpandedInit(ABC):
    """A type whose scikit-learn initial M-step uses expanded (uncentred) sums.

    scikit-learn's ``tied``, ``diag`` and ``spherical`` M-steps compute
    ``X^T X - n_k mu mu^T``-like expanded sums, which lose digits far from the
    origin; emgmm replays them for the initial M-step only, where parity
    with scikit-learn's start depends on it.
    """

    @abstractmethod
    def expanded_parameters(self, Xc, resp, sample_weight):
        """Partial sums of sklearn's uncentred initial M-step.

        Returns ``(sum r, sum r x, second moment)`` of a chunk of raw rows;
        :meth:`expanded_covariances` finishes them.
        """

    @abstractmethod
    def expanded_covariances(self, q, nk, means, reg_covar):
        """Covariances from :meth:`expanded_parameters`' accumulated sums."""


class Full(CovarianceModel):
    """One full covariance matrix per component."""

    name = "full"

    def kernel_precision_cholesky(self, prec_chol, n_components, n_features):
        return prec_chol

    def from_kernel_statistics(self, nk_raw, sx, m2):
        return nk_raw, sx, m2

    def covariance_shape(self, n_components, n_features):
        return (n_components, n_features, n_features)

    def n_covariance_parameters(self, n_components, n_features):
        return n_components * n_features * (n_features + 1) / 2.0

    def per_component(self, covariances, n_components, n_features):
        return np.asarray(covariances)

    def _precision_cholesky(self, covariances, iteration, float32):
        return _cholesky_inverse_t(covariances, iteration, float32)

    def log_det(self, prec_chol, n_features):
        return np.sum(np.log(np.diagonal(prec_chol, axis1=1, axis2=2)), axis=1)

    def precisions(self, prec_chol):
        return prec_chol @ np.swapaxes(prec_chol, 1, 2)

    def _check_precision_values(self, precisions):
        _check_positive_definite(precisions, "full precision")

    def prepare(self, means, prec_chol, dtype):
        """Stacked factors ``[P_1 .. P_K]`` with ``-mu_k P_k`` as an extra row.

        With rows augmented by a column of ones, one GEMM gives every
        ``(x - mu_k) P_k`` (the form of sklearn's log-densities, here in
        shifted coordinates).
        """
        n_components, n_features = means.shape
        paug = np.empty((n_features + 1, n_components * n_features), dtype=dtype)
        paug[:n_features] = np.swapaxes(prec_chol, 0, 1).reshape(n_features, -1)
        paug[n_features] = -np.einsum("kd,kde->ke", means, prec_chol).reshape(-1)
        return paug, n_components

    def sq_mahalanobis(self, X1, prepared, work=None):
        """Squared Mahalanobis distances: one GEMM for all components."""
        paug, n_components = prepared
        y = None if work is None else work.get("y", (X1.shape[0], paug.shape[1]))
        y = np.matmul(X1, paug, out=y).reshape(X1.shape[0], n_components, -1)
        return np.einsum("mkd,mkd->mk", y, y)

    def statistics(self, X1, resp, centres, work=None):
        """Second moments about ``c_a``, the centre of each row's own component.

        Each row is first moved by the centre of its most responsible
        component, ``x~ = x - c_a(x)``; one GEMM of the rows ``[x~, 1,
        onehot(a)]`` with ``r (x) x~`` gives ``S_k = sum r_k x~ x~^T``,
        ``sum r_k x~`` and the sums by group ``G[a, k] = sum_{a(x) = a} r_k
        x~``, a small one ``R[a, k] = sum_{a(x) = a} r_k``, from
        which :meth:`finish` moves every term to ``c_k`` exactly
        (``x - c_k = x~ + (c_a - c_k)``, no cancellation for the rows of
        component ``k``, where the shift is 0).  The rounding error is then
        that of differences ``x - c_k``, as in scikit-learn's centred formula,
        while the work stays in two large matrix products.
        """
        n_rows, n_aug = X1.shape
        n_features = n_aug - 1
        n_components = resp.shape[1]
        own = np.argmax(resp, axis=1)
        # rows [x~, 1, one-hot of a(x)]: one GEMM gives S, sum r x~ and G
        shape = (n_rows, n_aug + n_components)
        xt = np.empty(shape, dtype=X1.dtype) if work is None else work.get("xt", shape)
        np.subtract(X1[:, :-1], centres[own], out=xt[:, :n_features])
        xt[:, n_features:] = 0
        xt[:, n_features] = 1
        xt[np.arange(n_rows), n_aug + own] = 1
        shape = (n_rows, n_components, n_features)
        z = np.empty(shape, dtype=X1.dtype) if work is None else work.get("z", shape)
        np.multiply(resp[:, :, None], xt[:, None, :n_features], out=z)
        return xt.T @ z.reshape(n_rows, -1), xt[:, n_aug:].T @ resp

    def finish(self, stats, centres):
        g, group_nk = stats
        n_components, n_features = centres.shape
        g = g.reshape(n_features + 1 + n_components, n_components, n_features)
        s = np.transpose(g[:n_features], (1, 2, 0))
        group_sx = g[n_features + 1 :]
        delta = centres[:, None, :] - centres[None, :, :]  # [a, k] = c_a - c_k
        sx = g[n_features] + np.einsum("ak,akd->kd", group_nk, delta)
        cross = np.einsum("akd,ake->kde", group_sx, delta)
        m2 = (
            s
            + cross
            + np.swapaxes(cross, 1, 2)
            + np.einsum("ak,akd,ake->kde", group_nk, delta, delta)
        )
        return group_nk.sum(axis=0), sx, 0.5 * (m2 + np.swapaxes(m2, 1, 2))

    def covariances(self, stats, nk, means, centres, reg_covar, shift):
        nk_raw, sx, m2 = stats
        delta = means - centres
        cov = (m2 + _centred_correction(sx, delta, nk_raw)) / nk[:, None, None]
        cov = 0.5 * (cov + np.swapaxes(cov, 1, 2))
        idx = np.arange(means.shape[1])
        cov[:, idx, idx] += reg_covar
        return cov


class Tied(ExpandedInit, CovarianceModel):
    """One full covariance matrix shared by all components."""

    name = "tied"

    def covariance_shape(self, n_components, n_features):
        return (n_features, n_features)

    def kernel_precision_cholesky(self, prec_chol, n_components, n_features):
        return np.broadcast_to(prec_chol, (n_components, n_features, n_features))

    def from_kernel_statistics(self, nk_raw, sx, m2):
        return nk_raw, sx, m2.sum(axis=0)

    def n_covariance_parameters(self, n_components, n_features):
        return n_features * (n_features + 1) / 2.0

    def per_component(self, covariances, n_components, n_features):
        cov = np.asarray(covariances)
        return np.broadcast_to(cov, (n_components, *cov.shape))

    def _precision_cholesky(self, covariances, iteration, float32):
        return _cholesky_inverse_t(covariances[None], iteration, float32)[0]

    def log_det(self, prec_chol, n_features):
        return np.sum(np.log(np.diag(prec_chol)))

    def precisions(self, prec_chol):
        return prec_chol @ prec_chol.T

    def _check_precision_values(self, precisions):
        _check_positive_definite(precisions[None], "tied precision")

    def prepare(self, means, prec_chol, dtype):
        """``P``, the offsets ``o_k = mu_k P``, ``|o_k|^2`` and ``|o_a - o_k|^2``."""
        offsets = means @ prec_chol
        gaps = offsets[:, None, :] - offsets[None, :, :]
        return (
            prec_chol.astype(dtype),
            offsets.astype(dtype),
            np.sum(offsets**2, axis=1).astype(dtype),
            np.einsum("akd,akd->ak", gaps, gaps).astype(dtype),
        )

    def sq_mahalanobis(self, X1, prepared, work=None):
        """``|y - o_k|^2`` with ``y = x P``, without its cancellation.

        The expanded ``|y|^2 - 2 y.o_k + |o_k|^2`` loses ``eps |y|^2`` (1e-9 on
        tight clusters far from the mean).  Here ``y`` is first moved by the
        offset of its nearest component ``a``: ``|y - o_k|^2 = |y~|^2 +
        2 (y~.o_a - y~.o_k) + |o_a - o_k|^2`` with ``y~ = y - o_a``, exact
        for ``k = a`` (the terms cancel identically) and as accurate as
        sklearn's differences for the others, in three small GEMMs.
        """
        prec_chol, offsets, offsets_sq, gaps_sq = prepared
        y = X1[:, :-1] @ prec_chol
        t = y @ offsets.T
        nearest = np.argmin(offsets_sq - 2 * t, axis=1)
        y -= offsets[nearest]
        t = y @ offsets.T
        rows = np.arange(X1.shape[0])
        q = t[rows, nearest][:, None] - t
        q *= 2
        q += np.einsum("md,md->m", y, y)[:, None]
        q += gaps_sq[nearest]
        return q

    def statistics(self, X1, resp, centres, work=None):
        """Second moments about each row's own centre, plus group sums.

        Rows are moved by the centre ``c_a`` of their most responsible
        component (as for 'full'): ``sum_n rho_n x~ x~^T`` (``rho = sum_k r``)
        and the group sums of :func:`_group_sums`, from which :meth:`finish`
        moves every term to ``c_k`` exactly.
        """
        own, xt = _moved_to_own(X1, resp, centres)
        n_features = centres.shape[1]
        rho = resp.sum(axis=1)
        x = xt[:, :n_features]
        return x.T @ (x * rho[:, None]), _group_sums(own, resp, xt)

    def finish(self, stats, centres):
        s, g = stats
        nk_raw, sx, group_sx, group_nk, delta = _moved_to_each(g, centres)
        cross = np.einsum("akd,ake->de", group_sx, delta)
        m2 = s + cross + cross.T + np.einsum("ak,akd,ake->de", group_nk, delta, delta)
        return nk_raw, sx, 0.5 * (m2 + m2.T)

    def covariances(self, stats, nk, means, centres, reg_covar, shift):
        nk_raw, sx, m2 = stats
        delta = means - centres
        orig = means + shift
        # sklearn's X^T X - sum_k nk mu mu^T differs from the centred scatter
        # by sum_k (nk - sum r) mu mu^T (nk includes 10 eps): replay it.
        bias = ((nk - nk_raw)[:, None] * orig).T @ orig
        correction = _centred_correction(sx, delta, nk_raw).sum(axis=0)
        cov = (m2 + correction + bias) / nk.sum()
        cov = 0.5 * (cov + cov.T)
        cov.flat[:: cov.shape[0] + 1] += reg_covar
        return cov

    def expanded_parameters(self, Xc, resp, sample_weight):
        Xw = Xc if sample_weight is None else Xc * sample_weight[:, None]
        return resp.sum(axis=0), resp.T @ Xc, Xc.T @ Xw

    def expanded_covariances(self, q, nk, means, reg_covar):
        covariances = (q - nk * means.T @ means) / np.sum(nk)
        covariances.flat[:: covariances.shape[0] + 1] += reg_covar
        return covariances


class Diag(ExpandedInit, CovarianceModel):
    """One diagonal covariance matrix per component."""

    name = "diag"

    def covariance_shape(self, n_components, n_features):
        return (n_components, n_features)

    def kernel_precision_cholesky(self, prec_chol, n_components, n_features):
        factors = np.zeros((n_components, n_features, n_features))
        idx = np.arange(n_features)
        factors[:, idx, idx] = self._diagonal_factors(prec_chol, n_features)
        return factors

    def _diagonal_factors(self, prec_chol, n_features):
        """The diagonals of the per-component factors, shape (K, d)."""
        return prec_chol

    def from_kernel_statistics(self, nk_raw, sx, m2):
        return nk_raw, sx, np.diagonal(m2, axis1=1, axis2=2).copy()

    def n_covariance_parameters(self, n_components, n_features):
        return n_components * n_features

    def per_component(self, covariances, n_components, n_features):
        return np.stack([np.diag(c) for c in np.asarray(covariances)])

    def _precision_cholesky(self, covariances, iteration, float32):
        if np.any(covariances <= 0.0):
            bad = np.argwhere(covariances <= 0.0)[0]
            min_value = float(covariances[tuple(bad)])
            raise singular_error(bad[0], iteration, min_value, float32)
        return 1.0 / np.sqrt(covariances)

    def log_det(self, prec_chol, n_features):
        return np.sum(np.log(prec_chol), axis=1)

    def precisions(self, prec_chol):
        return prec_chol**2

    def covariances_from_precision_cholesky(self, prec_chol):
        return 1.0 / prec_chol**2

    def precision_cholesky_from_precisions(self, precisions):
        return np.sqrt(np.asarray(precisions, dtype=np.float64))

    def _check_precision_values(self, precisions):
        if np.any(precisions <= 0.0):
            raise ValueError(f"'{self.name} precision' should be positive")

    def _precision_matrix(self, prec_chol, n_features):
        """Per-component diagonal precisions, shape (K, d)."""
        return prec_chol**2

    def prepare(self, means, prec_chol, dtype):
        """``W`` with ``[x^2, x, 1] @ W`` the squared distances (sklearn's form).

        Also, per nearest component ``a``: ``2 (mu_a - mu_k) p_k`` and
        ``|mu_a - mu_k|^2_{p_k}`` for the distances about ``mu_a``.
        """
        n_components, n_features = means.shape
        precisions = self._precision_matrix(prec_chol, n_features)
        w = np.empty((2 * n_features + 1, n_components))
        w[:n_features] = precisions.T
        w[n_features : 2 * n_features] = -2.0 * (means * precisions).T
        w[2 * n_features] = np.sum(means**2 * precisions, axis=1)
        gaps = means[:, None, :] - means[None, :, :]  # [a, k] = mu_a - mu_k
        return (
            w.astype(dtype),
            means.astype(dtype),
            precisions.T.astype(dtype),
            np.swapaxes(2.0 * gaps * precisions[None], 1, 2).astype(dtype),
            np.einsum("akd,kd->ak", gaps**2, precisions).astype(dtype),
        )

    def sq_mahalanobis(self, X1, prepared, work=None):
        """Squared distances about each row's nearest mean, no cancellation.

        The expanded ``[x^2, x, 1] @ W`` (sklearn's form) loses ``eps
        |x|^2 / sigma^2``; it only picks the nearest component ``a``.  With
        ``x~ = x - mu_a``, ``|x - mu_k|^2_p = x~^2 p_k + 2 x~ (mu_a - mu_k)
        p_k + |mu_a - mu_k|^2_{p_k}``: exact for ``k = a`` (the other terms
        are 0) and as accurate as differences for the others; one small
        product per group of rows.
        """
        w, means, precisions_t, gap_w, gap_sq = prepared
        n_features = means.shape[1]
        nearest = np.argmin(square_augment(X1, work) @ w, axis=1)
        x = X1[:, :n_features] - means[nearest]
        q = np.square(x) @ precisions_t
        order = np.argsort(nearest, kind="stable")
        bounds = np.searchsorted(nearest[order], np.arange(len(means) + 1))
        for a in range(len(means)):
            rows = order[bounds[a] : bounds[a + 1]]
            if len(rows):
                q[rows] += x[rows] @ gap_w[a] + gap_sq[a]
        return q

    def statistics(self, X1, resp, centres, work=None):
        """``resp^T x~^2`` about each row's own centre, plus group sums.

        As for 'tied': rows moved by the centre of their most responsible
        component; :meth:`finish` moves every term to ``c_k`` exactly.
        """
        own, xt = _moved_to_own(X1, resp, centres)
        x = xt[:, : centres.shape[1]]
        return resp.T @ (x * x), _group_sums(own, resp, xt)

    def finish(self, stats, centres):
        sxx, g = stats
        nk_raw, sx, group_sx, group_nk, delta = _moved_to_each(g, centres)
        m2 = (
            sxx
            + 2.0 * np.einsum("akd,akd->kd", group_sx, delta)
            + np.einsum("ak,akd->kd", group_nk, delta**2)
        )
        return nk_raw, sx, m2

    def covariances(self, stats, nk, means, centres, reg_covar, shift):
        nk_raw, sx, m2 = stats
        delta = means - centres
        centred = m2 - 2.0 * sx * delta + nk_raw[:, None] * delta**2
        # sklearn computes E[x^2] - mu^2 with nk = sum(r) + 10 eps, which
        # differs from the centred value by mu^2 (1 - sum(r) / nk): replay it.
        bias = (means + shift) ** 2 * (1.0 - nk_raw / nk)[:, None]
        return centred / nk[:, None] + bias + reg_covar

    def expanded_parameters(self, Xc, resp, sample_weight):
        return resp.sum(axis=0), resp.T @ Xc, resp.T @ (Xc * Xc)

    def expanded_covariances(self, q, nk, means, reg_covar):
        return q / nk[:, np.newaxis] - means**2 + reg_covar

    def sample(self, rng, means, covariances, counts):
        return np.vstack(
            [
                mean + rng.standard_normal(size=(n, means.shape[1])) * np.sqrt(cov)
                for mean, cov, n in zip(means, covariances, counts, strict=True)
            ]
        )


class Spherical(Diag):
    """One variance per component (a multiple of the identity)."""

    name = "spherical"

    def covariance_shape(self, n_components, n_features):
        return (n_components,)

    def n_covariance_parameters(self, n_components, n_features):
        return n_components

    def per_component(self, covariances, n_components, n_features):
        return np.stack([np.eye(n_features) * c for c in np.asarray(covariances)])

    def log_det(self, prec_chol, n_features):
        return n_features * np.log(prec_chol)

    def _precision_matrix(self, prec_chol, n_features):
        return np.repeat((prec_chol**2)[:, None], n_features, axis=1)

    def _diagonal_factors(self, prec_chol, n_features):
        return np.repeat(prec_chol[:, None], n_features, axis=1)

    def covariances(self, stats, nk, means, centres, reg_covar, shift):
        return (
            super()
            .covariances(stats, nk, means, centres, reg_covar, shift)
            .mean(axis=1)
        )

    def expanded_covariances(self, q, nk, means, reg_covar):
        return super().expanded_covariances(q, nk, means, reg_covar).mean(axis=1)


MODELS = {model.name: model for model in (Full(), Tied(), Diag(), Spherical())}
COVARIANCE_TYPES = tuple(MODELS)
