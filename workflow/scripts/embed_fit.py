"""Fit UMAP on one dataset's subsample; the other rows are placed by
embed_transform, chunk by chunk (umap.transform_chunks > 1)."""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.embed import umap_fit
from emgmm.runtime import configure_threads

logger = logging.getLogger(__name__)


def main(smk):
    configure_threads(smk.threads)
    X = io.load_npz(smk.input.features)["features"]
    reducer, parts, info = umap_fit(X, **smk.params.umap)
    info["threads"] = smk.threads
    timings = {k: round(v, 3) for k, v in info.pop("timings_s").items()}
    logger.info(
        "UMAP fitted on %d of %d rows in %s s", info["fit_rows"], len(X), timings
    )
    io.save_pickle(smk.output.model, reducer)
    io.save_npz(smk.output.parts, **parts)
    io.save_json(smk.output.info, info)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
