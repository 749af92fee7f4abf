"""Tests of emgmm.pipeline.embed: UMAP wrapper, its errors, threads and the numba cache.

One UMAP fit costs seconds (numba compiles umap's kernels in a fresh process
unless its on-disk cache is warm), so the fits are shared by module fixtures
and run on small data.
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from emgmm import InputError
from emgmm.pipeline.embed import enable_numba_cache, umap_embed
from emgmm.runtime import configure_threads

# small enough for umap's exact-neighbour path (< 4096 rows), few epochs
FAST = dict(n_neighbors=10, n_epochs=60)


@pytest.fixture(scope="module")
def X():
    X, _ = make_blobs(n_samples=400, n_features=6, centers=3, random_state=0)
    return X


@pytest.fixture(scope="module")
def embedded(X):
    return umap_embed(X, **FAST)


@pytest.fixture(scope="module")
def subsampled(X):
    return umap_embed(X, subsample=250, **FAST)


def test_output_float64_shape_contiguous(embedded, X):
    Y, info = embedded
    assert Y.dtype == np.float64
    assert Y.shape == (X.shape[0], 2)
    assert Y.flags.c_contiguous
    assert np.isfinite(Y).all()
    assert info["fit_rows"] == X.shape[0]
    assert info["transformed_rows"] == 0
    assert info["subsample_seed"] is None


def test_info_is_json_and_records_parameters(embedded):
    _, info = embedded
    back = json.loads(json.dumps(info))
    assert back["params"]["n_neighbors"] == 10
    assert back["params"]["n_epochs"] == 60
    assert back["params"]["random_state"] == 42
    assert back["numba_threads"] == 1  # random_state set => single-threaded
    assert set(back["versions"]) >= {"umap-learn", "numba", "pynndescent"}
    assert all(back["versions"][k] for k in ("umap-learn", "numba", "pynndescent"))


def test_same_inputs_give_identical_bytes(embedded, X):
    Y2, _ = umap_embed(X, **FAST)
    assert Y2.tobytes() == embedded[0].tobytes()


def test_subsample_fits_some_rows_and_transforms_the_rest(subsampled, X):
    Y, info = subsampled
    assert Y.shape == (X.shape[0], 2) and Y.dtype == np.float64
    assert np.isfinite(Y).all()
    assert info["fit_rows"] == 250
    assert info["transformed_rows"] == X.shape[0] - 250
    assert info["subsample_seed"] == 42
    assert info["params"]["subsample"] == 250
    assert "transform" in info["timings_s"]


def test_transform_chunks_in_separate_processes_give_the_same_bytes(
    subsampled, X, tmp_path
):
    """The workflow's scatter (umap_fit, then each transform_chunk in a job
    of its own from the pickled model, then gather_embedding) equals
    umap_embed with the same transform_chunks, whatever order the chunks run
    in; with one chunk it is the single transform of all other rows."""
    from emgmm.pipeline import io
    from emgmm.pipeline.embed import (
        chunk_rows,
        gather_embedding,
        transform_chunk,
        umap_fit,
    )

    reducer, parts, info = umap_fit(X, subsample=250, transform_chunks=3, **FAST)
    assert info["params"]["transform_chunks"] == 3
    io.save_pickle(tmp_path / "model.pkl", reducer)
    rest = parts["rest_idx"]
    pieces = [chunk_rows(rest, 3, i) for i in range(3)]
    np.testing.assert_array_equal(np.concatenate(pieces), rest)
    assert max(map(len, pieces)) - min(map(len, pieces)) <= 1
    chunks = {}
    for i in (2, 0, 1):  # any order, each from a freshly loaded model
        model = io.load_pickle(tmp_path / "model.pkl")
        chunks[i], _ = transform_chunk(model, X, rest, 3, i)
    Y = gather_embedding(
        len(X),
        parts["fit_idx"],
        parts["fit_embedding"],
        rest,
        [chunks[i] for i in range(3)],
    )
    Y3, _ = umap_embed(X, subsample=250, transform_chunks=3, **FAST)
    assert Y.tobytes() == Y3.tobytes()
    # the fitted rows do not depend on the chunks (the placed ones may: they
    # did with umap-learn 0.5.12 and pynndescent 0.7.0, not with 0.5.11 and 0.6.0)
    fit_idx = parts["fit_idx"]
    assert Y3[fit_idx].tobytes() == subsampled[0][fit_idx].tobytes()
    one, _ = transform_chunk(io.load_pickle(tmp_path / "model.pkl"), X, rest, 1, 0)
    assert one.tobytes() == np.ascontiguousarray(subsampled[0][rest]).tobytes()


def test_subsample_larger_than_data_fits_everything(X):
    Y, info = umap_embed(X[:100], subsample=1000, n_neighbors=5, n_epochs=20)
    assert info["fit_rows"] == 100 and info["transformed_rows"] == 0
    assert info["subsample_seed"] is None
    assert Y.shape == (100, 2)


def test_kernels_get_a_cache_tagged_by_compile_options(embedded):
    import umap.layouts
    import umap.umap_
    from numba.core.caching import NullCache

    assert enable_numba_cache() == 0  # already done by umap_embed: idempotent
    assert not isinstance(umap.umap_.smooth_knn_dist._cache, NullCache)
    serial = umap.layouts._nb_optimize_layout_euclidean_single_epoch
    parallel = umap.layouts._nb_optimize_layout_euclidean_single_epoch_parallel
    assert serial.py_func is parallel.py_func  # same function, two compilations
    names = {d._cache._cache_file._index_name for d in (serial, parallel)}
    assert len(names) == 2  # so they must not share cache files


def _one_line_error(match, **kwargs):
    X = kwargs.pop("X", np.zeros((50, 3)) + np.arange(50)[:, None])
    with pytest.raises(InputError, match=match) as err:
        umap_embed(X, **kwargs)
    message = str(err.value)
    assert "\n" not in message and "got" in message
    return message


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(n_neighbors=50), r"n_neighbors must be < .*\(50\), got 50"),
        (dict(n_neighbors=20, subsample=20), r"n_neighbors .*subsample=20"),
        (dict(n_neighbors=1), r"n_neighbors must be >= 2, got 1"),
        (dict(n_components=1), r"n_components must be >= 2, got 1"),
        (dict(n_components=2.5), r"n_components must be an integer"),
        (dict(n_components=49), r"n_components must be < 49"),
        (dict(min_dist=-0.1), r"min_dist must be >= 0 and <= 1, got -0.1"),
        (dict(min_dist=1.5), r"min_dist must be >= 0 and <= 1, got 1.5"),
        (dict(metric=3), r"metric must be the name"),
        (dict(random_state=-1), r"random_state must be >= 0"),
        (dict(subsample=3), r"subsample must be >= 4, got 3"),
        (dict(init="umap"), r"init must be one of"),
        (dict(low_memory="yes"), r"low_memory must be True or False"),
        (dict(n_epochs=0), r"n_epochs must be >= 1"),
        (dict(X=np.zeros(10)), r"X must be 2-D"),
        (dict(X=np.array([["a", "b"]] * 20)), r"X must be numeric"),
        (dict(X=np.full((20, 2), np.nan)), r"X must be finite, got 20 rows"),
    ],
)
def test_bad_parameters_raise_one_line_input_error(kwargs, match):
    _one_line_error(match, **kwargs)


def test_unknown_metric_is_an_input_error(X):
    _one_line_error(r"metric must be a metric umap knows", X=X, metric="nope")


@pytest.mark.parametrize("n", [0, -2, 1.5, True])
def test_configure_threads_rejects_non_positive_integers(n):
    with pytest.raises(InputError, match="n_threads must be"):
        configure_threads(n)


def test_configure_threads_sets_env_before_numba_is_imported(tmp_path):
    """In a fresh process: thread variables set, cache dir defaulted or kept."""
    code = (
        "import os, sys, json; from emgmm.runtime import configure_threads; "
        "configure_threads(3); "
        "print(json.dumps({k: os.environ.get(k) for k in ('NUMBA_NUM_THREADS', "
        "'OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', "
        "'NUMBA_CACHE_DIR')} | {'numba': 'numba' in sys.modules, "
        "'umap': 'umap' in sys.modules}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path)

    def run(env):
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    got = run(env)
    assert got["NUMBA_NUM_THREADS"] == got["OMP_NUM_THREADS"] == "3"
    assert got["OPENBLAS_NUM_THREADS"] == got["MKL_NUM_THREADS"] == "3"
    assert got["NUMBA_CACHE_DIR"] == str(tmp_path / "emgmm" / "numba")
    assert not got["numba"] and not got["umap"]  # import stays lazy
    got = run(env | {"NUMBA_CACHE_DIR": str(tmp_path / "mine")})
    assert got["NUMBA_CACHE_DIR"] == str(tmp_path / "mine")  # user's choice kept


def test_small_data_neighbours_give_umaps_own_embedding(X, embedded, monkeypatch):
    """Below 4096 rows emgmm computes umap's neighbours itself: same bytes out."""
    Y, info = embedded
    assert info["neighbours"] == "exact (emgmm)"
    monkeypatch.setenv("EMGMM_UMAP_NEIGHBOURS", "umap")
    Y_umap, info_umap = umap_embed(X, **FAST)
    assert info_umap["neighbours"] == "umap"
    assert Y.tobytes() == Y_umap.tobytes()


def test_small_data_distances_are_umaps(X):
    """The numba loop gives the distances umap gets from scikit-learn, exactly."""
    from sklearn.metrics import pairwise_distances
    from umap.distances import euclidean

    from emgmm.pipeline.embed import _exact_neighbours

    X32 = np.ascontiguousarray(X, dtype=np.float32)
    dmat = pairwise_distances(X32, metric=euclidean)
    indices, dists = _exact_neighbours(X32, 10)
    order = np.argsort(dmat, axis=1, kind="mergesort")[:, :10]
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_array_equal(dists, np.take_along_axis(dmat, order, axis=1))


def test_subsample_and_other_metrics_keep_umaps_neighbour_search(subsampled, X):
    assert subsampled[1]["neighbours"] == "umap"
    _, info = umap_embed(X, metric="manhattan", **FAST)
    assert info["neighbours"] == "umap"


def test_init_graph_transform_gives_umaps_bytes():
    # emgmm's vectorised start of UMAP.transform against umap-learn's loop:
    # rows of 0-19 neighbours (numpy sums 8 values at a time above 8, so
    # the sums' order changes there), neighbours of strength exactly 1 (the
    # row takes that neighbour's place) and rows of none (NaN)
    import scipy.sparse

    from emgmm.pipeline import embed

    embed._import_umap({})
    umaps = embed._UMAP_INIT_GRAPH_TRANSFORM
    assert umaps is not None and umaps is not embed.init_graph_transform
    rng = np.random.default_rng(0)
    for _ in range(10):
        degree = rng.integers(0, 20, size=2000)
        rows = np.repeat(np.arange(2000), degree)
        strengths = rng.random(rows.size).astype(np.float32)
        strengths[rng.random(rows.size) < 0.01] = 1.0
        graph = scipy.sparse.coo_matrix(
            (strengths, (rows, rng.integers(0, 300, size=rows.size))),
            shape=(2000, 300),
        ).tocsr()
        graph.eliminate_zeros()
        placed = (10 * rng.normal(size=(300, 2))).astype(np.float32)
        ours = embed.init_graph_transform(graph, placed)
        assert np.isnan(ours).any() and ours.tobytes() == umaps(graph, placed).tobytes()
