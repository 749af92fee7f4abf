"""Pair our components with scikit-learn's by the distance between their means."""

import logging

from emgmm import io
from emgmm.compare import match_components

logger = logging.getLogger(__name__)


def main(smk):
    table, one_to_one = match_components(
        io.load_npz(smk.input.emgmm),
        io.load_npz(smk.input.sklearn),
        smk.wildcards.covariance_type,
    )
    if not one_to_one:
        logger.warning(
            "the notebook's greedy argmin matching is NOT one-to-one here: %s",
            table["greedy_component"].tolist(),
        )
    io.save_table(smk.output.table, table)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
