"""emgmm.data: loading and checking datasets (no Snakemake).

Every user mistake is an InputError with one line naming the file, the column
and the data rows (numbered from 1, header not counted).
"""

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from emgmm import InputError
from emgmm.data import find_duplicates, load_dataset, validate_matrix

CORPUS = Path(__file__).parent / "bad_inputs" / "data"
CASES = yaml.safe_load((CORPUS.parent / "cases.yaml").read_text())


def load_file(path, **spec):
    return load_dataset("t", {"source": "file", "path": str(path), **spec})


def error_of(path, **spec):
    with pytest.raises(InputError) as err:
        load_file(path, **spec)
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    """The bad-input data files, in a working directory of their own."""
    shutil.copytree(CORPUS, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return Path("data")


def write_csv(path, df):
    df.to_csv(path, index=False)
    return path


# -- the corpus, one case each ------------------------------------------------

LOAD_CASES = {
    name: case for name, case in CASES["data"].items() if case["rule"] == "load"
}


@pytest.mark.parametrize("case", sorted(LOAD_CASES))
def test_corpus_case_gives_one_line(corpus, case):
    spec = {"source": "file", **LOAD_CASES[case]["spec"]}
    with pytest.raises(InputError) as err:
        load_dataset(case, spec)
    message = str(err.value)
    assert "\n" not in message
    assert LOAD_CASES[case]["message"] in message


# -- finer points ---------------------------------------------------------------


def test_non_numeric_column_counts_its_bad_rows(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["1", "n/a?", "oops"]})
    message = error_of(write_csv(tmp_path / "t.csv", df))
    assert "column 'b' is not numeric (e.g. 'n/a?' in data row 2; 2 such rows)" in (
        message
    )


def test_column_whose_values_all_convert_but_is_not_numeric(tmp_path):
    # A parquet column of dates: every value converts to a number, yet it is
    # not a feature; the message gives its type instead of a row.
    df = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "when": pd.date_range("2024-01-01", periods=3)}
    )
    path = tmp_path / "t.parquet"
    df.to_parquet(path)
    assert "column 'when' is not numeric (its type is datetime64" in error_of(path)


def test_column_named_twice(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    message = error_of(write_csv(tmp_path / "t.csv", df), columns=["a", "a"])
    assert "column 'a' is named twice in 'columns'" in message


def test_nan_rows_are_dropped_and_counted(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="emgmm.data"):
        X, y, info = load_file(corpus / "nan_inf.csv", on_invalid="drop")
    assert X.shape == (3, 3) and y is None
    np.testing.assert_array_equal(X[:, 0], [1.0, 2.0, 3.0])
    assert info["n_dropped_invalid"] == 2
    assert "dropped 2 row(s) holding NaN or infinite values (data row(s) 2, 4" in (
        caplog.text
    )


def test_labels_follow_dropped_rows(tmp_path):
    df = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, 4.0], "b": [2.0, 1.0, 5.0, 0.5], "g": list("xyzx")}
    )
    X, y, _ = load_file(
        write_csv(tmp_path / "t.csv", df), label_column="g", on_invalid="drop"
    )
    assert X.shape == (3, 2)
    assert y.tolist() == [0, 2, 0]  # x, z, x (codes of the sorted labels x, y, z)


def test_duplicates_are_kept_by_default_and_counted(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="emgmm.data"):
        X, _, info = load_file(corpus / "duplicates.csv")
    assert len(X) == 6
    assert info["n_duplicate_rows"] == 2 and info["n_dropped_duplicates"] == 0
    assert "2 duplicate row(s) kept (data row 4 repeats row 1" in caplog.text


def test_duplicates_can_be_dropped(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="emgmm.data"):
        X, _, info = load_file(corpus / "duplicates.csv", on_duplicates="drop")
    np.testing.assert_array_equal(
        X, [[1.0, 2.0], [0.5, 1.5], [3.0, 1.0], [2.5, 0.5]]
    )  # first occurrences, in file order
    assert info["n_dropped_duplicates"] == 2 and info["n_duplicate_rows"] == 0
    assert "dropped 2 duplicate row(s)" in caplog.text


def test_duplicate_row_numbers_count_rows_dropped_before(tmp_path):
    # Row 2 (NaN) is dropped first; the duplicate is still called data row 4.
    df = pd.DataFrame({"a": [1.0, np.nan, 2.0, 1.0], "b": [5.0, 1.0, 3.0, 5.0]})
    message = error_of(
        write_csv(tmp_path / "t.csv", df), on_invalid="drop", on_duplicates="error"
    )
    assert "1 duplicate row(s) (data row 4 repeats row 1)" in message


def test_unknown_options_are_named():
    X = np.eye(3)
    with pytest.raises(InputError, match="on_invalid must be one of error, drop"):
        validate_matrix(X, where="t.csv", names=["a", "b", "c"], on_invalid="skip")
    with pytest.raises(
        InputError,
        match="dataset 't' key 'on_duplicates': 'ignore' is not allowed; "
        "use one of keep, drop, error",
    ):
        load_dataset("t", {"source": "blobs", "on_duplicates": "ignore"})


def test_too_few_rows_after_dropping():
    X = np.array([[1.0, 2.0], [np.nan, 1.0], [2.0, 3.0]])
    with pytest.raises(InputError, match="2 usable row"):
        validate_matrix(
            X, where="t.csv", names=["a", "b"], on_invalid="drop", min_rows=3
        )


def test_find_duplicates():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [3.0, 4.0], [0.0, -0.0]])
    assert find_duplicates(X).tolist() == [0, 1, 0, 1, 4]
    assert find_duplicates(np.zeros((0, 2))).tolist() == []


def test_builtin_sources_load_and_describe_themselves():
    X, y, info = load_dataset(
        "b", {"source": "blobs", "n_samples": 50, "n_features": 3, "centers": 2}
    )
    assert X.shape == (50, 3) and X.dtype == np.float64 and X.flags.c_contiguous
    assert y.shape == (50,)
    assert info["n_samples"] == 50 and info["n_duplicate_rows"] == 0
    X, y, info = load_dataset("d", {"source": "digits"})
    # digits' blank border pixels are constant columns, kept as shipped.
    assert X.shape == (1797, 64) and info["features"][0] == "pixel_0"


def test_good_file_with_labels_and_columns(tmp_path):
    df = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0], "c": [0.0, 9.0, 1.0]}
    )
    df["g"] = ["u", "v", "u"]
    path = write_csv(tmp_path / "t.tsv", df)
    df.to_csv(path, sep="\t", index=False)
    X, y, info = load_file(path, columns=["c", "a"], label_column="g")
    np.testing.assert_array_equal(X, df[["c", "a"]].to_numpy())
    assert y.tolist() == [0, 1, 0]
    assert info["features"] == ["c", "a"] and info["has_labels"]


def test_unknown_source():
    with pytest.raises(
        InputError, match="dataset 't' key 'source': 'csv' is not allowed; use one of"
    ):
        load_dataset("t", {"source": "csv"})


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"source": "digits", "n_samples": 100},
            "dataset 't': unknown key(s) 'n_samples' for source 'digits'; "
            "allowed: on_duplicates, on_invalid, source, umap",
        ),
        (
            {"source": "blobs", "path": "x.csv"},
            "dataset 't': unknown key(s) 'path' for source 'blobs'; allowed: centers",
        ),
        (
            {"source": "file", "path": "x.csv", "centers": 3},
            "dataset 't': unknown key(s) 'centers' for source 'file'; allowed: columns",
        ),
    ],
)
def test_keys_of_another_source_are_an_error(spec, message):
    """Before: silently ignored (digits loaded 1797 rows whatever n_samples said)."""
    with pytest.raises(InputError) as err:
        load_dataset("t", spec)
    assert str(err.value).startswith(message), str(err.value)
