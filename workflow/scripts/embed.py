"""Embed one dataset's preprocessed features in 2-D with UMAP (float64 output)."""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.embed import umap_embed
from emgmm.runtime import configure_threads

logger = logging.getLogger(__name__)


def main(smk):
    configure_threads(smk.threads)
    X = io.load_npz(smk.input.features)["features"]
    embedding, info = umap_embed(X, **smk.params.umap)
    info["threads"] = smk.threads
    info["preprocessing"] = io.load_json(smk.input.preprocessing)
    # Timings go to the log (and benchmarks/, results/manifest.json), not to
    # embedding.json, which must be byte-identical between identical runs.
    timings = info.pop("timings_s")
    logger.info("embedded %d rows in %s s: %s", len(embedding), timings, info)
    io.save_npz(smk.output.embedding, embedding=embedding)
    io.save_json(smk.output.info, info)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
