"""The notebook's comparison on digits and blobs, and exact agreement at convergence."""

import io
import re
import runpy
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from emgmm import GaussianMixture
from emgmm.pipeline.compare import match_components
from emgmm.pipeline.fitting import fit_mixture

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).parents[1] / "notebook" / "06_em_algorithm_fit_gmm.py"


def run_notebook(X_umap, workdir, monkeypatch, seed=0):
    """Run the notebook's cells on ``X_umap``; return what it printed and its names."""
    (workdir / "Media" / "viz" / "06").mkdir(parents=True)
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    np.random.seed(seed)  # noqa: NPY002 - the notebook uses numpy's global RNG
    out = io.StringIO()
    with redirect_stdout(out):
        names = runpy.run_path(str(NOTEBOOK), init_globals={"X_umap": X_umap})
    return out.getvalue(), names


def printed(pattern, text):
    return [float(x) for x in re.findall(pattern, text)]


def test_notebook_on_separated_blobs_prints_a_perfect_match(tmp_path, monkeypatch):
    X, _ = make_blobs(
        1000,
        2,
        centers=[[-10, -10], [-10, 10], [10, -10], [10, 10]],
        cluster_std=1.0,
        random_state=0,
    )
    text, _ = run_notebook(X, tmp_path, monkeypatch)
    distances = printed(r"Distance: (\d+\.\d+)", text)
    assert distances == [0.0] * 4
    weights = re.findall(r"mine=(\d\.\d{4}) \| sklearn=(\d\.\d{4})", text)
    assert len(weights) == 4 and all(a == b for a, b in weights)
    assert "Adjusted Rand Index: 1.0000" in text
    assert (tmp_path / "Media/viz/06/06_em_convergence_plot.png").exists()


def test_notebook_on_digits_prints_what_is_true(
    digits_embedding, tmp_path, monkeypatch
):
    X, _ = digits_embedding
    text, names = run_notebook(X, tmp_path, monkeypatch, seed=0)
    # Our fit is the engine's fit with the notebook's settings.
    np.random.seed(0)  # noqa: NPY002 - replay the same global RNG
    ref = GaussianMixture(4, max_iter=50, tol=0.0, reg_covar=0.0).fit(X)
    np.testing.assert_allclose(names["results"]["means"], ref.means_, rtol=1e-10)
    # sklearn's default fit, made independently.
    sk = SkGaussianMixture(n_components=4, random_state=42).fit(X)
    greedy = np.argmin(
        np.linalg.norm(ref.means_[:, None] - sk.means_[None], axis=2), axis=1
    )
    expected = [
        np.linalg.norm(ref.means_[i] - sk.means_[j]) for i, j in enumerate(greedy)
    ]
    np.testing.assert_allclose(
        printed(r"Distance: (\d+\.\d+)", text), expected, atol=5e-5
    )
    ari = adjusted_rand_score(ref.predict(X), sk.predict(X))
    assert f"Adjusted Rand Index: {ari:.4f}" in text


def test_converged_fits_agree_exactly_on_digits(digits_embedding):
    X, _ = digits_embedding
    kw = dict(n_components=4, random_state=42, tol=1e-10, max_iter=2000)
    ours = fit_mixture(X, implementation="emgmm", **kw)
    theirs = fit_mixture(X, implementation="sklearn", **kw)
    assert ours.record["converged"] and theirs.record["converged"]
    table, one_to_one = match_components(ours.arrays, theirs.arrays)
    assert one_to_one
    assert table["mean_distance"].max() < 1e-6
    np.testing.assert_array_equal(
        np.round(table["weight"], 4), np.round(table["sklearn_weight"], 4)
    )
    assert adjusted_rand_score(ours.arrays["labels"], theirs.arrays["labels"]) == 1.0


def test_sklearn_defaults_stop_early_on_digits_and_the_record_says_so(
    digits_embedding,
):
    X, _ = digits_embedding
    kw = dict(n_components=4, random_state=42)
    ours = fit_mixture(X, implementation="emgmm", max_iter=50, tol=0.0, **kw)
    theirs = fit_mixture(X, implementation="sklearn", **kw)
    assert theirs.record["n_iter"] < ours.record["n_iter"] == 50
    assert ours.record["log_likelihood"] >= theirs.record["log_likelihood"]
