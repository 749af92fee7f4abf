"""Score agreement: ARI of the two labelings and of each against ground truth,
and, where the fits differ, what continuing both to a tight tolerance measured."""

import logging

import pandas as pd

from emgmm import io
from emgmm.summarize import comparison_scores

logger = logging.getLogger(__name__)


def main(smk):
    data = io.load_npz(smk.input.data)
    scores = comparison_scores(
        io.load_json(smk.input.emgmm_record),
        io.load_json(smk.input.sklearn_record),
        pd.read_csv(smk.input.matching, sep="\t"),
        io.load_npz(smk.input.emgmm),
        io.load_npz(smk.input.sklearn),
        io.load_npz(smk.input.embedding)["embedding"],
        data.get("y"),
    )
    logger.info("%s", scores)
    io.save_json(smk.output.scores, scores)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
