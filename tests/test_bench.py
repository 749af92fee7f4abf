"""Tests of the benchmark harness ``emgmm.bench`` (no timing assertions)."""

import numpy as np
import pytest

from emgmm import bench

FAST = ["--repeats", "1", "--min-time", "0", "--threads", "1", "--n-iter", "3"]
QUICK_ARGS = ["--quick", "--sizes", "1e3x2x4", "1e3x16x8", *FAST]


@pytest.fixture(scope="module")
def quick_rows():
    return bench.main(QUICK_ARGS)


def test_main_rows_have_every_column(quick_rows):
    assert [
        (r["n_samples"], r["n_features"], r["n_components"]) for r in quick_rows
    ] == [
        (1000, 2, 4),
        (1000, 16, 8),
    ]
    for row in quick_rows:
        assert {key for key, _ in bench.COLUMNS} <= row.keys()
        assert row["covariance_type"] == "full"
        assert row["n_iter"] == 3
        # NaN when timing noise swamps 3 iterations; positive otherwise
        for key in ("sklearn_s_per_iter", "emgmm_s_per_iter"):
            assert np.isnan(row[key]) or row[key] > 0
        assert np.isfinite(row["bound_s_per_iter"]) and row["bound_s_per_iter"] > 0
        assert row["sklearn_peak_mib"] >= 0 and row["emgmm_peak_mib"] >= 0
        assert row["bound_kind"] in ("GEMM", "memory")


def test_same_start_gives_same_parameters(quick_rows):
    for row in quick_rows:
        assert row["max_rel_diff"] < 1e-8


def test_main_prints_table_and_writes_markdown(tmp_path, capsys):
    out = tmp_path / "bench.md"
    bench.main(["--sizes", "1e3x2x4", *FAST, "--output", str(out)])
    printed = capsys.readouterr().out
    text = out.read_text()
    assert text == printed
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| N | d | K | covariance |")
    assert len(table) == 2  # header and one row (separator starts with "|-")
    assert table[1].startswith("| 1_000 | 2 | 4 | full |")
    assert "- Threads: 1 for both estimators" in text
    assert "GFLOP/s" in text


@pytest.mark.parametrize("covariance_type", bench.COVARIANCE_TYPES)
def test_run_case_all_covariance_types(covariance_type):
    X = bench.make_data(600, 3, 3, seed=1)
    row = bench.run_case(X, 3, covariance_type, n_iter=2, repeats=1, min_time=0)
    assert row["covariance_type"] == covariance_type
    assert row["max_rel_diff"] < 1e-8
    assert np.isnan(row["bound_s_per_iter"])  # no rates given


def test_make_data_seeded_and_shaped():
    a = bench.make_data(500, 4, 3, seed=2)
    assert a.shape == (500, 4) and a.dtype == np.float64 and a.flags.c_contiguous
    np.testing.assert_array_equal(a, bench.make_data(500, 4, 3, seed=2))
    assert not np.array_equal(a, bench.make_data(500, 4, 3, seed=3))


@pytest.mark.parametrize(
    ("covariance_type", "shape"),
    [("full", (3, 4, 4)), ("tied", (4, 4)), ("diag", (3, 4)), ("spherical", (3,))],
)
def test_make_init_shapes(covariance_type, shape):
    X = bench.make_data(500, 4, 3)
    init = bench.make_init(X, 3, covariance_type)
    assert init["precisions_init"].shape == shape
    assert init["means_init"].shape == (3, 4)
    np.testing.assert_allclose(init["weights_init"].sum(), 1.0)


def test_iteration_flops_full_is_two_products():
    n, d, k = 1000, 8, 5
    assert bench.iteration_flops(n, d, k, "full") == 2 * (2 * n * k * d * d)
    assert bench.iteration_bytes(n, d) == 8 * n * d


def test_max_parameter_difference_is_scale_relative():
    class Fit:
        def __init__(self, scale):
            self.weights_ = np.array([0.5, 0.5])
            self.means_ = np.array([[0.0], [100.0 * scale]])
            self.covariances_ = np.ones((2, 1, 1))

    assert bench.max_parameter_difference(Fit(1.0), Fit(1.0)) == 0.0
    assert bench.max_parameter_difference(Fit(1.01), Fit(1.0)) == pytest.approx(0.01)


def test_format_table_text_and_tsv():
    row = {key: 1.0 for key, _ in bench.COLUMNS}
    row.update(covariance_type="full", bound_kind="GEMM")
    text = bench.format_table([row], "text").splitlines()
    assert len(text) == 2 and "speed-up" in text[0]
    tsv = bench.format_table([row], "tsv").splitlines()
    assert tsv[0].split("\t")[: len(bench.COLUMNS)] == [k for k, _ in bench.COLUMNS]
    with pytest.raises(ValueError, match="fmt must be"):
        bench.format_table([row], "html")


def test_bad_size_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        bench.main(["--sizes", "1e3x2"])
    assert exc.value.code == 2
    assert "NxDxK" in capsys.readouterr().err
