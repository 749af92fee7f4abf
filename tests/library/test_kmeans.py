"""emgmm's k-means start against scikit-learn's ``KMeans`` (issue 21).

``kmeans_labels`` must give ``KMeans(K, n_init=1, random_state=rs)``'s labels
and leave ``rs`` where ``KMeans.fit`` leaves it, on benign, far-from-origin,
tight, integer-valued (exact ties), wide and weighted data.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture
from emgmm._em import sklearn_labels
from emgmm._kmeans import kmeans_labels


def _blobs(n_samples, n_features, n_components, seed, scale=1.0, offset=0.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=5.0, size=(n_components, n_features))
    labels = rng.integers(n_components, size=n_samples)
    X = centres[labels] + rng.normal(size=(n_samples, n_features))
    return X * scale + offset


DATA = {
    "blobs": _blobs(3000, 3, 5, 0),
    "wide": _blobs(1500, 24, 6, 1),
    "one column": _blobs(2000, 1, 3, 2),
    "far from origin": _blobs(3000, 2, 4, 3, offset=1e6),
    "tight": _blobs(2000, 2, 4, 4, scale=1e-6),
    "integers": np.random.default_rng(5).integers(0, 5, size=(3000, 3)) * 1.0,
    "iris": load_iris().data,
    "digits": load_digits().data,
}


def _same_as_sklearn(X, n_clusters, seed, sample_weight=None):
    ours_rs, ref_rs = np.random.RandomState(seed), np.random.RandomState(seed)
    ours = kmeans_labels(X, n_clusters, ours_rs, sample_weight)
    ref = sklearn_labels(X, n_clusters, ref_rs, sample_weight)
    np.testing.assert_array_equal(ours, ref)
    # the random state is where KMeans.fit leaves it: later starts agree too
    assert ours_rs.randint(2**31) == ref_rs.randint(2**31)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", list(DATA))
@pytest.mark.parametrize("n_clusters", [2, 3, 5, 8])
def test_labels_equal_sklearns(name, n_clusters):
    for seed in range(8):  # 8 data x 4 K x 8 seeds = 256 starts
        _same_as_sklearn(DATA[name], n_clusters, seed)


@pytest.mark.parametrize("seed", range(6))
def test_weighted_labels_equal_sklearns(seed):
    X = DATA["blobs"]
    weights = np.random.default_rng(seed).uniform(0.0, 3.0, len(X))
    weights[::7] = 0.0
    _same_as_sklearn(X, 4, seed, weights)


def test_an_emptied_cluster_falls_back_to_sklearn():
    # 3 distinct points, K = 3 with one far outlier: scikit-learn relocates
    X = np.repeat(np.array([[0.0, 0.0], [0.0, 1e-9], [1.0, 0.0]]), [500, 1, 500], 0)
    for seed in range(10):
        _same_as_sklearn(X, 3, seed)


def test_labels_are_the_same_bytes_on_one_and_two_threads():
    X = _blobs(40_000, 4, 6, 7)
    labels = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            labels.append(kmeans_labels(X, 6, np.random.RandomState(0)))
    np.testing.assert_array_equal(*labels)


def test_a_default_fit_starts_from_these_labels():
    X = _blobs(20_000, 3, 4, 8)
    ours = GaussianMixture(4, max_iter=0, random_state=0).fit(X)
    resp = np.zeros((len(X), 4))
    resp[np.arange(len(X)), sklearn_labels(X, 4, np.random.RandomState(0))] = 1
    counts = resp.sum(axis=0) + 10 * np.finfo(float).eps
    np.testing.assert_allclose(ours.weights_, counts / len(X), rtol=1e-12)
    np.testing.assert_allclose(ours.means_, resp.T @ X / counts[:, None], rtol=1e-10)
