"""UMAP settings the figures can draw: at least 2 dimensions, the first two drawn.

``umap.n_components: 1`` used to pass the config and crash ``plot_fit`` with a
traceback; it is now refused by the config schema and by ``umap_embed`` (see
tests/pipeline/test_config.py). With 3 or more dimensions the mixtures are fitted in
all of them and the figures draw the first two coordinates: the points, and
each component's exact marginal there (mean[:2], covariance[:2, :2]).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import EllipseCollection  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from emgmm import InputError
from emgmm._covariance import MODELS  # noqa: E402
from emgmm.pipeline import plots  # noqa: E402
from emgmm.pipeline.embed import umap_embed  # noqa: E402
from emgmm.pipeline.fitting import fit_mixture  # noqa: E402


def test_one_dimension_is_refused_before_umap_runs():
    with pytest.raises(InputError, match="n_components must be >= 2, got 1"):
        umap_embed(np.random.default_rng(0).normal(size=(50, 4)), n_components=1)


@pytest.mark.parametrize("cov", ["full", "tied", "diag", "spherical"])
def test_figures_draw_the_first_two_of_three_dimensions(cov):
    Y, _ = make_blobs(300, 3, centers=3, random_state=0)
    fits = {
        name: fit_mixture(
            Y, implementation=name, n_components=3, covariance_type=cov
        ).arrays
        for name in ("emgmm", "sklearn")
    }
    fig = plots.plot_ellipses(Y, fits, cov, n_std=2.0)
    collections = [
        c for c in fig.axes[0].collections if isinstance(c, EllipseCollection)
    ]
    assert len(collections) == 2  # emgmm's and sklearn's, 3 ellipses each
    ours = collections[0]
    np.testing.assert_allclose(ours.get_offsets(), fits["emgmm"]["means"][:, :2])
    full = MODELS[cov].per_component(fits["emgmm"]["covariances"], 3, 3)
    for k in range(3):
        vals, vecs = np.linalg.eigh(full[k][:2, :2])
        # width along the major axis, at its angle (degrees, modulo 180)
        np.testing.assert_allclose(
            [ours.get_widths()[k], ours.get_heights()[k]],
            4.0 * np.sqrt(vals[::-1]),
        )
        major = np.degrees(np.arctan2(vecs[1, -1], vecs[0, -1]))
        turn = (ours.get_angles()[k] - major) % 180
        assert min(turn, 180 - turn) < 1e-6
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
        "emgmm",
        "sklearn",
    ]
    labels = plots.plot_labelings(Y, {"emgmm": fits["emgmm"]["labels"]})
    offsets = labels.axes[0].collections[0].get_offsets()
    np.testing.assert_array_equal(np.asarray(offsets), Y[:, :2])
    plots.plot_uncertainty(Y, fits["emgmm"]["max_resp"], "uncertainty")
    for f in (fig, labels):
        plots.plt.close(f)


def test_the_axes_hold_an_ellipse_wider_than_the_data():
    # one broad component (sd 10 along x) over points within about 3 of 0:
    # the limits follow the 2-sigma ellipse, not only its centre
    Y = np.random.default_rng(0).normal(size=(200, 2))
    fit = {"means": np.zeros((1, 2)), "covariances": np.diag([100.0, 1.0])[None]}
    fig = plots.plot_ellipses(Y, {"emgmm": fit}, "full", n_std=2.0)
    (x0, x1), (y0, y1) = fig.axes[0].get_xlim(), fig.axes[0].get_ylim()
    assert x0 <= -20 and x1 >= 20 and y0 <= -2 and y1 >= 2
