"""Session-wide fixtures: one workflow run and one UMAP of digits, shared by tests.

Every fresh process that runs UMAP pays several seconds of numba compilation,
so the expensive results are computed once per test session.
"""

import pytest
import yaml
from workflow_helpers import REPO, SWEEP_CONFIG, snakemake, write_config, write_table


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
    from emgmm.pipeline.data import load_dataset
    from emgmm.pipeline.embed import umap_embed

    config = yaml.safe_load((REPO / "config.yaml").read_text())
    X, y, _ = load_dataset("digits", {"source": "digits"})
    embedding, _ = umap_embed(X, **config["umap"])
    return embedding, y
