"""Run the workflow in a scratch directory (subprocess) and read what it did."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


# A small valid config (one blobs dataset, two K): bad-input cases are overlays
# on it, and the resume and determinism tests run it whole.
TINY_CONFIG = {
    "datasets": {
        "tiny": {
            "source": "blobs",
            "n_samples": 200,
            "n_features": 4,
            "centers": 3,
            "random_state": 0,
        }
    },
    "K": [2, 3],
    "covariance_types": ["full"],
    "seeds": [0],
    "umap": {"n_neighbors": 10},
    "emgmm": {"max_iter": 100, "tol": 1.0e-3},
    "sklearn": {"max_iter": 100, "tol": 1.0e-3},
}


def env():
    """Environment of workflow subprocesses: headless plots, src importable."""
    out = dict(os.environ)
    out["MPLBACKEND"] = "Agg"
    out["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p
    )
    return out


def write_config(workdir, config):
    Path(workdir, "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))


def snakemake_command(workdir, *args):
    """The snakemake command line for this repository's Snakefile in ``workdir``."""
    return [
        *SNAKEMAKE,
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--cores",
        "2",
        *args,
    ]


def snakemake(workdir, *args, check=True, timeout=3600, extra_env=None):
    """Run snakemake on this repository's Snakefile with ``workdir`` as work dir."""
    cmd = snakemake_command(workdir, *args)
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**env(), **(extra_env or {})},
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n"
            f"{proc.stderr[-6000:]}"
        )
    return proc


def job_counts(output):
    """Jobs per rule from Snakemake's 'Job stats' table ({} when nothing ran)."""
    counts = {}
    match = re.search(r"Job stats:\n.*?\n-+\s+-+\n(.*?)\n\s*total", output, re.S)
    if match:
        for line in match.group(1).splitlines():
            rule, n = line.split()
            counts[rule] = int(n)
    return counts


def copy_run(src, dst):
    """Copy a finished work directory, keeping mtimes and Snakemake's metadata."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


# A sweep over two datasets (blobs and a user table), shared by the workflow
# tests through the session fixture sweep_run (conftest.py).
SWEEP_CONFIG = {
    "datasets": {
        # Four well-separated blobs: BIC should pick K=4.
        "blobs": {
            "source": "blobs",
            "n_samples": 400,
            "n_features": 6,
            "centers": 4,
            "cluster_std": 1.0,
            "random_state": 0,
        },
        # A user table with a label column.
        "table": {
            "source": "file",
            "path": "data/table.csv",
            "label_column": "group",
        },
    },
    "K": [3, 4, 5],
    "covariance_types": ["full", "diag"],
    "seeds": [0, 1],
    "umap": {"n_neighbors": 15, "min_dist": 0.1, "random_state": 42},
    "mixture": {"reg_covar": 1e-6, "n_init": 1, "init_params": "kmeans"},
    "emgmm": {"max_iter": 100, "tol": 1e-3},
    "sklearn": {"max_iter": 100, "tol": 1e-3},
}


def write_table(path, n=300, seed=0):
    """A small labelled CSV: three Gaussian groups in 4-D."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=6.0, size=(3, 4))
    group = rng.integers(0, 3, size=n)
    X = centers[group] + rng.normal(size=(n, 4))
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    df["group"] = np.array(["red", "green", "blue"])[group]
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False)
