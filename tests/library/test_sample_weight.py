"""``sample_weight`` in fit, fit_predict and score: the contract, clause by clause.

From the same start (user-given weights, means and precisions, so that no
random initialisation is involved): integer weights give the fit of repeated
rows, zero weights the fit without those rows, and scaling all weights
changes nothing, each to 1e-10.  Bad weights raise ``ValueError`` naming the
problem.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture

COV_TYPES = ["full", "tied", "diag", "spherical"]
ATTRS = ("weights_", "means_", "covariances_", "precisions_", "lower_bound_")
RTOL = 1e-10


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


def _data(d, n=240, seed=0):
    X, _ = make_blobs(n, n_features=d, centers=3, cluster_std=1.5, random_state=seed)
    return X + 5.0


def _start(X, covariance_type):
    """A fixed start (a short unweighted fit), as user-given inits."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = GaussianMixture(
            3, covariance_type=covariance_type, max_iter=2, random_state=0
        ).fit(X)
    return dict(
        n_components=3,
        covariance_type=covariance_type,
        weights_init=base.weights_,
        means_init=base.means_ + 0.1,
        precisions_init=base.precisions_,
        tol=1e-8,
        max_iter=30,
    )


def _fit(X, sample_weight=None, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(**kw).fit(X, sample_weight=sample_weight)


def _assert_same(a, b, rtol=RTOL):
    assert a.n_iter_ == b.n_iter_
    for name in ATTRS:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        err = np.max(np.abs(x - y)) / np.max(np.abs(y))
        assert err <= rtol, f"{name}: {err:.1e}"


# d=2 and 3 'full' run the fused numba kernel (weighted); d=8 the GEMM path
@pytest.mark.parametrize("d", [2, 3, 8])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_integer_weights_equal_repeated_rows(covariance_type, d):
    X = _data(d)
    w = np.random.RandomState(1).randint(1, 4, size=len(X))
    kw = _start(X, covariance_type)
    _assert_same(_fit(X, w, **kw), _fit(np.repeat(X, w, axis=0), **kw))


@pytest.mark.parametrize("d", [3, 8])
@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_zero_weights_equal_removed_rows(covariance_type, d):
    X = _data(d)
    w = np.ones(len(X))
    w[::4] = 0.0
    # far outliers with zero weight must not matter either
    X = X.copy()
    X[::4] += 1e3
    kw = _start(X[w > 0], covariance_type)
    _assert_same(_fit(X, w, **kw), _fit(X[w > 0], **kw))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_scaling_all_weights_changes_nothing(covariance_type):
    X = _data(4)
    w = np.random.RandomState(2).uniform(0.2, 3.0, size=len(X))
    kw = _start(X, covariance_type)
    _assert_same(_fit(X, 7.25 * w, **kw), _fit(X, w, **kw))
    _assert_same(_fit(X, np.ones(len(X)), **kw), _fit(X, **kw), rtol=1e-13)


def test_kmeans_start_with_weights_matches_repeated_rows():
    """The default start: KMeans(sample_weight=w) vs KMeans on np.repeat rows.

    k-means++ draws its first centre as ``choice(n, p=w / sum(w))``; on rows
    repeated consecutively (``np.repeat``) the same uniform draw picks the
    same point, and Lloyd's iterations are weight-equivalent, so the starts
    agree (measured: 20 of 20 seeds on blobs and on digits).
    """
    X = _data(2, n=300)
    w = np.random.RandomState(3).randint(1, 4, size=len(X))
    kw = dict(n_components=3, random_state=0, max_iter=0)
    a = _fit(X, w, **kw)
    b = _fit(np.repeat(X, w, axis=0), **kw)
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-10)


def test_fit_predict_and_score_weighted():
    X = _data(3)
    w = np.random.RandomState(4).randint(0, 3, size=len(X))
    kw = _start(X, "full")
    gm = GaussianMixture(**kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = gm.fit_predict(X, sample_weight=w)
    np.testing.assert_array_equal(labels, gm.predict(X))
    log_prob = gm.score_samples(X)
    expected = np.sum(w * log_prob) / np.sum(w)
    np.testing.assert_allclose(gm.score(X, sample_weight=w), expected, rtol=1e-13)
    rep = np.repeat(X, w, axis=0)
    np.testing.assert_allclose(gm.score(X, sample_weight=w), gm.score(rep), rtol=1e-12)
    # the lower bound of the last E-step is a weighted mean too
    assert np.isfinite(gm.lower_bound_)


@pytest.mark.parametrize(
    ("weights", "match"),
    [
        (lambda n: -np.ones(n), r"sample_weight must be >= 0, got -1.0 at row 0"),
        (lambda n: np.r_[np.nan, np.ones(n - 1)], r"finite .* nan at row 0"),
        (lambda n: np.r_[np.ones(n - 1), np.inf], r"finite .* inf at row"),
        (lambda n: np.ones(n - 1), r"of shape \(240,\).* got shape \(239,\)"),
        (lambda n: np.ones((n, 1)), r"of shape \(240,\).* got shape \(240, 1\)"),
        (lambda n: np.zeros(n), r"positive for at least one row, got all zeros"),
        (lambda n: ["a"] * n, r"an array of numbers"),
    ],
)
@pytest.mark.parametrize("method", ["fit", "fit_predict", "score"])
def test_bad_weights_raise_value_error(weights, match, method):
    X = _data(2)
    gm = GaussianMixture(2, random_state=0, max_iter=3)
    if method == "score":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gm.fit(X)
    with pytest.raises(ValueError, match=match):
        getattr(gm, method)(X, sample_weight=weights(len(X)))
