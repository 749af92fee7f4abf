"""Datasets: scikit-learn's bundled digits, synthetic blobs, or a user table.

:func:`load_dataset` turns one entry of the config's ``datasets`` mapping into
``(X, y, info)`` and checks the data on the way, raising
:class:`~emgmm.InputError` with one line naming the file, column and rows when
something is wrong. Rows are numbered as "data rows", from 1, not counting the
header line (data row 1 is line 2 of a CSV file).

What is checked, and what a dataset entry may say about it:

* the file exists, is a file, has a known extension, can be read and has a
  header and at least one row;
* the feature columns: those named in ``columns``, each of which must be
  numeric; without ``columns``, every column of measurements but the label:
  text columns (no value is a number: names, categories such as a species
  or an island), integer codes (a year, a site number) and row numbers are
  skipped and named, with the reason, in the log and in ``info``
  (:func:`_why_skipped`); a column of numbers with a few values that are
  not is an error naming a value;
* the label column, when given: its values are kept as names
  (``info["label_names"]``), coded 0..L-1 in sorted order;
* no NaN or infinite values (``on_invalid: error``, the default), or rows
  holding them are dropped and counted (``on_invalid: drop``);
* no column is constant (zero variance) — for files only: digits has blank
  border pixels and keeps them;
* duplicate rows are kept and counted (``on_duplicates: keep``, the default:
  they are legitimate observations and a mixture weighs them), dropped except
  for their first occurrence (``drop``) or rejected (``error``).

Too few rows for the number of components is checked by the fit
(:func:`emgmm.pipeline.fitting.fit_mixture`), so that a change of ``K`` does not rerun
the ``load`` step.

:func:`check_before_run` runs what can be checked before any job of the
workflow: the file, its header, and, when the ``load`` step would run, the
values, so that a mistake stops the run before it replaces good results.
"""

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import InputError
from .config import parameter_schema, validate_dataset
from .io import load_json

__all__ = [
    "check_before_run",
    "find_duplicates",
    "load_dataset",
    "data_files",
    "load_spec",
    "read_columns",
    "validate_matrix",
]

logger = logging.getLogger(__name__)

# The options, from the config schema (the one place for them).
ON_INVALID = tuple(parameter_schema("dataset", "on_invalid")["enum"])
ON_DUPLICATES = tuple(parameter_schema("dataset", "on_duplicates")["enum"])

# Readers by extension: (whole table, header only). A header-only read
# checks names before any job at the cost of one line.
_READERS = {
    ".csv": (
        lambda p: pd.read_csv(p),
        lambda p: pd.read_csv(p, nrows=0),
    ),
    ".tsv": (
        lambda p: pd.read_csv(p, sep="\t"),
        lambda p: pd.read_csv(p, sep="\t", nrows=0),
    ),
    ".txt": (
        lambda p: pd.read_csv(p, sep=None, engine="python"),
        lambda p: pd.read_csv(p, sep=None, engine="python", nrows=1),
    ),
    ".parquet": (
        lambda p: pd.read_parquet(p),
        lambda p: _parquet_header(p),
    ),
    ".pq": (
        lambda p: pd.read_parquet(p),
        lambda p: _parquet_header(p),
    ),
}
# Keys of a dataset entry that are not about loading it: changing them must
# not rerun `load` (the workflow passes load_spec(spec) as its params).
_NOT_LOADING = ("umap", "preprocess", "fit_space")


def _parquet_header(path):
    import pyarrow.parquet as pq

    return pd.DataFrame(columns=pq.read_schema(path).names)


@dataclass
class _Table:
    """What a source gives: features, labels and what was made of the columns."""

    X: np.ndarray
    y: np.ndarray | None
    names: list
    label_names: list | None = None
    skipped: dict = field(default_factory=dict)


def _digits(spec):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    names = [f"pixel_{i}" for i in range(X.shape[1])]
    return _Table(X.astype(np.float64), y, names, [str(c) for c in range(10)])


def _blobs(spec):
    from sklearn.datasets import make_blobs

    X, y = make_blobs(
        n_samples=spec.get("n_samples", 1000),
        n_features=spec.get("n_features", 10),
        centers=spec.get("centers", 4),
        cluster_std=spec.get("cluster_std", 1.0),
        random_state=spec.get("random_state", 0),
    )
    names = [f"x{i}" for i in range(X.shape[1])]
    return _Table(X, y, names, [f"centre {c}" for c in range(int(y.max()) + 1)])


def _large(spec):
    spec = {"n_samples": 1_000_000, "n_features": 10, "centers": 8, **spec}
    return _blobs(spec)


def _short(values, limit=5):
    values = list(values)
    text = ", ".join(str(v) for v in values[:limit])
    return text + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _not_utf8(path):
    """Where the first byte that is not UTF-8 is, as the rest of a message."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        byte = raw[err.start : err.start + 1]
        return (
            f"is not UTF-8 text (byte {byte!r} on line {line}); save it as UTF-8 "
            "(e.g. 'Save as CSV UTF-8', or iconv -f latin1 -t utf-8)"
        )
    return "could not be decoded as text; save it as UTF-8 CSV/TSV"


def data_files(path):
    """The files a dataset's ``path`` names: the file itself, or a folder's
    shards (its files, of one known type, in name order).

    Raises
    ------
    InputError
        A path that does not exist, an empty folder, or one that mixes file
        types or holds files of an unknown type.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"data file {path} does not exist; check 'path' of the dataset in the "
            "config (relative paths are relative to the working directory)"
        )
    if not path.is_dir():
        return [path]
    files = sorted(
        p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
    )
    if not files:
        raise InputError(
            f"data folder {path} holds no files; put the table's shards in it "
            f"({', '.join(sorted(_READERS))} files with the same columns)"
        )
    suffixes = sorted({p.suffix.lower() for p in files})
    if len(suffixes) > 1:
        raise InputError(
            f"data folder {path} mixes file types ({', '.join(suffixes)}); keep "
            "the shards of one table, all of one type, in it"
        )
    return files


def _read_table(path, header_only=False):
    """The table at ``path`` (only its column names if ``header_only``): one
    file, or a folder's shards (:func:`data_files`) with the same columns,
    one after the other in name order."""
    files = data_files(path)
    if len(files) == 1 and files[0] == Path(path):
        return _read_file(files[0], header_only)
    headers = [_read_file(f, header_only=True) for f in files]
    first = list(headers[0].columns)
    for f, header in zip(files[1:], headers[1:], strict=True):
        if list(header.columns) != first:
            raise InputError(
                f"data folder {path}: shard {f.name} has the columns "
                f"{_short(header.columns)}, {files[0].name} "
                f"{_short(first)}; every shard needs the same columns in the "
                "same order"
            )
    if header_only:
        return headers[0]
    return pd.concat([_read_file(f) for f in files], ignore_index=True)


def _read_file(path, header_only=False):
    """One file's table (only its column names if ``header_only``)."""
    if not path.is_file():
        raise InputError(
            f"data file {path} is not a file; set 'path' of the dataset "
            "to a .csv, .tsv, .txt or .parquet file, or a folder of them"
        )
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"data file {path}: unknown extension {path.suffix!r}; "
            f"use one of {', '.join(sorted(_READERS))}"
        )
    try:
        df = reader[1 if header_only else 0](path)
    except pd.errors.EmptyDataError:
        raise InputError(
            f"data file {path} is empty; it needs a header line and data rows"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"data file {path} {_not_utf8(path)}") from None
    except (ValueError, OSError, pd.errors.ParserError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise InputError(
            f"data file {path} could not be read as {path.suffix[1:]} ({first}); "
            "check the file's format and extension"
        ) from None
    if df.shape[0] == 0 and not header_only:
        raise InputError(
            f"data file {path} has a header but no data rows; add the data"
        )
    return df


def _not_numeric(path, col, values):
    """One line on why column ``col`` of a table is not numeric."""
    as_numbers = pd.to_numeric(values, errors="coerce")
    rows = np.flatnonzero(as_numbers.isna() & values.notna()) + 1
    if rows.size:
        example = f"e.g. {values.iloc[rows[0] - 1]!r} in data row {rows[0]}"
        if rows.size > 1:
            example += f"; {rows.size} such rows"
    else:  # dates, categories, ... whose values all convert
        example = f"its type is {values.dtype}"
    return InputError(
        f"data file {path}: column {col!r} is not numeric ({example}); "
        "fix the values or leave the column out with 'columns'"
    )


def _check_names(path, df, spec):
    """Check the names a file dataset uses against the table's columns."""
    label = spec.get("label_column")
    if label is not None and label not in df.columns:
        raise InputError(
            f"data file {path}: label_column {label!r} is not a column; "
            f"columns are {_short(df.columns)}"
        )
    columns = spec.get("columns")
    if columns is None:
        return
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"data file {path}: column(s) {_short(missing)} not found; "
            f"columns are {_short(df.columns)}"
        )
    seen = set()
    for c in columns:
        if c in seen:
            raise InputError(
                f"data file {path}: column {c!r} is named twice in 'columns'; "
                "name each column once"
            )
        seen.add(c)


# A numeric column of at most this many integer levels, each seen at least
# this many times on average, is a code (a year, a site, a 0/1 flag), not a
# measurement: standardised and given to UMAP, each level became a separate
# string of points (penguins' year: ARI 0.570 against species with it, 0.945
# without; docs/own_data.md).
CODE_LEVELS = 10
CODE_REPEATS = 10


def _why_skipped(values):
    """Why a column is not a feature when ``columns`` is not given (None: it is).

    * ``text``: no value is a number (names, categories such as a species);
    * ``not numeric (<dtype>)``: dates, categoricals and other such types;
    * ``code (L levels)``: integers with at most :data:`CODE_LEVELS` distinct
      values, each seen :data:`CODE_REPEATS` times on average;
    * ``row number``: distinct consecutive integers in a table of 100 rows or
      more (an index column written with the table, e.g. pandas' ``Unnamed:
      0`` or R's row names).

    A column of numbers holding a few values that are not numbers is neither:
    it stays, and the load names the bad value.
    """
    if pd.api.types.is_bool_dtype(values):
        return "code (2 levels)"
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        present = values.dropna()
        if pd.to_numeric(present, errors="coerce").notna().any():
            return None  # numbers with typos: an error, not a skip
        return "text"
    if not pd.api.types.is_numeric_dtype(values):
        return f"not numeric ({values.dtype})"  # dates, categories, ...
    present = values.dropna().to_numpy(dtype=np.float64)
    present = present[np.isfinite(present)]
    if present.size == 0 or not np.all(present == np.round(present)):
        return None
    levels = np.unique(present)
    if levels.size <= CODE_LEVELS and levels.size * CODE_REPEATS <= present.size:
        return f"code ({levels.size} levels)"
    consecutive = (
        levels.size == present.size and levels[-1] - levels[0] == levels.size - 1
    )
    if consecutive and levels.size >= CODE_LEVELS * CODE_REPEATS:
        return "row number"
    return None


def read_columns(path):
    """The column names of a table, reading only its header.

    Raises
    ------
    InputError
        As :func:`load_dataset` for a file that is missing, not a file, of an
        unknown extension, empty or unreadable.
    """
    return [str(c) for c in _read_table(path, header_only=True).columns]


def _file(spec):
    path = spec["path"]
    df = _read_table(path)
    _check_names(path, df, spec)
    label = spec.get("label_column")
    columns = spec.get("columns")
    skipped = {}
    if columns is None:
        candidates = [c for c in df.columns if c != label]
        why = {str(c): _why_skipped(df[c]) for c in candidates}
        skipped = {c: reason for c, reason in why.items() if reason is not None}
        columns = [c for c in candidates if str(c) not in skipped]
        if skipped:
            logger.warning(
                "data file %s: %d column(s) are not features: %s; name the "
                "feature columns with 'columns' to choose them yourself",
                path,
                len(skipped),
                _short(f"{c} ({reason})" for c, reason in skipped.items()),
            )
    if not columns:
        text = (
            ", skipped: " + _short(f"{c} ({reason})" for c, reason in skipped.items())
            if skipped
            else ""
        )
        raise InputError(
            f"data file {path}: no feature columns to use (columns are "
            f"{_short(df.columns)}, label_column is {label!r}{text}); add "
            "numeric columns"
        )
    # column by column into one array: no second copy of the table
    X = np.empty((len(df), len(columns)))
    for j, col in enumerate(columns):
        values = df[col]
        if not pd.api.types.is_numeric_dtype(values):
            raise _not_numeric(path, col, values)
        X[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
    y, label_names = None, None
    if label is not None:
        y, uniques = pd.factorize(df[label], sort=True)
        label_names = [str(u) for u in uniques]
    return _Table(X, y, [str(c) for c in columns], label_names, skipped)


_SOURCES = {"digits": _digits, "blobs": _blobs, "large": _large, "file": _file}


def validate_matrix(
    X, *, where, names, min_rows=1, on_invalid="error", check_constant=True
):
    """Check a feature matrix; return the rows to keep.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    where : str
        What to name in messages (a file or a dataset).
    names : list of str
        Column names, for messages.
    min_rows : int, default=1
        Fewest rows needed after dropping.
    on_invalid : {"error", "drop"}, default="error"
        What to do with rows holding NaN or infinite values.
    check_constant : bool, default=True
        Reject columns with zero variance (they carry no information and
        usually mean a wrong column was picked).

    Returns
    -------
    keep : ndarray of bool of shape (n_samples,)
        Rows kept.
    n_dropped : int
        Rows dropped for NaN/inf values (``on_invalid="drop"``).

    Raises
    ------
    InputError
        NaN/inf values (with ``on_invalid="error"``), too few rows, or a column
        with zero variance.

    Examples
    --------
    >>> X = np.array([[1.0, 2.0], [np.nan, 3.0], [2.0, 5.0]])
    >>> keep, n = validate_matrix(X, where="t.csv", names=["a", "b"], on_invalid="drop")
    >>> keep.tolist(), n
    ([True, False, True], 1)
    """
    if on_invalid not in ON_INVALID:
        raise InputError(
            f"{where}: on_invalid must be one of {', '.join(ON_INVALID)}, "
            f"got {on_invalid!r}"
        )
    finite = np.isfinite(X)
    keep = finite.all(axis=1)
    n_dropped = int((~keep).sum())
    if n_dropped:
        rows, cols = np.nonzero(~finite)
        col_names = sorted({names[c] for c in cols}, key=names.index)
        first = f"{X[rows[0], cols[0]]} in column {names[cols[0]]!r}"
        where_bad = (
            f"data row(s) {_short(np.unique(rows) + 1)}; "
            f"column(s) {_short(col_names)}; e.g. {first}"
        )
        if on_invalid != "drop":
            raise InputError(
                f"{where}: {n_dropped} row(s) hold NaN or infinite values "
                f"({where_bad}); fix them or set on_invalid: drop for this dataset"
            )
        logger.warning(
            "%s: dropped %d row(s) holding NaN or infinite values (%s)",
            where,
            n_dropped,
            where_bad,
        )
    n_rows = int(keep.sum())
    if n_rows == 0:
        raise InputError(
            f"{where}: no rows left: every one of the {len(X)} rows holds NaN or "
            "infinite values; fix the data or choose other columns"
        )
    if n_rows < min_rows:
        raise InputError(
            f"{where}: {n_rows} usable row(s) but {min_rows} are needed; use more data"
        )
    if check_constant and n_rows > 1:
        spread = np.ptp(X[keep], axis=0)
        const = [names[i] for i in np.flatnonzero(spread == 0)]
        if const:
            value = X[keep][0, names.index(const[0])]
            raise InputError(
                f"{where}: column(s) {_short(const)} are constant (zero variance; "
                f"{const[0]!r} is {value:g} in every row); leave them out with "
                "'columns'"
            )
    return keep, n_dropped


def _drop_unlabelled(y, keep, where, label, on_invalid):
    """Rows whose label is empty: an error, or dropped with ``on_invalid: drop``."""
    empty = np.flatnonzero(y < 0)
    if on_invalid != "drop":
        raise InputError(
            f"{where}: label_column {label!r} is empty in data row(s) "
            f"{_short(empty + 1)}; fill them in, or set on_invalid: drop for this "
            "dataset"
        )
    n = int(keep[empty].sum())  # not already dropped for their values
    logger.warning(
        "%s: dropped %d row(s) whose label_column %r is empty (data row(s) %s)",
        where,
        n,
        label,
        _short(empty + 1),
    )
    keep = keep & (y >= 0)
    if not keep.any():
        raise InputError(f"{where}: no rows left after dropping; fix the data")
    return keep, n


def find_duplicates(X):
    """Index of the first occurrence of each row of ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    first : ndarray of int of shape (n_samples,)
        ``first[i]`` is the smallest ``j`` with ``X[j] == X[i]``; row ``i`` is a
        duplicate when ``first[i] < i``.

    Examples
    --------
    >>> find_duplicates(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]])).tolist()
    [0, 1, 0]
    """
    first = np.arange(len(X))
    if len(X) == 0:
        return first
    # Rows of equal values have equal hashes (0.0 added: -0.0 == 0.0 hash
    # alike), so only rows whose hash repeats are compared, exactly, by
    # np.unique: it sorts a copy of the rows it gets, which at 1e7 x 10 had
    # taken 4x the table's memory and 27 s when given all of them.
    hashes = np.zeros(len(X), dtype=np.uint64)
    for j in range(X.shape[1]):
        column = pd.util.hash_array(np.ascontiguousarray(X[:, j]) + 0.0)
        hashes = hashes * np.uint64(1_000_003) ^ column
    candidates = np.flatnonzero(pd.Series(hashes).duplicated(keep=False).to_numpy())
    if candidates.size:
        _, index, inverse = np.unique(
            X[candidates], axis=0, return_index=True, return_inverse=True
        )
        first[candidates] = candidates[index[inverse.reshape(-1)]]
    return first


def _duplicates(X, rows, where, on_duplicates):
    """Apply ``on_duplicates`` to the rows of ``X``.

    ``rows`` are the data-row numbers (from 1) of the rows of ``X``, for
    messages. Returns the rows to keep (None: all), the number dropped and the
    number of duplicate rows left.
    """
    if on_duplicates not in ON_DUPLICATES:
        raise InputError(
            f"{where}: on_duplicates must be one of {', '.join(ON_DUPLICATES)}, "
            f"got {on_duplicates!r}"
        )
    first = find_duplicates(X)
    dup = np.flatnonzero(first < np.arange(len(X)))
    if not dup.size:
        return None, 0, 0
    pairs = _short(f"data row {rows[i]} repeats row {rows[first[i]]}" for i in dup)
    if on_duplicates == "error":
        raise InputError(
            f"{where}: {dup.size} duplicate row(s) ({pairs}); remove them, or set "
            "on_duplicates: drop (keep each row's first occurrence) or "
            "on_duplicates: keep for this dataset"
        )
    if on_duplicates == "drop":
        logger.warning(
            "%s: dropped %d duplicate row(s), keeping each first occurrence (%s)",
            where,
            dup.size,
            pairs,
        )
        keep = np.ones(len(X), dtype=bool)
        keep[dup] = False
        return keep, int(dup.size), 0
    logger.warning(
        "%s: %d duplicate row(s) kept (%s); set on_duplicates: drop or error to "
        "change that",
        where,
        dup.size,
        pairs,
    )
    return None, 0, int(dup.size)


def load_dataset(name, spec, *, min_rows=1):
    """Load and check the dataset described by one config entry.

    Parameters
    ----------
    name : str
        The dataset's name in the config (used in messages).
    spec : dict
        The config entry: ``source`` (``digits``, ``blobs``, ``large`` or
        ``file``), that source's options, and ``on_invalid`` (``error`` or
        ``drop``: rows with NaN/inf) and ``on_duplicates`` (``keep``, ``drop`` or
        ``error``). Checked against the config schema's ``$defs/dataset``: a
        key another source takes (``n_samples`` on ``digits``) is an error.
    min_rows : int, default=1
        Fewest rows needed after dropping.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,) or None
        Ground-truth labels coded 0..L-1, when the source has them.
    info : dict
        What was loaded: source, shape, feature names, rows dropped, duplicate
        rows left.

    Raises
    ------
    InputError
        One line naming the file (or dataset), column and data rows at fault,
        or the key of the entry that is wrong.
    """
    validate_dataset(name, spec)  # the config schema: keys of its source only
    source = spec["source"]
    table = _SOURCES[source](spec)
    X, y, names = table.X, table.y, table.names
    where = f"data file {spec['path']}" if source == "file" else f"dataset {name!r}"
    on_invalid = spec.get("on_invalid", "error")
    keep, n_dropped = validate_matrix(
        X,
        where=where,
        names=names,
        min_rows=min_rows,
        on_invalid=on_invalid,
        # digits has blank border pixels: harmless for UMAP, kept as shipped.
        check_constant=source == "file",
    )
    n_unlabelled = 0
    if y is not None and (y < 0).any():
        keep, n_unlabelled = _drop_unlabelled(
            y, keep, where, spec.get("label_column"), on_invalid
        )
        n_dropped += n_unlabelled
    rows = np.flatnonzero(keep) + 1  # data-row numbers of the rows kept
    if n_dropped:
        X = X[keep]
        y = None if y is None else y[keep]
    unique, n_dropped_duplicates, n_duplicates = _duplicates(
        X, rows, where, spec.get("on_duplicates", "keep")
    )
    if unique is not None:
        X = X[unique]
        y = None if y is None else y[unique]
    info = {
        "dataset": name,
        "source": source,
        "spec": load_spec(spec),
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "features": names,
        "skipped_columns": table.skipped,
        "has_labels": y is not None,
        "label_column": spec.get("label_column"),
        "label_names": table.label_names,
        "n_dropped_invalid": n_dropped,
        "n_dropped_unlabelled": n_unlabelled,
        "n_dropped_duplicates": n_dropped_duplicates,
        "n_duplicate_rows": n_duplicates,
    }
    return np.ascontiguousarray(X, dtype=np.float64), y, info


def load_spec(spec):
    """The keys of a dataset entry that decide what :func:`load_dataset` loads.

    The workflow's ``load`` rule gets these as its parameters, so that a
    change of the dataset's ``umap``, ``preprocess`` or ``fit_space`` reruns
    the steps they change, not ``load``.
    """
    return {k: v for k, v in spec.items() if k not in _NOT_LOADING}


def _loaded_before(spec, results):
    """Whether ``results`` (``results/<dataset>``) holds a load of ``spec``
    newer than its file: then the workflow's ``load`` step will not run."""
    info_path, data_path = Path(results, "data.json"), Path(results, "data.npz")
    if not (info_path.is_file() and data_path.is_file()):
        return False
    try:
        recorded = load_json(info_path).get("spec")
    except ValueError:
        return False
    if recorded != load_spec(spec):
        return False
    path = spec.get("path")
    if path is None:
        return True
    try:
        files = data_files(path)
    except InputError:
        return False
    newest = max(os.stat(f).st_mtime for f in [path, *files])
    return newest <= data_path.stat().st_mtime


def check_before_run(name, spec, results):
    """Check one dataset before the workflow runs any job.

    What can be checked cheaply always is: for a file, that it exists, is a
    file of a known type, and has the ``label_column`` and ``columns`` it
    names (reading only its header). When the ``load`` step would run (no
    earlier load of this entry newer than its file in ``results``), the
    file is also loaded and checked whole, as :func:`load_dataset` does, so
    that bad values stop the run before ``load`` replaces earlier results.

    Parameters
    ----------
    name : str
    spec : dict
        The dataset's entry in the config (validated).
    results : str or Path
        The dataset's results folder, ``results/<name>``.

    Raises
    ------
    InputError
        The same one line :func:`load_dataset` would give.
    """
    if spec["source"] != "file":
        return
    path = spec["path"]
    _check_names(path, _read_table(path, header_only=True), spec)
    if not _loaded_before(spec, results):
        load_dataset(name, spec)
