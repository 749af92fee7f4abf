"""Private EM helpers, one per covariance type, against naive formulas."""

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emgmm import GaussianMixture
from emgmm._covariance import COVARIANCE_TYPES, MODELS
from emgmm._engine import Engine, augment
from emgmm._math import log_resp_rows

N_SAMPLES, N_FEATURES, N_COMPONENTS = 300, 3, 3


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    means = rng.uniform(-5, 5, (N_COMPONENTS, N_FEATURES))
    covs = []
    for _ in range(N_COMPONENTS):
        a = rng.normal(size=(N_FEATURES, N_FEATURES))
        covs.append(a @ a.T + 0.5 * np.eye(N_FEATURES))
    labels = rng.randint(N_COMPONENTS, size=N_SAMPLES)
    X = np.array([rng.multivariate_normal(means[k], covs[k]) for k in labels])
    resp = rng.uniform(size=(N_SAMPLES, N_COMPONENTS))
    resp /= resp.sum(axis=1, keepdims=True)
    return X, resp, means, np.array(covs)


def _naive_covariances(X, resp, covariance_type, reg):
    """Textbook M-step (centred, per component)."""
    nk = resp.sum(axis=0) + 10 * np.finfo(float).eps
    means = resp.T @ X / nk[:, None]
    full = np.array(
        [
            (resp[:, k, None] * (X - means[k])).T @ (X - means[k]) / nk[k]
            for k in range(len(nk))
        ]
    )
    d = X.shape[1]
    if covariance_type == "full":
        cov = full + reg * np.eye(d)
    elif covariance_type == "tied":
        cov = np.einsum("k,kij->ij", nk, full) / nk.sum() + reg * np.eye(d)
    elif covariance_type == "diag":
        cov = np.diagonal(full, axis1=1, axis2=2) + reg
    else:
        cov = np.diagonal(full, axis1=1, axis2=2).mean(axis=1) + reg
    return nk, means, cov


def _to_full(cov, covariance_type, n_components, n_features):
    if covariance_type == "full":
        return cov
    if covariance_type == "tied":
        return np.repeat(cov[None], n_components, axis=0)
    if covariance_type == "diag":
        return np.array([np.diag(c) for c in cov])
    return np.array([c * np.eye(n_features) for c in cov])


def _precision_cholesky(cov, covariance_type):
    return MODELS[covariance_type].precision_cholesky(cov)


def _engine(X, covariance_type, chunk, n_threads, **kw):
    return Engine(X, MODELS[covariance_type], 1e-6, chunk, np.float64, n_threads, **kw)


def _log_prob(X, means, prec_chol, covariance_type):
    """Log-densities through the model's chunk methods."""
    model = MODELS[covariance_type]
    prepared = model.prepare(means, prec_chol, X.dtype)
    const = model.log_const(prec_chol, *means.shape)
    return const - 0.5 * model.sq_mahalanobis(augment(X), prepared)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_suffstat_centred(data, covariance_type):
    """Statistics centred at arbitrary centres equal the direct sums."""
    X, resp, means, _ = data
    centers = means + 0.3
    model = MODELS[covariance_type]
    nk_raw, sx, m2 = model.finish(model.statistics(augment(X), resp, centers), centers)
    np.testing.assert_allclose(nk_raw, resp.sum(axis=0), rtol=1e-12)
    direct_sx = np.array([resp[:, k] @ (X - centers[k]) for k in range(3)])
    np.testing.assert_allclose(sx, direct_sx, rtol=1e-10, atol=1e-10)
    outer = np.array(
        [
            (resp[:, k, None] * (X - centers[k])).T @ (X - centers[k])
            for k in range(N_COMPONENTS)
        ]
    )
    expected = {
        "full": outer,
        "tied": outer.sum(axis=0),
        "diag": np.diagonal(outer, axis1=1, axis2=2),
        "spherical": np.diagonal(outer, axis1=1, axis2=2),
    }[covariance_type]
    np.testing.assert_allclose(m2, expected, rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_m_step_matches_naive(data, covariance_type):
    """Chunked, shifted M-step == naive centred M-step (several chunk sizes)."""
    X, resp, _, _ = data
    nk_n, means_n, cov_n = _naive_covariances(X, resp, covariance_type, 1e-6)
    for chunk in (7, 64, None):
        engine = _engine(X, covariance_type, chunk, 1)
        nk, means, cov = engine.parameters_from_resp(resp)
        np.testing.assert_allclose(nk, nk_n, rtol=1e-12)
        np.testing.assert_allclose(means + engine.shift, means_n, rtol=1e-10)
        np.testing.assert_allclose(cov, cov_n, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_prob_matches_scipy(data, covariance_type):
    X, resp, _, _ = data
    _, means, cov = _naive_covariances(X, resp, covariance_type, 1e-6)
    prec_chol = _precision_cholesky(cov, covariance_type)
    log_prob = _log_prob(X, means, prec_chol, covariance_type)
    full = _to_full(cov, covariance_type, N_COMPONENTS, N_FEATURES)
    expected = np.column_stack(
        [multivariate_normal(means[k], full[k]).logpdf(X) for k in range(3)]
    )
    np.testing.assert_allclose(log_prob, expected, rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_precision_cholesky(data, covariance_type):
    X, resp, _, _ = data
    _, _, cov = _naive_covariances(X, resp, covariance_type, 1e-6)
    prec_chol = _precision_cholesky(cov, covariance_type)
    full_cov = _to_full(cov, covariance_type, N_COMPONENTS, N_FEATURES)
    full_pc = {
        "full": prec_chol,
        "tied": np.repeat(prec_chol[None], 3, axis=0),
        "diag": np.array([np.diag(p) for p in np.atleast_2d(prec_chol)]),
        "spherical": np.array([p * np.eye(N_FEATURES) for p in prec_chol]),
    }[covariance_type]
    for c, p in zip(full_cov, full_pc, strict=True):
        np.testing.assert_allclose(p @ p.T, np.linalg.inv(c), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(p, np.triu(p))


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_e_step_and_stats_pass(data, covariance_type):
    """The fused pass: log-likelihood and statistics vs direct formulas."""
    X, resp, _, _ = data
    _, means, cov = _naive_covariances(X, resp, covariance_type, 1e-6)
    weights = np.array([0.2, 0.5, 0.3])
    engine = _engine(X, covariance_type, 50, 1)
    params = engine.make_params(weights, means - engine.shift, cov)
    total, stats = engine.e_step_stats(params)
    full = _to_full(cov, covariance_type, N_COMPONENTS, N_FEATURES)
    dens = np.column_stack(
        [weights[k] * multivariate_normal(means[k], full[k]).pdf(X) for k in range(3)]
    )
    np.testing.assert_allclose(total, np.log(dens.sum(axis=1)).sum(), rtol=1e-12)
    gamma = dens / dens.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(stats[0], gamma.sum(axis=0), rtol=1e-10)
    # the M-step on these statistics == naive M-step on gamma
    nk, new_means, new_cov = engine.m_step(stats, params.means)
    _, means_n, cov_n = _naive_covariances(X, gamma, covariance_type, 1e-6)
    np.testing.assert_allclose(new_means + engine.shift, means_n, rtol=1e-9)
    np.testing.assert_allclose(new_cov, cov_n, rtol=1e-9)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_numba_kernel_matches_numpy(data, covariance_type):
    """Every type at small d runs the numba kernel (per-component full factors,
    full moments reduced to the type's); it equals the type's GEMM path, in
    the E-step's statistics and in the log-probabilities."""
    X, resp, _, _ = data
    _, means, cov = _naive_covariances(X, resp, covariance_type, 1e-6)
    engine = _engine(X, covariance_type, 64, 2)
    params = engine.make_params(np.full(3, 1 / 3), means - engine.shift, cov)
    engine.numpy_max_work = 0  # the kernel even for a tiny pass
    assert engine.use_numba(params)
    total_nb, stats_nb = engine.e_step_stats(params)
    wlp_nb = engine.weighted_log_prob(params, slice(0, 50))
    engine.numba_max_features = 0  # forces the numpy path
    assert not engine.use_numba(params)
    total_np, stats_np = engine.e_step_stats(params)
    wlp_np = engine.weighted_log_prob(params, slice(0, 50))
    np.testing.assert_allclose(total_nb, total_np, rtol=1e-13)
    np.testing.assert_allclose(wlp_nb, wlp_np, rtol=1e-12)
    for a, b in zip(stats_nb, stats_np, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_log_resp_rows():
    rng = np.random.default_rng(1)
    a = rng.normal(scale=300, size=(50, 4))
    lse, resp = log_resp_rows(a.copy())
    from scipy.special import logsumexp

    np.testing.assert_allclose(lse, logsumexp(a, axis=1), rtol=1e-14)
    np.testing.assert_allclose(resp, np.exp(a - lse[:, None]), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_log_likelihood_never_decreases(data, covariance_type):
    X = data[0]
    gm = GaussianMixture(
        4,
        covariance_type=covariance_type,
        max_iter=40,
        tol=0,
        random_state=0,
        init_params="random",
    )
    with pytest.warns(Warning):
        gm.fit(X)
    lb = np.array(gm.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:]))
