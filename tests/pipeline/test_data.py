"""emgmm.pipeline.data: loading and checking datasets (no Snakemake).

Every user mistake is an InputError with one line naming the file, the column
and the data rows (numbered from 1, header not counted).
"""

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from emgmm import InputError
from emgmm.pipeline.data import (
    check_before_run,
    find_duplicates,
    load_dataset,
    read_columns,
    validate_matrix,
)

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
    name: case for name, case in CASES["data"].items() if case["rule"] == "check"
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
    message = error_of(path, columns=["a", "when"])
    assert "column 'when' is not numeric (its type is datetime64" in message
    # Without 'columns' it is not a measurement: skipped and named.
    X, _, info = load_file(path)
    assert X.shape == (3, 1) and info["skipped_columns"] == {
        "when": "not numeric (datetime64[us])"
    }


def test_column_named_twice(tmp_path):
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [3.0, 1.0, 2.0]})
    message = error_of(write_csv(tmp_path / "t.csv", df), columns=["a", "a"])
    assert "column 'a' is named twice in 'columns'" in message


def test_nan_rows_are_dropped_and_counted(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="emgmm.pipeline.data"):
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
    with caplog.at_level(logging.WARNING, logger="emgmm.pipeline.data"):
        X, _, info = load_file(corpus / "duplicates.csv")
    assert len(X) == 6
    assert info["n_duplicate_rows"] == 2 and info["n_dropped_duplicates"] == 0
    assert "2 duplicate row(s) kept (data row 4 repeats row 1" in caplog.text


def test_duplicates_can_be_dropped(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="emgmm.pipeline.data"):
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


def test_find_duplicates_equals_sorting_every_row():
    # many repeats, signed zeros and a column order that matters: the rows
    # compared after hashing give what np.unique over all rows gives
    rng = np.random.default_rng(0)
    X = rng.integers(-2, 3, size=(5000, 3)).astype(float)
    X[rng.random(X.shape) < 0.2] *= -1.0  # -0.0 where 0.0 was
    X = np.vstack([X, X[:, ::-1]])
    _, index, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    assert find_duplicates(X).tolist() == index[inverse.reshape(-1)].tolist()
    # distinct rows: no row is compared to another
    assert find_duplicates(rng.normal(size=(1000, 4))).tolist() == list(range(1000))


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
            "allowed: fit_space, on_duplicates, on_invalid, preprocess, source, umap",
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


# -- a user's table without 'columns' ---------------------------------------


def penguin_like(path, n=120, seed=0):
    """Measurements of mixed units, text columns with gaps, a year, a label."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["Adelie", "Chinstrap", "Gentoo"], size=n)
    df = pd.DataFrame(
        {
            "species": species,
            "island": rng.choice(["Biscoe", "Dream"], size=n),
            "bill_mm": rng.normal(44, 5, n).round(1),
            "mass_g": rng.normal(4200, 800, n).round(0),
            "sex": rng.choice(["male", "female", None], size=n),
            "year": rng.choice([2007, 2008, 2009], size=n),
        }
    )
    df.loc[3, "bill_mm"] = np.nan
    return write_csv(path, df)


def test_text_codes_and_row_numbers_are_not_features(tmp_path, caplog):
    """Before: every column but the label, so 'island' stopped the load (one
    error per run) and 'year' was standardised into a feature."""
    path = penguin_like(tmp_path / "p.csv", n=150)
    df = pd.read_csv(path)
    df.insert(0, "Unnamed: 0", np.arange(len(df)))  # pandas' index, written out
    write_csv(path, df)
    with caplog.at_level(logging.WARNING, logger="emgmm.pipeline.data"):
        X, y, info = load_file(path, label_column="species", on_invalid="drop")
    assert info["features"] == ["bill_mm", "mass_g"]
    assert info["skipped_columns"] == {
        "Unnamed: 0": "row number",
        "island": "text",
        "sex": "text",
        "year": "code (3 levels)",
    }
    assert "4 column(s) are not features: Unnamed: 0 (row number), island" in (
        caplog.text
    )
    assert X.shape == (149, 2)  # the row with no bill length is dropped


def test_named_columns_are_used_as_named(tmp_path):
    path = penguin_like(tmp_path / "p.csv")
    X, _, info = load_file(path, columns=["year", "mass_g"], label_column="species")
    assert info["features"] == ["year", "mass_g"] and info["skipped_columns"] == {}
    np.testing.assert_array_equal(X[:, 0], pd.read_csv(path)["year"])


def test_a_few_levels_in_few_rows_are_measurements():
    """Integers of a small table are not codes: each level is seen once or twice."""
    values = pd.Series([3, 1, 2, 3, 1, 2, 4, 5])
    from emgmm.pipeline.data import _why_skipped

    assert _why_skipped(values) is None
    assert _why_skipped(pd.Series(np.tile([0, 1], 50))) == "code (2 levels)"
    assert _why_skipped(pd.Series([True, False] * 3)) == "code (2 levels)"
    assert _why_skipped(pd.Series(np.arange(99))) is None  # too few rows to tell
    assert _why_skipped(pd.Series(np.arange(100) + 1)) == "row number"


def test_label_names_are_kept(tmp_path):
    path = penguin_like(tmp_path / "p.csv")
    _, y, info = load_file(path, label_column="species", on_invalid="drop")
    assert info["label_names"] == ["Adelie", "Chinstrap", "Gentoo"]
    truth = pd.read_csv(path).dropna(subset=["bill_mm"])["species"]
    assert [info["label_names"][c] for c in y] == truth.tolist()
    _, _, digits = load_dataset("d", {"source": "digits"})
    assert digits["label_names"] == [str(c) for c in range(10)]


def test_rows_without_a_label_are_dropped_with_on_invalid_drop(tmp_path, caplog):
    df = pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0],
            "b": [2.0, 1.0, 5.0, 0.5],
            "g": ["x", None, "y", "x"],
        }
    )
    path = write_csv(tmp_path / "t.csv", df)
    assert "set on_invalid: drop" in error_of(path, label_column="g")
    with caplog.at_level(logging.WARNING, logger="emgmm.pipeline.data"):
        X, y, info = load_file(path, label_column="g", on_invalid="drop")
    assert X.shape == (3, 2) and y.tolist() == [0, 1, 0]
    assert info["n_dropped_unlabelled"] == 1 and info["n_dropped_invalid"] == 1
    assert "whose label_column 'g' is empty (data row(s) 2)" in caplog.text


# -- what the workflow checks before any job ----------------------------------


def test_the_header_is_read_without_the_rows(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,group\n1,2,x\n1,2,3,4,5\n")  # a broken row after the header
    assert read_columns(path) == ["a", "b", "group"]
    with pytest.raises(InputError, match="could not be read as csv"):
        load_file(path)


def test_a_misspelt_label_column_is_found_from_the_header(tmp_path):
    path = penguin_like(tmp_path / "p.csv")
    spec = {"source": "file", "path": str(path), "label_column": "Species"}
    with pytest.raises(InputError) as err:
        check_before_run("p", spec, tmp_path / "results" / "p")
    assert "label_column 'Species' is not a column; columns are species, island" in (
        str(err.value)
    )


def test_values_are_checked_before_a_run_that_would_load_them(tmp_path):
    """Before: bad values stopped the run in `load`, after Snakemake had
    deleted the earlier data.npz."""
    path = tmp_path / "t.csv"
    write_csv(path, pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [2.0, 1.0, 0.0]}))
    spec = {"source": "file", "path": str(path)}
    with pytest.raises(InputError, match="1 row\\(s\\) hold NaN or infinite values"):
        check_before_run("t", spec, tmp_path / "results" / "t")


def test_an_unchanged_load_is_not_read_again(tmp_path):
    """Where `load` will not run (an earlier load of the same entry, newer
    than the file), only the header is read: a rerun stays cheap."""
    from emgmm.pipeline import io

    path = tmp_path / "t.csv"
    write_csv(path, pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 1.0, 0.0]}))
    spec = {"source": "file", "path": str(path), "umap": {"n_neighbors": 5}}
    results = tmp_path / "results" / "t"
    X, _, info = load_dataset("t", spec)
    io.save_npz(results / "data.npz", X=X)
    io.save_json(results / "data.json", info)
    assert info["spec"] == {"source": "file", "path": str(path)}  # no umap
    # the same header, rows that would fail: not read, since load will not run
    text = path.read_text().replace("2.0,1.0", "x,1.0")
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    check_before_run("t", spec, results)
    # a newer file, or another entry, would be loaded: then it is read whole
    os.utime(path)
    with pytest.raises(InputError, match="column 'a' is not numeric"):
        check_before_run("t", spec, results)


# -- a folder of shards --------------------------------------------------------


def test_a_folder_of_shards_is_one_table_in_name_order(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    df["g"] = rng.choice(["u", "v"], size=30)
    whole = tmp_path / "whole.parquet"  # Parquet: exact, as the shards (CSV
    df.to_parquet(whole, index=False)  # loses last digits in pandas 3.0.0)
    shards = tmp_path / "shards"
    shards.mkdir()
    for i, part in enumerate([df[:7], df[7:20], df[20:]]):  # 10, 2, 0: by name
        part.to_parquet(shards / f"part-{[10, 2, 0][i]:02d}.parquet", index=False)
    (shards / ".DS_Store").write_text("hidden files are not shards")
    X, y, info = load_file(shards, label_column="g")
    X0, y0, _ = load_file(whole, label_column="g")
    order = np.r_[20:30, 7:20, 0:7]  # part-00, part-02, part-10
    np.testing.assert_array_equal(X, X0[order])
    np.testing.assert_array_equal(y, y0[order])
    assert info["n_samples"] == 30
    assert read_columns(shards) == ["a", "b", "c", "g"]


def test_bad_folders_say_what_to_fix(tmp_path):
    folder = tmp_path / "shards"
    folder.mkdir()
    assert "holds no files" in error_of(folder)
    write_csv(folder / "a.csv", pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 4.0]}))
    write_csv(folder / "b.csv", pd.DataFrame({"x": [1.0, 2.0], "z": [3.0, 5.0]}))
    message = error_of(folder)
    assert "shard b.csv has the columns x, z, a.csv x, y" in message
    (folder / "c.tsv").write_text("x\ty\n1\t2\n")
    assert "mixes file types (.csv, .tsv)" in error_of(folder)


def test_a_new_shard_makes_the_load_run_again(tmp_path):
    from emgmm.pipeline import io
    from emgmm.pipeline.data import data_files

    folder = tmp_path / "shards"
    folder.mkdir()
    write_csv(
        folder / "a.csv", pd.DataFrame({"x": [1.0, 2.0, 5.0], "y": [3.0, 4.0, 1.0]})
    )
    spec = {"source": "file", "path": str(folder)}
    results = tmp_path / "results" / "t"
    X, _, info = load_dataset("t", spec)
    io.save_npz(results / "data.npz", X=X)
    io.save_json(results / "data.json", info)
    check_before_run("t", spec, results)  # loaded before: nothing read
    write_csv(folder / "b.csv", pd.DataFrame({"x": ["bad"], "y": [1.0]}))
    os.utime(folder / "b.csv", (1e10, 1e10))
    assert [f.name for f in data_files(folder)] == ["a.csv", "b.csv"]
    with pytest.raises(InputError, match="column 'x' is not numeric"):
        check_before_run("t", spec, results)
