"""What the engine benchmark runs: sizes, data, shared initial parameters, goals.

Every size is a triple ``(N, d, K)``: samples, features, components.  The data
are a seeded synthetic mixture (:func:`make_data`); the initial parameters
given to both estimators are computed once per case (:func:`make_init`).
"""

import numpy as np

__all__ = [
    "COVARIANCE_TYPES",
    "DEFAULT_FIT_SIZES",
    "DEFAULT_SIZES",
    "FLOAT32_SIZES",
    "GOALS",
    "OTHER_TYPE_SIZES",
    "QUICK",
    "make_data",
    "make_init",
]

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")

DEFAULT_SIZES = [
    (n, d, k)
    for n in (1_000_000, 100_000, 10_000)
    for d, k in ((2, 4), (16, 8), (64, 16))
]
"""Full covariance, float64, same start: the main table (goal sizes included)."""

OTHER_TYPE_SIZES = [(1_000_000, 2, 4), (100_000, 16, 8)]
"""Sizes at which 'tied', 'diag' and 'spherical' are run from the same start."""

FLOAT32_SIZES = [(100_000, 64, 16)]
"""Sizes of the float32 part (d = 64): speed and accuracy against float64."""

DEFAULT_FIT_SIZES = [(1_000_000, 2, 4), (100_000, 16, 8), (100_000, 64, 16)]
"""Sizes of the end-to-end part: default ``fit()``, k-means start included."""

QUICK = {
    "sizes": [(1_000, 2, 4), (1_000, 16, 8)],
    "other_sizes": [(1_000, 4, 3)],
    "float32_sizes": [(2_000, 64, 4)],
    "fit_sizes": [(1_000, 2, 4)],
}
"""The same four parts on tiny sizes (seconds): ``--quick``, used by the tests."""

GOALS = [
    ("speedup", (1_000_000, 2, 4), ">=", 20.0),
    ("speedup", (100_000, 16, 8), ">=", 8.0),
    ("speedup", (100_000, 64, 16), ">=", 3.5),
    ("speedup", "N>=1e5", ">=", 2.0),
    ("memory_ratio", "N>=1e5", "<=", 1.0 / 3.0),
]
"""Engine goals (issue 11), float64 full covariance from the same start.

``(figure, size or 'N>=1e5' for every size with N >= 1e5, comparison, value)``;
:func:`bench.engine.report.format_goals` checks a run against them.
"""


def make_data(n_samples, n_features, n_components, seed=0):
    """Draw a seeded, moderately separated Gaussian mixture.

    Parameters
    ----------
    n_samples : int
        Number of points ``N``.
    n_features : int
        Dimension ``d``.
    n_components : int
        Number of mixture components ``K``.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng` (with the size, so every size
        has its own data).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        Float64, C-contiguous, rows shuffled.
    """
    rng = np.random.default_rng([seed, n_samples, n_features, n_components])
    weights = rng.dirichlet(np.full(n_components, 5.0))
    counts = rng.multinomial(n_samples, weights)
    # Means about 4 standard deviations apart: separated, but overlapping
    # enough for EM to keep moving for a few iterations.
    means = rng.normal(scale=4.0 / np.sqrt(2.0), size=(n_components, n_features))
    X = np.empty((n_samples, n_features))
    start = 0
    for k, count in enumerate(counts):
        a = rng.normal(size=(n_features, n_features)) / np.sqrt(n_features)
        chol = np.linalg.cholesky(a @ a.T + 0.5 * np.eye(n_features))
        z = rng.standard_normal((count, n_features))
        X[start : start + count] = means[k] + z @ chol.T
        start += count
    rng.shuffle(X, axis=0)
    return np.ascontiguousarray(X)


def make_init(X, n_components, covariance_type="full", seed=0):
    """Initial parameters given identically to both estimators.

    Means are ``n_components`` distinct rows of ``X`` drawn at random, weights
    are uniform and every component's covariance is the covariance of the
    whole data set (a broad start, so EM does real work in every iteration).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data.
    n_components : int
        Number of components ``K``.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Decides the shape of ``precisions_init``.
    seed : int, default=0
        Seed of the draw of the means.

    Returns
    -------
    init : dict
        ``weights_init``, ``means_init`` and ``precisions_init`` in the shapes
        :class:`sklearn.mixture.GaussianMixture` expects, float64.

    Raises
    ------
    ValueError
        If ``covariance_type`` is not one of :data:`COVARIANCE_TYPES`.
    """
    if covariance_type not in COVARIANCE_TYPES:
        raise ValueError(
            f"covariance_type must be one of {COVARIANCE_TYPES}, "
            f"got {covariance_type!r}"
        )
    rng = np.random.default_rng([seed, 1])
    n_samples, n_features = X.shape
    rows = rng.choice(n_samples, size=n_components, replace=False)
    sample = X[rng.choice(n_samples, size=min(n_samples, 100_000), replace=False)]
    cov = np.atleast_2d(np.cov(sample, rowvar=False))
    prec = np.linalg.inv(cov)
    prec = 0.5 * (prec + prec.T)
    shapes = {
        "full": lambda: np.broadcast_to(prec, (n_components, n_features, n_features)),
        "tied": lambda: prec,
        "diag": lambda: np.broadcast_to(1.0 / np.diag(cov), (n_components, n_features)),
        "spherical": lambda: np.full(n_components, 1.0 / np.mean(np.diag(cov))),
    }
    return {
        "weights_init": np.full(n_components, 1.0 / n_components),
        "means_init": np.ascontiguousarray(X[rows]),
        "precisions_init": np.ascontiguousarray(shapes[covariance_type]()),
    }
