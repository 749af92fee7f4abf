"""Reading and writing results: atomic, deterministic, logged.

Every file the workflow writes goes through this module so that

* an output appears only when complete (written under a temporary name in the
  same folder, then renamed), so a killed job never leaves a file Snakemake
  could trust;
* the same numbers give the same bytes (``.npz`` archives carry a fixed
  timestamp, JSON is key-sorted, floats are written as their shortest repr);
* a user error (:class:`~emgmm.EmgmmError`) ends the script with one line on
  the terminal and in the rule's log, and a non-zero exit, while any other
  exception keeps its full traceback in the log.
"""

import contextlib
import glob
import hashlib
import json
import logging
import os
import struct
import sys
import zipfile
from pathlib import Path

import numpy as np

from .. import EmgmmError

__all__ = [
    "atomic_path",
    "file_sha256",
    "load_json",
    "load_npz",
    "load_pickle",
    "load_table",
    "map_npz",
    "remove_stale_temporaries",
    "run_script",
    "save_json",
    "save_npz",
    "save_pickle",
    "save_table",
    "setup_logging",
]

logger = logging.getLogger(__name__)

# 1980-01-01 is the earliest date a zip entry can carry: a fixed timestamp
# makes two archives of the same arrays byte-identical.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    The temporary name keeps the suffix, so writers that infer the format from
    the extension (matplotlib, pandas) behave as for the final name. On any
    exception the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(_temporary_name(path, os.getpid()))
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _temporary_name(path, pid):
    return f".{path.stem}.tmp{pid}{path.suffix}"


def remove_stale_temporaries(paths):
    """Delete temporary files a killed writer left next to ``paths``.

    A process killed (SIGKILL, node failure) inside :func:`atomic_path` cannot
    remove its temporary file. :func:`run_script` calls this for the job's
    outputs before running it: Snakemake runs one job per output at a time, so
    any temporary of those outputs is left over from a killed run.

    Returns
    -------
    removed : list of Path
    """
    removed = []
    for path in map(Path, paths):
        pattern = glob.escape(_temporary_name(path, "")).replace(".tmp", ".tmp*", 1)
        for tmp in path.parent.glob(pattern):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


# arrays above this many bytes get zip64 headers (zipfile cannot tell a
# streamed member's size in advance; below 2 GiB the plain ones hold)
_ZIP64_FROM = 2**31 - 2**20


def save_npz(path, **arrays):
    """Write arrays to an uncompressed ``.npz``, byte-identical for equal inputs."""
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as zf:
            for name in sorted(arrays):
                array = np.asanyarray(arrays[name])
                info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_EPOCH)
                info.external_attr = 0o644 << 16
                # streamed into the file: no copy of the array in memory
                big = array.nbytes > _ZIP64_FROM
                with zf.open(info, "w", force_zip64=big) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)


def map_npz(path, key):
    """Array ``key`` of a ``.npz`` written by :func:`save_npz`, memory-mapped.

    :func:`save_npz` stores its members uncompressed, so each ``.npy`` lies
    whole in the file: mapped read-only, only the rows a job indexes are read
    from disk, and a job that takes one chunk of a large table holds that
    chunk, not the table.
    """
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{key}.npy")
    if info.compress_type != zipfile.ZIP_STORED:
        raise ValueError(f"{path}: {key}.npy is compressed; it cannot be mapped")
    with open(path, "rb") as f:
        # the local header: 30 bytes, then the name and the extra field
        f.seek(info.header_offset + 26)
        name_length, extra_length = struct.unpack("<HH", f.read(4))
        f.seek(info.header_offset + 30 + name_length + extra_length)
        version = np.lib.format.read_magic(f)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran_order, dtype = read_header(f)
        offset = f.tell()
    return np.memmap(
        path,
        dtype=dtype,
        mode="r",
        offset=offset,
        shape=shape,
        order="F" if fortran_order else "C",
    )


def load_npz(path):
    """Read a ``.npz`` written by :func:`save_npz` into a plain dict of arrays."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _jsonable(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")


def save_json(path, obj):
    """Write ``obj`` as key-sorted, indented JSON (atomic, deterministic)."""
    text = json.dumps(obj, indent=2, sort_keys=True, default=_jsonable) + "\n"
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def load_json(path):
    """Read a JSON file."""
    return json.loads(Path(path).read_text())


def save_pickle(path, obj):
    """Pickle ``obj`` to ``path`` (atomic): a model one job fits and others use."""
    import pickle

    with atomic_path(path) as tmp:
        tmp.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


def load_pickle(path):
    """Read a file written by :func:`save_pickle` (the workflow's own files only:
    unpickling runs code)."""
    import pickle

    return pickle.loads(Path(path).read_bytes())


def save_table(path, df):
    """Write a DataFrame as TSV without its index (atomic, deterministic)."""
    with atomic_path(path) as tmp:
        df.to_csv(tmp, sep="\t", index=False, lineterminator="\n")


def load_table(path):
    """Read a TSV written by :func:`save_table` back into a DataFrame.

    The inverse of :func:`save_table`: only an empty field is missing (pandas'
    default would also turn strings such as ``NA`` or ``None``, e.g. a dataset
    of that name, into NaN). pandas is imported here, not with the module.
    """
    import pandas as pd

    return pd.read_csv(path, sep="\t", keep_default_na=False, na_values=[""])


def file_sha256(path, chunk=1 << 20):
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


LOG_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
"""Format of every job log's records (script and in-process jobs)."""


def setup_logging(log_path=None, level=logging.INFO):
    """Send logging and stderr to ``log_path`` (line-buffered), as Snakemake rules do.

    Returns the original stderr stream, so a one-line user error can still be
    shown on the terminal.
    """
    terminal = sys.stderr
    handlers = [logging.StreamHandler(terminal)]
    if log_path is not None:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        stream = open(log_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the job
        sys.stderr = stream
        handlers = [logging.StreamHandler(stream)]
    logging.basicConfig(
        level=level,
        format=LOG_FORMAT,
        handlers=handlers,
        force=True,
    )
    logging.captureWarnings(True)
    return terminal


def user_error_line(rule, err):
    """The one line a user error ends a job with, on the terminal and in its log."""
    return f"emgmm: error in rule {rule}: {err}"


def run_script(main, smk):
    """Run a workflow script's ``main(smk)`` with logging and one-line user errors.

    An :class:`~emgmm.EmgmmError` is written as ``emgmm: error in rule <rule>:
    <message>`` to the rule's log and to the terminal, and the process exits
    with status 1; no output is left behind because every writer is atomic.
    Other exceptions are logged with their traceback and re-raised.
    """
    from ..runtime import configure_threads

    # Before numba is imported: the job's thread limits, and numba's on-disk
    # cache shared by every job and run (emgmm's kernels, UMAP's).
    configure_threads(getattr(smk, "threads", 1))
    log = smk.log[0] if len(smk.log) else None
    terminal = setup_logging(log)
    for tmp in remove_stale_temporaries(getattr(smk, "output", [])):
        logger.warning("removed %s, left by an interrupted run", tmp)
    try:
        main(smk)
    except EmgmmError as err:
        line = user_error_line(smk.rule, err)
        logger.error(line)
        if terminal is not sys.stderr:
            print(line, file=terminal, flush=True)
        sys.exit(1)
    except Exception:
        logger.exception("unexpected error in rule %s", smk.rule)
        raise
