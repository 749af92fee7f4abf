"""UMAP settings the figures can draw: at least 2 dimensions, the first two drawn.

``umap.n_components: 1`` used to pass the config and crash ``plot_fit`` with a
traceback; it is now refused by the config schema and by ``umap_embed`` (see
tests/test_config.py). With 3 or more dimensions the mixtures are fitted in
all of them and the figures draw the first two coordinates: the points, and
each component's exact marginal there (mean[:2], covariance[:2, :2]).
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Ellipse  # noqa: E402
from sklearn.datasets import make_blobs  # noqa: E402

from emgmm import InputError, plots  # noqa: E402
from emgmm._covariance import MODELS  # noqa: E402
from emgmm.embed import umap_embed  # noqa: E402
from emgmm.fitting import fit_mixture  # noqa: E402


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
    ellipses = [p for p in fig.axes[0].patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 6
    full = MODELS[cov].per_component(fits["emgmm"]["covariances"], 3, 3)
    for k, ellipse in enumerate(ellipses[:3]):
        np.testing.assert_allclose(ellipse.center, fits["emgmm"]["means"][k, :2])
        vals = np.linalg.eigvalsh(full[k][:2, :2])
        np.testing.assert_allclose(
            sorted([ellipse.width, ellipse.height]), 4.0 * np.sqrt(vals)
        )
    labels = plots.plot_labelings(Y, {"emgmm": fits["emgmm"]["labels"]})
    offsets = labels.axes[0].collections[0].get_offsets()
    np.testing.assert_array_equal(np.asarray(offsets), Y[:, :2])
    plots.plot_uncertainty(Y, fits["emgmm"]["max_resp"], "uncertainty")
    for f in (fig, labels):
        plots.plt.close(f)
