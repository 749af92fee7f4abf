"""The serial small-data kernels and the compiled full M-step."""

import numpy as np
import pytest
from test_em_numba import _assert_close, _problem, _reference
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture, SingularCovarianceError, _em_numba, _em_serial
from emgmm._covariance import MODELS

# sequential sums over up to a few thousand rows: a few 1e-15 typically,
# n * eps in the worst case
RTOL = 1e-12


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("n_features", [1, 2, 3, 5])
@pytest.mark.parametrize("n_components", [1, 3])
def test_small_pass_matches_numpy_reference(n_features, n_components, weighted, dtype):
    n_samples = 701
    X, shift, log_weights, means, prec_chol, log_const = _problem(
        n_samples, n_features, n_components, dtype, seed=n_features
    )
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0.0, 3.0, n_samples) if weighted else None
    want, scale, logp = _reference(
        X, shift, log_weights, means, prec_chol, log_const, sample_weight
    )
    args = (X, shift, log_const + log_weights, means, prec_chol)
    weights = np.empty(0) if sample_weight is None else sample_weight
    got = _em_serial.small_pass(*args, weights)
    for g, w, s in zip(got, want, scale, strict=True):
        _assert_close(g, w, s, RTOL)
    assert np.array_equal(got[3], np.swapaxes(got[3], 1, 2))
    _assert_close(_em_serial.small_weighted_log_prob(*args), logp, np.abs(logp), RTOL)


def test_small_pass_rows_of_weight_zero_add_nothing():
    X, shift, log_weights, means, prec_chol, log_const = _problem(300, 2, 3, np.float64)
    weights = np.ones(300)
    weights[::3] = 0.0
    args = (shift, log_const + log_weights, means, prec_chol)
    kept = _em_serial.small_pass(X[weights > 0], *args, np.empty(0))
    weighted = _em_serial.small_pass(X, *args, weights)
    for a, b in zip(kept, weighted, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_full_m_step_matches_the_models_m_step(n_features):
    X, shift, log_weights, means, prec_chol, log_const = _problem(
        500, n_features, 3, np.float64
    )
    total, nk_raw, sx, m2 = _em_numba.fused_full_pass(
        X, shift, log_weights, means, prec_chol, log_const, 1
    )
    eps = np.finfo(np.float64).eps
    weights, new_means, cov, new_prec, new_log_const, failed = _em_serial.full_m_step(
        nk_raw, sx, m2, means, shift, 1e-6, eps
    )
    assert failed == -1
    model = MODELS["full"]
    nk = nk_raw + 10 * eps
    want_means = (sx + nk_raw[:, None] * means) / nk[:, None]
    want_cov = model.covariances((nk_raw, sx, m2), nk, want_means, means, 1e-6, shift)
    want_prec = model.precision_cholesky(want_cov)
    np.testing.assert_allclose(weights, nk / nk.sum(), rtol=1e-15)
    np.testing.assert_allclose(new_means, want_means, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(cov, want_cov, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_prec, want_prec, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(
        new_log_const, model.log_const(want_prec, 3, n_features), rtol=1e-12
    )


def test_full_m_step_names_the_first_singular_component():
    n_components, n_features = 3, 2
    nk_raw = np.array([5.0, 5.0, 5.0])
    sx = np.zeros((n_components, n_features))
    m2 = np.tile(np.eye(n_features), (n_components, 1, 1))
    m2[1] = 0.0  # all of component 1's points at its mean
    centres = np.zeros((n_components, n_features))
    *_, failed = _em_serial.full_m_step(nk_raw, sx, m2, centres, np.zeros(2), 0.0, 0.0)
    assert failed == 1


def test_singular_small_fit_raises_sklearns_error_with_the_component():
    # 4 distinct points, K = 4, no regularisation: a component collapses
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]]), 10, 0)
    assert _em_serial.is_small(*X.shape, 4)
    with pytest.raises(SingularCovarianceError, match="ill-defined empirical") as err:
        GaussianMixture(4, reg_covar=0.0, random_state=0).fit(X)
    assert 0 <= err.value.component < 4


def test_tier_depends_only_on_the_size():
    limit = _em_serial.SMALL_MAX_WORK
    # N K d (d + 3) / 2 multiply-adds per pass
    assert _em_serial.is_small(limit // 5, 2, 1)
    assert not _em_serial.is_small(limit // 5 + 1, 2, 1)
    assert _em_serial.is_small(500, 2, 3)
    assert not _em_serial.is_small(1000, 2, 4)


@pytest.mark.parametrize("n_samples", [400, 3000])  # small tier, tiled tier
def test_small_and_tiled_fits_are_the_same_bytes_on_one_and_two_threads(n_samples):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(n_samples, 2))
    X[: n_samples // 2] += 4.0
    assert _em_serial.is_small(n_samples, 2, 3) == (n_samples == 400)
    fits = []
    for threads in (1, 2):
        with threadpool_limits(threads):
            fits.append(GaussianMixture(3, tol=0, max_iter=30, random_state=0).fit(X))
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.array_equal(getattr(fits[0], name), getattr(fits[1], name)), name
    assert fits[0].lower_bound_ == fits[1].lower_bound_
