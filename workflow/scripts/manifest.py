"""Write results/manifest.json (versions, config, hashes, timings) and timings.tsv."""

from emgmm.pipeline import io
from emgmm.pipeline.provenance import benchmark_table, manifest


def main(smk):
    timings = benchmark_table("benchmarks")
    inputs = [*smk.input.data, *smk.input.embeddings]
    io.save_table(smk.output.timings, timings)
    io.save_json(smk.output.manifest, manifest(smk.params.config, inputs, timings))


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
