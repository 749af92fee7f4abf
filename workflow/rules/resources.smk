# Per-job resources (memory, run time, CPUs) for cluster runs.
#
# Every job asks for at least config["resources"] (mem_mb, runtime: the
# floor); the rules whose cost grows with the data ask for more, from the
# size of their input files (.npz, uncompressed, so the size is the data):
#   MEM[rule] = (MiB at any size, MiB per MiB of input,
#                MiB per MiB of input and per mixture component)
#   RUNTIME[rule] = (minutes at any size, minutes per GiB of input)
# Only the inputs named in SIZED[rule] count, when a rule reads a few of many
# (model_selection draws one chosen fit, whatever the size of the sweep).
# The figures are the benchmark files of the N = 1e6 run (configs/large.yaml;
# the table in docs/cluster.md, "Large data") with a margin of 25-50%;
# embed_transform's, of the 1e7-row run (python -m bench.large: 1.7 GB for
# chunks of 1e6 rows, 218 MiB of sized input). A failed job
# is retried (profiles/slurm: retries) with `attempt` times the memory and run
# time, so a job killed for exceeding its request gets twice as much on the
# second try.
# Locally these only throttle: `--resources mem_mb=...` caps their sum.

import os

MEM = {
    "load": (400, 4.0, 0),
    "preprocess": (400, 4.0, 0),
    "embed": (500, 30.0, 0),
    "embed_fit": (500, 30.0, 0),
    "embed_transform": (500, 8.0, 0),
    "fit_em": (500, 16.0, 0),
    "fit_sklearn": (400, 0, 4.0),
    "compare": (300, 6.0, 0),
    "model_selection": (300, 3.0, 0),
    "stability": (300, 2.0, 0),
}
RUNTIME = {
    "load": (5, 5),
    "preprocess": (5, 5),
    "embed": (10, 400),
    "embed_fit": (10, 100),
    "embed_transform": (10, 20),
    "fit_em": (5, 30),
    "fit_sklearn": (5, 120),
    "compare": (5, 30),
    "model_selection": (5, 10),
    "stability": (5, 5),
}
SIZED = {"model_selection": ("data", "embedding")}
# An embed_transform job maps the features and reads its chunk's rows only
# (emgmm.pipeline.io.map_npz): that input counts for one chunk's share.
CHUNKED = {"embed_transform": "features"}


def _dataset_mb(rule, wildcards, input):
    """Size of the data in MiB: the input files' (those in SIZED[rule]; the
    CHUNKED one's share of a chunk), or for a generated dataset (no input
    file) n_samples x n_features float64."""
    names = SIZED.get(rule)
    if names:
        return sum(os.path.getsize(input[name]) for name in names) / 2**20
    chunked = CHUNKED.get(rule)
    if chunked:
        sizes = {name: os.path.getsize(input[name]) for name in input.keys()}
        sizes[chunked] /= umap_params(wildcards)["transform_chunks"]
        return sum(sizes.values()) / 2**20
    if input:
        return input.size_mb
    spec = config["datasets"][wildcards.dataset]
    defaults = {"digits": (1797, 64), "blobs": (1000, 10), "large": (10**6, 10)}
    n, d = defaults.get(spec["source"], (0, 0))
    n, d = spec.get("n_samples", n), spec.get("n_features", d)
    return n * d * 8 / 2**20


def mem_mb(rule):
    """Memory request (MiB) of a job of ``rule``, scaled by its input size."""
    base, per_mb, per_mb_component = MEM[rule]

    def request(wildcards, input, attempt):
        per_mb_all = per_mb + int(wildcards.get("k", 0)) * per_mb_component
        need = base + per_mb_all * _dataset_mb(rule, wildcards, input)
        return int(max(config["resources"]["mem_mb"], need) * attempt)

    return request


def runtime(rule):
    """Run time request (minutes) of a job of ``rule``, scaled by its input size."""
    base, per_gb = RUNTIME[rule]

    def request(wildcards, input, attempt):
        need = base + per_gb * _dataset_mb(rule, wildcards, input) / 1024
        return int(max(config["resources"]["runtime"], need) * attempt)

    return request


def cpus_per_task(wildcards, threads):
    """SLURM CPUs of a job: its threads, which reach BLAS and numba."""
    return threads


# Light jobs (a few MiB of tables, seconds) run in the Snakemake process
# itself on a cluster: a submission would cost more than the work.
localrules:
    all,
    summary,
    overview,
    manifest,
