"""Figures of one emgmm/sklearn pair: convergence, log-likelihood, labels, ellipses."""

import pandas as pd

from emgmm import io, plots
from emgmm.compare import relabel


def main(smk):
    Y = io.load_npz(smk.input.embedding)["embedding"]
    ours, theirs = io.load_npz(smk.input.emgmm), io.load_npz(smk.input.sklearn)
    rec_ours = io.load_json(smk.input.emgmm_record)
    rec_theirs = io.load_json(smk.input.sklearn_record)
    matching = pd.read_csv(smk.input.matching, sep="\t")
    wc = smk.wildcards
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
                "emgmm": (ours["lower_bounds"], rec_ours["converged"]),
                "sklearn": (theirs["lower_bounds"], rec_theirs["converged"]),
            }
        ),
        smk.output.log_likelihood,
    )
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
    plots.save_figure(
        plots.plot_ellipses(Y, {"emgmm": ours, "sklearn": theirs}, wc.covariance_type),
        smk.output.ellipses,
    )


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
