"""Dask arrays in GaussianMixture: the same fit as in memory, on any scheduler.

A fit of a Dask array runs each pass as one task per block of rows and adds
the blocks' sums in a fixed order (emgmm._dask): it must equal the in-memory
fit of the same rows (same start) to 1e-10 in every fitted attribute and
``n_iter_``, and be the same bytes with 1, 2 or 4 worker processes.
"""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from emgmm import GaussianMixture, _dask

da = pytest.importorskip("dask.array", reason="the dask extra: pip install emgmm[dask]")
distributed = pytest.importorskip("distributed")

ATTRIBUTES = [
    "weights_",
    "means_",
    "covariances_",
    "precisions_",
    "precisions_cholesky_",
]


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(6000, n_features=3, centers=4, cluster_std=2.5, random_state=1)
    X[:, 0] += 50.0  # away from the origin: the shift matters
    weights = np.random.default_rng(2).uniform(0.0, 2.0, X.shape[0])
    weights[::7] = 0.0
    return X, weights


def assert_same_fit(ours, reference, rtol=1e-10):
    assert ours.n_iter_ == reference.n_iter_
    assert ours.converged_ == reference.converged_
    for name in ATTRIBUTES:
        a, b = getattr(ours, name), getattr(reference, name)
        scale = max(1.0, float(np.max(np.abs(b))))
        assert np.max(np.abs(a - b)) <= rtol * scale, name
    assert ours.lower_bound_ == pytest.approx(reference.lower_bound_, rel=1e-12)


def assert_identical(a, b):
    for name in [*ATTRIBUTES, "lower_bound_", "n_iter_"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_fit_equals_numpy(blobs, covariance_type):
    X, _ = blobs
    kwargs = dict(covariance_type=covariance_type, random_state=0, tol=1e-6)
    reference = GaussianMixture(4, **kwargs).fit(X)
    ours = GaussianMixture(4, **kwargs).fit(da.from_array(X, chunks=1000))
    assert reference.n_iter_ > 3  # EM had something to do
    assert_same_fit(ours, reference)
    assert ours.init_rows_ == X.shape[0] == reference.init_rows_


def test_sample_weight_equals_numpy(blobs):
    X, weights = blobs
    reference = GaussianMixture(4, random_state=0, tol=1e-6).fit(
        X, sample_weight=weights
    )
    ours = GaussianMixture(4, random_state=0, tol=1e-6).fit(
        da.from_array(X, chunks=1000), sample_weight=da.from_array(weights, chunks=700)
    )
    assert_same_fit(ours, reference)
    # and a NumPy array of weights with a Dask X
    numpy_weights = GaussianMixture(4, random_state=0, tol=1e-6).fit(
        da.from_array(X, chunks=1000), sample_weight=weights
    )
    assert_identical(numpy_weights, ours)


def test_a_number_as_sample_weight_as_in_memory(blobs):
    # one weight for every row, as the in-memory fit takes it
    X = blobs[0]
    Xd = da.from_array(X, chunks=1000)
    reference = GaussianMixture(4, random_state=0, tol=1e-6).fit(X, sample_weight=2.5)
    ours = GaussianMixture(4, random_state=0, tol=1e-6).fit(Xd, sample_weight=2.5)
    assert_same_fit(ours, reference)
    assert ours.score(Xd, sample_weight=2.5) == pytest.approx(
        reference.score(X, sample_weight=2.5), rel=1e-14
    )
    with pytest.raises(ValueError, match="sample_weight must be a finite number > 0"):
        GaussianMixture(2).fit(Xd, sample_weight=-1)


def test_tiny_fit_on_the_numpy_path():
    # 60 rows: the NumPy path (no kernels) in memory and in every block
    X, _ = make_blobs(60, n_features=2, centers=2, random_state=3)
    reference = GaussianMixture(2, random_state=0).fit(X)
    ours = GaussianMixture(2, random_state=0).fit(da.from_array(X, chunks=25))
    assert_same_fit(ours, reference)


def test_n_init_and_warm_start(blobs):
    X, _ = blobs
    Xd = da.from_array(X, chunks=1500)
    reference = GaussianMixture(4, n_init=3, random_state=5).fit(X)
    ours = GaussianMixture(4, n_init=3, random_state=5).fit(Xd)
    assert_same_fit(ours, reference)
    kwargs = dict(warm_start=True, max_iter=2, tol=0.0, random_state=0)
    reference, ours = GaussianMixture(4, **kwargs), GaussianMixture(4, **kwargs)
    for _ in range(3):  # each fit continues from the last
        with pytest.warns(ConvergenceWarning):
            reference.fit(X)
        with pytest.warns(ConvergenceWarning):
            ours.fit(Xd)
        assert_same_fit(ours, reference)


def test_predictions_are_lazy_and_equal(blobs):
    X, weights = blobs
    Xd = da.from_array(X, chunks=1000)
    gm = GaussianMixture(4, random_state=0).fit(X)
    labels = gm.predict(Xd)
    assert isinstance(labels, da.Array)
    np.testing.assert_array_equal(labels.compute(), gm.predict(X))
    np.testing.assert_allclose(
        gm.predict_proba(Xd).compute(), gm.predict_proba(X), rtol=0, atol=1e-14
    )
    np.testing.assert_allclose(
        gm.score_samples(Xd).compute(), gm.score_samples(X), rtol=1e-14
    )
    assert gm.score(Xd) == pytest.approx(gm.score(X), rel=1e-14)
    assert gm.score(Xd, sample_weight=da.from_array(weights, chunks=999)) == (
        pytest.approx(gm.score(X, sample_weight=weights), rel=1e-14)
    )
    assert gm.bic(Xd) == pytest.approx(gm.bic(X), rel=1e-14)
    # fit_predict: the labels of the fitted model, lazily
    fitted = GaussianMixture(4, random_state=0)
    fit_labels = fitted.fit_predict(Xd)
    assert isinstance(fit_labels, da.Array)
    np.testing.assert_array_equal(fit_labels.compute(), fitted.predict(X))


def test_sampled_start_is_reproducible(blobs, monkeypatch):
    X, _ = blobs
    # the start from a seeded sample of 1,000 rows where it would not fit
    monkeypatch.setattr(_dask, "START_MAX_BYTES", 1000 * 8 * (3 + 4))
    kwargs = dict(random_state=0, tol=1e-10, max_iter=1000)
    fits = [
        GaussianMixture(4, **kwargs).fit(da.from_array(X, chunks=chunks))
        for chunks in (1000, 1000, 2500)
    ]
    assert fits[0].init_rows_ == 1000
    assert_identical(fits[0], fits[1])
    assert_same_fit(fits[2], fits[0], rtol=1e-12)  # only the sums' order differs
    # the same optimum as from the whole-data start (EM stops on the change
    # of the bound, so two starts end 3e-6 apart here)
    reference = GaussianMixture(4, **kwargs).fit(X)
    np.testing.assert_allclose(
        np.sort(fits[0].means_, axis=0), np.sort(reference.means_, axis=0), rtol=2e-5
    )
    assert fits[0].lower_bound_ == pytest.approx(reference.lower_bound_, rel=1e-9)


@pytest.fixture(scope="module")
def cluster_fits(blobs):
    """The same Dask fits on LocalClusters of 1, 2 and 4 worker processes."""
    X, weights = blobs
    Xd = da.from_array(X, chunks=700)
    wd = da.from_array(weights, chunks=700)
    fits = {}
    for n_workers in (1, 2, 4):
        with (
            distributed.LocalCluster(
                n_workers=n_workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            plain = GaussianMixture(4, random_state=0, tol=1e-6).fit(Xd)
            weighted = GaussianMixture(4, random_state=0, tol=1e-6).fit(
                Xd, sample_weight=wd
            )
            labels = plain.predict(Xd).compute()
            workers = len(client.scheduler_info()["workers"])
            fits[n_workers] = (plain, weighted, labels, workers)
    return fits


@pytest.mark.parametrize("n_workers", [1, 2, 4])
def test_cluster_fit_equals_numpy(blobs, cluster_fits, n_workers):
    X, weights = blobs
    plain, weighted, labels, workers = cluster_fits[n_workers]
    assert workers == n_workers
    assert_same_fit(plain, GaussianMixture(4, random_state=0, tol=1e-6).fit(X))
    reference = GaussianMixture(4, random_state=0, tol=1e-6)
    assert_same_fit(weighted, reference.fit(X, sample_weight=weights))
    np.testing.assert_array_equal(labels, plain.predict(X))
    # the same bytes whatever the number of workers
    assert_identical(plain, cluster_fits[1][0])
    assert_identical(weighted, cluster_fits[1][1])


def test_bad_rows_name_the_row(blobs):
    X, weights = blobs
    X = X.copy()
    X[4321, 1] = np.nan
    with pytest.raises(
        ValueError,
        match=r"NaN or infinity at row 4321 \(1 such row\(s\) in rows 4000-4999\)",
    ):
        GaussianMixture(2).fit(da.from_array(X, chunks=1000))
    gm = GaussianMixture(2, random_state=0).fit(blobs[0])
    with pytest.raises(ValueError, match=r"at row 4321 "):
        gm.predict(da.from_array(X, chunks=1000)).compute()
    bad = weights.copy()
    bad[2500] = -1.0
    with pytest.raises(
        ValueError, match=r"sample_weight must be >= 0, got -1.0 at row 2500"
    ):
        GaussianMixture(2).fit(
            da.from_array(blobs[0], chunks=1000), sample_weight=da.from_array(bad, 1000)
        )
    with pytest.raises(ValueError, match="positive for at least one row"):
        GaussianMixture(2).fit(
            da.from_array(blobs[0], chunks=1000), sample_weight=np.zeros(len(bad))
        )
    with pytest.raises(ValueError, match=r"sample_weight must be of shape \(6000,\)"):
        GaussianMixture(2).fit(
            da.from_array(blobs[0], chunks=1000), sample_weight=np.ones(5)
        )


def test_bad_arrays_say_how_to_fix():
    with pytest.raises(ValueError, match=r"must be 2-D .* reshape"):
        GaussianMixture(2).fit(da.ones(10, chunks=5))
    with pytest.raises(ValueError, match="must be numeric"):
        GaussianMixture(2).fit(da.from_array(np.array([["a", "b"]] * 4)))
    gm = GaussianMixture(2, random_state=0).fit(
        np.random.default_rng(0).normal(size=(50, 2))
    )
    with pytest.raises(ValueError, match="X has 3 features, but GaussianMixture"):
        gm.predict(da.ones((10, 3), chunks=5))


def test_integer_rows_and_column_chunks():
    X = np.random.default_rng(0).integers(0, 50, size=(400, 4))
    reference = GaussianMixture(2, random_state=0).fit(X.astype(float))
    # integers, and blocks split across columns too
    ours = GaussianMixture(2, random_state=0).fit(da.from_array(X, chunks=(150, 2)))
    assert_same_fit(ours, reference)


def test_empty_blocks_add_nothing(blobs):
    """Blocks of no rows (a filtered array) are left out of every pass."""
    X, weights = blobs
    Xd = da.from_array(X, chunks=((1000, 2000, 0, 3000), (3,)))
    reference = GaussianMixture(4, random_state=0).fit(X, sample_weight=weights)
    ours = GaussianMixture(4, random_state=0).fit(Xd, sample_weight=weights)
    assert_same_fit(ours, reference)
    # unknown block sizes (a boolean filter) are computed first
    kept = X[:, 0] > np.median(X[:, 0])
    Xf = da.from_array(X, chunks=1000)
    Xf = Xf[Xf[:, 0] > np.median(X[:, 0])]
    assert_same_fit(
        GaussianMixture(3, random_state=0).fit(Xf),
        GaussianMixture(3, random_state=0).fit(X[kept]),
    )
