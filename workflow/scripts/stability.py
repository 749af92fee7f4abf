"""Stability across seeds: pairwise ARI of labelings and spread of log-likelihoods."""

from emgmm.pipeline import io, plots
from emgmm.pipeline.summarize import stability_table


def main(smk):
    records = [io.load_json(p) for p in smk.input.records]
    labels = [io.load_npz(p)["labels"] for p in smk.input.fits]
    table = stability_table(records, labels)
    io.save_table(smk.output.table, table)
    plots.save_figure(
        plots.plot_stability_summary(table, smk.wildcards.dataset), smk.output.figure
    )


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
