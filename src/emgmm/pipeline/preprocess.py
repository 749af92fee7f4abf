"""Preparing a dataset's columns before UMAP and, if asked, before the fits.

A table of mixed units (millimetres beside grams) given to UMAP as it is
lets the column with the largest numbers decide every distance: on the
Palmer penguins table body mass (thousands of grams) drowned the bill and
flipper lengths, and a three-component mixture on the embedding had an ARI
of 0.40 against the species. Standardised first, as umap-learn's own
documentation does for that table, it had 0.945 (docs/own_data.md). So the
workflow scales before UMAP, and the default depends on where the data come
from:

========  ==========  ===================================================
source    ``auto``     why
========  ==========  ===================================================
file      standard    a user's table: columns of different units
digits    none        pixel intensities, one unit (0-16)
blobs     none        synthetic, one unit
large     none        synthetic, one unit
========  ==========  ===================================================

``scale`` is one of ``none``, ``standard`` (centre, divide by the standard
deviation), ``robust`` (centre on the median, divide by the interquartile
range: for columns with outliers) or ``auto``. ``pca`` optionally keeps the
first principal components of the scaled columns, the usual step before
UMAP on many features (scanpy's ``pp.pca``, umap-learn's documentation).

:func:`preprocess` computes in float64 on one BLAS thread, so its bytes do
not depend on the job's thread count.
"""

import numpy as np

from .. import InputError
from .config import parameter_schema

__all__ = ["SCALINGS", "SOURCE_SCALING", "preprocess", "resolve"]

#: the scalings :func:`preprocess` knows: the config schema's, but ``auto``
SCALINGS = tuple(
    s for s in parameter_schema("preprocess_parameters", "scale")["enum"] if s != "auto"
)
#: the scaling ``auto`` stands for, per source (the table above)
SOURCE_SCALING = {
    "file": "standard",
    "digits": "none",
    "blobs": "none",
    "large": "none",
}


def resolve(settings, source):
    """The preprocessing a dataset gets: ``settings`` with ``auto`` resolved.

    Parameters
    ----------
    settings : dict
        ``scale`` (``auto`` or one of :data:`SCALINGS`) and ``pca`` (None or
        a number of components).
    source : str
        The dataset's source (``file``, ``digits``, ...).

    Returns
    -------
    dict
        ``scale`` and ``pca``, and ``scale_chosen_by``: ``"auto (source
        <source>)"`` or ``"config"``.

    Examples
    --------
    >>> resolve({"scale": "auto", "pca": None}, "file")
    {'scale': 'standard', 'pca': None, 'scale_chosen_by': 'auto (source file)'}
    """
    scale = settings.get("scale", "auto")
    chosen_by = "config"
    if scale == "auto":
        scale, chosen_by = SOURCE_SCALING[source], f"auto (source {source})"
    return {"scale": scale, "pca": settings.get("pca"), "scale_chosen_by": chosen_by}


def _scaler(scale, copy):
    """scikit-learn's scaler for ``scale`` (None for ``none``)."""
    from sklearn.preprocessing import RobustScaler, StandardScaler

    scalers = {"standard": StandardScaler, "robust": RobustScaler}
    return scalers[scale](copy=copy) if scale in scalers else None


def preprocess(X, *, scale="standard", pca=None, names=None, copy=True):
    """Scale the columns of ``X`` and optionally keep its first principal components.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite data.
    scale : {"none", "standard", "robust"}, default="standard"
        ``standard``: ``(x - mean) / std`` per column (scikit-learn's
        ``StandardScaler``); ``robust``: ``(x - median) / IQR``
        (``RobustScaler``); a column without spread is only centred.
    pca : int or None, default=None
        Keep this many principal components of the scaled columns (at most
        ``min(n_samples, n_features)``); None keeps the scaled columns.
    names : list of str or None
        Column names, recorded in ``info``.
    copy : bool, default=True
        False: scale a float64 ``X`` in place (the workflow's step, which
        needs no second copy of a large table in memory).

    Returns
    -------
    features : ndarray of shape (n_samples, pca or n_features), float64
    info : dict
        JSON-able: ``scale``, ``pca``, ``n_features_in``, ``n_features``,
        ``names`` (of the output columns: the input's, or ``PC1``, ...),
        and with ``pca`` the ``explained_variance_ratio`` of each component
        and their ``explained_variance_total``.

    Raises
    ------
    InputError
        An unknown ``scale`` or a ``pca`` outside 1 .. min(n_samples,
        n_features).

    Examples
    --------
    >>> X = np.array([[1.0, 1000.0], [2.0, 3000.0], [3.0, 2000.0]])
    >>> Z, info = preprocess(X, scale="standard")
    >>> Z.std(axis=0).round(12).tolist()
    [1.0, 1.0]
    >>> Z, info = preprocess(X, scale="standard", pca=1)
    >>> Z.shape, info["names"]
    ((3, 1), ['PC1'])
    """
    from threadpoolctl import threadpool_limits

    X = np.asarray(X, dtype=np.float64)
    n_samples, n_features = X.shape
    if scale not in SCALINGS:
        raise InputError(
            f"scale must be one of {', '.join(SCALINGS)} or auto, got {scale!r}"
        )
    limit = min(n_samples, n_features)
    if pca is not None and not 1 <= pca <= limit:
        raise InputError(
            f"preprocess pca must be between 1 and {limit} (the smaller of "
            f"{n_samples} rows and {n_features} columns), got {pca}; lower it or "
            "set pca: null"
        )
    names = list(names) if names is not None else [f"x{i}" for i in range(n_features)]
    with threadpool_limits(limits=1):  # the same bytes whatever the job's threads
        scaler = _scaler(scale, copy)
        if scaler is not None:
            Z = scaler.fit_transform(X)
        else:
            Z = X.copy() if copy else X
        info = {
            "scale": scale,
            "pca": pca,
            "n_features_in": int(n_features),
            "n_features": int(pca or n_features),
            "names": names,
        }
        if pca is not None:
            Z, ratio = _principal_components(Z, pca)
            info["names"] = [f"PC{i + 1}" for i in range(pca)]
            info["explained_variance_ratio"] = [float(r) for r in ratio]
            info["explained_variance_total"] = float(ratio.sum())
    return np.ascontiguousarray(Z), info


def _principal_components(Z, n):
    """The first ``n`` principal components of ``Z`` and their variance shares.

    scikit-learn's PCA with the full SVD and its sign rule (``svd_flip``: the
    largest loading of each component is positive), so the components are
    the same on every run.
    """
    from sklearn.decomposition import PCA

    model = PCA(n_components=n, svd_solver="full")
    return model.fit_transform(Z), model.explained_variance_ratio_
