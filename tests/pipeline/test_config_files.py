"""Config files on the command line: each runs its own datasets.

Snakemake merges the mapping keys of every config file it reads, so with
``configfile: "config.yaml"`` in the Snakefile ``snakemake --configfile
configs/large.yaml`` used to load, embed and fit config.yaml's datasets as
well as the file's own. The datasets run are now those of the last file that
names ``datasets:``, with config.yaml's settings for every key it does not
set (emgmm.pipeline.config.apply_overlays).
"""

import re
from pathlib import Path

import pytest
import yaml
from workflow_helpers import REPO, TINY_CONFIG, snakemake, write_config

pytestmark = pytest.mark.slow

CONFIGS = sorted((REPO / "configs").glob("*.yaml"))


def planned_datasets(proc):
    """Datasets whose data a dry run would load."""
    return set(re.findall(r"results/([A-Za-z0-9_.-]+)/data\.npz", proc.stdout))


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_a_config_file_runs_on_its_own(tmp_path, path):
    write_config(tmp_path, TINY_CONFIG)  # the default config.yaml: dataset 'tiny'
    proc = snakemake(tmp_path, "-n", "--configfile", str(path))
    own = set(yaml.safe_load(path.read_text())["datasets"])
    assert planned_datasets(proc) == own


def test_naming_config_yaml_first_overlays_on_it(tmp_path):
    write_config(tmp_path, TINY_CONFIG)
    overlay = Path(tmp_path, "more.yaml")
    overlay.write_text(yaml.safe_dump({"K": [2], "seeds": [0, 1]}))
    default = str(tmp_path / "config.yaml")
    proc = snakemake(tmp_path, "-n", "--configfile", default, str(overlay))
    assert planned_datasets(proc) == {"tiny"}
    assert "results/tiny/k2/full/seed1/emgmm.npz" in proc.stdout
    assert "k3" not in proc.stdout  # the overlay's K replaced config.yaml's


def test_an_overlay_alone_keeps_config_yaml_settings(tmp_path):
    """Before: `--configfile mine.yaml` alone fell back to the schema's
    defaults (K = [4], tol 1e-3), not config.yaml's."""
    write_config(tmp_path, {**TINY_CONFIG, "K": [2, 5]})
    overlay = Path(tmp_path, "mine.yaml")
    datasets = {"mine": {"source": "blobs", "n_samples": 100}}
    overlay.write_text(yaml.safe_dump({"datasets": datasets}))
    proc = snakemake(tmp_path, "-n", "--configfile", str(overlay))
    assert planned_datasets(proc) == {"mine"}
    assert "results/mine/k5/full/seed0/emgmm.npz" in proc.stdout
    assert "results/mine/k4/" not in proc.stdout
