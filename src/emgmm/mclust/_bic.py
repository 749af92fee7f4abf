"""BIC and ICL tables over components and models, as mclust's ``mclustBIC``.

For each number of components ``G`` and each model, EM (:func:`me`) starts
from the partition into ``G`` groups of mclust's default hierarchical tree
(:mod:`._hc`), or for one feature from quantile classes (:func:`qclass`), as
``mclustBIC`` does; for ``G = 1`` the single Gaussian is fitted directly.  A fit
that fails (singular covariance) is NaN, as mclust's NA.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._errors import InputError, SingularCovarianceError
from ._em import EMControl, MEFit, _check_inputs, me
from ._hc import hc, hclass
from ._models import MODELS, MULTIVARIATE, UNIVARIATE

__all__ = ["MclustFit", "bic", "icl", "mclust", "qclass"]

# At G = 1 every model with the same family is the same Gaussian.
_ONE_COMPONENT = {
    "E": "E", "V": "E",
    "EII": "EII", "VII": "EII",
    "EEI": "EEI", "VEI": "EEI", "EVI": "EEI", "VVI": "EEI",
}  # fmt: skip


def _models_for(d, models):
    if models is None:
        return [m.name for m in (UNIVARIATE if d == 1 else MULTIVARIATE)]
    models = list(models)
    for m in models:
        if m not in MODELS:
            raise InputError(f"models must be mclust model names, got {m!r}")
    return models


def _starts(X, G, initialization):
    """Starting partitions ``{G: labels}``; from mclust's hc unless given."""
    n = X.shape[0]
    if initialization is not None:
        starts = {}
        for g in G:
            if g == 1:
                continue
            if g not in initialization:
                raise InputError(f"initialization has no partition for G = {g}")
            labels = np.asarray(initialization[g])
            as_int = labels.astype(int)
            if (
                labels.shape != (n,)
                or np.any(as_int != labels)
                or as_int.min() < 0
                or as_int.max() >= g
            ):
                raise InputError(
                    f"initialization[{g}] must be {n} integer labels in 0..{g - 1}"
                )
            starts[g] = as_int
        return starts
    if X.shape[1] == 1:
        return {g: qclass(X[:, 0], g) for g in G if 1 < g <= n}
    merges = hc(X) if any(g > 1 for g in G) else None
    return {g: hclass(merges, g) for g in G if 1 < g <= n}


def qclass(x, G):
    """Quantile classes, mclust's default start for one feature.

    The breaks are the ``0, 1/G, ..., 1`` sample quantiles (R's default
    type 7, NumPy's ``"linear"``); class ``k`` holds ``[b_k, b_{k+1})``, the
    last class also its upper end.

    Parameters
    ----------
    x : ndarray of shape (n,)
    G : int

    Returns
    -------
    ndarray of shape (n,)
        Labels ``0 .. G-1``.
    """
    breaks = np.quantile(x, np.linspace(0.0, 1.0, G + 1))
    return np.searchsorted(breaks[1:-1], x, side="right")


def _fit_all(X, G, models, initialization, control):
    X, _ = _check_inputs(X, models[0], np.ones((np.shape(X)[0], 1)))
    starts = _starts(X, G, initialization)
    fits = {}
    for g in G:
        for name in models:
            if g == 1:
                z = np.ones((X.shape[0], 1))
                fit = me(
                    X,
                    _ONE_COMPONENT.get(name, "EEE" if X.shape[1] > 1 else name),
                    z,
                    control,
                )
                fit.model = name
            elif g in starts:
                labels = starts[g]
                z = np.zeros((X.shape[0], g))
                z[np.arange(X.shape[0]), labels] = 1.0
                fit = me(X, name, z, control)
            else:
                fit = None
            fits[g, name] = fit
    return X, fits


def _table(fits, G, models, what):
    values = np.full((len(G), len(models)), np.nan)
    for a, g in enumerate(G):
        for b, name in enumerate(models):
            fit = fits[g, name]
            if fit is not None and np.isfinite(fit.loglik):
                values[a, b] = getattr(fit, what)
    return pd.DataFrame(values, index=pd.Index(list(G), name="G"), columns=models)


def _check_G(G):
    G = [int(g) for g in G]
    if not G or min(G) < 1:
        raise InputError(f"G must be positive integers, got {G}")
    return G


def bic(X, G=range(1, 10), models=None, *, initialization=None, control=None):
    """mclust's BIC for each number of components and model (``mclustBIC``).

    Parameters
    ----------
    X : array-like of shape (n, d)
    G : iterable of int, default=range(1, 10)
        Numbers of components.
    models : list of str, optional
        mclust model names; all 14 (``E``/``V`` for one feature) if omitted.
    initialization : dict, optional
        ``{G: labels}`` starting partitions (0-based labels of length n) to
        use instead of mclust's hierarchical clustering.
    control : EMControl, optional
        EM tolerances; mclust's ``emControl()`` defaults if omitted.

    Returns
    -------
    pandas.DataFrame
        Index ``G``, one column per model, values ``2 log L - p log n``
        (mclust's sign: higher is better), NaN where the fit failed.

    Examples
    --------
    >>> import numpy as np
    >>> from emgmm import mclust
    >>> rng = np.random.default_rng(1)
    >>> X = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(6, 1, (60, 2))])
    >>> table = mclust.bic(X, G=range(1, 4), models=["EII", "VVV"])
    >>> int(table["EII"].idxmax())
    2
    """
    G = _check_G(G)
    models = _models_for(np.atleast_2d(np.asarray(X).T).shape[0], models)
    _, fits = _fit_all(X, G, models, initialization, control or EMControl())
    return _table(fits, G, models, "bic")


def icl(X, G=range(1, 10), models=None, *, initialization=None, control=None):
    """mclust's ICL table (``mclustICL``): BIC plus twice the hard assignment's
    log responsibilities, same layout and arguments as :func:`bic`."""
    G = _check_G(G)
    models = _models_for(np.atleast_2d(np.asarray(X).T).shape[0], models)
    _, fits = _fit_all(X, G, models, initialization, control or EMControl())
    return _table(fits, G, models, "icl")


@dataclass
class MclustFit:
    """The model mclust's ``Mclust`` would choose, with its tables.

    Attributes
    ----------
    model : str
        Chosen model (highest BIC).
    G : int
        Chosen number of components.
    bic : float
    icl : float
    loglik : float
    fit : MEFit
        The chosen fit (``pro``, ``mean``, ``sigma``, ``z``).
    classification : ndarray of shape (n,)
        Most probable component of each row (0-based).
    uncertainty : ndarray of shape (n,)
        ``1 - max_k z_ik``.
    BIC, ICL : pandas.DataFrame
        The full tables.
    """

    model: str
    G: int
    bic: float
    icl: float
    loglik: float
    fit: MEFit
    classification: np.ndarray
    uncertainty: np.ndarray
    BIC: pd.DataFrame
    ICL: pd.DataFrame


def mclust(X, G=range(1, 10), models=None, *, initialization=None, control=None):
    """Fit every model and number of components; keep the best BIC (``Mclust``).

    Ties are broken as in the table's order (smaller ``G``, then the model
    listed first).

    Parameters
    ----------
    See :func:`bic`.

    Returns
    -------
    MclustFit

    Raises
    ------
    SingularCovarianceError
        If no fit succeeded (every covariance was singular).
    """
    G = _check_G(G)
    models = _models_for(np.atleast_2d(np.asarray(X).T).shape[0], models)
    _, fits = _fit_all(X, G, models, initialization, control or EMControl())
    B = _table(fits, G, models, "bic")
    if not np.isfinite(B.to_numpy()).any():
        raise SingularCovarianceError(
            "every mclust fit failed (singular covariances); try fewer components"
        )
    values = B.to_numpy()
    a, b = np.unravel_index(np.nanargmax(values), values.shape)
    best = fits[G[a], models[b]]
    return MclustFit(
        model=models[b],
        G=G[a],
        bic=best.bic,
        icl=best.icl,
        loglik=best.loglik,
        fit=best,
        classification=best.classification,
        uncertainty=best.uncertainty,
        BIC=B,
        ICL=_table(fits, G, models, "icl"),
    )
