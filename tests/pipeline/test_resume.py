"""Determinism, interruption and isolation of the workflow (snakemake subprocess).

* Two clean runs of the same config give byte-identical outputs (every file
  under results/ but manifest.json and timings.tsv, which hold wall times).
* A run killed (SIGKILL, whole process group) after its first fit output
  appeared and resumed with --rerun-incomplete ends with the same bytes as a
  clean run, keeps the jobs that had finished, and leaves no temporary file.
* A dataset whose load fails leaves the results of another dataset untouched.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from workflow_helpers import (
    TINY_CONFIG,
    copy_run,
    env,
    job_counts,
    snakemake,
    snakemake_command,
    write_config,
)

from emgmm.pipeline import io

pytestmark = pytest.mark.slow

# Outputs that record wall times and so differ between identical runs.
TIMED = {"manifest.json", "timings.tsv"}
BAD_DATA = Path(__file__).parent / "bad_inputs" / "data" / "nan_inf.csv"


def outputs(workdir):
    """Bytes of every result file but the timed ones, by path under results/."""
    root = Path(workdir) / "results"
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() not in TIMED
    }


def assert_same_outputs(ours, reference):
    assert sorted(ours) == sorted(reference)
    differ = [name for name in reference if ours[name] != reference[name]]
    assert not differ, f"files that differ from the clean run: {differ}"


def temporaries(workdir):
    return sorted(Path(workdir, "results").rglob(".*.tmp*"))


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("clean")
    write_config(workdir, TINY_CONFIG)
    snakemake(workdir)
    return workdir


def test_clean_run_has_every_output(clean_run):
    names = outputs(clean_run)
    for fit in ("tiny/k2/full/seed0", "tiny/k3/full/seed0"):
        for name in ("emgmm.npz", "sklearn.json", "scores.json", "matching.tsv"):
            assert f"{fit}/{name}" in names
        assert f"{fit}/figures/ellipses.png" in names
    assert "summary.tsv" in names and "tiny/model_selection.png" in names
    assert not temporaries(clean_run)


def test_two_clean_runs_are_byte_identical(clean_run, tmp_path):
    second = tmp_path / "second"
    second.mkdir()
    write_config(second, TINY_CONFIG)
    snakemake(second)
    # Numbers, tables, records and figures: the same bytes.
    assert_same_outputs(outputs(second), outputs(clean_run))
    # The manifest differs only in wall times.
    ours = io.load_json(second / "results/manifest.json")
    theirs = io.load_json(clean_run / "results/manifest.json")
    for key in ("config", "versions", "inputs_sha256", "python", "platform"):
        assert ours[key] == theirs[key], key
    assert set(ours["wall_time_per_rule"]) == set(theirs["wall_time_per_rule"])
    # Seeds and threads are recorded with every fit.
    record = io.load_json(second / "results/tiny/k3/full/seed0/emgmm.json")
    assert record["random_state"] == 0 and record["threads"] == 1
    assert ours["config"]["umap"]["random_state"] == 42


def start_snakemake(workdir, log):
    """snakemake in its own process group (so the kill reaches every job)."""
    cmd = snakemake_command(workdir)
    return subprocess.Popen(
        cmd,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env(),
        start_new_session=True,
    )


def test_killed_run_resumes_to_the_same_results(clean_run, tmp_path):
    workdir = tmp_path / "killed"
    workdir.mkdir()
    write_config(workdir, TINY_CONFIG)
    with open(tmp_path / "first.log", "w") as log:
        proc = start_snakemake(workdir, log)
        try:
            deadline = time.monotonic() + 600
            while not list(workdir.glob("results/*/k*/**/emgmm.npz")):
                assert proc.poll() is None, "snakemake ended before the first fit"
                assert time.monotonic() < deadline, "no fit output after 600 s"
                time.sleep(0.1)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert not (workdir / "results/summary.tsv").exists(), "killed too late"

    rerun = snakemake(workdir, "--rerun-incomplete", check=False)
    if rerun.returncode != 0 and "cannot be locked" in rerun.stderr:
        snakemake(workdir, "--unlock")
        rerun = snakemake(workdir, "--rerun-incomplete", check=False)
    assert rerun.returncode == 0, rerun.stderr[-6000:]

    # Jobs that had finished were kept: load and embed ran before any fit.
    counts = job_counts(rerun.stderr)
    assert "load" not in counts and "embed" not in counts, counts
    assert counts.get("manifest") == 1, counts
    assert_same_outputs(outputs(workdir), outputs(clean_run))
    assert not temporaries(workdir)


def test_failed_dataset_leaves_other_results_untouched(clean_run, tmp_path):
    workdir = copy_run(clean_run, tmp_path / "run")
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in (workdir / "results").rglob("*")
        if p.is_file()
    }
    (workdir / "data").mkdir()
    shutil.copy(BAD_DATA, workdir / "data" / "broken.csv")
    config = {**TINY_CONFIG, "datasets": {**TINY_CONFIG["datasets"]}}
    config["datasets"]["broken"] = {"source": "file", "path": "data/broken.csv"}
    write_config(workdir, config)

    proc = snakemake(workdir, check=False)
    assert proc.returncode != 0
    # stopped by the checks before any job
    assert (
        "emgmm: data error: dataset 'broken': data file data/broken.csv: 2 row(s) "
        "hold NaN" in proc.stderr
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    after = {p for p in (workdir / "results").rglob("*") if p.is_file()}
    assert after == set(before), sorted(map(str, after ^ set(before)))
    for p, (data, mtime) in before.items():
        assert p.read_bytes() == data and p.stat().st_mtime_ns == mtime, p


def test_rerun_job_removes_temporaries_of_a_killed_writer(tmp_path):
    """run_script deletes what a SIGKILLed atomic writer left next to its outputs
    (and nothing else), before the job runs again."""
    from types import SimpleNamespace

    out = tmp_path / "results" / "emgmm.npz"
    out.parent.mkdir()
    stale = [out.parent / ".emgmm.tmp4242.npz", out.parent / ".emgmm.tmp7.json"]
    other = out.parent / ".sklearn.tmp4242.npz"  # another job's output
    for p in (*stale, other):
        p.write_bytes(b"half")
    seen = []

    def main(smk):
        seen.extend(sorted(p.name for p in out.parent.iterdir()))
        io.save_npz(out, x=[1.0])

    smk = SimpleNamespace(
        log=[], rule="fit_em", output=[str(out), str(out.with_suffix(".json"))]
    )
    io.run_script(main, smk)
    assert seen == [other.name]
    assert sorted(p.name for p in out.parent.iterdir()) == [other.name, out.name]
