"""emgmm.GaussianMixture as a scikit-learn estimator."""

import numpy as np
import pytest
from sklearn import mixture
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture, SingularCovarianceError

# No check is expected to fail; listed here if one ever has to be.
EXPECTED_FAILED_CHECKS = {}


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@parametrize_with_checks(
    [GaussianMixture(n_init=2, max_iter=5)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_constructor_matches_sklearn():
    ours = GaussianMixture().get_params()
    ref = mixture.GaussianMixture().get_params()
    extras = {"history": "means", "dtype": None, "chunk_size": None}
    assert ours == {**ref, **extras}


def test_clone_and_pipeline():
    X, _ = make_blobs(300, centers=3, random_state=0)
    gm = GaussianMixture(3, random_state=0, history="covariances", chunk_size=50)
    cl = clone(gm)
    assert cl.get_params() == gm.get_params()
    assert not hasattr(cl, "means_")
    pipe = make_pipeline(StandardScaler(), GaussianMixture(3, random_state=0))
    labels = pipe.fit(X).predict(X)
    ref = make_pipeline(StandardScaler(), mixture.GaussianMixture(3, random_state=0))
    assert adjusted_rand_score(labels, ref.fit(X).predict(X)) == 1.0
    np.testing.assert_allclose(pipe.score(X), ref.score(X), rtol=1e-10)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_components": 0}, "'n_components' parameter .* Got 0"),
        ({"reg_covar": -1.0}, "'reg_covar' parameter .* Got -1.0"),
        ({"covariance_type": "bad"}, "'covariance_type' parameter"),
        ({"history": "all"}, "'history' parameter"),
        ({"dtype": "float16"}, "'dtype' parameter"),
        ({"chunk_size": 0}, "'chunk_size' parameter"),
    ],
)
def test_parameter_validation_messages(params, match):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=match):
        GaussianMixture(**params).fit(X)
    # same text as sklearn for its own parameters
    known = mixture.GaussianMixture().get_params()
    sk_params = {k: v for k, v in params.items() if k in known}
    if sk_params:
        with pytest.raises(ValueError, match=match):
            mixture.GaussianMixture(**sk_params).fit(X)


def test_n_samples_smaller_than_components():
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="Expected n_samples >= n_components"):
        GaussianMixture(5).fit(X)


def test_history_shapes():
    X, _ = make_blobs(200, n_features=3, centers=2, random_state=1)
    gm = GaussianMixture(2, history="covariances", random_state=0).fit(X)
    n = gm.n_iter_ + 1
    assert gm.history_["weights"].shape == (n, 2)
    assert gm.history_["means"].shape == (n, 2, 3)
    assert gm.history_["covariances"].shape == (n, 2, 3, 3)
    np.testing.assert_allclose(gm.history_["covariances"][-1], gm.covariances_)
    assert GaussianMixture(2, history="none", random_state=0).fit(X).history_ == {}
    gm3 = GaussianMixture(2, n_init=3, random_state=0).fit(X)
    assert gm3.history_["weights"].shape == (gm3.n_iter_ + 1, 2)
    np.testing.assert_array_equal(gm3.history_["weights"][-1], gm3.weights_)


def test_chunk_size_does_not_change_results():
    X, _ = make_blobs(500, n_features=5, centers=3, random_state=2)
    a = GaussianMixture(3, random_state=0, chunk_size=37).fit(X)
    b = GaussianMixture(3, random_state=0).fit(X)
    assert a.n_iter_ == b.n_iter_
    np.testing.assert_allclose(a.means_, b.means_, rtol=1e-12)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=1e-11)


@pytest.mark.parametrize(
    ("n_features", "covariance_type"), [(2, "full"), (8, "full"), (8, "diag")]
)
def test_deterministic_bytes(n_features, covariance_type):
    """Same bytes whatever the thread count (numba kernel and threaded parts)."""
    X, _ = make_blobs(20000, n_features=n_features, centers=4, random_state=3)
    runs = []
    for threads in (1, 2, 1):
        with threadpool_limits(threads):
            gm = GaussianMixture(
                4,
                covariance_type=covariance_type,
                random_state=0,
                max_iter=20,
                tol=0,
                chunk_size=1000,
            )
            with pytest.warns(Warning):
                gm.fit(X)
        runs.append(gm.means_.tobytes() + gm.covariances_.tobytes())
    assert runs[0] == runs[1] == runs[2]


def test_failed_start_is_skipped_with_warning(monkeypatch):
    X, y = make_blobs(120, centers=2, random_state=0)
    calls = []

    def fake_initial_resp(X, n_components, init_params, random_state, weights, **_):
        resp = np.zeros((len(X), 2))
        if not calls:  # first start: component 1 owns no point at all
            resp[:, 0] = 1
        else:
            resp[np.arange(len(X)), y] = 1
        calls.append(1)
        return resp

    monkeypatch.setattr("emgmm._gaussian_mixture.initial_resp", fake_initial_resp)
    gm = GaussianMixture(2, reg_covar=0.0, n_init=3, random_state=0)
    with pytest.warns(UserWarning, match="Initialization 0 of 3 failed"):
        gm.fit(X)
    assert len(gm.failed_inits_) == 1
    failed = gm.failed_inits_[0]
    assert failed["init"] == 0 and failed["component"] == 1
    assert failed["iteration"] == -1
    assert gm.converged_ and np.all(np.isfinite(gm.means_))


def test_all_starts_failing_raises_one_line():
    X = np.repeat([[1.0, 2.0], [3.0, 4.0]], 10, axis=0)
    gm = GaussianMixture(2, reg_covar=0.0, n_init=2, random_state=0)
    with pytest.warns(UserWarning, match="failed and was skipped"):
        with pytest.raises(SingularCovarianceError) as info:
            gm.fit(X)
    assert "\n" not in str(info.value)
    assert "All 2 initializations failed" in str(info.value)


def test_threads_follow_threadpoolctl_limit():
    import numba

    from emgmm._engine import blas_threads

    before = numba.get_num_threads()
    with threadpool_limits(1):
        assert blas_threads() == 1
        X, _ = make_blobs(5000, n_features=2, centers=2, random_state=0)
        GaussianMixture(2, random_state=0).fit(X)
    assert numba.get_num_threads() == before  # restored after the kernel
