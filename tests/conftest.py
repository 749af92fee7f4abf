"""Session-wide fixtures: one workflow run and one UMAP of digits, shared by tests.

Every fresh process that runs UMAP pays several seconds of numba compilation,
so the expensive results are computed once per test session.
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from workflow_helpers import REPO, snakemake, write_config

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


@pytest.fixture(params=["kernel", "blas"])
def engine_path(request, monkeypatch):
    """Run a test on both routes of a pass over the data: the fused numba
    kernel (at most ``NUMBA_MAX_FEATURES`` features) and the chunked
    NumPy/BLAS path (forced by a limit of 0 features)."""
    if request.param == "blas":
        monkeypatch.setattr("emgmm._engine.NUMBA_MAX_FEATURES", 0)
    return request.param


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


@pytest.fixture(scope="session")
def sweep_run(tmp_path_factory):
    """The workflow run once on 2 datasets x 3 K x 2 covariance types x 2 seeds."""
    workdir = tmp_path_factory.mktemp("sweep")
    write_table(workdir / "data" / "table.csv")
    write_config(workdir, SWEEP_CONFIG)
    proc = snakemake(workdir)
    return workdir, proc


@pytest.fixture(scope="session")
def digits_embedding():
    """UMAP of scikit-learn's digits with the default config's parameters."""
    from emgmm.data import load_dataset
    from emgmm.embed import umap_embed

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    X, y, _ = load_dataset("digits", {"source": "digits"})
    embedding, _ = umap_embed(X, **config["umap"])
    return embedding, y
