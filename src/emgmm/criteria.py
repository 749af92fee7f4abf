"""Parameter counts and information criteria: one place, each sign stated.

Two sign conventions meet in emgmm, and every function here names the one it
returns:

* **scikit-learn's** (``sign="sklearn"``, lower is better), as
  :meth:`sklearn.mixture.GaussianMixture.bic` and :meth:`~emgmm.GaussianMixture.bic`:
  ``bic = -2 log L + p log n``, ``aic = -2 log L + 2 p``;
* **R mclust's** (``sign="mclust"``, higher is better), as ``mclustBIC``
  and :func:`emgmm.mclust.bic`: ``BIC = 2 log L - p log n``, the same number
  with the opposite sign.

ICL adds a classification entropy to BIC. emgmm's ``icl`` (scikit-learn's
sign) uses the entropy of the responsibilities, ``-sum r log r`` (Biernacki,
Celeux & Govaert 2000); mclust's ``icl`` uses the hard classification's,
``-sum log max_k z_ik``, as R's ``icl()`` does (:func:`entropy`).

:func:`n_parameters` counts the free parameters of scikit-learn's four
covariance types and of mclust's 14 models: ``full`` is mclust's ``VVV``,
``tied`` ``EEE``, ``diag`` ``VVI`` and ``spherical`` ``VII``, and each pair
has the same count.

Examples
--------
>>> from emgmm import criteria
>>> criteria.n_parameters("full", 3, 2), criteria.n_parameters("VVV", 3, 2)
(17, 17)
>>> round(criteria.bic(-100.0, 17, 150), 2), criteria.SIGNS["sklearn"][:20]
(285.18, "scikit-learn's sign,")
>>> criteria.bic(-100.0, 17, 150, sign="mclust") == -criteria.bic(-100.0, 17, 150)
True
"""

import math

import numpy as np

__all__ = ["SIGNS", "aic", "bic", "entropy", "information_criteria", "n_parameters"]

SIGNS = {
    "sklearn": "scikit-learn's sign, lower is better: bic = -2 log L + p log n",
    "mclust": "mclust's sign, higher is better: BIC = 2 log L - p log n",
}


def _direction(sign):
    if sign not in SIGNS:
        raise ValueError(f"sign must be 'sklearn' or 'mclust', got {sign!r}")
    return 1.0 if sign == "sklearn" else -1.0


def n_parameters(model, n_components, n_features):
    """Free parameters of a Gaussian mixture.

    Parameters
    ----------
    model : str
        A scikit-learn covariance type (``"full"``, ``"tied"``, ``"diag"``,
        ``"spherical"``) or one of R mclust's models (``"EII"`` ... ``"VVV"``,
        ``"E"``/``"V"`` for one feature).
    n_components, n_features : int

    Returns
    -------
    int
        Weights (``K - 1``), means (``K d``) and the covariance's parameters,
        counted as scikit-learn's ``_n_parameters`` and mclust's
        ``nMclustParams`` count them.
    """
    from ._covariance import MODELS
    from .mclust._models import MODELS as MCLUST_MODELS

    if model in MODELS:
        return MODELS[model].n_parameters(n_components, n_features)
    if model in MCLUST_MODELS:
        return MCLUST_MODELS[model].n_parameters(n_components, n_features)
    raise ValueError(
        f"model must be a covariance type ({', '.join(MODELS)}) or an mclust "
        f"model ({', '.join(MCLUST_MODELS)}), got {model!r}"
    )


def bic(log_likelihood, n_parameters, n_samples, *, sign="sklearn"):
    """Bayesian information criterion: ``-2 log L + p log n`` (scikit-learn's sign).

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood ``sum_i log p(x_i)``.
    n_parameters : int
    n_samples : int
    sign : {"sklearn", "mclust"}, default="sklearn"
        ``"mclust"`` returns ``2 log L - p log n`` (higher is better).
    """
    value = -2.0 * log_likelihood + n_parameters * math.log(n_samples)
    return _direction(sign) * value


def aic(log_likelihood, n_parameters, *, sign="sklearn"):
    """Akaike information criterion: ``-2 log L + 2 p`` (scikit-learn's sign)."""
    return _direction(sign) * (-2.0 * log_likelihood + 2.0 * n_parameters)


def entropy(resp, *, hard=False):
    """Classification entropy of responsibilities, for ICL.

    Parameters
    ----------
    resp : ndarray of shape (n_samples, n_components)
    hard : bool, default=False
        False: ``-sum r log r`` over all entries (emgmm's ICL); True:
        ``-sum_i log max_k r_ik``, the hard classification's (mclust's ICL).
    """
    resp = np.asarray(resp, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if hard:
            return float(-np.sum(np.log(resp.max(axis=1))))
        return float(-np.sum(np.where(resp > 0, resp * np.log(resp), 0.0)))


def information_criteria(log_likelihood, n_parameters, resp):
    """BIC, AIC and ICL of one fit, in scikit-learn's sign (lower is better).

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data, ``sum_i log p(x_i)``.
    n_parameters : int
        Free parameters of the model (:func:`n_parameters`).
    resp : ndarray of shape (n_samples, n_components)
        Responsibilities, for the entropy in ICL.

    Returns
    -------
    dict
        ``bic``, ``aic``, ``icl = bic + 2 entropy`` and ``entropy``
        (``-sum r log r``).
    """
    n_samples = np.shape(resp)[0]
    ent = entropy(resp)
    value = bic(log_likelihood, n_parameters, n_samples)
    return {
        "bic": float(value),
        "aic": float(aic(log_likelihood, n_parameters)),
        "icl": float(value + 2.0 * ent),
        "entropy": ent,
    }
