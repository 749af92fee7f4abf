"""Bad inputs through the real workflow: one line, non-zero exit, no traceback,
no output of the failed job.

The corpus is tests/bad_inputs/ (cases.yaml lists each case and its message).
Config cases each run `snakemake` once with the case's overlay on a small valid
config: Snakemake must stop while reading the config, before any job. Data
cases are datasets of one config run once with `--keep-going` (one `load` job
per case, in parallel, instead of a Snakemake start-up per case); each test
then checks its own dataset's message, log and outputs.
"""

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from workflow_helpers import TINY_CONFIG, snakemake, write_config

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())

# Files a case's dataset may have once its failing rule has run: the outputs
# of the rules before it, nothing else (no output of the failed job, no
# temporary file).
UPSTREAM = {
    "load": set(),
    "embed": {"data.npz", "data.json"},
    "fit_em": {"data.npz", "data.json", "embedding.npz", "embedding.json"},
}


def output_text(proc):
    return proc.stdout + proc.stderr


def assert_no_traceback(text):
    assert "Traceback" not in text, text[-3000:]


@pytest.fixture(scope="module")
def data_run(tmp_path_factory):
    """Every data case as a dataset of one run (K = 13 for the too-few-rows case)."""
    workdir = tmp_path_factory.mktemp("bad_data")
    shutil.copytree(CORPUS / "data", workdir / "data")
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = {
        name: {"source": "file", **case["spec"]} for name, case in CASES["data"].items()
    }
    config["K"] = [13]
    write_config(workdir, config)
    return workdir, snakemake(workdir, "--keep-going", check=False)


@pytest.mark.parametrize("case", sorted(CASES["data"]))
def test_bad_data(data_run, case):
    workdir, proc = data_run
    rule, message = CASES["data"][case]["rule"], CASES["data"][case]["message"]
    text = output_text(proc)
    assert proc.returncode != 0
    # The one line on the terminal, and the same in the rule's log. (Jobs run
    # in parallel and share the terminal, so another job's output may end up
    # on the same line: look for the line's text, not for a line start.)
    line = f"emgmm: error in rule {rule}: {message}"
    shown = [t for t in text.splitlines() if line in t]
    assert shown, (line, [t for t in text.splitlines() if case in t])
    logs = list((workdir / "logs" / case).rglob(f"{rule}.log"))
    assert logs, f"no log of {rule} for {case}"
    for log in logs:
        log_text = log.read_text()
        assert line in log_text
        assert_no_traceback(log_text)
    assert_no_traceback(text)
    # Nothing of the failed job (or after it) was left behind.
    left = {
        p.relative_to(workdir / "results" / case).as_posix()
        for p in (workdir / "results" / case).rglob("*")
        if p.is_file()
    }
    assert left <= UPSTREAM[rule], left


@pytest.mark.parametrize("case", sorted(CASES["config"]))
def test_bad_config(tmp_path, case):
    write_config(tmp_path, TINY_CONFIG)
    overlay = CORPUS / CASES["config"][case]["overlay"]
    message = CASES["config"][case]["message"]
    # The tests' config by its full path: a relative one is found from the
    # directory snakemake is started in, not from --directory.
    base = str(tmp_path / "config.yaml")
    proc = snakemake(tmp_path, "--configfile", base, str(overlay), check=False)
    text = output_text(proc)
    assert proc.returncode != 0
    assert_no_traceback(text)
    lines = [t for t in text.splitlines() if message in t]
    assert len(lines) == 1, text
    if case != "not_yaml":  # that one is Snakemake's own message
        assert lines[0].startswith("emgmm: config error: "), lines[0]
    # Stopped before any job.
    assert "Building DAG" not in text
    assert not (tmp_path / "results").exists()
    assert not (tmp_path / "logs").exists()


def test_corpus_files_are_all_used():
    """Every file of the corpus belongs to a case (and every case's file exists)."""
    used = {Path(c["overlay"]).name for c in CASES["config"].values()}
    assert used == {p.name for p in (CORPUS / "configs").iterdir()}
    paths = {Path(c["spec"]["path"]).name for c in CASES["data"].values()}
    on_disk = {p.name for p in (CORPUS / "data").iterdir()}
    assert on_disk <= paths
    assert paths - on_disk == {"missing.csv", "data"}
