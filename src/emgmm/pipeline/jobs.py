"""Run a workflow script's ``main(smk)`` inside the Snakemake process.

Every step of the workflow is a script in ``workflow/scripts/`` with a
``main(smk)``. A ``script:`` rule runs it in a new Python process
(:func:`emgmm.pipeline.io.run_script`), which costs a Python start-up and the imports
(scikit-learn alone takes about 1.7 s, numba 0.5 s, matplotlib 0.8 s) for
work that is milliseconds to a second in the light steps: the fits, the
comparisons, the aggregates. Those rules use ``run:`` and call
:func:`run_job` instead: with ``--force-use-threads`` (``profiles/default``
sets it), Snakemake runs a ``run:`` block in a thread of its own process,
so each import is paid once per Snakemake run. On a cluster every job is
still its own process (the executor's job step runs the same ``run:`` block).

The scripts set process-wide state (BLAS thread limits, warning filters,
pyplot's figures), so :func:`run_job` runs one job at a time: a lock, and the
rules ask for one unit of the ``in_process`` resource, which the profile
limits to 1, so that Snakemake does not start a second such job only for it to
wait. A job's log gets the records of its own thread only.

A job whose inputs exceed :data:`OWN_PROCESS_FROM_MB` runs in a Python
process of its own instead (:func:`run_job` starts it): its data would
otherwise stay in the Snakemake process's memory, whose peak only grows, and
the start-up it saves is nothing beside the work. The job's log then also
gives the peak resident memory of its process.
"""

import atexit
import gc
import logging
import os
import pickle
import runpy
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

from .. import EmgmmError
from .io import LOG_FORMAT, remove_stale_temporaries, user_error_line

__all__ = ["finish_run", "run_job", "script_main", "user_errors"]

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_MAINS = {}

#: inputs (MiB) above which :func:`run_job` runs a job in a process of its
#: own; the environment variable ``EMGMM_OWN_PROCESS_FROM_MB`` overrides it
OWN_PROCESS_FROM_MB = 256


def script_main(script):
    """``main`` of a workflow script, loaded once per process."""
    script = str(script)
    if script not in _MAINS:
        # Named after the script (its loggers' names), not "__main__": the
        # script's own command-line entry point does not run.
        _MAINS[script] = runpy.run_path(script, run_name=Path(script).stem)["main"]
    return _MAINS[script]


class _ThisThread(logging.Filter):
    def __init__(self):
        super().__init__()
        self.ident = threading.get_ident()

    def filter(self, record):
        return record.thread == self.ident and not record.name.startswith("snakemake")


@contextmanager
def _job_log(path):
    """Send this thread's logging records and warnings to ``path``."""
    root = logging.getLogger()
    level = root.level
    if path is None:
        handler = logging.NullHandler()
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, mode="w")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(_ThisThread())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        # Entering catch_warnings resets what was already shown (a warning
        # shown once per location is shown once per job, as in a process of
        # its own) and restores showwarning on exit.
        with warnings.catch_warnings():
            warnings.showwarning = _log_warning
            yield
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _log_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as records of the ``py.warnings`` logger (the job's log)."""
    text = warnings.formatwarning(message, category, filename, lineno, line)
    logging.getLogger("py.warnings").warning("%s", text.rstrip())


def _threads(n, cores):
    """Thread limits of one job in a process that runs many.

    numba sizes its pool once, at import, from ``NUMBA_NUM_THREADS``: unless
    that is set, here to the CPUs this process may use (its affinity, e.g. a
    cluster job's allocation) and at least ``cores``, so that a later job
    with more threads is not capped by an earlier one. Each job's BLAS limit
    (threadpoolctl) then caps emgmm's numba kernels too
    (:func:`emgmm._engine.blas_threads`).
    """
    from ..runtime import default_numba_cache_dir

    os.environ.setdefault("NUMBA_CACHE_DIR", default_numba_cache_dir())
    if "numba" not in sys.modules and "NUMBA_NUM_THREADS" not in os.environ:
        available = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count()
        )
        os.environ["NUMBA_NUM_THREADS"] = str(max(n, cores, available or 1))
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n)


def run_job(
    script,
    rule,
    *,
    input,
    output,
    params,
    wildcards,
    threads,
    log,
    cores=1,
    own_process=None,
):
    """Run ``main(smk)`` of ``script`` in this process, as one Snakemake job.

    Parameters
    ----------
    script : path-like
        A workflow script with a ``main(smk)`` function.
    rule : str
        The rule's name.
    input, output, params, wildcards, threads, log
        The job's, as a ``run:`` block has them; ``main`` gets them as the
        attributes of its ``smk`` argument, like a ``script:``'s ``snakemake``.
    cores : int
        Cores of the Snakemake run (the largest thread count of any job).
    own_process : bool or None
        Run the job in a Python process of its own; None: where its input
        files take more than :data:`OWN_PROCESS_FROM_MB` MiB (or
        ``EMGMM_OWN_PROCESS_FROM_MB``).

    Raises
    ------
    EmgmmError
        ``emgmm: error in rule <rule>: <message>`` for a user error
        (:class:`~emgmm.EmgmmError`), written to the job's log too; Snakemake
        shows the line and removes the job's outputs. Other exceptions are
        logged with their traceback and re-raised.
    """
    smk = SimpleNamespace(
        rule=rule,
        input=input,
        output=output,
        params=params,
        wildcards=wildcards,
        threads=threads,
        log=log,
    )
    if own_process is None:
        limit = os.environ.get("EMGMM_OWN_PROCESS_FROM_MB", OWN_PROCESS_FROM_MB)
        own_process = _input_mib(input) > float(limit)
    if own_process:
        _run_in_own_process(script, smk, cores)
        return
    with _LOCK, _job_log(log[0] if len(log) else None):
        for tmp in remove_stale_temporaries(output):
            logger.warning("removed %s, left by an interrupted run", tmp)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            with _threads(int(threads), int(cores or 1)):
                script_main(script)(smk)
            # Snakemake's benchmark file of an in-process job has the job's
            # wall time but the whole process's CPU time and memory.
            logger.info(
                "job done in %.3f s wall, %.3f s CPU (this process, all threads)%s",
                time.perf_counter() - wall,
                time.process_time() - cpu,
                f", peak memory {_peak_mib():.0f} MiB" if _IN_OWN_PROCESS else "",
            )
        except EmgmmError as err:
            line = user_error_line(rule, err)
            logger.error(line)
            raise EmgmmError(line) from None
        except Exception:
            logger.exception("unexpected error in rule %s", rule)
            raise


_IN_OWN_PROCESS = False


def _input_mib(input):
    """The size of a job's input files, MiB."""
    files = [f for f in _flat(input) if os.path.isfile(f)]
    return sum(os.path.getsize(f) for f in files) / 2**20


def _flat(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from _flat(item)
        else:
            yield str(item)


def _peak_mib():
    """This process's peak resident memory (VmHWM), MiB; 0 where unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class _Named(list):
    """A job's input, output, log, params or wildcards for another process:
    its items, and its names as attributes (as Snakemake's ``Namedlist``)."""

    def __init__(self, items, names):
        super().__init__(items)
        self.__dict__.update(names)


def _plain(value):
    """File names (Snakemake's ``str`` subclasses) as ``str``, in lists too."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _named(value):
    """``value`` (a Namedlist, a list with names, a namespace) as :class:`_Named`."""
    if callable(getattr(value, "items", None)):
        names = dict(value.items())
    else:
        names = getattr(value, "__dict__", {})
        names = {k: v for k, v in names.items() if not k.startswith("_")}
    items = value if isinstance(value, list) else ()
    return _Named(_plain(list(items)), {k: _plain(v) for k, v in names.items()})


def _run_in_own_process(script, smk, cores):
    """:func:`run_job` in a new Python process (``python -m
    emgmm.pipeline.jobs``); its user error, if any, raised here."""
    job = SimpleNamespace(rule=smk.rule, threads=int(smk.threads))
    for name in ("input", "output", "params", "wildcards", "log"):
        setattr(job, name, _named(getattr(smk, name)))
    with tempfile.NamedTemporaryFile(suffix=".pkl", delete=False) as f:
        pickle.dump((str(script), job, cores), f)
    try:
        proc = subprocess.run([sys.executable, "-m", __name__, f.name])
    finally:
        os.unlink(f.name)
    if proc.returncode:
        logs = [p for p in job.log if os.path.isfile(p)]
        errors = list(_error_lines(logs))
        if errors:
            raise EmgmmError(errors[-1])
        raise RuntimeError(
            f"rule {smk.rule}: its process ended with exit code {proc.returncode}"
            + (f"; see {logs[0]}" if logs else "")
        )


def _error_lines(paths):
    """The ``emgmm: error in rule ...`` lines of the files ``paths``, in order."""
    marker = "emgmm: error in rule "
    for path in paths:
        for line in Path(path).read_text(errors="replace").splitlines():
            start = line.find(marker)
            if start >= 0:
                yield line[start:]


def _own_process_main(path):
    """The job :func:`_run_in_own_process` pickled at ``path``, run here."""
    global _IN_OWN_PROCESS
    _IN_OWN_PROCESS = True
    with open(path, "rb") as f:
        script, smk, cores = pickle.load(f)
    try:
        run_job(
            script,
            smk.rule,
            input=smk.input,
            output=smk.output,
            params=smk.params,
            wildcards=smk.wildcards,
            threads=smk.threads,
            log=smk.log,
            cores=cores,
            own_process=False,
        )
    except EmgmmError:
        return 1  # the line is in the job's log
    return 0


def user_errors(logs, since):
    """The one-line user errors in the job logs under ``logs`` written since ``since``.

    Every job that stops on a user's mistake writes ``emgmm: error in rule
    <rule>: <message>`` to its log (:func:`run_job`,
    :func:`emgmm.pipeline.io.run_script`), in this process, another one or a cluster
    job.

    Parameters
    ----------
    logs : path-like
        The workflow's log folder.
    since : float
        Seconds since the epoch: older logs are of earlier runs.

    Returns
    -------
    list of str
        Each distinct line once, in the order of the log files' paths.
    """
    found = []
    for path in sorted(Path(logs).rglob("*.log")):
        try:
            if path.stat().st_mtime < since:
                continue
            lines = list(_error_lines([path]))
        except OSError:  # removed meanwhile
            continue
        for line in lines:
            if line not in found:
                found.append(line)
    return found


def _print_errors(errors):
    print(
        "emgmm: the run stopped; what to fix (from the jobs' logs):",
        *errors,
        sep="\n",
        file=sys.stderr,
        flush=True,
    )


def finish_run(failed=False, since=0.0, logs="logs"):
    """Let the Snakemake process exit now that its jobs are done.

    For the Snakefile's ``onsuccess`` and ``onerror`` handlers. After a
    failed run (``failed=True``) the user errors of the run's jobs
    (:func:`user_errors`, logs written since ``since``) are printed when
    the process exits, after Snakemake's own closing lines, so that the last
    lines a user sees say what to fix, not only that a job failed. Two waits
    follow the last job of a run, about 2.5 s of a 15 s rerun on a 2-core
    machine:

    - Snakemake's job rate limiter leaves a ``threading.Timer`` (its 1 s
      re-evaluation of the scheduler) pending, and Python waits for it at
      exit. The scheduler has returned when the handlers run, so the timers
      have nothing left to wake: they are cancelled.
    - The interpreter's garbage collections at exit walk every object the
      in-process jobs imported (scikit-learn, SciPy, matplotlib, numba):
      about 1 s. :func:`gc.freeze` leaves those to the operating system.
    """
    if failed:
        errors = user_errors(logs, since)
        if errors:
            # At exit: after Snakemake's own closing lines ("At least one job
            # did not complete successfully"), which follow this handler.
            atexit.register(_print_errors, errors)
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
    gc.freeze()


if __name__ == "__main__":
    sys.exit(_own_process_main(sys.argv[1]))
