# Per-job resources (memory, run time, CPUs) for cluster runs.
#
# Every job asks for at least config["resources"] (mem_mb, runtime: the
# floor); the rules whose cost grows with the data ask for more, from the
# size of their input files (.npz, uncompressed, so the size is the data):
# MEM[rule] = (MiB at any size, MiB per MiB of input) and RUNTIME[rule] =
# (minutes at any size, minutes per GiB of input). The per-MiB figures come
# from the benchmark files of the N = 1e6 run (docs/cluster.md), with a margin.
# A job that fails is retried (profiles/slurm: retries) with `attempt` times
# the memory and run time, so a job killed for exceeding its request gets
# more on the next try.
# Locally these only throttle: `--resources mem_mb=...` caps the sum.

MEM = {
    "load": (600, 4.0),
    "embed": (1500, 6.0),
    "fit_em": (400, 8.0),
    "fit_sklearn": (500, 24.0),
    "plot_fit": (500, 8.0),
    "model_selection": (500, 4.0),
    "stability": (400, 0.5),
}
RUNTIME = {
    "load": (5, 5),
    "embed": (10, 400),
    "fit_em": (5, 60),
    "fit_sklearn": (5, 240),
    "plot_fit": (5, 60),
    "model_selection": (5, 10),
    "stability": (5, 2),
}


def _dataset_mb(wildcards, input):
    """Size of the data in MiB: the input files', or for a generated dataset
    (no input file) n_samples x n_features float64 values."""
    if input:
        return input.size_mb
    spec = config["datasets"][wildcards.dataset]
    defaults = {"digits": (1797, 64), "blobs": (1000, 10), "large": (10**6, 10)}
    n, d = defaults.get(spec["source"], (0, 0))
    n, d = spec.get("n_samples", n), spec.get("n_features", d)
    return n * d * 8 / 2**20


def mem_mb(rule):
    """Memory request (MiB) of a job of ``rule``, scaled by its input size."""
    base, per_mb = MEM[rule]

    def request(wildcards, input, attempt):
        need = base + per_mb * _dataset_mb(wildcards, input)
        return int(max(config["resources"]["mem_mb"], need) * attempt)

    return request


def runtime(rule):
    """Run time request (minutes) of a job of ``rule``, scaled by its input size."""
    base, per_gb = RUNTIME[rule]

    def request(wildcards, input, attempt):
        need = base + per_gb * _dataset_mb(wildcards, input) / 1024
        return int(max(config["resources"]["runtime"], need) * attempt)

    return request


def cpus_per_task(wildcards, threads):
    """SLURM CPUs of a job: its threads, which reach BLAS and numba."""
    return threads


# Light jobs (a few MiB of tables, seconds) run in the Snakemake process
# itself on a cluster: a submission would cost more than the work.
localrules:
    all,
    match,
    score,
    summary,
    manifest,
