"""Covariance types: their names, their twins among mclust's models, their matrices.

The estimators store covariances as scikit-learn does, in a shape that
depends on ``covariance_type``; :func:`full_matrices` turns any of them into
one full ``(n_features, n_features)`` matrix per component, e.g. to draw
ellipses or to compare two fits entry by entry.

Examples
--------
>>> import numpy as np
>>> from emgmm.covariance import full_matrices
>>> full_matrices(np.array([1.0, 4.0]), "spherical", 2, 3)[1]
array([[4., 0., 0.],
       [0., 4., 0.],
       [0., 0., 4.]])
"""

import numpy as np

from ._covariance import COVARIANCE_TYPES, MODELS

__all__ = ["COVARIANCE_TYPES", "MCLUST_TWINS", "full_matrices"]

#: R mclust's model for each scikit-learn covariance type: the same family of
#: Gaussians, the same free parameters (:func:`emgmm.criteria.n_parameters`)
#: and, from the same responsibilities without regularisation, the same
#: M-step.
MCLUST_TWINS = {"full": "VVV", "tied": "EEE", "diag": "VVI", "spherical": "VII"}


def full_matrices(covariances, covariance_type, n_components, n_features):
    """Covariances as full matrices, one per component.

    Parameters
    ----------
    covariances : array-like
        In the shape of ``GaussianMixture.covariances_`` for
        ``covariance_type``.
    covariance_type : {"full", "tied", "diag", "spherical"}
    n_components, n_features : int

    Returns
    -------
    ndarray of shape (n_components, n_features, n_features)
    """
    if covariance_type not in MODELS:
        raise ValueError(
            f"covariance_type must be one of {', '.join(COVARIANCE_TYPES)}, "
            f"got {covariance_type!r}"
        )
    return MODELS[covariance_type].per_component(
        np.asarray(covariances), n_components, n_features
    )
