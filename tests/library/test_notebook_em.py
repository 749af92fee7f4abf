"""The notebook API ``GaussianMixtureEM`` and its equality with GaussianMixture."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal
from sklearn.datasets import load_digits, make_blobs
from sklearn.decomposition import PCA
from threadpoolctl import threadpool_limits

from emgmm import GaussianMixture, GaussianMixtureEM, InputError


@pytest.fixture(autouse=True)
def _one_thread():
    with threadpool_limits(1):
        yield


@pytest.fixture(scope="module")
def X2d():
    return PCA(2, random_state=0).fit_transform(load_digits().data[:600])


def _reference(X, K, n, tol, reg, seed, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GaussianMixture(
            n_components=K,
            max_iter=n,
            tol=tol or 0,
            reg_covar=reg,
            random_state=seed,
            **kw,
        ).fit(X)


def test_notebook_usage(X2d):
    """The notebook's cells, verbatim in spirit."""
    model = GaussianMixtureEM(K=4, num_iterations=50, allow_singular=False)
    results = model.fit_fast(pd.DataFrame(X2d, columns=["UMAP1", "UMAP2"]))
    pis_dict = results["pis_dict"]
    iterations = [key for key in pis_dict if key.startswith("Iteration_")]
    assert len(iterations) == 50 == model.num_iterations == results["n_iter"]
    iterations_sorted = sorted(iterations, key=lambda x: int(x.split("_")[1]))
    pi_matrix = np.array(
        [pis_dict["Initial"][0]] + [pis_dict[it][0] for it in iterations_sorted]
    )
    assert pi_matrix.shape == (51, 4)
    np.testing.assert_allclose(pi_matrix.sum(axis=1), 1.0, rtol=1e-12)
    my_pi = results["pis_dict"][f"Iteration_{model.num_iterations - 1}"][0]
    assert my_pi.shape == (4,)
    assert np.array(results["means"]).shape == (4, 2)
    assert np.array(results["cov"]).shape == (4, 2, 2)
    assert results["gamma"].shape == (600, 4)
    np.testing.assert_allclose(results["gamma"].sum(axis=1), 1.0, rtol=1e-12)
    assert len(results["log_likelihood"]) == 50
    assert results["converged"] is False
    assert model.n_iter_ == 50


@pytest.mark.parametrize("tol", [None, 1e-3])
@pytest.mark.parametrize("reg", [0.0, 1e-6])
@pytest.mark.parametrize("seed", [0, 42])
def test_identical_to_gaussian_mixture(X2d, tol, reg, seed):
    n = 40
    model = GaussianMixtureEM(
        4, num_iterations=n, tol=tol, reg_covar=reg, random_state=seed
    )
    res = model.fit_fast(X2d)
    ref = _reference(X2d, 4, n, tol, reg, seed)
    assert res["n_iter"] == model.n_iter_ == ref.n_iter_
    assert res["converged"] == ref.converged_
    np.testing.assert_array_equal(res["means"], ref.means_)
    np.testing.assert_array_equal(res["cov"], ref.covariances_)
    np.testing.assert_array_equal(
        res["pis_dict"][f"Iteration_{res['n_iter'] - 1}"][0], ref.weights_
    )
    weights = np.array(
        [res["pis_dict"]["Initial"][0]]
        + [res["pis_dict"][f"Iteration_{i}"][0] for i in range(res["n_iter"])]
    )
    np.testing.assert_array_equal(weights, ref.history_["weights"])
    # log_likelihood[i] is the total log-likelihood under Iteration_i's
    # parameters; sklearn's lower bound i+1 is its mean, computed next E-step
    ll = np.array(res["log_likelihood"])
    np.testing.assert_allclose(
        ll[:-1], np.array(ref.lower_bounds_[1:]) * len(X2d), rtol=1e-12
    )
    np.testing.assert_allclose(ll[-1], ref.score(X2d) * len(X2d), rtol=1e-12)
    np.testing.assert_allclose(res["gamma"], ref.predict_proba(X2d), atol=1e-13)


def test_log_likelihood_is_direct_sum():
    X, _ = make_blobs(300, n_features=2, centers=3, random_state=1)
    model = GaussianMixtureEM(3, num_iterations=5, random_state=0)
    res = model.fit_fast(X)
    dens = sum(
        model.weights_[k]
        * multivariate_normal(model.means_[k], model.covariances_[k]).pdf(X)
        for k in range(3)
    )
    expected = np.log(dens).sum()
    np.testing.assert_allclose(res["log_likelihood"][-1], expected, rtol=1e-12)
    assert np.all(np.diff(res["log_likelihood"]) >= -1e-9)


def test_tol_stops_early_and_num_iterations_kept():
    X, _ = make_blobs(300, n_features=2, centers=2, random_state=0)
    model = GaussianMixtureEM(2, num_iterations=100, tol=1e-3, random_state=0)
    res = model.fit_fast(X)
    assert res["converged"] and res["n_iter"] < 100
    assert model.num_iterations == 100
    keys = [k for k in res["pis_dict"] if k != "Initial"]
    assert keys == [f"Iteration_{i}" for i in range(res["n_iter"])]
    assert len(res["log_likelihood"]) == res["n_iter"]


@pytest.mark.parametrize("init", ["kmeans", "k-means++", "random", "random_from_data"])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_inits_and_covariance_types(init, covariance_type):
    X, _ = make_blobs(200, n_features=3, centers=3, random_state=4)
    res = GaussianMixtureEM(
        3,
        num_iterations=8,
        init=init,
        random_state=1,
        reg_covar=1e-6,
        covariance_type=covariance_type,
    ).fit(X)
    ref = _reference(
        X, 3, 8, None, 1e-6, 1, init_params=init, covariance_type=covariance_type
    )
    np.testing.assert_array_equal(res["means"], ref.means_)
    np.testing.assert_array_equal(res["cov"], ref.covariances_)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"K": 0}, "K must be an integer >= 1, got 0"),
        ({"num_iterations": 0}, "num_iterations must be an integer >= 1"),
        ({"tol": -1.0}, "tol must be None or a float >= 0"),
        ({"init": "bad"}, "init must be one of"),
        ({"reg_covar": -1}, "reg_covar must be a float >= 0"),
        ({"covariance_type": "x"}, "covariance_type must be one of"),
    ],
)
def test_invalid_settings(kwargs, match):
    X = np.random.default_rng(0).normal(size=(30, 2))
    with pytest.raises(InputError, match=match):
        GaussianMixtureEM(**kwargs).fit_fast(X)


def test_default_random_state_is_fixed(X2d):
    """No random_state: the same numbers whatever numpy's global RNG holds."""
    results = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # noqa: NPY002 - what None used to draw from
        results.append(GaussianMixtureEM(K=4, num_iterations=20).fit_fast(X2d))
    for key in ("means", "cov", "gamma"):
        np.testing.assert_array_equal(results[0][key], results[1][key])
    assert results[0]["log_likelihood"] == results[1]["log_likelihood"]
    fixed = GaussianMixtureEM(K=4, num_iterations=20, random_state=0).fit_fast(X2d)
    np.testing.assert_array_equal(results[0]["means"], fixed["means"])


def test_gaussian_mixture_keeps_sklearn_none_semantics(X2d):
    """GaussianMixture(random_state=None) draws fresh randomness, as sklearn."""
    means = []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # noqa: NPY002
        gm = GaussianMixture(4, init_params="random", max_iter=0).fit(X2d)
        means.append(gm.means_)
    assert not np.array_equal(means[0], means[1])


def _run_notebook_file(X_umap, workdir, global_seed):
    import io
    import os
    import runpy
    from contextlib import redirect_stdout
    from pathlib import Path

    notebook = Path(__file__).parents[1] / "notebook" / "06_em_algorithm_fit_gmm.py"
    (workdir / "Media" / "viz" / "06").mkdir(parents=True, exist_ok=True)
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        np.random.seed(global_seed)  # noqa: NPY002
        out = io.StringIO()
        with redirect_stdout(out):
            runpy.run_path(str(notebook), init_globals={"X_umap": X_umap})
    finally:
        os.chdir(cwd)
        import matplotlib.pyplot as plt

        plt.close("all")
    return out.getvalue()


def test_notebook_file_prints_the_same_text_twice(X2d, tmp_path, monkeypatch):
    """The notebook's cells, run twice unchanged, print the same text."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    first = _run_notebook_file(X2d, tmp_path, global_seed=1)
    second = _run_notebook_file(X2d, tmp_path, global_seed=2)
    assert "Adjusted Rand Index" in first
    assert first == second
