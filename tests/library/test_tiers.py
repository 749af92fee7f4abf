"""Which path runs a pass: NumPy for tiny ones, the numba kernels above.

A fresh environment's first small fit must not wait for a compiler
(issue 21): tiny passes stay on NumPy; the choice depends only on the sizes.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture, SingularCovarianceError
from emgmm._covariance import MODELS
from emgmm._engine import NUMPY_MAX_WORK, Engine


def _work(n_samples, n_features, n_components):
    return n_samples * n_components * n_features * (n_features + 3) // 2


def _uses_numba(n_samples, n_features, n_components):
    X = np.random.default_rng(0).normal(size=(n_samples, n_features))
    engine = Engine(X, MODELS["full"], 1e-6, None, np.float64, 1)
    params = engine.make_params(
        np.full(n_components, 1 / n_components),
        X[:n_components] - engine.shift,
        np.tile(np.eye(n_features), (n_components, 1, 1)),
    )
    return engine.use_numba(params)


def test_the_path_depends_on_the_work_of_a_pass():
    assert _work(500, 2, 3) <= NUMPY_MAX_WORK  # the first-call size
    assert not _uses_numba(500, 2, 3)
    assert _uses_numba(1000, 2, 4)
    n_limit = NUMPY_MAX_WORK // _work(1, 2, 1)
    assert not _uses_numba(n_limit, 2, 1)
    assert _uses_numba(n_limit + 1, 2, 1)


def test_a_tiny_fit_loads_no_compiler():
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from emgmm import GaussianMixture
        X = np.random.default_rng(0).normal(size=(500, 2))
        X[:250] += 4
        gm = GaussianMixture(3, random_state=0).fit(X)
        gm.predict(X)
        gm.score_samples(X[:5])
        print("numba" in sys.modules)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("n_samples", [400, 3000])  # NumPy path, numba kernels
def test_same_bytes_on_one_and_two_threads(n_samples):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n_samples, 2))
    X[: n_samples // 2] += 4.0
    assert _uses_numba(n_samples, 2, 3) == (n_samples == 3000)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            fits.append(GaussianMixture(3, tol=0, max_iter=30, random_state=0).fit(X))
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.array_equal(getattr(fits[0], name), getattr(fits[1], name)), name
    assert fits[0].lower_bound_ == fits[1].lower_bound_


@pytest.mark.parametrize("tiny", [True, False])
def test_a_singular_covariance_names_its_component_on_both_paths(tiny, monkeypatch):
    # 4 distinct points, K = 4, no regularisation: components collapse
    points = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    X = np.repeat(points, 10, axis=0)
    if not tiny:
        monkeypatch.setattr("emgmm._engine.NUMPY_MAX_WORK", 0)
    with pytest.raises(SingularCovarianceError, match="ill-defined empirical") as err:
        GaussianMixture(4, reg_covar=0.0, random_state=0).fit(X)
    assert 0 <= err.value.component < 4


def test_the_compiled_m_step_falls_back_to_the_models_error():
    X = np.random.default_rng(0).normal(size=(3000, 2))
    engine = Engine(X, MODELS["full"], 0.0, None, np.float64, 1)
    params = engine.make_params(
        np.full(3, 1 / 3), X[:3] - engine.shift, np.tile(np.eye(2), (3, 1, 1))
    )
    assert engine.use_numba(params)
    nk_raw = np.array([1000.0, 1000.0, 1000.0])
    sx = np.zeros((3, 2))
    m2 = np.tile(np.eye(2), (3, 1, 1)) * 1000.0
    m2[1] = 0.0  # every point of component 1 at its mean
    with pytest.raises(SingularCovarianceError) as err:
        engine.next_params((nk_raw, sx, m2), params, 7)
    assert (err.value.component, err.value.iteration) == (1, 7)
