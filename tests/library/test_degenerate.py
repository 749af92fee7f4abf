"""Degenerate components: clear errors, or scipy's allow_singular behaviour."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal
from sklearn import mixture
from sklearn.datasets import make_blobs
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture, GaussianMixtureEM, SingularCovarianceError
from emgmm._engine import Engine
from emgmm._notebook import PseudoInverseFull


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def collapsed():
    """Two blobs plus five copies of one point (a component collapses)."""
    X, _ = make_blobs(300, n_features=2, centers=2, random_state=3)
    return np.vstack([X, np.repeat([[40.0, 40.0]], 5, axis=0)])


def test_notebook_raises_one_line_error(collapsed):
    model = GaussianMixtureEM(K=3, num_iterations=10, random_state=0)
    with pytest.raises(SingularCovarianceError) as info:
        model.fit_fast(collapsed)
    err = info.value
    message = str(err)
    assert "\n" not in message
    assert f"component {err.component}" in message
    assert "initialisation" in message or f"iteration {err.iteration}" in message
    assert "smallest eigenvalue" in message
    assert "increase reg_covar, use fewer components, or pass allow_singular=True" in (
        message
    )
    assert isinstance(err, ValueError)
    assert not isinstance(err, np.linalg.LinAlgError)
    assert err.min_eigenvalue <= 1e-10


def test_notebook_allow_singular_carries_on(collapsed):
    model = GaussianMixtureEM(
        K=3, num_iterations=10, random_state=0, allow_singular=True
    )
    res = model.fit_fast(collapsed)
    assert res["n_iter"] == 10
    assert np.all(np.isfinite(res["gamma"]))
    np.testing.assert_allclose(res["gamma"].sum(axis=1), 1.0, rtol=1e-12)
    for key, value in res["pis_dict"].items():
        assert np.isclose(value[0].sum(), 1.0), key


def test_allow_singular_log_density_matches_scipy():
    """Pseudo-inverse path == scipy.stats.multivariate_normal(allow_singular=True)."""
    rng = np.random.default_rng(0)
    # rank-1 covariance in 3-D, plus points on and off its support
    v = np.array([1.0, 2.0, -1.0])
    cov_singular = np.outer(v, v)
    cov_regular = np.diag([1.0, 2.0, 0.5])
    covs = np.array([cov_singular, cov_regular])
    means = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0]])
    on_support = means[0] + rng.normal(size=(5, 1)) * v
    X = np.vstack([on_support, rng.normal(size=(10, 3))])
    engine = Engine(X, PseudoInverseFull(), 0.0, None, np.float64, 1, shift=np.zeros(3))
    params = engine.make_params(np.array([0.5, 0.5]), means, covs, 1)
    assert params.aux is not None and not engine.use_numba(params)
    ours = engine.weighted_log_prob(params, slice(None)) - np.log(0.5)
    for k in range(2):
        expected = multivariate_normal(means[k], covs[k], allow_singular=True).logpdf(X)
        finite = np.isfinite(expected)
        np.testing.assert_array_equal(np.isfinite(ours[:, k]), finite)
        np.testing.assert_allclose(ours[finite, k], expected[finite], rtol=1e-10)
    assert np.all(np.isfinite(ours[:5, 0])) and np.all(np.isinf(ours[5:, 0]))


def test_gaussian_mixture_singular_is_sklearn_valueerror(collapsed):
    kw = dict(n_components=3, reg_covar=0.0, random_state=0)
    with pytest.raises(ValueError, match="ill-defined empirical covariance") as ref:
        mixture.GaussianMixture(**kw).fit(collapsed)
    with pytest.raises(SingularCovarianceError, match="ill-defined empirical") as ours:
        GaussianMixture(**kw).fit(collapsed)
    assert "\n" not in str(ours.value)
    assert str(ours.value).startswith(str(ref.value)[:-1])
    assert "component" in str(ours.value)


@pytest.mark.parametrize("covariance_type", ["diag"])
def test_zero_variance_diag_types(covariance_type):
    X = np.column_stack([np.arange(20.0), np.zeros(20)])  # a constant feature
    with pytest.raises(SingularCovarianceError):
        GaussianMixture(
            2, covariance_type=covariance_type, reg_covar=0.0, random_state=0
        ).fit(X)
    # with sklearn's default reg_covar it fits, as sklearn does
    gm = GaussianMixture(2, covariance_type=covariance_type, random_state=0).fit(X)
    ref = mixture.GaussianMixture(
        2, covariance_type=covariance_type, random_state=0
    ).fit(X)
    np.testing.assert_allclose(gm.covariances_, ref.covariances_, rtol=1e-8)


def test_reg_covar_rescues_collapse(collapsed):
    res = GaussianMixtureEM(
        K=3, num_iterations=10, random_state=0, reg_covar=1e-6
    ).fit_fast(collapsed)
    assert np.all(np.isfinite(res["cov"]))
