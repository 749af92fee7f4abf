"""Choose K and covariance type by an information criterion; show the chosen fit."""

import logging

from emgmm import io, plots
from emgmm.compare import labels_confusion, match_components, relabel
from emgmm.summarize import model_selection_table

logger = logging.getLogger(__name__)


def main(smk):
    records = [io.load_json(p) for p in smk.input.records]
    table = model_selection_table(records, smk.params.criterion)
    io.save_table(smk.output.table, table)
    best = table[table["best_seed"]]
    plots.save_figure(
        plots.plot_model_selection(best, smk.params.criterion), smk.output.figure
    )

    chosen = table[table["chosen"]].iloc[0]
    index = next(
        i
        for i, r in enumerate(records)
        if (r["n_components"], r["covariance_type"], r["random_state"])
        == (chosen["n_components"], chosen["covariance_type"], chosen["random_state"])
    )
    logger.info("chosen model: %s", chosen.to_dict())
    ours = io.load_npz(smk.input.fits[index])
    theirs = io.load_npz(smk.input.sklearn[index])
    Y = io.load_npz(smk.input.embedding)["embedding"]
    name = (
        f"K={chosen['n_components']}, {chosen['covariance_type']}, "
        f"seed {chosen['random_state']}"
    )
    plots.save_figure(
        plots.plot_uncertainty(
            Y, ours["max_resp"], f"Uncertainty of the chosen model ({name})"
        ),
        smk.output.uncertainty,
    )
    matching, _ = match_components(ours, theirs, chosen["covariance_type"])
    matrices = {
        "emgmm vs sklearn": (
            labels_confusion(relabel(ours["labels"], matching), theirs["labels"]),
            "emgmm component (numbered as its sklearn partner)",
            "sklearn component",
        )
    }
    y = io.load_npz(smk.input.data).get("y")
    if y is not None:
        matrices["emgmm vs ground truth"] = (
            labels_confusion(ours["labels"], y),
            "emgmm component",
            "true class",
        )
    plots.save_figure(plots.plot_confusion(matrices), smk.output.confusion)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
