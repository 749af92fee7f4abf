"""Datasets: scikit-learn's bundled digits, synthetic blobs, or a user table.

:func:`load_dataset` turns one entry of the config's ``datasets`` mapping into
``(X, y, info)`` and checks the data on the way, raising
:class:`~emgmm.InputError` with one line naming the file, column and rows when
something is wrong. Rows are numbered as "data rows", from 1, not counting the
header line (data row 1 is line 2 of a CSV file).

What is checked, and what a dataset entry may say about it:

* the file exists, is a file, has a known extension, can be read and has a
  header and at least one row;
* every feature column is numeric;
* no NaN or infinite values (``on_invalid: error``, the default), or rows
  holding them are dropped and counted (``on_invalid: drop``);
* no column is constant (zero variance) — for files only: digits has blank
  border pixels and keeps them;
* duplicate rows are kept and counted (``on_duplicates: keep``, the default:
  they are legitimate observations and a mixture weighs them), dropped except
  for their first occurrence (``drop``) or rejected (``error``).

Too few rows for the number of components is checked by the fit
(:func:`emgmm.fitting.fit_mixture`), so that a change of ``K`` does not rerun
the ``load`` step.
"""

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InputError
from .config import parameter_schema, validate_dataset

__all__ = ["find_duplicates", "load_dataset", "validate_matrix"]

logger = logging.getLogger(__name__)

# The options, from the config schema (the one place for them).
ON_INVALID = tuple(parameter_schema("dataset", "on_invalid")["enum"])
ON_DUPLICATES = tuple(parameter_schema("dataset", "on_duplicates")["enum"])

_READERS = {
    ".csv": lambda p: pd.read_csv(p),
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".txt": lambda p: pd.read_csv(p, sep=None, engine="python"),
    ".parquet": lambda p: pd.read_parquet(p),
    ".pq": lambda p: pd.read_parquet(p),
}


def _digits(spec):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    names = [f"pixel_{i}" for i in range(X.shape[1])]
    return X.astype(np.float64), y, names


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
    return X, y, names


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


def _read_table(path):
    path = Path(path)
    if not path.exists():
        raise InputError(
            f"data file {path} does not exist; check 'path' of the dataset in the "
            "config (relative paths are relative to the working directory)"
        )
    if not path.is_file():
        raise InputError(
            f"data file {path} is not a file (a folder?); set 'path' of the dataset "
            "to a .csv, .tsv, .txt or .parquet file"
        )
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise InputError(
            f"data file {path}: unknown extension {path.suffix!r}; "
            f"use one of {', '.join(sorted(_READERS))}"
        )
    try:
        df = reader(path)
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
    if df.shape[0] == 0:
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


def _file(spec):
    path = spec["path"]
    df = _read_table(path)
    label = spec.get("label_column")
    if label is not None and label not in df.columns:
        raise InputError(
            f"data file {path}: label_column {label!r} is not a column; "
            f"columns are {_short(df.columns)}"
        )
    columns = spec.get("columns")
    if columns is None:
        columns = [c for c in df.columns if c != label]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"data file {path}: column(s) {_short(missing)} not found; "
            f"columns are {_short(df.columns)}"
        )
    if not columns:
        raise InputError(
            f"data file {path}: no feature columns to use (columns are "
            f"{_short(df.columns)}, label_column is {label!r}); add numeric columns"
        )
    features = df[columns]
    if features.columns.duplicated().any():
        dup = features.columns[features.columns.duplicated()][0]
        raise InputError(
            f"data file {path}: column {dup!r} is named twice in 'columns'; "
            "name each column once"
        )
    for col in columns:
        values = features[col]
        if not pd.api.types.is_numeric_dtype(values):
            raise _not_numeric(path, col, values)
    X = features.to_numpy(dtype=np.float64)
    y = None
    if label is not None:
        y = pd.factorize(df[label], sort=True)[0]
        if (y < 0).any():
            rows = np.flatnonzero(y < 0) + 1
            raise InputError(
                f"data file {path}: label_column {label!r} is empty in data row(s) "
                f"{_short(rows)}; fill them in or drop those rows"
            )
    return X, y, [str(c) for c in columns]


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
    if len(X) == 0:
        return np.zeros(0, dtype=np.intp)
    _, index, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    return index[inverse.reshape(-1)]


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
    X, y, names = _SOURCES[source](spec)
    where = f"data file {spec['path']}" if source == "file" else f"dataset {name!r}"
    keep, n_dropped = validate_matrix(
        X,
        where=where,
        names=names,
        min_rows=min_rows,
        on_invalid=spec.get("on_invalid", "error"),
        # digits has blank border pixels: harmless for UMAP, kept as shipped.
        check_constant=source == "file",
    )
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
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "features": names,
        "has_labels": y is not None,
        "n_dropped_invalid": n_dropped,
        "n_dropped_duplicates": n_dropped_duplicates,
        "n_duplicate_rows": n_duplicates,
    }
    return np.ascontiguousarray(X, dtype=np.float64), y, info
