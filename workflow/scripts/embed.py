"""Embed one dataset's preprocessed features in 2-D with UMAP (float64 output).

In one job, or (umap.transform_chunks > 1) by gathering the rows UMAP was
fitted on (embed_fit) and the transform chunks (embed_transform), in order.
"""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.embed import gather_embedding, umap_embed
from emgmm.runtime import configure_threads

logger = logging.getLogger(__name__)


def main(smk):
    configure_threads(smk.threads)
    if hasattr(smk.input, "chunks"):  # the gathering step of transform_chunks
        parts = io.load_npz(smk.input.parts)
        chunks = [io.load_npz(path)["embedding"] for path in smk.input.chunks]
        n_samples = len(parts["fit_idx"]) + len(parts["rest_idx"])
        embedding = gather_embedding(n_samples, chunks=chunks, **parts)
        info = io.load_json(smk.input.fit_info)
        timings = "see embed_fit's and embed_transform's logs"
    else:
        X = io.load_npz(smk.input.features)["features"]
        embedding, info = umap_embed(X, **smk.params.umap)
        info["threads"] = smk.threads
        # Timings go to the log (and benchmarks/, results/manifest.json), not
        # to embedding.json, which must be byte-identical between identical runs.
        timings = info.pop("timings_s")
    info["preprocessing"] = io.load_json(smk.input.preprocessing)
    logger.info("embedded %d rows in %s s: %s", len(embedding), timings, info)
    io.save_npz(smk.output.embedding, embedding=embedding)
    io.save_json(smk.output.info, info)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
