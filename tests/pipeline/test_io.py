"""Atomic, deterministic writers and one-line user errors in scripts."""

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from emgmm import InputError
from emgmm.pipeline import io


def test_npz_is_byte_identical_and_round_trips(tmp_path):
    arrays = {"b": np.arange(5.0), "a": np.eye(3), "labels": np.array([1, 0, 1])}
    io.save_npz(tmp_path / "one.npz", **arrays)
    io.save_npz(tmp_path / "two.npz", **arrays)
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    back = io.load_npz(tmp_path / "one.npz")
    for key, value in arrays.items():
        np.testing.assert_array_equal(back[key], value)


def test_npz_members_above_2_gib_get_zip64_headers(tmp_path, monkeypatch):
    # the arrays are streamed into the file; an array of more than 2 GiB
    # needs zip64 headers, here asked for from 0 bytes on
    monkeypatch.setattr(io, "_ZIP64_FROM", 0)
    arrays = {"X": np.arange(12.0).reshape(4, 3), "y": np.arange(4)}
    io.save_npz(tmp_path / "big.npz", **arrays)
    monkeypatch.undo()
    io.save_npz(tmp_path / "small.npz", **arrays)
    big, small = (
        (tmp_path / "big.npz").read_bytes(),
        (tmp_path / "small.npz").read_bytes(),
    )
    assert len(big) > len(small)  # the zip64 extra fields
    back = io.load_npz(tmp_path / "big.npz")
    for key, value in arrays.items():
        np.testing.assert_array_equal(back[key], value)


def test_npz_members_map_without_reading_the_file(tmp_path):
    arrays = {
        "X": np.arange(24.0).reshape(8, 3),
        "a": np.array([3, 1, 2]),
        "f": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "empty": np.zeros((0, 4)),
    }
    io.save_npz(tmp_path / "t.npz", **arrays)
    for key, value in arrays.items():
        mapped = io.map_npz(tmp_path / "t.npz", key)
        assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
        np.testing.assert_array_equal(mapped, value)
        assert mapped.dtype == value.dtype and mapped.shape == value.shape
    np.testing.assert_array_equal(
        io.map_npz(tmp_path / "t.npz", "X")[[5, 2]], [[15, 16, 17], [6, 7, 8]]
    )


def test_json_and_tables_are_deterministic(tmp_path):
    obj = {"z": np.float64(0.1), "a": [np.int64(1), True], "m": np.arange(2)}
    io.save_json(tmp_path / "x.json", obj)
    assert io.load_json(tmp_path / "x.json") == {"a": [1, True], "m": [0, 1], "z": 0.1}
    df = pd.DataFrame({"a": [0.1, 1 / 3], "b": ["x", "y"]})
    io.save_table(tmp_path / "t.tsv", df)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "t.tsv", sep="\t"), df)


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.tsv"
    target.write_text("old")
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_run_script_turns_user_errors_into_one_line(tmp_path):
    log = tmp_path / "logs" / "x.log"
    script = textwrap.dedent(
        f"""
        from types import SimpleNamespace
        from emgmm import InputError
        from emgmm.pipeline import io

        def main(smk):
            raise InputError("data file x.csv: column 'b' is not numeric")

        io.run_script(main, SimpleNamespace(log=[{str(log)!r}], rule="load"))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True
    )
    assert proc.returncode == 1
    line = "emgmm: error in rule load: data file x.csv: column 'b' is not numeric"
    assert proc.stderr.strip() == line
    assert "Traceback" not in log.read_text() and line in log.read_text()


def test_run_script_keeps_tracebacks_of_bugs(tmp_path):
    log = tmp_path / "x.log"

    def main(smk):
        raise ZeroDivisionError("bug")

    smk = SimpleNamespace(log=[str(log)], rule="fit_em")
    with pytest.raises(ZeroDivisionError):
        io.run_script(main, smk)
    sys.stderr = sys.__stderr__
    assert "Traceback" in log.read_text()


def test_input_error_is_a_value_error():
    assert issubclass(InputError, ValueError)
