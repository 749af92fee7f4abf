"""The workflow's work in one Python process: every job's script, called in turn.

Each job of the DAG (load, preprocess, embed, fit_em, fit_sklearn, compare,
model_selection, stability, summary, overview, manifest) is run by calling the
``main(smk)`` of its script in ``workflow/scripts/`` with the inputs, outputs,
params, wildcards and threads the Snakefile gives it, in dependency order.
The work is the pipeline's, to the byte (same package functions, same files
written); what is missing is Snakemake and one Python start-up per job. The
paths and params below mirror ``workflow/rules/*.smk``; a test checks both
give the same results.
"""

import itertools
import logging
import time
from pathlib import Path
from types import SimpleNamespace

from emgmm.pipeline.data import load_spec
from emgmm.pipeline.jobs import script_main
from emgmm.pipeline.preprocess import resolve

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "workflow" / "scripts"
FIGURES = ["convergence", "log_likelihood", "labels", "ellipses"]
DATASET_OUTPUTS = ["model_selection", "stability"]


class Named(list):
    """A list with names, as Snakemake's ``input``/``output``/``log`` are."""

    def __init__(self, **named):
        super().__init__()
        for name, value in named.items():
            if isinstance(value, list):
                self.extend(value)
            else:
                self.append(value)
            setattr(self, name, value)


def _fit_dir(dataset, k, cov, seed):
    return f"results/{dataset}/k{k}/{cov}/seed{seed}"


def jobs(config):
    """``(rule, script, smk)`` for every job of ``config``, in a runnable order."""

    def job(rule, script=None, wildcards=None, threads=1, params=None, **files):
        inputs, outputs = files.pop("input"), files.pop("output")
        smk = SimpleNamespace(
            rule=rule,
            input=Named(**inputs),
            output=Named(**outputs),
            params=SimpleNamespace(**(params or {})),
            wildcards=SimpleNamespace(**(wildcards or {})),
            threads=threads,
            log=Named(),
        )
        return rule, script or rule, smk

    out = []
    fits = []
    threads = config.get("threads", {})
    datasets = list(config["datasets"])
    for dataset, spec in config["datasets"].items():
        res = f"results/{dataset}"
        path = spec.get("path") if spec["source"] == "file" else None
        out.append(
            job(
                "load",
                wildcards={"dataset": dataset},
                params={"spec": load_spec(spec)},
                input={"path": [path] if path and Path(path).exists() else []},
                output={"data": f"{res}/data.npz", "info": f"{res}/data.json"},
            )
        )
        settings = {**config["preprocess"], **spec.get("preprocess", {})}
        out.append(
            job(
                "preprocess",
                wildcards={"dataset": dataset},
                params={"preprocess": resolve(settings, spec["source"])},
                input={"data": f"{res}/data.npz", "info": f"{res}/data.json"},
                output={
                    "features": f"{res}/features.npz",
                    "info": f"{res}/features.json",
                },
            )
        )
        out.append(
            job(
                "embed",
                wildcards={"dataset": dataset},
                threads=threads.get("embed", 1),
                params={"umap": {**config["umap"], **spec.get("umap", {})}},
                input={
                    "features": f"{res}/features.npz",
                    "preprocessing": f"{res}/features.json",
                },
                output={
                    "embedding": f"{res}/embedding.npz",
                    "info": f"{res}/embedding.json",
                },
            )
        )
        space = spec.get("fit_space", config["fit_space"])
        points = f"{res}/{space}.npz"
        sweep = list(
            itertools.product(config["K"], config["covariance_types"], config["seeds"])
        )
        for k, cov, seed in sweep:
            d = _fit_dir(dataset, k, cov, seed)
            wc = {"dataset": dataset, "k": str(k), "covariance_type": cov}
            wc["seed"] = str(seed)
            for rule, impl in (("fit_em", "emgmm"), ("fit_sklearn", "sklearn")):
                out.append(
                    job(
                        rule,
                        "fit",
                        wildcards=wc,
                        threads=threads.get("fit", 1),
                        params={
                            "implementation": impl,
                            "settings": {**config["mixture"], **config[impl]},
                            "space": space,
                        },
                        input={"points": points},
                        output={"fit": f"{d}/{impl}.npz", "record": f"{d}/{impl}.json"},
                    )
                )
            out.append(
                job(
                    "compare",
                    wildcards=wc,
                    input={
                        "data": f"{res}/data.npz",
                        "features_info": f"{res}/features.json",
                        "points": points,
                        "embedding": f"{res}/embedding.npz",
                        "emgmm": f"{d}/emgmm.npz",
                        "sklearn": f"{d}/sklearn.npz",
                        "emgmm_record": f"{d}/emgmm.json",
                        "sklearn_record": f"{d}/sklearn.json",
                    },
                    output={
                        "matching": f"{d}/matching.tsv",
                        "scores": f"{d}/scores.json",
                        **{f: f"{d}/figures/{f}.png" for f in FIGURES},
                    },
                )
            )
        dirs = [_fit_dir(dataset, *point) for point in sweep]
        fits.extend(dirs)
        records = [f"{d}/emgmm.json" for d in dirs]
        ours = [f"{d}/emgmm.npz" for d in dirs]
        out.append(
            job(
                "model_selection",
                wildcards={"dataset": dataset},
                params={"criterion": config["model_selection"]["criterion"]},
                input={
                    "embedding": f"{res}/embedding.npz",
                    "data": f"{res}/data.npz",
                    "info": f"{res}/data.json",
                    "records": records,
                    "fits": ours,
                    "sklearn": [f"{d}/sklearn.npz" for d in dirs],
                    "mclust_table": [],
                    "mclust_fit": [],
                },
                output={
                    "table": f"{res}/model_selection.tsv",
                    "figure": f"{res}/model_selection.png",
                    "uncertainty": f"{res}/uncertainty.png",
                    "confusion": f"{res}/confusion.png",
                },
            )
        )
        if len(config["seeds"]) > 1:
            out.append(
                job(
                    "stability",
                    wildcards={"dataset": dataset},
                    input={"records": records, "fits": ours},
                    output={
                        "table": f"{res}/stability.tsv",
                        "figure": f"{res}/stability.png",
                    },
                )
            )
    out.append(
        job(
            "summary",
            params={
                "datasets": datasets,
                "fit_space": {
                    name: spec.get("fit_space", config["fit_space"])
                    for name, spec in config["datasets"].items()
                },
            },
            input={
                "emgmm": [f"{d}/emgmm.json" for d in fits],
                "sklearn": [f"{d}/sklearn.json" for d in fits],
                "scores": [f"{d}/scores.json" for d in fits],
                "selections": [f"results/{d}/model_selection.tsv" for d in datasets],
                "preprocessing": [f"results/{d}/features.json" for d in datasets],
            },
            output={"table": "results/summary.tsv", "chosen": "results/chosen.tsv"},
        )
    )
    out.append(
        job(
            "overview",
            params={"datasets": datasets},
            input={
                "summary": "results/summary.tsv",
                "chosen": "results/chosen.tsv",
                "figures": [f"results/{d}/model_selection.png" for d in datasets],
            },
            output={"page": "results/overview.html"},
        )
    )
    out.append(
        job(
            "manifest",
            params={"config": config},
            input={
                "summary": "results/summary.tsv",
                "data": [f"results/{d}/data.npz" for d in datasets],
                "embeddings": [f"results/{d}/embedding.npz" for d in datasets],
            },
            output={
                "manifest": "results/manifest.json",
                "timings": "results/timings.tsv",
            },
        )
    )
    return out


def run(config, workdir):
    """Run every job of ``config`` in this process, in ``workdir``.

    Call :func:`emgmm.runtime.configure_threads` first (before numba is
    imported), as the ``embed`` and ``fit`` scripts do in their own process.

    Returns
    -------
    timings : list of (rule, seconds)
        Wall time of each job, in the order run.
    """
    import os

    logging.getLogger().setLevel(logging.WARNING)
    here = os.getcwd()
    os.chdir(workdir)
    try:
        timings = []
        for rule, script, smk in jobs(config):
            t = time.perf_counter()
            script_main(SCRIPTS / f"{script}.py")(smk)
            timings.append((rule, time.perf_counter() - t))
        return timings
    finally:
        os.chdir(here)
