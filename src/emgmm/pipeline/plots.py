"""Figures of fits and comparisons (matplotlib, Agg backend, PNG).

Each ``plot_*`` function returns a :class:`~matplotlib.figure.Figure`;
:func:`save_figure` writes it atomically and closes it. Scatter plots switch
to small rasterized markers for large data, so no figure holds a million
vector points, and above a million points to a 2-D histogram image (the most
frequent label, the mean value or the count per cell), drawn in time linear
in the points and readable at 1e8.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import EllipseCollection  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from ..covariance import full_matrices  # noqa: E402
from .io import atomic_path  # noqa: E402

__all__ = [
    "plot_confusion",
    "plot_ellipses",
    "plot_labelings",
    "plot_log_likelihood",
    "plot_mclust_bic",
    "plot_mixing_convergence",
    "plot_model_selection",
    "plot_stability_summary",
    "plot_uncertainty",
    "save_figure",
]

_LARGE = 20_000
# above this many points a scatter plot becomes a 2-D histogram image
# (_density): a rasterized scatter of 1e7 points took minutes, and at 1e8
# points it shows only ink
_DENSITY = 1_000_000
_DENSITY_BINS = 400
# most entries of a figure's legend (more components: no legend)
_MAX_LEGEND = 20
# most tick labels on an axis of a heatmap
_MAX_TICK_LABELS = 20


def save_figure(fig, path, dpi=110):
    """Save ``fig`` to ``path`` atomically (PNG without a timestamp) and close it.

    The figure is drawn once. ``Figure.tight_layout`` leaves a placeholder
    layout engine behind, and ``savefig`` makes an extra dry-run draw for any
    engine; the layout is already done, so the placeholder is dropped first
    (the same PNG bytes; the four figures of a K = 65 fit saved in 0.41
    instead of 0.54 s).
    """
    if isinstance(fig.get_layout_engine(), PlaceHolderLayoutEngine):
        fig.set_layout_engine(None)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, metadata={"Software": None})
    plt.close(fig)


def _scatter(ax, Y, **kwargs):
    n = len(Y)
    size = 12 if n <= 2_000 else (4 if n <= _LARGE else 0.5)
    kwargs.setdefault("s", size)
    kwargs.setdefault("linewidths", 0)
    return ax.scatter(Y[:, 0], Y[:, 1], rasterized=n > _LARGE, **kwargs)


def _bins(Y, bins):
    """Each point's cell of a ``bins`` x ``bins`` grid over the data's range,
    as one index (row-major, y first), and the grid's extent."""
    lo, hi = Y[:, :2].min(axis=0), Y[:, :2].max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    cell = np.minimum((bins * (Y[:, :2] - lo) / span).astype(np.int64), bins - 1)
    extent = (lo[0], lo[0] + span[0], lo[1], lo[1] + span[1])
    return cell[:, 1] * bins + cell[:, 0], extent


def _density(ax, Y, labels=None, values=None, cmap="Greys", vmin=None, vmax=None):
    """Points as a 2-D histogram image: what a scatter plot of more than
    ``_DENSITY`` points shows, in time and memory linear in the points.

    Each cell of a ``_DENSITY_BINS``-square grid shows the most frequent of
    ``labels`` in it (its colour under ``cmap``), or the mean of ``values``,
    or (neither) the count; a cell's opacity grows with the log of its count,
    so dense and sparse regions stay apart.  Returns the image.
    """
    bins = _DENSITY_BINS
    index, extent = _bins(Y, bins)
    counts = np.bincount(index, minlength=bins * bins).astype(np.float64)
    alpha = np.log1p(counts) / np.log1p(counts.max())
    cm = plt.get_cmap(cmap)
    if labels is not None:
        labels = np.asarray(labels, dtype=np.int64)
        n_labels = int(labels.max()) + 1
        per_label = np.bincount(
            index * n_labels + labels, minlength=bins * bins * n_labels
        )
        top = per_label.reshape(bins * bins, n_labels).argmax(axis=1)
        # the colours a scatter plot gives the same labels
        rgba = cm(plt.Normalize(labels.min(), labels.max())(top))
    elif values is not None:
        sums = np.bincount(index, weights=values, minlength=bins * bins)
        mean = sums / np.where(counts > 0, counts, 1.0)
        lo = np.min(values) if vmin is None else vmin
        hi = np.max(values) if vmax is None else vmax
        rgba = cm((mean - lo) / ((hi - lo) or 1.0))
    else:
        rgba = cm(0.25 + 0.75 * alpha)
    rgba[:, 3] = np.where(counts > 0, 0.15 + 0.85 * alpha, 0.0)
    image = ax.imshow(
        rgba.reshape(bins, bins, 4),
        extent=extent,
        origin="lower",
        aspect="auto",
        interpolation="nearest",
    )
    if values is not None:  # a colour bar of the values, not of the RGBA image
        image = plt.cm.ScalarMappable(norm=plt.Normalize(lo, hi), cmap=cm)
    return image


def _points(ax, Y, labels=None, values=None, cmap=None, vmin=None, vmax=None):
    """A scatter plot of ``Y``'s first two columns, or above ``_DENSITY``
    points their density (:func:`_density`)."""
    if len(Y) > _DENSITY:
        return _density(ax, Y, labels, values, cmap or "Greys", vmin, vmax)
    if labels is not None:
        return _scatter(ax, Y, c=labels, cmap=cmap)
    if values is not None:
        return _scatter(ax, Y, c=values, cmap=cmap, vmin=vmin, vmax=vmax)
    return _scatter(ax, Y, color="0.75")


def plot_mixing_convergence(history_weights, title="Convergence of mixing proportions"):
    """The notebook's plot: each mixing proportion against the iteration.

    ``history_weights`` has one row per iteration, row 0 the initialisation.
    """
    w = np.asarray(history_weights)
    n_components = w.shape[1]
    fig, ax = plt.subplots(figsize=(8, 5))
    for k in range(n_components):
        ax.plot(np.arange(len(w)), w[:, k], label=f"pi {k}")
    if n_components <= _MAX_LEGEND:
        ax.legend(ncol=max(1, n_components // 8))
    else:
        # a legend of 65 lines was unreadable and a third of the job's time
        title = f"{title}\n({n_components} components: no legend above {_MAX_LEGEND})"
    ax.set(title=title, xlabel="Iteration (0 = initialisation)", ylabel="pi value")
    fig.tight_layout()
    return fig


def plot_log_likelihood(traces):
    """Mean log-likelihood per iteration for each fit, marking where each stopped.

    Parameters
    ----------
    traces : dict
        ``name -> (lower_bounds, stopping)``; ``lower_bounds[i]`` is the mean
        log-likelihood evaluated in iteration ``i + 1`` (scikit-learn's
        ``lower_bounds_``), ``stopping`` says how the fit stopped
        (:func:`emgmm.pipeline.explain.stopping`).
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    final = max(tr[-1] for tr, _ in traces.values())
    for (name, (trace, how)), style in zip(
        traces.items(), ["-", "--", ":"], strict=False
    ):
        it = np.arange(1, len(trace) + 1)
        label = f"{name}: {how}; final {trace[-1]:.6f}"
        axes[0].plot(it, trace, style, marker=".", label=label)
        gap = np.maximum(final - np.asarray(trace), 1e-16)
        axes[1].semilogy(it, gap, style, marker=".", label=name)
    # "1e-05", not matplotlib's mathtext 10^-5: parsing those labels was a
    # third of the figure's time
    axes[1].yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    axes[0].set(xlabel="Iteration", ylabel="Mean log-likelihood", title="Trace")
    axes[1].set(
        xlabel="Iteration",
        ylabel="Gap to the best final value",
        title="Distance to the best optimum reached",
    )
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    return fig


def _power_of_ten(value, _pos):
    return f"{value:.0e}"


def plot_labelings(Y, panels, title="Clustering results on the UMAP projection"):
    """Side-by-side scatter plots of labelings with shared colours.

    ``panels`` maps a panel title to labels; the caller makes the label codes
    consistent (e.g. with :func:`emgmm.pipeline.compare.relabel`).
    """
    n = len(panels)
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 5), sharex=True, sharey=True)
    axes = np.atleast_1d(axes)
    for ax, (name, labels) in zip(axes, panels.items(), strict=True):
        _points(ax, Y, labels=labels, cmap="tab10" if labels.max() < 10 else "tab20")
        ax.set_title(name)
        ax.set_xlabel("UMAP 1")
    axes[0].set_ylabel("UMAP 2")
    fig.suptitle(title, fontsize=14)
    fig.tight_layout()
    return fig


def _ellipses(ax, means, covs, n_std, color, ls, label):
    """Draw the ``n_std`` ellipses of ``covs`` (first two features) around
    ``means`` as one collection (one patch per component made the figure 2.6x
    slower at K = 64); return a legend handle for them."""
    centres, covs = means[:, :2], covs[:, :2, :2]
    vals, vecs = np.linalg.eigh(covs)
    angles = np.degrees(np.arctan2(vecs[:, 1, -1], vecs[:, 0, -1]))
    sizes = 2 * n_std * np.sqrt(np.maximum(vals[:, ::-1], 0))
    # the axes' limits hold each ellipse whole, as they did each patch: its
    # half-extent along x and y is n_std times the standard deviation there
    reach = n_std * np.sqrt(np.maximum(np.diagonal(covs, 0, 1, 2), 0))
    ax.update_datalim(np.vstack([centres - reach, centres + reach]))
    ax.add_collection(
        EllipseCollection(
            sizes[:, 0],
            sizes[:, 1],
            angles,
            units="xy",
            offsets=centres,
            offset_transform=ax.transData,
            facecolors="none",
            edgecolors=color,
            linestyles=ls,
            linewidths=1.8,
        )
    )
    # the legend's entry (a collection has none): the ellipse's line, the mean's x
    return Line2D([], [], color=color, ls=ls, lw=1.8, marker="x", ms=8, label=label)


def plot_ellipses(X, fits, covariance_type, n_std=2.0, names=("UMAP 1", "UMAP 2")):
    """Covariance ellipses (``n_std`` standard deviations) of each fit on the data.

    ``fits`` maps a name to a dict with ``means`` and ``covariances``, fitted
    to ``X``; the figure draws the first two coordinates (the Gaussian
    marginals there), named ``names``.
    """
    fig, ax = plt.subplots(figsize=(7, 6))
    _points(ax, X)
    styles = [("C0", "-"), ("C3", "--"), ("C2", ":")]
    handles = []
    for (name, fit), (color, ls) in zip(fits.items(), styles, strict=False):
        means = np.asarray(fit["means"])
        covs = full_matrices(fit["covariances"], covariance_type, *means.shape)
        handles.append(_ellipses(ax, means, covs, n_std, color, ls, name))
        ax.plot(means[:, 0], means[:, 1], "x", color=color, ms=8)
    ax.set(
        xlabel=names[0],
        ylabel=names[1],
        title=f"Component means (x) and {n_std:g}-sigma covariance ellipses",
    )
    ax.legend(handles=handles)
    fig.tight_layout()
    return fig


def plot_model_selection(table, criterion="bic"):
    """Criterion against K, one line per covariance type, best model circled.

    ``table`` has columns ``n_components``, ``covariance_type`` and the
    criterion (averaged over seeds by the caller if needed); lower is better.
    """
    fig, ax = plt.subplots(figsize=(7, 4.5))
    table = table[np.isfinite(table[criterion].to_numpy(dtype=float))]
    # mclust's models beside the emgmm fits (emgmm.pipeline.summarize.MCLUST_START)
    fitted_by = table["fitted_by"] if "fitted_by" in table else [""] * len(table)
    mclust = np.char.startswith(np.asarray(fitted_by, dtype=str), "emgmm.mclust")
    for (is_mclust, cov), sub in table.groupby([mclust, "covariance_type"], sort=True):
        sub = sub.sort_values("n_components")
        ax.plot(
            sub["n_components"],
            sub[criterion],
            marker="o" if not is_mclust else ".",
            ls="--" if is_mclust else "-",
            label=f"{cov} (mclust's start)" if is_mclust else cov,
        )
    best = table.loc[table[criterion].idxmin()]
    ax.plot(
        best["n_components"],
        best[criterion],
        "o",
        ms=16,
        mfc="none",
        mec="k",
        mew=2,
        label=f"best: K={int(best['n_components'])}, {best['covariance_type']}",
    )
    ax.set(
        xlabel="Number of components K",
        ylabel=f"{criterion.upper()} (scikit-learn's sign: lower is better)",
        title=f"Model selection by {criterion.upper()}",
    )
    ks = sorted(table["n_components"].unique())
    ax.set_xticks(ks)
    if len(ks) > 1 and best["n_components"] in (ks[0], ks[-1]):
        ax.text(
            0.02,
            0.02,
            f"best at the edge of the K tried ({ks[0]}-{ks[-1]}): "
            "extend K to see whether the curve turns",
            transform=ax.transAxes,
            fontsize=9,
            color="C3",
        )
    ax.legend()
    fig.tight_layout()
    return fig


def plot_mclust_bic(table, title="BIC of mclust's models"):
    """mclust's BIC plot: BIC against G, one line per model, the best circled.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`emgmm.mclust.bic`: index ``G``, one column per mclust
        model, mclust's sign (``2 log L - p log n``, higher is better), NaN
        where a fit failed (a gap in that model's line).
    title : str, default="BIC of mclust's models"

    Returns
    -------
    matplotlib.figure.Figure
        The axis label states the sign; the legend names the chosen model
        (highest BIC; ties go to the smaller G, then the model listed first,
        as :func:`emgmm.mclust.mclust` chooses).

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"EII": [-10.0, -4.0], "VVV": [-10.0, float("nan")]},
    ...     index=pd.Index([1, 2], name="G"),
    ... )
    >>> fig = plot_mclust_bic(table)
    >>> fig.axes[0].get_legend().get_texts()[-1].get_text()
    'best: EII, G=2 (BIC -4)'
    """
    values = table.to_numpy(dtype=float)
    if not np.isfinite(values).any():
        raise ValueError("table must hold at least one finite BIC, got only NaN")
    fig, ax = plt.subplots(figsize=(8, 5))
    colours = plt.get_cmap("tab20").colors
    markers = "osD^v<>pPX*hH8"
    G = table.index.to_numpy()
    for i, model in enumerate(table.columns):
        ax.plot(
            G,
            table[model].to_numpy(dtype=float),
            marker=markers[i % len(markers)],
            ms=5,
            color=colours[i % len(colours)],
            ls="-" if i % 2 == 0 else "--",
            label=model,
        )
    a, b = np.unravel_index(np.nanargmax(values), values.shape)
    ax.plot(
        G[a],
        values[a, b],
        "o",
        ms=16,
        mfc="none",
        mec="k",
        mew=2,
        label=f"best: {table.columns[b]}, G={G[a]} (BIC {values[a, b]:.6g})",
    )
    ax.set(
        xlabel="Number of components G",
        ylabel="BIC = 2 log L - p log n (mclust's sign: higher is better)",
        title=title,
    )
    ax.set_xticks(G)
    ax.legend(ncol=2, fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_uncertainty(Y, max_resp, title):
    """Classification uncertainty ``1 - max_k r_ik`` of every point on the embedding."""
    fig, ax = plt.subplots(figsize=(7, 6))
    u = 1.0 - np.asarray(max_resp)
    order = np.argsort(u, kind="stable")
    sc = _points(
        ax, Y[order], values=u[order], cmap="viridis", vmin=0, vmax=u.max() or 1.0
    )
    fig.colorbar(sc, ax=ax, label="1 - max responsibility")
    ax.set(xlabel="UMAP 1", ylabel="UMAP 2", title=title)
    fig.tight_layout()
    return fig


def plot_confusion(matrices):
    """Heatmaps of confusion matrices.

    ``matrices`` maps a title to ``(table, row_name, column_name)``, the table
    a DataFrame of counts. Each cell holds its count where a table has at
    most 200 cells; at most about 20 labels per axis are shown.
    """
    n = len(matrices)
    fig, axes = plt.subplots(1, n, figsize=(5.5 * n, 4.8))
    axes = np.atleast_1d(axes)
    for ax, (name, (cm, rows, cols)) in zip(axes, matrices.items(), strict=True):
        _heatmap(ax, cm, annotate=cm.size <= 200)
        ax.set(title=name, ylabel=rows, xlabel=cols)
    fig.tight_layout()
    return fig


def _heatmap(ax, table, annotate, cmap="Blues"):
    # seaborn.heatmap's look (first row on top, labelled cell centres, no
    # frame) without its full draw of the figure per call to check whether
    # tick labels overlap: that draw was 0.13 s of each 32-row heatmap
    counts = table.to_numpy()
    mesh = ax.pcolormesh(counts, cmap=cmap)
    ax.set(xlim=(0, counts.shape[1]), ylim=(counts.shape[0], 0))
    for axis, labels in ((ax.xaxis, table.columns), (ax.yaxis, table.index)):
        step = -(-len(labels) // _MAX_TICK_LABELS)
        axis.set_ticks(np.arange(0, len(labels), step) + 0.5, labels[::step])
    ax.tick_params(length=3)
    ax.spines[:].set_visible(False)
    if annotate:
        # dark cells get white text: seaborn's rule, relative luminance of
        # the cell's sRGB colour at most 0.408
        rgb = mesh.cmap(mesh.norm(counts))[..., :3]
        linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        dark = linear @ [0.2126, 0.7152, 0.0722] <= 0.408
        for (i, j), count in np.ndenumerate(counts):
            colour = "white" if dark[i, j] else "black"
            ax.text(
                j + 0.5, i + 0.5, f"{count:d}", ha="center", va="center", color=colour
            )


def plot_stability_summary(table, dataset):
    """Agreement between seeds (mean pairwise ARI) and spread of log-likelihood vs K.

    ``table`` comes from :func:`emgmm.pipeline.summarize.stability_table`.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    for cov, sub in table.groupby("covariance_type", sort=True):
        sub = sub.sort_values("n_components")
        k = sub["n_components"]
        mean, low = sub["mean_pairwise_ari"], sub["min_pairwise_ari"]
        axes[0].errorbar(
            k, mean, yerr=[mean - low, 0 * mean], marker="o", capsize=3, label=cov
        )
        axes[1].plot(k, sub["log_likelihood_range"], marker="o", label=cov)
    n_seeds = int(table["n_seeds"].max())
    if n_seeds < 2:
        axes[0].text(
            0.5,
            0.5,
            "one seed only:\nadd seeds to the config",
            ha="center",
            va="center",
            transform=axes[0].transAxes,
        )
    axes[0].set(
        xlabel="K",
        ylabel="ARI between seeds (mean, bar to min)",
        ylim=(-0.05, 1.05),
        title=f"Agreement across {n_seeds} seed(s)",
    )
    axes[1].set(
        xlabel="K",
        ylabel="max - min final log-likelihood",
        title="Spread of the optimum reached",
    )
    for ax in axes:
        ax.legend()
    fig.suptitle(f"Stability across seeds: {dataset}")
    fig.tight_layout()
    return fig
