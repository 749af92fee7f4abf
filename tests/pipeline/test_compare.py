"""Matching, agreement scores and information criteria."""

import itertools

import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

from emgmm import EmgmmError, InputError
from emgmm.criteria import information_criteria, n_parameters
from emgmm.pipeline.compare import (
    labels_confusion,
    match_components,
    pairwise_ari,
    relabel,
)
from emgmm.pipeline.fitting import fit_mixture


def fit(means, weights, cov=None):
    means = np.asarray(means, dtype=float)
    k, d = means.shape
    cov = np.stack([np.eye(d)] * k) if cov is None else cov
    return {"means": means, "weights": np.asarray(weights), "covariances": cov}


def test_hungarian_matching_recovers_a_permutation():
    rng = np.random.default_rng(0)
    means = rng.normal(scale=10, size=(5, 3))
    perm = np.array([3, 0, 4, 1, 2])
    w = rng.dirichlet(np.ones(5))
    ours, theirs = fit(means, w), fit(means[perm], w[perm])
    table, one_to_one = match_components(ours, theirs)
    assert one_to_one
    # our component i is their component j where perm[j] == i
    np.testing.assert_array_equal(table["sklearn_component"], np.argsort(perm))
    np.testing.assert_allclose(table["mean_distance"], 0.0)
    np.testing.assert_allclose(table["weight_difference"], 0.0)


def test_greedy_matching_is_flagged_when_not_one_to_one():
    # Two of our means are nearest to the same one of theirs.
    ours = fit([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]], [0.3, 0.3, 0.4])
    theirs = fit([[0.4, 0.0], [5.0, 5.0], [10.0, 0.0]], [0.3, 0.3, 0.4])
    table, one_to_one = match_components(ours, theirs)
    assert not one_to_one
    assert table["greedy_component"].tolist() == [0, 0, 2]
    assert sorted(table["sklearn_component"]) == [0, 1, 2]
    # Hungarian gives the smallest total distance of all one-to-one pairings.
    dist = cdist(ours["means"], theirs["means"])
    best = min(dist[range(3), p].sum() for p in itertools.permutations(range(3)))
    assert table["mean_distance"].sum() == pytest.approx(best)


@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_matching_handles_every_covariance_type(cov):
    X, _ = make_blobs(300, 3, centers=3, random_state=2)
    a = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    b = GaussianMixture(3, covariance_type=cov, random_state=1).fit(X)
    table, _ = match_components(
        {"means": a.means_, "weights": a.weights_, "covariances": a.covariances_},
        {"means": b.means_, "weights": b.weights_, "covariances": b.covariances_},
        cov,
    )
    shared = a.covariances_ if cov == "tied" else None
    for row in table.itertuples():
        ca = shared if cov == "tied" else a.covariances_[row.component]
        cb = b.covariances_ if cov == "tied" else b.covariances_[row.sklearn_component]
        assert row.max_covariance_difference == pytest.approx(np.abs(ca - cb).max())


def test_relabel_maps_labels_through_the_matching():
    ours = fit([[0, 0], [5, 5]], [0.5, 0.5])
    theirs = fit([[5, 5], [0, 0]], [0.5, 0.5])
    table, _ = match_components(ours, theirs)
    np.testing.assert_array_equal(relabel(np.array([0, 1, 1, 0]), table), [1, 0, 0, 1])


def test_pairwise_ari_and_confusion():
    a = np.array([0, 0, 1, 1, 2, 2])
    b = np.array([1, 1, 0, 0, 2, 2])
    c = np.array([0, 1, 0, 1, 0, 1])
    ari = pairwise_ari([a, b, c])
    assert ari[0, 1] == 1.0 and ari[0, 2] < 0.2 and np.allclose(ari, ari.T)
    cm = labels_confusion(a, b)
    assert cm.loc[0, 1] == 2 and cm.to_numpy().sum() == 6


@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_criteria_agree_with_sklearn(cov):
    X, _ = make_blobs(300, 3, centers=3, random_state=1)
    gm = GaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
    assert n_parameters(cov, 3, 3) == gm._n_parameters()
    ll = gm.score(X) * len(X)
    crit = information_criteria(ll, gm._n_parameters(), gm.predict_proba(X))
    assert crit["bic"] == pytest.approx(gm.bic(X))
    assert crit["aic"] == pytest.approx(gm.aic(X))
    resp = gm.predict_proba(X)
    entropy = -np.sum(resp * np.log(np.clip(resp, 1e-300, None)))
    assert crit["icl"] == pytest.approx(gm.bic(X) + 2 * entropy)


def test_fit_records_stop_where_told():
    X, _ = make_blobs(500, 2, centers=4, cluster_std=2.0, random_state=3)
    kw = dict(n_components=4, random_state=0, reg_covar=1e-6)
    short = fit_mixture(X, implementation="sklearn", max_iter=2, tol=0.0, **kw)
    long = fit_mixture(X, implementation="emgmm", max_iter=300, tol=1e-10, **kw)
    assert short.record["n_iter"] == 2 and not short.record["converged"]
    assert long.record["converged"]
    assert long.record["log_likelihood"] > short.record["log_likelihood"]
    # The final state is stored whole, so that a fit can be continued.
    np.testing.assert_allclose(
        short.arrays["precisions"] @ short.arrays["covariances"],
        np.broadcast_to(np.eye(2), (4, 2, 2)),
        atol=1e-10,
    )


def test_max_rows_fits_a_seeded_sample_and_scores_every_row():
    from sklearn.mixture import GaussianMixture

    from emgmm.pipeline.explain import stopping

    X, _ = make_blobs(5000, 2, centers=3, random_state=4)
    kw = dict(implementation="sklearn", n_components=3, random_state=7)
    sampled = fit_mixture(X, max_rows=1000, **kw)
    rows = np.sort(np.random.default_rng(7).choice(5000, size=1000, replace=False))
    direct = GaussianMixture(3, random_state=7).fit(X[rows])
    np.testing.assert_array_equal(sampled.arrays["means"], direct.means_)
    assert sampled.record["fit_rows"] == 1000 and sampled.record["n_samples"] == 5000
    assert sampled.arrays["labels"].shape == (5000,)
    assert sampled.record["log_likelihood"] == pytest.approx(direct.score(X) * 5000)
    assert stopping(sampled.record).endswith(
        ", on a seeded sample of 1,000 of 5,000 rows"
    )
    whole = fit_mixture(X, max_rows=5000, **kw)
    assert whole.record["fit_rows"] == 5000
    assert "sample" not in stopping(whole.record)


@pytest.mark.parametrize("implementation", ["emgmm", "sklearn"])
def test_collapsed_component_is_a_one_line_user_error(implementation):
    # Three distinct points, each repeated: with K=3 and no regularisation
    # every component collapses onto one point.
    X = np.repeat([[0.0, 0.0], [5.0, 5.0], [10.0, 0.0]], 20, axis=0)
    with pytest.raises(
        InputError if implementation == "sklearn" else ValueError
    ) as err:
        fit_mixture(X, implementation=implementation, n_components=3, reg_covar=0.0)
    assert isinstance(err.value, EmgmmError)
    assert "ill-defined empirical covariance" in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("n_components", [4, 20, 21, 65])
def test_convergence_figure_has_a_legend_up_to_twenty_components(n_components):
    from emgmm.pipeline import plots

    weights = np.random.default_rng(0).dirichlet(np.ones(n_components), size=12)
    fig = plots.plot_mixing_convergence(weights)
    ax = fig.axes[0]
    assert len(ax.lines) == n_components
    if n_components <= 20:
        assert len(ax.get_legend().get_texts()) == n_components
    else:
        assert ax.get_legend() is None
        assert f"{n_components} components: no legend above 20" in ax.get_title()
    plots.plt.close(fig)


def test_a_saved_figure_is_drawn_once_with_the_same_bytes(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from emgmm.pipeline import plots

    weights = np.random.default_rng(0).dirichlet(np.ones(4), size=12)
    plain = tmp_path / "plain.png"
    plots.plot_mixing_convergence(weights).savefig(
        plain, dpi=110, metadata={"Software": None}
    )
    draws = []
    draw = Figure.draw
    monkeypatch.setattr(Figure, "draw", lambda fig, r: draws.append(1) or draw(fig, r))
    plots.save_figure(plots.plot_mixing_convergence(weights), tmp_path / "saved.png")
    # tight_layout's placeholder engine made savefig draw twice (a dry run)
    assert len(draws) == 1
    assert (tmp_path / "saved.png").read_bytes() == plain.read_bytes()


def test_confusion_heatmap_labels_and_annotates_each_cell():
    import pandas as pd

    from emgmm.pipeline import plots

    small = pd.DataFrame([[5, 0], [1, 40], [0, 2]], index=[0, 1, 3], columns=[7, 9])
    large = pd.DataFrame(np.arange(32 * 32).reshape(32, 32))
    fig = plots.plot_confusion(
        {"small": (small, "rows", "cols"), "large": (large, "r", "c")}
    )
    ax, ax_large = fig.axes
    bottom, top = ax.get_ylim()
    assert (bottom, top) == (3, 0)  # first row on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["7", "9"]
    assert list(ax.get_xticks()) == [0.5, 1.5]
    cells = {(t.get_position(), t.get_text(), t.get_color()) for t in ax.texts}
    assert ((1.5, 1.5), "40", "white") in cells  # the darkest cell
    assert ((0.5, 0.5), "5", "black") in cells
    assert len(cells) == small.size
    # 1024 cells: no numbers; every second label of 32
    assert not ax_large.texts
    assert [t.get_text() for t in ax_large.get_yticklabels()][:3] == ["0", "2", "4"]
    assert len(ax_large.get_xticklabels()) == 16
    plots.plt.close(fig)


def test_the_log_likelihood_legend_says_how_each_fit_stopped():
    """Before: 'not converged' for a fit that ran its 50 iterations with tol=0."""
    from emgmm.pipeline import plots
    from emgmm.pipeline.explain import stopping

    trace = np.linspace(-3.0, -2.0, 50)
    records = {
        "emgmm": {"tol": 0.0, "converged": False, "n_iter": 50, "max_iter": 50},
        "sklearn": {"tol": 1e-3, "converged": True, "n_iter": 12, "max_iter": 100},
    }
    fig = plots.plot_log_likelihood(
        {name: (trace[: rec["n_iter"]], stopping(rec)) for name, rec in records.items()}
    )
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert texts[0].startswith("emgmm: ran all 50 iterations (tol=0: no stopping rule)")
    assert texts[1].startswith("sklearn: met tol=0.001 after 12 iterations")
    assert not any("not converged" in t for t in texts)


def test_large_data_is_drawn_as_a_density_with_the_scatter_colours(monkeypatch):
    """Above plots._DENSITY points a figure is a 2-D histogram image: each cell
    the colour the scatter plot gives its most frequent label."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PathCollection
    from matplotlib.image import AxesImage

    from emgmm.pipeline import plots

    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = rng.integers(0, 3, size=6000)
    Y = centres[labels] + rng.normal(size=(6000, 2))
    monkeypatch.setattr(plots, "_DENSITY", 5000)
    monkeypatch.setattr(plots, "_DENSITY_BINS", 40)  # ~4 points a cell
    fig = plots.plot_labelings(Y, {"a": labels})
    ax = fig.axes[0]
    assert not [c for c in ax.collections if isinstance(c, PathCollection)]
    (image,) = [i for i in ax.get_children() if isinstance(i, AxesImage)]
    rgba = image.get_array()
    cm, norm = plt.get_cmap("tab10"), plt.Normalize(0, 2)
    for k, centre in enumerate(centres):  # the cell at each centre
        x0, x1, y0, y1 = image.get_extent()
        col = int((centre[0] - x0) / (x1 - x0) * rgba.shape[1])
        row = int((centre[1] - y0) / (y1 - y0) * rgba.shape[0])
        np.testing.assert_allclose(rgba[row, col, :3], cm(norm(k))[:3])
        assert rgba[row, col, 3] > 0.5  # dense: nearly opaque
    assert rgba[..., 3].min() == 0  # empty cells are transparent
    plt.close(fig)
    # the same figures below the threshold are scatter plots
    monkeypatch.setattr(plots, "_DENSITY", 10_000)
    fig = plots.plot_uncertainty(Y, rng.uniform(0.5, 1, 6000), "u")
    assert [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    plt.close(fig)
    monkeypatch.setattr(plots, "_DENSITY", 5000)
    for fig in (
        plots.plot_uncertainty(Y, rng.uniform(0.5, 1, 6000), "u"),
        plots.plot_ellipses(
            Y,
            {"f": {"means": centres, "covariances": np.stack([np.eye(2)] * 3)}},
            "full",
        ),
    ):
        images = [i for i in fig.axes[0].get_children() if isinstance(i, AxesImage)]
        assert len(images) == 1
        plt.close(fig)
