"""Scale one dataset's columns (and keep principal components) before UMAP."""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.preprocess import preprocess

logger = logging.getLogger(__name__)


def main(smk):
    X = io.load_npz(smk.input.data)["X"]
    names = io.load_json(smk.input.info)["features"]
    settings = smk.params.preprocess
    features, info = preprocess(
        X, scale=settings["scale"], pca=settings["pca"], names=names, copy=False
    )
    info["scale_chosen_by"] = settings["scale_chosen_by"]
    logger.info(
        "%s: %d columns scaled (%s, %s) to %d features",
        smk.wildcards.dataset,
        info["n_features_in"],
        info["scale"],
        info["scale_chosen_by"],
        info["n_features"],
    )
    io.save_npz(smk.output.features, features=features)
    io.save_json(smk.output.info, info)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
