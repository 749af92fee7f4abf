"""Checks of what a user passes to the estimators: one style, one place.

Every message names the parameter, what was expected, what was received and,
where there is one, a fix (``n_components must be >= 1, got 0``).  The
checks of user-given initial parameters keep scikit-learn's messages, so
scikit-learn's own tests pass on :class:`emgmm.GaussianMixture`.
"""

import numbers

import numpy as np

from ._covariance import COVARIANCE_TYPES, check_shape

__all__ = [
    "COVARIANCE_TYPES",
    "HISTORY_OPTIONS",
    "INIT_METHODS",
    "check_init_means",
    "check_init_weights",
    "check_sample_weight",
    "invalid",
    "no_positive_weight",
]

INIT_METHODS = ("kmeans", "k-means++", "random", "random_from_data")
HISTORY_OPTIONS = ("none", "means", "covariances")


def invalid(name, expected, got, fix, *, described=False):
    """The one-line message of a bad value: parameter, expectation, value, fix.

    ``got`` is shown with ``repr`` unless ``described`` (a description such as
    ``"shape (3,)"`` rather than the value itself).
    """
    shown = got if described else repr(got)
    return f"{name} must be {expected}, got {shown}; {fix}"


def check_init_weights(weights, n_components):
    """sklearn's ``_check_weights`` (same messages)."""
    from sklearn.utils import check_array

    weights = check_array(weights, dtype=[np.float64, np.float32], ensure_2d=False)
    check_shape(weights, (n_components,), "weights")
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


def check_init_means(means, n_components, n_features):
    """sklearn's ``_check_means`` (same messages)."""
    from sklearn.utils import check_array

    means = check_array(means, dtype=[np.float64, np.float32], ensure_2d=False)
    check_shape(means, (n_components, n_features), "means")
    return means


def check_sample_weight(sample_weight, n_samples, *, first_row=0, whole=True):
    """Per-row weights as float64, or None for unit weights.

    Raises ``ValueError`` naming the problem: wrong shape or size, non-numeric,
    negative, NaN or infinite entries, or all weights zero.  For one block of
    rows (:mod:`emgmm._dask`), ``first_row`` numbers the rows in messages and
    ``whole=False`` leaves the all-zero check to the caller.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        if not (np.isfinite(sample_weight) and sample_weight > 0):
            raise ValueError(
                invalid(
                    "sample_weight",
                    "a finite number > 0 or one weight per row",
                    sample_weight,
                    "use 1 or an array",
                )
            )
        return np.full(n_samples, float(sample_weight))
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(
            invalid(
                "sample_weight",
                "an array of numbers",
                f"a {type(sample_weight).__name__} of non-numbers",
                "pass one non-negative number per row of X",
                described=True,
            )
        ) from None
    if w.ndim != 1 or w.shape[0] != n_samples:
        raise ValueError(
            invalid(
                "sample_weight",
                f"of shape ({n_samples},), one weight per row of X",
                f"shape {w.shape}",
                "pass one weight per row",
                described=True,
            )
        )
    bad = ~np.isfinite(w)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            invalid(
                "sample_weight",
                "finite (no NaN or inf)",
                f"{w[i]} at row {first_row + i} ({int(bad.sum())} such rows)",
                "drop or fix those rows",
                described=True,
            )
        )
    if np.any(w < 0):
        i = int(np.flatnonzero(w < 0)[0])
        raise ValueError(
            invalid(
                "sample_weight",
                ">= 0",
                f"{w[i]} at row {first_row + i} ({int((w < 0).sum())} negative)",
                "use 0 to leave a row out",
                described=True,
            )
        )
    if whole and not np.any(w > 0):
        raise no_positive_weight()
    return w


def no_positive_weight():
    """The error of weights that are all zero."""
    return ValueError(
        invalid(
            "sample_weight",
            "positive for at least one row",
            "all zeros",
            "give some rows a positive weight",
            described=True,
        )
    )
