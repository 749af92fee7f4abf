"""Bad inputs through the real workflow: one line, non-zero exit, no traceback,
no output of the failed job.

The corpus is tests/pipeline/bad_inputs/ (cases.yaml lists each case and its message).
Config cases each run `snakemake` once with the case's overlay on a small valid
config: Snakemake must stop while reading the config, before any job. Data
cases are datasets of two runs: those the checks before any job find (all
named by one run, which starts no job), and those only a job finds (one run
with `--keep-going`); each test then checks its own dataset's message, log
and outputs.
"""

import copy
import re
import shutil
from pathlib import Path

import pytest
import yaml
from workflow_helpers import TINY_CONFIG, snakemake, write_config

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((CORPUS / "cases.yaml").read_text())

CHECK_CASES = sorted(n for n, c in CASES["data"].items() if c["rule"] == "check")
JOB_CASES = sorted(n for n, c in CASES["data"].items() if c["rule"] != "check")

# Files a case's dataset may have once its failing rule has run: the outputs
# of the rules before it, nothing else (no output of the failed job, no
# temporary file).
UPSTREAM = {
    "embed": {"data.npz", "data.json", "features.npz", "features.json"},
    "fit_em": {
        "data.npz",
        "data.json",
        "features.npz",
        "features.json",
        "embedding.npz",
        "embedding.json",
    },
}


def output_text(proc):
    return proc.stdout + proc.stderr


def assert_no_traceback(text):
    assert "Traceback" not in text, text[-3000:]


def run_cases(tmp_path_factory, names, *args):
    """The data cases ``names``, each a dataset of one run (K = 13 for the
    too-few-rows case)."""
    workdir = tmp_path_factory.mktemp("bad_data")
    shutil.copytree(CORPUS / "data", workdir / "data")
    config = copy.deepcopy(TINY_CONFIG)
    config["datasets"] = {
        name: {"source": "file", **CASES["data"][name]["spec"]} for name in names
    }
    config["K"] = [13]
    write_config(workdir, config)
    return workdir, snakemake(workdir, *args, check=False)


@pytest.fixture(scope="module")
def check_run(tmp_path_factory):
    """Every case the checks before any job stop, in one run."""
    return run_cases(tmp_path_factory, CHECK_CASES)


@pytest.fixture(scope="module")
def job_run(tmp_path_factory):
    """The cases only a job can find, run with --keep-going (one job per case,
    in parallel, instead of a Snakemake start-up per case)."""
    return run_cases(tmp_path_factory, JOB_CASES, "--keep-going")


@pytest.mark.parametrize("case", CHECK_CASES)
def test_bad_data_stops_the_run_before_any_job(check_run, case):
    """Before: each stopped its `load` job, one problem per run, after
    Snakemake had removed that dataset's earlier data.npz."""
    workdir, proc = check_run
    text = output_text(proc)
    assert proc.returncode != 0
    line = f"emgmm: data error: dataset {case!r}: {CASES['data'][case]['message']}"
    assert [t for t in text.splitlines() if t.startswith(line)], (line, text[-3000:])
    assert_no_traceback(text)
    assert "Building DAG" not in text
    assert not (workdir / "results").exists() and not (workdir / "logs").exists()


def test_every_bad_dataset_is_named_in_the_same_run(check_run):
    _, proc = check_run
    named = [t for t in proc.stderr.splitlines() if t.startswith("emgmm: data error")]
    assert len(named) == len(CHECK_CASES)


@pytest.mark.parametrize("case", JOB_CASES)
def test_bad_data_found_by_a_job(job_run, case):
    workdir, proc = job_run
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


def test_a_failed_run_ends_with_what_to_fix(job_run):
    """Before: the run ended with Snakemake's 'At least one job did not
    complete successfully', the one line ~20 lines above."""
    _, proc = job_run
    lines = proc.stderr.rstrip().splitlines()
    head = "emgmm: the run stopped; what to fix (from the jobs' logs):"
    tail = lines[len(lines) - 1 - lines[::-1].index(head) :]
    assert all(t.startswith("emgmm: error in rule ") for t in tail[1:]), tail
    for case in JOB_CASES:
        rule, message = CASES["data"][case]["rule"], CASES["data"][case]["message"]
        assert any(
            t.startswith(f"emgmm: error in rule {rule}: {message}") for t in tail
        ), (case, tail)


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


def test_a_yaml_mistake_in_config_yaml_is_named_with_its_line(tmp_path):
    """Before: Snakemake's 'Config file is not valid JSON or YAML', with no
    file or line."""
    write_config(tmp_path, TINY_CONFIG)
    path = tmp_path / "config.yaml"
    path.write_text(path.read_text().replace("K:\n- 2\n- 3", "K: [2, 3"))
    proc = snakemake(tmp_path, check=False)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert re.match(r"emgmm: config error: config.yaml:\d+:\d+: not valid YAML", last)
    assert_no_traceback(output_text(proc))
