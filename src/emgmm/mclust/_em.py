"""mclust's ``me()``: EM started from responsibilities, M-step first.

One loop for all models: M-step from ``z``, E-step (new ``z`` and the
log-likelihood of the parameters just estimated), stop when the relative
change of the log-likelihood, ``|l_new - l_old| / (1 + |l_new|)``, is below
``tol[0]`` or after ``itmax[0]`` iterations.  The returned parameters are the
last M-step's, the log-likelihood and ``z`` the E-step's from them, as
mclust's ``me`` returns them.  Defaults are mclust 6's ``emControl()``:
``eps = .Machine$double.eps``, ``tol = c(1e-5, sqrt(eps))``,
``itmax = c(.Machine$integer.max, .Machine$integer.max)``.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import criteria
from .._errors import InputError
from ._models import MODELS

__all__ = ["EMControl", "MEFit", "me"]

_EPS = float(np.finfo(float).eps)
_INT_MAX = 2**31 - 1
# The engine's unrolled kernel (one compiled loop per number of features) up to
# this many features.  Per pass, one thread, 6 components: 7.3 against 10.7 us
# (272 x 2), 12.0 against 12.7 us (342 x 3), 13.8 against 13.7 us (342 x 4),
# 80 against 119 us (3,000 x 4), unrolled against blocked (Intel Xeon).  The
# estimators keep the engine's choice (2), measured at large N on two threads.
_UNROLLED_MAX_FEATURES = 4


@dataclass(frozen=True)
class EMControl:
    """mclust's ``emControl()``, with its defaults.

    Parameters
    ----------
    eps : float, default=machine epsilon
        Reciprocal condition number below which a covariance is singular.
    tol : tuple of 2 floats, default=(1e-5, sqrt(eps))
        Relative tolerances of the EM loop's log-likelihood and of the inner
        iterations of the iterative M-steps.
    itmax : tuple of 2 ints, default=(2**31 - 1, 2**31 - 1)
        Maximum EM iterations and maximum inner iterations per M-step.
    """

    eps: float = _EPS
    tol: tuple = (1e-5, float(np.sqrt(_EPS)))
    itmax: tuple = (_INT_MAX, _INT_MAX)


@dataclass
class MEFit:
    """Result of :func:`me`.

    Attributes
    ----------
    model : str
        mclust model name.
    n, d, G : int
        Rows, features, components.
    loglik : float
        Log-likelihood of the returned parameters (NaN if the fit failed).
    pro : ndarray of shape (G,)
    mean : ndarray of shape (G, d)
    sigma : ndarray of shape (G, d, d)
    z : ndarray of shape (n, G)
        Responsibilities from the returned parameters.
    iterations : int
        EM iterations done.
    converged : bool
        Whether the tolerance was met before ``itmax[0]``.
    error : str or None
        Why the fit failed (singular covariance), else None.
    """

    model: str
    n: int
    d: int
    G: int
    loglik: float
    pro: np.ndarray
    mean: np.ndarray
    sigma: np.ndarray
    z: np.ndarray
    iterations: int
    converged: bool
    error: str | None = None
    inner_iterations: list = field(default_factory=list)

    @property
    def n_parameters(self):
        """Free parameters as mclust counts them."""
        return criteria.n_parameters(self.model, self.G, self.d)

    @property
    def bic(self):
        """mclust's BIC, ``2 loglik - n_parameters log n`` (higher is better)."""
        return criteria.bic(self.loglik, self.n_parameters, self.n, sign="mclust")

    @property
    def classification(self):
        """Most probable component of each row (0-based)."""
        return np.argmax(self.z, axis=1)

    @property
    def uncertainty(self):
        """``1 - max_k z_ik`` for each row, as mclust's ``uncertainty``."""
        return 1.0 - np.max(self.z, axis=1)

    @property
    def icl(self):
        """mclust's ICL: BIC minus twice the hard classification's entropy,
        ``sum_i log max_k z_ik`` (higher is better)."""
        return self.bic - 2.0 * criteria.entropy(self.z, hard=True)


def _check_inputs(X, model, z):
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise InputError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise InputError("X must be finite; remove or impute rows with NaN or inf")
    if model not in MODELS:
        raise InputError(f"modelName must be one of {', '.join(MODELS)}, got {model!r}")
    if (X.shape[1] == 1) != (model in ("E", "V")):
        want = "E or V" if X.shape[1] == 1 else "a multivariate model such as VVV"
        raise InputError(
            f"modelName {model!r} does not fit data with {X.shape[1]} feature(s); "
            f"use {want}"
        )
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2 or z.shape[0] != X.shape[0]:
        raise InputError(
            f"z must have shape (n, G) with n = {X.shape[0]} rows, got {z.shape}"
        )
    return X, z


def me(X, model, z, control=None):
    """EM for one mclust model started from responsibilities, as mclust's ``me()``.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Data.
    model : str
        mclust model name (``"EII"`` ... ``"VVV"``; ``"E"``/``"V"`` for d = 1).
    z : array-like of shape (n, G)
        Starting responsibilities; the first step is an M-step from them.
    control : EMControl, optional
        Tolerances and limits; mclust's ``emControl()`` defaults if omitted.

    Returns
    -------
    MEFit
        A failed fit (singular covariance) has ``loglik`` NaN, NaN parameters
        and ``error`` set; it is not raised, as mclust returns NA.

    Examples
    --------
    >>> import numpy as np
    >>> from emgmm import mclust
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(5, 1, (50, 2))])
    >>> z = np.repeat(np.eye(2), 50, axis=0)
    >>> fit = mclust.me(X, "VVV", z)
    >>> fit.pro.round(2).tolist()
    [0.5, 0.5]
    """
    from .._em_numba import n_blocks_for, padded_features  # numba, at first use
    from ._kernels import CODES, ERRORS, me_loop

    control = control or EMControl()
    X, z = _check_inputs(X, model, z)
    X, z = np.ascontiguousarray(X), np.ascontiguousarray(z)  # one compiled layout
    n, d = X.shape
    G = z.shape[1]
    tol, inner_tol = control.tol
    itmax, inner_itmax = control.itmax
    # The engine's pass, about the column means: the unrolled kernel (the
    # shift a tuple) up to _UNROLLED_MAX_FEATURES, the blocked one above.
    shift = np.ascontiguousarray(X.mean(axis=0))
    if d <= _UNROLLED_MAX_FEATURES:
        shift, n_padded = tuple(float(v) for v in shift), d
    else:
        n_padded = padded_features(d)
    status, k, loglik, pro, mean, sigma, z, iterations, converged, inner = me_loop(
        CODES[model], X, z, float(tol), float(inner_tol),
        int(itmax), int(inner_itmax), float(control.eps), shift, n_blocks_for(n),
        n_padded,
    )  # fmt: skip
    inner = inner.tolist()
    if status:
        nan = np.nan
        return MEFit(
            model, n, d, G, nan, np.full(G, nan), np.full((G, d), nan),
            np.full((G, d, d), nan), np.full((n, G), nan), int(iterations), False,
            ERRORS[status].format(k=k + 1), inner,
        )  # fmt: skip
    return MEFit(
        model, n, d, G, float(loglik), pro, mean, sigma, z, int(iterations),
        bool(converged), None, inner,
    )  # fmt: skip
