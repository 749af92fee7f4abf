"""Gather every fit into results/summary.tsv and each dataset's chosen model
into results/chosen.tsv."""

from emgmm.pipeline import io
from emgmm.pipeline.summarize import EMGMM_START, chosen_models, summary_table


def main(smk):
    tables = {
        name: io.load_table(path)
        for name, path in zip(smk.params.datasets, smk.input.selections, strict=True)
    }
    infos = {}
    for name, path in zip(smk.params.datasets, smk.input.preprocessing, strict=True):
        info = io.load_json(path)
        infos[name] = {
            "scale": info["scale"],
            "pca": info["pca"],
            "fit_space": smk.params.fit_space[name],
        }
    pairs = []
    for ours, theirs, scores in zip(
        smk.input.emgmm, smk.input.sklearn, smk.input.scores, strict=True
    ):
        record = io.load_json(ours)
        infos[record["dataset"]]["n_samples"] = record["n_samples"]
        pairs.append(
            (record["dataset"], record, io.load_json(theirs), io.load_json(scores))
        )
    chosen = chosen_models(tables, infos)
    keys = {
        (row.dataset, row.n_components, row.covariance_type, int(row.random_state))
        for row in chosen.itertuples()
        if row.fitted_by == EMGMM_START
    }
    io.save_table(smk.output.table, summary_table(pairs, chosen=keys))
    io.save_table(smk.output.chosen, chosen)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
