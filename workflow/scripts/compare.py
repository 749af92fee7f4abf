"""Compare one emgmm/sklearn pair: matching, scores (ARI) and four figures.

Both were fitted to the same points (the UMAP embedding or the preprocessed
features: the config's ``fit_space``); the labelings are drawn on the
embedding, the ellipses in the first two coordinates of the points fitted.
Matching pairs our components with scikit-learn's by the distance between
their means; scores are the ARI of the two labelings and of each against the
ground truth and, where the fits differ, what continuing both from their final
state to a tight tolerance measured; the figures are the mixing
proportions per iteration, the log-likelihood per iteration, the two
labelings with matched colours and the covariance ellipses.
"""

import logging

from emgmm.pipeline import io, plots
from emgmm.pipeline.compare import match_components, relabel
from emgmm.pipeline.explain import stopping
from emgmm.pipeline.summarize import comparison_scores

logger = logging.getLogger(__name__)


def main(smk):
    wc = smk.wildcards
    ours, theirs = io.load_npz(smk.input.emgmm), io.load_npz(smk.input.sklearn)
    rec_ours = io.load_json(smk.input.emgmm_record)
    rec_theirs = io.load_json(smk.input.sklearn_record)
    space = rec_ours["fit_space"]

    matching, one_to_one = match_components(ours, theirs, wc.covariance_type)
    if not one_to_one:
        logger.warning(
            "the notebook's greedy argmin matching is NOT one-to-one here: %s",
            matching["greedy_component"].tolist(),
        )
    io.save_table(smk.output.matching, matching)

    X = io.load_npz(smk.input.points)[space]  # what both were fitted to
    scores = comparison_scores(
        rec_ours,
        rec_theirs,
        matching,
        ours,
        theirs,
        X,
        io.load_npz(smk.input.data).get("y"),
    )
    logger.info("%s", scores)
    io.save_json(smk.output.scores, scores)

    what = f"{wc.dataset}, K={wc.k}, {wc.covariance_type}, seed {wc.seed}"
    plots.save_figure(
        plots.plot_mixing_convergence(
            ours["history_weights"], f"Convergence of mixing proportions ({what})"
        ),
        smk.output.convergence,
    )
    plots.save_figure(
        plots.plot_log_likelihood(
            {
                "emgmm": (ours["lower_bounds"], stopping(rec_ours)),
                "sklearn": (theirs["lower_bounds"], stopping(rec_theirs)),
            }
        ),
        smk.output.log_likelihood,
    )
    Y = io.load_npz(smk.input.embedding)["embedding"]  # for the pictures
    plots.save_figure(
        plots.plot_labelings(
            Y,
            {
                "emgmm (colours matched to sklearn)": relabel(ours["labels"], matching),
                "sklearn GaussianMixture": theirs["labels"],
            },
            title=f"Clustering results on the UMAP projection ({what})",
        ),
        smk.output.labels,
    )
    names = (
        ["UMAP 1", "UMAP 2"]
        if space == "embedding"
        else io.load_json(smk.input.features_info)["names"][:2]
    )
    plots.save_figure(
        plots.plot_ellipses(
            X, {"emgmm": ours, "sklearn": theirs}, wc.covariance_type, names=names
        ),
        smk.output.ellipses,
    )


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
