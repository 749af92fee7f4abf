"""Comparing two fitted mixtures: component matching and agreement.

Matching follows the notebook (pair components by the distance between their
means) but uses a one-to-one assignment (Hungarian algorithm) for the result,
and reports the notebook's greedy ``argmin`` alongside, flagging it when two
of our components land on the same scikit-learn component.

scipy, scikit-learn and pandas are imported inside the functions that use
them. Parameter counts and information criteria are :mod:`emgmm.criteria`'s.
"""

import itertools

import numpy as np

from ..covariance import full_matrices

__all__ = [
    "adjusted_rand",
    "greedy_is_one_to_one",
    "match_components",
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
    cov_a = full_matrices(ours["covariances"], covariance_type, k, d)
    cov_b = full_matrices(theirs["covariances"], covariance_type, k, d)
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


def labels_confusion(a, b):
    """Confusion matrix of two labelings as a DataFrame (rows: ``a``)."""
    import pandas as pd
    from sklearn.metrics import confusion_matrix

    la, lb = np.unique(a), np.unique(b)
    labels = np.union1d(la, lb)
    cm = confusion_matrix(a, b, labels=labels)
    return pd.DataFrame(cm, index=labels, columns=labels).loc[la, lb]
