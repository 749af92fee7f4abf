"""Gather every fit into results/summary.tsv, one row per fit."""

from emgmm import io
from emgmm.summarize import summary_table


def main(smk):
    pairs = []
    for ours, theirs, scores in zip(
        smk.input.emgmm, smk.input.sklearn, smk.input.scores, strict=True
    ):
        record = io.load_json(ours)
        pairs.append(
            (record["dataset"], record, io.load_json(theirs), io.load_json(scores))
        )
    io.save_table(smk.output.table, summary_table(pairs))


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
