"""Comparing two fitted mixtures: component matching, agreement, model criteria.

Matching follows the notebook (pair components by the distance between their
means) but uses a one-to-one assignment (Hungarian algorithm) for the result,
and reports the notebook's greedy ``argmin`` alongside, flagging it when two
of our components land on the same scikit-learn component.

scipy, scikit-learn and pandas are imported inside the functions that use
them: :mod:`emgmm.fitting` needs only :func:`n_parameters` and
:func:`information_criteria`, and a fit should not pay for loading them.
"""

import itertools

import numpy as np

from ._covariance import MODELS

__all__ = [
    "adjusted_rand",
    "greedy_is_one_to_one",
    "information_criteria",
    "match_components",
    "n_parameters",
    "pairwise_ari",
    "relabel",
]


def match_components(ours, theirs, covariance_type="full"):
    """Pair the components of two fits by the distance between their means.

    Parameters
    ----------
    ours, theirs : mapping
        Fits with ``weights`` (K,), ``means`` (K, d) and ``covariances``
        (shape depends on the covariance type; both fits share it).
    covariance_type : {"full", "tied", "diag", "spherical"}, default="full"
        How ``covariances`` are stored (as in scikit-learn).

    Returns
    -------
    table : pandas.DataFrame
        One row per component of ``ours``: its one-to-one partner
        (``sklearn_component``), the distance between the means, both weights,
        the weight difference and the largest absolute covariance difference,
        then the notebook's greedy partner (``greedy_component``, the nearest
        mean, which need not be one-to-one) and its distance.
    greedy_one_to_one : bool
        Whether the greedy matching happens to be a permutation.
    """
    import pandas as pd
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    dist = cdist(ours["means"], theirs["means"])
    rows, cols = linear_sum_assignment(dist)
    greedy = dist.argmin(axis=1)
    k, d = np.shape(ours["means"])
    model = MODELS[covariance_type]
    cov_a = model.per_component(ours["covariances"], k, d)
    cov_b = model.per_component(theirs["covariances"], k, d)
    table = pd.DataFrame(
        {
            "component": rows,
            "sklearn_component": cols,
            "mean_distance": dist[rows, cols],
            "weight": ours["weights"][rows],
            "sklearn_weight": theirs["weights"][cols],
            "weight_difference": ours["weights"][rows] - theirs["weights"][cols],
            "max_covariance_difference": [
                float(np.max(np.abs(cov_a[i] - cov_b[j])))
                for i, j in zip(rows, cols, strict=True)
            ],
            "greedy_component": greedy[rows],
            "greedy_distance": dist[rows, greedy[rows]],
        }
    )
    return table, greedy_is_one_to_one(table)


def greedy_is_one_to_one(table):
    """Whether the greedy (nearest-mean) pairing of a matching is a permutation."""
    greedy = table["greedy_component"].to_numpy()
    return bool(len(np.unique(greedy)) == len(greedy))


def relabel(labels, table):
    """Map our labels onto the partner component's index from ``match_components``."""
    mapping = np.empty(len(table), dtype=int)
    mapping[table["component"].to_numpy()] = table["sklearn_component"].to_numpy()
    return mapping[labels]


def adjusted_rand(a, b):
    """Adjusted Rand index of two labelings (invariant to relabelling)."""
    from sklearn.metrics import adjusted_rand_score

    return float(adjusted_rand_score(a, b))


def pairwise_ari(labelings):
    """ARI of every pair of labelings, as a (n, n) array with ones on the diagonal."""
    n = len(labelings)
    out = np.ones((n, n))
    for i, j in itertools.combinations(range(n), 2):
        out[i, j] = out[j, i] = adjusted_rand(labelings[i], labelings[j])
    return out


def n_parameters(covariance_type, n_components, n_features):
    """Number of free parameters of a Gaussian mixture (as scikit-learn counts)."""
    return MODELS[covariance_type].n_parameters(n_components, n_features)


def information_criteria(log_likelihood, n_params, resp):
    """BIC, AIC and ICL, lower is better (scikit-learn's sign convention).

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data, ``sum_i log p(x_i)``.
    n_params : int
        Free parameters of the model.
    resp : ndarray of shape (n_samples, n_components)
        Responsibilities, for the classification entropy in ICL.

    Returns
    -------
    dict
        ``bic = -2 logL + p log n``, ``aic = -2 logL + 2 p`` and
        ``icl = bic + 2 * entropy`` with ``entropy = -sum r log r`` (Biernacki
        et al. 2000; R's mclust reports the same quantities with the opposite
        sign).
    """
    n = resp.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = -np.sum(np.where(resp > 0, resp * np.log(resp), 0.0))
    bic = -2.0 * log_likelihood + n_params * np.log(n)
    return {
        "bic": float(bic),
        "aic": float(-2.0 * log_likelihood + 2.0 * n_params),
        "icl": float(bic + 2.0 * ent),
        "entropy": float(ent),
    }


def labels_confusion(a, b):
    """Confusion matrix of two labelings as a DataFrame (rows: ``a``)."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix

    la, lb = np.unique(a), np.unique(b)
    labels = np.union1d(la, lb)
    cm = confusion_matrix(a, b, labels=labels)
    return pd.DataFrame(cm, index=labels, columns=labels).loc[la, lb]
