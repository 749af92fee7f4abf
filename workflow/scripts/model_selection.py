"""Choose K and covariance type by an information criterion; show the chosen fit.

With mclust's models in ``covariance_types`` their BIC table joins the emgmm
fits' in one table and one sign (scikit-learn's: lower is better), so there
is one chosen model, whichever family it comes from.
"""

import logging

from emgmm.pipeline import io, plots
from emgmm.pipeline.compare import labels_confusion, match_components, relabel
from emgmm.pipeline.summarize import (
    EMGMM_START,
    MCLUST_START,
    model_name,
    model_selection_table,
)

logger = logging.getLogger(__name__)


def _mclust_table(smk):
    if not smk.input.mclust_table:
        return None
    table = io.load_table(smk.input.mclust_table[0])
    return table.set_index("G")


def main(smk):
    records = [io.load_json(p) for p in smk.input.records]
    table = model_selection_table(records, smk.params.criterion, _mclust_table(smk))
    io.save_table(smk.output.table, table)
    best = table[table["best_seed"]]
    plots.save_figure(
        plots.plot_model_selection(best, smk.params.criterion), smk.output.figure
    )

    chosen = table[table["chosen"]].iloc[0]
    logger.info("chosen model: %s", chosen.to_dict())
    # The emgmm fit that stands for the emgmm family: the chosen model, or,
    # when one of mclust's models was chosen, the best emgmm fit beside it.
    fits = table[table["best_seed"] & (table["fitted_by"] == EMGMM_START)]
    own = fits.loc[fits[smk.params.criterion].idxmin()]
    key = (own["n_components"], own["covariance_type"], own["random_state"])
    index = next(
        i
        for i, r in enumerate(records)
        if (r["n_components"], r["covariance_type"], r["random_state"]) == key
    )
    ours = io.load_npz(smk.input.fits[index])
    theirs = io.load_npz(smk.input.sklearn[index])
    matching, _ = match_components(ours, theirs, own["covariance_type"])
    matrices = {
        f"emgmm vs sklearn ({model_name(own)})": (
            labels_confusion(relabel(ours["labels"], matching), theirs["labels"]),
            "emgmm component (numbered as its sklearn partner)",
            "sklearn component",
        )
    }
    labels, max_resp = ours["labels"], ours["max_resp"]
    what = f"{model_name(own)}, seed {int(own['random_state'])}"
    if chosen["fitted_by"] == MCLUST_START:
        fit = io.load_npz(smk.input.mclust_fit[0])
        labels, max_resp = fit["classification"], 1.0 - fit["uncertainty"]
        what = f"{model_name(chosen)}, mclust's start"
        matrices = {
            f"{model_name(chosen)} (mclust) vs {model_name(own)} (emgmm)": (
                labels_confusion(labels, ours["labels"]),
                f"{model_name(chosen)} component",
                f"{model_name(own)} component",
            )
        }
    Y = io.load_npz(smk.input.embedding)["embedding"]
    plots.save_figure(
        plots.plot_uncertainty(
            Y, max_resp, f"Uncertainty of the chosen model ({what})"
        ),
        smk.output.uncertainty,
    )
    y = io.load_npz(smk.input.data).get("y")
    if y is not None:
        confusion = labels_confusion(labels, y)
        names = io.load_json(smk.input.info).get("label_names")
        if names is not None:
            confusion.columns = [names[c] for c in confusion.columns]
        matrices[f"chosen model ({what}) vs truth"] = (
            confusion,
            "component",
            "true class",
        )
    plots.save_figure(plots.plot_confusion(matrices), smk.output.confusion)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
