"""Place one chunk of the rows UMAP was not fitted on (UMAP.transform)."""

import logging

from emgmm.pipeline import io
from emgmm.pipeline.embed import transform_chunk
from emgmm.runtime import configure_threads

logger = logging.getLogger(__name__)


def main(smk):
    configure_threads(smk.threads)
    # mapped: the job reads its chunk's rows, not the whole table
    X = io.map_npz(smk.input.features, "features")
    reducer = io.load_pickle(smk.input.model)
    rest_idx = io.load_npz(smk.input.parts)["rest_idx"]
    chunk = int(smk.wildcards.chunk)
    embedding, seconds = transform_chunk(
        reducer, X, rest_idx, smk.params.n_chunks, chunk
    )
    logger.info(
        "chunk %d of %d: %d rows placed in %.1f s",
        chunk + 1,
        smk.params.n_chunks,
        len(embedding),
        seconds,
    )
    io.save_npz(smk.output.chunk, embedding=embedding)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
