import sys
from pathlib import Path

# Rules import the emgmm package (pip install -e .); the Snakefile itself can
# also use it straight from this checkout.
sys.path.append(str(Path(workflow.basedir) / "src"))

from emgmm import InputError  # noqa: E402
from emgmm.config import validate_config  # noqa: E402
from emgmm.config import split_covariance_types  # noqa: E402
from emgmm.jobs import finish_run  # noqa: E402
from emgmm.jobs import run_job as _run_job  # noqa: E402

try:
    validate_config(
        config, Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
    )
except InputError as err:
    sys.exit(f"emgmm: config error: {err}")

FIT = "{dataset}/k{k}/{covariance_type}/seed{seed}"
FIT_DIR = f"results/{FIT}"
FIGURES = ["convergence", "log_likelihood", "labels", "ellipses"]


wildcard_constraints:
    dataset=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    k=r"\d+",
    seed=r"\d+",
    covariance_type="full|tied|diag|spherical",
    implementation="emgmm|sklearn",


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
    return {
        k: v for k, v in config["datasets"][wildcards.dataset].items() if k != "umap"
    }


def dataset_input(wildcards):
    """The data file of a ``file`` dataset, if it exists: a missing one is
    reported by ``load`` in one line, like any other problem with the data."""
    spec = config["datasets"][wildcards.dataset]
    if spec["source"] == "file" and Path(spec["path"]).exists():
        return [spec["path"]]
    return []


def umap_params(wildcards):
    own = config["datasets"][wildcards.dataset].get("umap", {})
    return {**config["umap"], **own}


def fit_settings(implementation):
    return {**config["mixture"], **config[implementation]}


def dataset_outputs():
    return expand(
        "results/{dataset}/{name}",
        dataset=config["datasets"],
        name=[
            "model_selection.tsv",
            "model_selection.png",
            "stability.tsv",
            "stability.png",
            "uncertainty.png",
            "confusion.png",
        ],
    )


def in_process(wildcards):
    """Resource of the rules run in this Snakemake process (``run:``): 1 in a
    local run, where profiles/default allows one such job at a time (they take
    turns anyway, emgmm.jobs), 0 where each job is a cluster job of its own."""
    return 1 if workflow.local_exec else 0


def run_job(script, rule_name, input, output, params, wildcards, threads, log):
    """Run workflow/scripts/<script>.py's main(smk) in this Snakemake process.

    For the light rules (``run:``), whose work is shorter than a Python
    start-up with its imports: see emgmm.jobs. ``--force-use-threads``
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
