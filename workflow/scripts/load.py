"""Load one dataset from the config, check it and store it as ``data.npz``."""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.data import load_dataset

logger = logging.getLogger(__name__)


def main(smk):
    X, y, info = load_dataset(smk.wildcards.dataset, smk.params.spec)
    if smk.input:
        info["input_sha256"] = io.file_sha256(smk.input[0])
    logger.info("loaded %s: %d rows x %d columns", smk.wildcards.dataset, *X.shape)
    arrays = {"X": X} if y is None else {"X": X, "y": y}
    io.save_npz(smk.output.data, **arrays)
    io.save_json(smk.output.info, info)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
