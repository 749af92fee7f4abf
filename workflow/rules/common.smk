import sys
import time
from pathlib import Path

RUN_STARTED = time.time()  # logs older than this are of earlier runs

# Rules import the emgmm package (pip install -e .); the Snakefile itself can
# also use it straight from this checkout.
sys.path.append(str(Path(workflow.basedir) / "src"))

from emgmm import InputError  # noqa: E402
from emgmm.pipeline.config import apply_overlays  # noqa: E402
from emgmm.pipeline.config import read_config_file  # noqa: E402
from emgmm.pipeline.config import split_covariance_types  # noqa: E402
from emgmm.pipeline.config import validate_config  # noqa: E402
from emgmm.pipeline.data import check_before_run  # noqa: E402
from emgmm.pipeline.data import data_files  # noqa: E402
from emgmm.pipeline.data import load_spec  # noqa: E402
from emgmm.pipeline.jobs import finish_run  # noqa: E402
from emgmm.pipeline.jobs import run_job as _run_job  # noqa: E402
from emgmm.pipeline.preprocess import resolve as resolve_preprocessing  # noqa: E402

# config.yaml holds the settings; config files named on the command line
# (--configfile) change some of them and may name other datasets, which are
# then the only ones run (emgmm.pipeline.config.apply_overlays). Each file is read
# here first, so that a missing one or a YAML mistake is named with its line.
# A working directory without config.yaml (--directory elsewhere) runs on
# the command line's files alone, as Snakemake does.
try:
    if Path("config.yaml").exists() or not workflow.overwrite_configfiles:
        read_config_file("config.yaml")
    overlays = [read_config_file(p) for p in workflow.overwrite_configfiles]
except InputError as err:
    sys.exit(f"emgmm: config error: {err}")


configfile: "config.yaml"


apply_overlays(config, overlays)
try:
    validate_config(
        config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    )
except InputError as err:
    sys.exit(f"emgmm: config error: {err}")

# What can be checked before any job is: every data file, its header and,
# where `load` would run, its values (emgmm.pipeline.data.check_before_run), so that a
# mistake stops the run before it replaces earlier results. Once per run: not
# again in each cluster job.
if workflow.is_main_process:
    problems = []
    for name, spec in config["datasets"].items():
        try:
            check_before_run(name, spec, f"results/{name}")
        except InputError as err:
            problems.append(f"emgmm: data error: dataset {name!r}: {err}")
    if problems:
        sys.exit("\n".join(problems))

FIT = "{dataset}/k{k}/{covariance_type}/seed{seed}"
FIT_DIR = f"results/{FIT}"
FIGURES = ["convergence", "log_likelihood", "labels", "ellipses"]


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    k=r"\d+",
    seed=r"\d+",
    covariance_type="full|tied|diag|spherical",
    implementation="emgmm|sklearn",
    chunk=r"\d+",


def covariance_types():
    """config["covariance_types"] as (scikit-learn types, mclust models): the
    first are the emgmm/sklearn pairs' {covariance_type}, the second are fitted
    by emgmm.mclust alone (rules/mclust.smk)."""
    return split_covariance_types(config["covariance_types"])


def sweep(dataset):
    """Wildcard values of every fit of one dataset."""
    return dict(
        dataset=dataset,
        k=config["K"],
        covariance_type=covariance_types()[0],
        seed=config["seeds"],
    )


def fit_files(pattern, dataset=None, **extra):
    """``pattern`` expanded over the sweep of one dataset, or of all."""
    datasets = [dataset] if dataset else list(config["datasets"])
    return [f for d in datasets for f in expand(pattern, **sweep(d), **extra)]


def all_fit_figures():
    return fit_files(f"{FIT_DIR}/figures/{{figure}}.png", figure=FIGURES)


def dataset_spec(wildcards):
    return load_spec(config["datasets"][wildcards.dataset])


def dataset_setting(dataset, key):
    """A setting a dataset entry may override (umap, preprocess, fit_space)."""
    own = config["datasets"][dataset].get(key)
    if isinstance(config[key], dict):
        return {**config[key], **(own or {})}
    return config[key] if own is None else own


def preprocess_params(wildcards):
    spec = config["datasets"][wildcards.dataset]
    return resolve_preprocessing(
        dataset_setting(wildcards.dataset, "preprocess"), spec["source"]
    )


def fit_space(dataset):
    return dataset_setting(dataset, "fit_space")


def points_file(wildcards):
    """The points both mixtures are fitted to: the embedding or the features."""
    return f"results/{wildcards.dataset}/{fit_space(wildcards.dataset)}.npz"


def dataset_input(wildcards):
    """The data file(s) of a ``file`` dataset (a folder's shards), if they
    exist: a missing one is reported by ``load`` in one line, like any other
    problem with the data."""
    spec = config["datasets"][wildcards.dataset]
    if spec["source"] != "file":
        return []
    try:
        return [str(f) for f in data_files(spec["path"])]
    except InputError:
        return []


def umap_params(wildcards):
    return dataset_setting(wildcards.dataset, "umap")


def embed_inputs(wildcards):
    """The features, or (umap.transform_chunks > 1) the fitted rows and every
    transform chunk, in order."""
    inputs = {"preprocessing": f"results/{wildcards.dataset}/features.json"}
    n_chunks = umap_params(wildcards)["transform_chunks"]
    if n_chunks == 1:
        return {**inputs, "features": f"results/{wildcards.dataset}/features.npz"}
    umap_dir = f"results/{wildcards.dataset}/umap"
    return {
        **inputs,
        "parts": f"{umap_dir}/fit.npz",
        "fit_info": f"{umap_dir}/fit.json",
        "chunks": [f"{umap_dir}/transform_{i}.npz" for i in range(n_chunks)],
    }


def fit_settings(implementation):
    return {**config["mixture"], **config[implementation]}


def dataset_outputs():
    """Each dataset's files; agreement across seeds only with several seeds."""
    names = ["model_selection.tsv", "model_selection.png"]
    names += ["uncertainty.png", "confusion.png"]
    if len(config["seeds"]) > 1:
        names += ["stability.tsv", "stability.png"]
    return expand("results/{dataset}/{name}", dataset=config["datasets"], name=names)


def mclust_files(name):
    """Input function: a dataset's mclust file ``name``, where covariance_types
    names mclust models (rules/mclust.smk), else nothing."""

    def files(wildcards):
        if not covariance_types()[1]:
            return []
        return [f"results/{wildcards.dataset}/{name}"]

    return files


def fit_subcategory(wildcards):
    """The report's heading of one fit: K zero-padded to the widest K, so the
    report (which sorts headings as text) lists K in numeric order."""
    width = len(str(max(config["K"])))
    k = int(wildcards.k)
    return f"K={k:0{width}d} {wildcards.covariance_type} seed {wildcards.seed}"


def in_process(wildcards):
    """Resource of the rules run in this Snakemake process (``run:``): 1 in a
    local run, where profiles/default allows one such job at a time (they take
    turns anyway, emgmm.pipeline.jobs), 0 where each job is a cluster job of its own."""
    return 1 if workflow.local_exec else 0


def run_job(script, rule_name, input, output, params, wildcards, threads, log):
    """Run workflow/scripts/<script>.py's main(smk) in this Snakemake process.

    For the light rules (``run:``), whose work is shorter than a Python
    start-up with its imports: see emgmm.pipeline.jobs. ``--force-use-threads``
    (profiles/default) makes Snakemake run them in its own process.
    """
    _run_job(
        Path(workflow.basedir) / "workflow" / "scripts" / f"{script}.py",
        rule_name,
        input=input,
        output=output,
        params=params,
        wildcards=wildcards,
        threads=threads,
        log=log,
        cores=max(config["threads"].values()),
    )
