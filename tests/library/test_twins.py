"""scikit-learn's covariance types and their twins among mclust's models.

full is mclust's VVV, tied EEE, diag VVI and spherical VII: the same family
of Gaussians, so from the same responsibilities, without regularisation,
emgmm's engine M-step and emgmm.mclust's M-step must give the same mixture,
and both must count the same free parameters.
"""

import numpy as np
import pytest

from emgmm import criteria
from emgmm._covariance import MODELS, CovarianceModel
from emgmm._engine import Engine
from emgmm.covariance import MCLUST_TWINS, full_matrices
from emgmm.mclust import MODELS as MCLUST_MODELS


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0, 0.0], [6.0, 1.0, -2.0], [-3.0, 5.0, 4.0]])
    scales = np.array([[1.0, 0.5, 2.0], [0.3, 1.5, 1.0], [2.0, 1.0, 0.7]])
    labels = rng.integers(0, 3, 400)
    X = centres[labels] + rng.normal(size=(400, 3)) * scales[labels]
    X += 1e3  # away from the origin, where expanded sums would lose digits
    resp = rng.dirichlet(np.ones(3), size=400) * 0.3
    resp[np.arange(400), labels] += 0.7
    return X, resp


@pytest.mark.parametrize("covariance_type", sorted(MCLUST_TWINS))
def test_same_m_step_from_the_same_responsibilities(data, covariance_type):
    X, resp = data
    twin = MCLUST_TWINS[covariance_type]
    engine = Engine(X, MODELS[covariance_type], 0.0, 128, np.float64, 1)
    centres = np.zeros((resp.shape[1], X.shape[1]))
    stats = engine.stats_from_resp(resp, centres)
    nk, means, covariances = engine.m_step(stats, centres)
    pro, mean, sigma, _ = MCLUST_MODELS[twin].m_step(X, resp)
    np.testing.assert_allclose(nk / nk.sum(), pro, rtol=1e-12)
    np.testing.assert_allclose(means + engine.shift, mean, rtol=1e-12)
    full = full_matrices(covariances, covariance_type, *mean.shape)
    np.testing.assert_allclose(full, sigma, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance_type", sorted(MCLUST_TWINS))
@pytest.mark.parametrize("shape", [(1, 2), (3, 4), (8, 16)])
def test_twins_count_the_same_parameters(covariance_type, shape):
    twin = MCLUST_TWINS[covariance_type]
    assert criteria.n_parameters(covariance_type, *shape) == criteria.n_parameters(
        twin, *shape
    )


def test_a_covariance_type_without_a_method_fails_when_made():
    """CovarianceModel is an abstract base class: a type that leaves out a
    method cannot be instantiated (before: it failed mid-fit)."""

    class Incomplete(CovarianceModel):
        name = "incomplete"

        def covariance_shape(self, n_components, n_features):
            return (n_components,)

    with pytest.raises(TypeError, match="abstract"):
        Incomplete()
