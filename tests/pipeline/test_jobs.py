"""emgmm.pipeline.jobs.run_job: a workflow script's main(smk) run inside this process,
as the light rules run inside Snakemake's (without Snakemake here)."""

import gc
import logging
import os
import re
import threading
from types import SimpleNamespace

import pytest

from emgmm import EmgmmError
from emgmm.pipeline import jobs
from emgmm.pipeline.io import _temporary_name
from emgmm.pipeline.jobs import finish_run, run_job

SCRIPT = """
import logging
import warnings
from pathlib import Path

from emgmm import InputError

logger = logging.getLogger(__name__)


def main(smk):
    logger.info("working on %s", smk.wildcards.name)
    warnings.warn("a warning of this job")
    if smk.params.fail:
        raise InputError("the data are bad; fix them")
    if smk.params.crash:
        raise ZeroDivisionError("a bug")
    Path(smk.output[0]).write_text(f"{smk.threads}")
"""


class Named(list):
    """A list with names, as Snakemake's input/output/log are."""

    def __init__(self, **named):
        super().__init__(named.values())
        self.__dict__.update(named)


@pytest.fixture
def job(tmp_path):
    script = tmp_path / "step.py"
    script.write_text(SCRIPT)

    def run(name="a", fail=False, crash=False, threads=1, input=(), own_process=None):
        log = tmp_path / f"{name}.log"
        run_job(
            script,
            "step",
            input=Named(**{f"in{i}": str(f) for i, f in enumerate(input)}),
            output=Named(out=str(tmp_path / f"{name}.txt")),
            params=SimpleNamespace(fail=fail, crash=crash),
            wildcards=SimpleNamespace(name=name),
            threads=threads,
            log=[str(log)],
            own_process=own_process,
        )
        return log

    return run


def test_a_job_writes_its_outputs_and_its_log(job, tmp_path):
    log = job("a", threads=2)
    assert (tmp_path / "a.txt").read_text() == "2"
    text = log.read_text()
    assert "step INFO working on a" in text
    assert "a warning of this job" in text  # warnings go to the job's log
    assert "job done in" in text and "s CPU" in text


def test_each_job_logs_its_own_warning_not_once_per_process(job):
    first, second = job("a"), job("b")
    assert "a warning of this job" in first.read_text()
    assert "a warning of this job" in second.read_text()
    assert "working on a" not in second.read_text()


def test_a_user_error_is_one_line_in_the_exception_and_the_log(job, tmp_path):
    with pytest.raises(EmgmmError) as info:
        job("bad", fail=True)
    line = "emgmm: error in rule step: the data are bad; fix them"
    assert str(info.value) == line
    text = (tmp_path / "bad.log").read_text()
    assert line in text and "Traceback" not in text
    assert not (tmp_path / "bad.txt").exists()


def test_a_bug_keeps_its_traceback_in_the_log(job, tmp_path):
    with pytest.raises(ZeroDivisionError):
        job("bug", crash=True)
    assert "Traceback" in (tmp_path / "bug.log").read_text()


def test_a_job_on_large_inputs_runs_in_a_process_of_its_own(job, tmp_path, monkeypatch):
    data = tmp_path / "data.bin"
    data.write_bytes(b"x" * 2**20)
    log = job("small", input=[data])  # 1 MiB: in this process
    assert "peak memory" not in log.read_text()
    monkeypatch.setattr(jobs, "OWN_PROCESS_FROM_MB", 0.5)
    log = job("large", threads=2, input=[data])
    assert (tmp_path / "large.txt").read_text() == "2"
    text = log.read_text()
    assert "working on large" in text and "a warning of this job" in text
    assert re.search(r"job done in .* s CPU .*, peak memory \d+ MiB", text), text


def test_a_job_in_its_own_process_fails_as_in_this_one(job, tmp_path):
    with pytest.raises(EmgmmError) as info:
        job("bad", fail=True, own_process=True)
    line = "emgmm: error in rule step: the data are bad; fix them"
    assert str(info.value) == line
    text = (tmp_path / "bad.log").read_text()
    assert line in text and "Traceback" not in text
    assert not (tmp_path / "bad.txt").exists()
    with pytest.raises(RuntimeError, match=r"rule step: its process ended with exit"):
        job("bug", crash=True, own_process=True)
    assert "ZeroDivisionError: a bug" in (tmp_path / "bug.log").read_text()


def test_records_of_other_threads_stay_out_of_the_log(job, tmp_path):
    other = logging.getLogger("elsewhere")
    stop = threading.Event()

    def chatter():
        while not stop.is_set():
            other.warning("another thread's record")

    thread = threading.Thread(target=chatter)
    thread.start()
    try:
        log = job("quiet")
    finally:
        stop.set()
        thread.join()
    assert "another thread's record" not in log.read_text()


def test_stale_temporaries_of_a_killed_job_are_removed(job, tmp_path):
    stale = tmp_path / _temporary_name(tmp_path / "a.txt", 12345)
    stale.write_text("half")
    log = job("a")
    assert not stale.exists()
    assert "left by an interrupted run" in log.read_text()


def test_the_root_logger_is_left_as_it_was(job):
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    job("a")
    with pytest.raises(EmgmmError):
        job("b", fail=True)
    assert root.level == level and root.handlers == handlers


def test_finish_run_cancels_pending_timers_and_freezes_the_heap():
    # Snakemake's scheduler leaves a 1 s re-evaluation Timer that Python
    # waits for at exit; finish_run (the Snakefile's onsuccess/onerror) ends it.
    fired = threading.Event()
    timer = threading.Timer(60, fired.set)
    timer.start()
    try:
        finish_run()
        timer.join(timeout=5)
        assert not timer.is_alive() and not fired.is_set()
        assert gc.get_freeze_count() > 0
    finally:
        timer.cancel()
        gc.unfreeze()


def test_a_failed_run_ends_with_what_to_fix(tmp_path, capsys, monkeypatch):
    """Before: the one-line message was ~20 lines above Snakemake's closing
    'WorkflowError: At least one job did not complete successfully.'"""
    logs = tmp_path / "logs"
    (logs / "tiny").mkdir(parents=True)
    line = "emgmm: error in rule fit_em: dataset 'tiny': n_components=13 is more"
    (logs / "tiny" / "fit_em.log").write_text(f"2026-01-01 fit ERROR {line}\n")
    (logs / "tiny" / "load.log").write_text("2026-01-01 load INFO loaded\n")
    old = logs / "old.log"
    old.write_text("2020-01-01 x ERROR emgmm: error in rule load: an older run\n")
    os.utime(old, (1.0e9, 1.0e9))
    printed = []
    monkeypatch.setattr("atexit.register", lambda f, *a: printed.append((f, a)))
    try:
        finish_run(failed=True, since=1.5e9, logs=logs)
    finally:
        gc.unfreeze()
    assert capsys.readouterr().err == ""  # not yet: at exit, after Snakemake's
    [(print_at_exit, args)] = printed
    print_at_exit(*args)
    err = capsys.readouterr().err.splitlines()
    assert err == ["emgmm: the run stopped; what to fix (from the jobs' logs):", line]


def test_a_run_that_failed_for_another_reason_adds_nothing(
    tmp_path, capsys, monkeypatch
):
    printed = []
    monkeypatch.setattr("atexit.register", lambda f, *a: printed.append((f, a)))
    try:
        finish_run(failed=True, since=0.0, logs=tmp_path / "no-logs")
        finish_run(failed=False, since=0.0, logs=tmp_path / "no-logs")
    finally:
        gc.unfreeze()
    assert capsys.readouterr().err == "" and printed == []
