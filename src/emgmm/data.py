"""Datasets: scikit-learn's bundled digits, synthetic blobs, or a user table.

:func:`load_dataset` turns one entry of the config's ``datasets`` mapping into
``(X, y, info)`` and checks the data on the way, raising
:class:`~emgmm.InputError` with one line naming the file, column and rows when
something is wrong.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from ._errors import InputError

__all__ = ["load_dataset", "validate_matrix"]

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


def _read_table(path):
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"data file {path} does not exist; check 'path' of the dataset in the "
            "config (relative paths are relative to the working directory)"
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
            f"data file {path} is empty; it needs a header and rows"
        ) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise InputError(
            f"data file {path} could not be read as {path.suffix[1:]} ({first}); "
            "check the file's format and extension"
        ) from None
    if df.shape[0] == 0:
        raise InputError(f"data file {path} has a header but no rows")
    return df


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
        raise InputError(f"data file {path}: no feature columns to use")
    features = df[columns]
    bad = [c for c in columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        col = bad[0]
        values = pd.to_numeric(features[col], errors="coerce")
        rows = np.flatnonzero(values.isna() & features[col].notna()) + 1
        raise InputError(
            f"data file {path}: column {col!r} is not numeric (e.g. "
            f"{features[col].iloc[rows[0] - 1]!r} in data row {rows[0]}); "
            "fix the values or leave the column out with 'columns'"
        )
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
    """Check a feature matrix; return it with the rows to keep.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    where : str
        What to name in messages (a file or a dataset).
    names : list of str
        Column names, for messages.
    min_rows : int, default=1
        Fewest rows the fits need (the largest number of components asked for).
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

    Raises
    ------
    InputError
        NaN/inf values (with ``on_invalid="error"``), too few rows, or a column
        with zero variance.
    """
    finite = np.isfinite(X)
    keep = finite.all(axis=1)
    n_dropped = int((~keep).sum())
    if n_dropped and on_invalid != "drop":
        rows, cols = np.nonzero(~finite)
        col_names = sorted({names[c] for c in cols}, key=names.index)
        raise InputError(
            f"{where}: {n_dropped} row(s) hold NaN or infinite values (data rows "
            f"{_short(np.unique(rows) + 1)}; columns {_short(col_names)}); "
            "fix them or set on_invalid: drop for this dataset"
        )
    n_rows = int(keep.sum())
    if n_rows < min_rows:
        raise InputError(
            f"{where}: {n_rows} usable row(s) but up to {min_rows} components are "
            "asked for; use fewer components (K) or more data"
        )
    if check_constant and n_rows > 1:
        spread = np.ptp(X[keep], axis=0)
        const = [names[i] for i in np.flatnonzero(spread == 0)]
        if const:
            raise InputError(
                f"{where}: column(s) {_short(const)} are constant (zero variance); "
                "leave them out with 'columns'"
            )
    return keep, n_dropped


def load_dataset(name, spec, *, min_rows=1):
    """Load and check the dataset described by one config entry.

    Parameters
    ----------
    name : str
        The dataset's name in the config (used in messages).
    spec : dict
        The config entry: ``source`` (``digits``, ``blobs``, ``large`` or
        ``file``) and that source's options.
    min_rows : int, default=1
        Fewest rows needed (the largest K of the sweep).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64
    y : ndarray of shape (n_samples,) or None
        Ground-truth labels coded 0..L-1, when the source has them.
    info : dict
        What was loaded: source, shape, feature names, rows dropped.
    """
    source = spec.get("source", "digits")
    if source not in _SOURCES:
        raise InputError(
            f"dataset {name!r}: unknown source {source!r}; "
            f"use one of {', '.join(_SOURCES)}"
        )
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
    if n_dropped:
        X = X[keep]
        y = None if y is None else y[keep]
    n_duplicates = int(len(X) - len(np.unique(X, axis=0)))
    info = {
        "dataset": name,
        "source": source,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "features": names,
        "has_labels": y is not None,
        "n_dropped_invalid": n_dropped,
        "n_duplicate_rows": n_duplicates,
    }
    return np.ascontiguousarray(X, dtype=np.float64), y, info
