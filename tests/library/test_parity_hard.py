"""Parity with scikit-learn on hard data, and accuracy where it is not exact.

Accuracy model.  Every case is fitted three times from the same start
(identical ``weights_init``/``means_init``/``precisions_init``, or the
default k-means start with the same ``random_state``): scikit-learn, emgmm,
and :mod:`em_reference` -- the same EM (same start, same stopping rule) in
80-bit extended precision with centred moments, i.e. the exact EM iterates
of the float64 data to ~1e-16.  scikit-learn's distance from that reference
decides the regime of a case, and each test asserts its regime, so a case
cannot silently change it:

* **exact** -- scikit-learn within ``SKLEARN_EXACT`` = 1e-11 (a tenth of
  ``RTOL``) of the reference in every attribute and with the same
  ``n_iter_``: emgmm must equal scikit-learn to ``RTOL`` = 1e-10 in
  weights_, means_, covariances_, precisions_, precisions_cholesky_,
  lower_bound_ and lower_bounds_, with the same ``n_iter_`` and
  ``converged_`` (and the same ``predict``, ``score_samples`` to 1e-10);
* **inexact** -- scikit-learn's expanded formulas (``E[x^2] - mu^2`` for
  'tied'/'diag'/'spherical', ``X @ P - mu @ P`` in the log-density) lose
  digits: emgmm must be *at least as accurate* as scikit-learn against the
  reference in every attribute (errors below ``ROUNDING_FLOOR`` = 1e-12
  count as rounding), have the reference's ``n_iter_``/``converged_``, and
  be within ``RTOL`` of the reference.  :func:`test_translated_reference`
  checks the same against an independent reference: scikit-learn's fit of
  the data translated to the origin, translated back.

Errors are relative per component: ``max |a_k - b_k| / max |b_k|`` over each
component's block (the whole matrix for 'tied', each entry for
'spherical'), ``|a - b| / |b|`` for weights and the lower bound.

Measured on main before issue 11's engine changes (scikit-learn 1.9.1,
numpy 2.4.6, x86-64 long double; worst attribute, ``sk``/``em`` = distance
of scikit-learn/emgmm from the reference):

* full, tight clusters (centres uniform in +-10, std 1e-2 / 1e-3,
  reg_covar 1e-12), d = 8 / 16, k-means and user start: sk 4e-16..1.7e-15
  (exact); em 1.2e-9..2.6e-7 (covariances_, precisions_).
* full, 16 pixel columns of digits, user start: sk 1e-15..3e-15 (exact);
  em 5.8e-13 (reg_covar 1e-2), 1.4e-8..8.5e-8 (reg_covar 1e-6).
* tied/diag/spherical, the same tight clusters at d = 8: sk 1.3e-10..8e-8
  (inexact); em 1.1e-10..7.3e-9, worse than sk in some attributes (and
  its lower bound off by up to 1.6e-10 where sk's is exact).
* offsets 1e3 / 1e4 / 1e6 (blobs, std 3, 20 iterations): full sk 1.9e-13
  / 3e-12 / 2e-10 (exact, exact, inexact), em 5e-15 / 6e-14 / 6e-12;
  tied/diag/spherical sk 2e-10 / 3e-8 / 3e-4 (inexact), em 2e-14..2e-12.
* d = 64 (K = 4) and K = 20 (d = 3), every type: sk 3e-15..2.8e-13
  (exact), em 1.6e-15..1.5e-13.
* threaded path (N = 1e5, 2 threads): tight full d = 8 em vs sk 3.2e-10;
  blobs full d = 2 / 16, diag, tied pass.  Not the same
  bytes on 1 and 2 threads: full d = 16's start (``max_iter=0``) differs
  by 4.4e-16 in means_ (its initial M-step runs outside emgmm's
  single-threaded-BLAS guard).
* ``score_samples`` of each estimator's own parameters vs their exact
  log-density (relative to max |log p|): 'tied' on tight clusters em
  1.2e-9 / 3.9e-11 vs sk 1.1e-13 / 1.1e-14 (emgmm expands the quadratic
  form, scikit-learn centres per component); diag/spherical em 1e-9..1e-11,
  about 3x better than sk; offset 1e4 em 2e-16, sk 7e-14..9e-10.

(Those measurements predate the numba kernel's reach to 128 features; every
case now runs on both routes of a pass, the kernel and the NumPy/BLAS chunks,
through the ``engine_path`` fixture.)  So the tight-cluster and digits-pixel
'full' cases (d > 6, the NumPy path's uncentred second moments then), the
tight-cluster tied/diag/spherical cases, the threaded tight case and the
'tied' tight-cluster ``score_samples`` failed on main then; the rest passed.
Long runs of a slowly
converging EM amplify everyone's rounding (100 iterations on the 1e3-offset
blobs put scikit-learn's 'full' at 1.1e-12, at 1e6 at 1.8e-10), so the
offset cases run 20 iterations with ``tol=0``.

Threads: ``threadpoolctl.threadpool_limits(2)`` is the one setting emgmm
reads (the BLAS limit sets the worker threads over row parts and numba's
threads); N = 1e5 splits a pass into several row parts.  emgmm documents
the same bytes whatever the thread count, asserted too.

``n_init`` ties: ``GaussianMixture`` documents that starts whose lower
bounds agree within 1e-12 (relative) tie and the earlier is kept, where
scikit-learn's strict ``>`` may pick a later copy better by rounding only.
Each start is replayed alone (estimators sharing one ``RandomState``), and
the ``n_init`` fit must be the start that rule picks, bit for bit.
"""

import warnings

import em_reference
import numpy as np
import pytest
from n_init_starts import replay_starts, sklearn_pick, tie_rule, tied
from sklearn import mixture
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits, make_blobs
from threadpoolctl import threadpool_info, threadpool_limits

from emgmm import GaussianMixture

RTOL = 1e-10
# scikit-learn counts as exact on a case when its own error is below a tenth
# of RTOL: an exact emgmm then passes parity with a margin of 0.9 RTOL
SKLEARN_EXACT = RTOL / 10
# errors below this are rounding noise for "at least as accurate"
ROUNDING_FLOOR = 1e-12
COV_TYPES = ["full", "tied", "diag", "spherical"]
PARAM_ATTRS = (
    "weights_",
    "means_",
    "covariances_",
    "precisions_",
    "precisions_cholesky_",
)
ATTRS = PARAM_ATTRS + ("lower_bound_",)
# every case on both routes of a pass: the numba kernel and NumPy/BLAS chunks
pytestmark = pytest.mark.usefixtures("engine_path")


@pytest.fixture(autouse=True)
def _one_thread():
    # KMeans' OpenMP and BLAS spin badly on a shared 2-core machine
    with threadpool_limits(1):
        yield


###############################################################################
# data


def tight_clusters(d, std, n=600, k=3, seed=0, return_centres=False):
    """``k`` clusters of ``std`` spread, centres uniform in +-10.

    Far from the origin relative to their spread: |mu|^2 / std^2 ~ 1e6..1e8.
    """
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    labels = rng.integers(0, k, n)
    X = centres[labels] + std * rng.standard_normal((n, d))
    return (X, centres) if return_centres else X


def blobs(d, n=600, k=3, seed=0, offset=0.0, std=1.0):
    """make_blobs (centres uniform in +-10) of spread ``std``, plus ``offset``."""
    X, _ = make_blobs(n, n_features=d, centers=k, cluster_std=std, random_state=seed)
    return X + offset


###############################################################################
# comparison


def rel_err(a, b, name, covariance_type):
    """Relative error of ``a`` against ``b`` per component (see module doc)."""
    a = np.asarray(a, dtype=np.longdouble)
    b = np.asarray(b, dtype=np.longdouble)
    assert a.shape == b.shape, (name, a.shape, b.shape)
    if name in ("weights_", "lower_bound_") or (
        covariance_type == "spherical" and name != "means_"
    ):
        return float(np.max(np.abs(a - b) / np.abs(b)))
    if covariance_type == "tied" and name != "means_":
        return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
    axes = tuple(range(1, a.ndim))
    return float(
        np.max(np.max(np.abs(a - b), axis=axes) / np.max(np.abs(b), axis=axes))
    )


def errors(est, ref, covariance_type):
    return {
        name: rel_err(getattr(est, name), getattr(ref, name), name, covariance_type)
        for name in ATTRS
    }


def fit_both(X, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = mixture.GaussianMixture(**kw).fit(X)
        ours = GaussianMixture(**kw).fit(X)
    return ours, sk


def reference(X, n_components, covariance_type, random_state, **kw):
    """:mod:`em_reference` from scikit-learn's start (k-means or user-given)."""
    user = {n: kw.pop(n) for n in ("weights_init", "means_init", "precisions_init")}
    resp = None
    if any(v is None for v in user.values()):
        # GaussianMixture's k-means start: KMeans(n_init=1) on the mixture's
        # RandomState (a fresh one from the int seed, as check_random_state)
        labels = (
            KMeans(
                n_components, n_init=1, random_state=np.random.RandomState(random_state)
            )
            .fit(X)
            .labels_
        )
        resp = np.eye(n_components)[labels]
    user = {n: v for n, v in user.items() if v is not None}
    return em_reference.fit(X, covariance_type, resp=resp, **user, **kw)


def assert_same(ours, sk, covariance_type, rtol=RTOL):
    assert ours.n_iter_ == sk.n_iter_
    assert ours.converged_ == sk.converged_
    errs = errors(ours, sk, covariance_type)
    bad = {n: f"{e:.1e}" for n, e in errs.items() if e > rtol}
    assert not bad, f"emgmm vs scikit-learn beyond {rtol:g}: {bad}"
    np.testing.assert_allclose(ours.lower_bounds_, sk.lower_bounds_, rtol=rtol)


def check_case(X, *, exact, **kw):
    """Fit emgmm, scikit-learn and the reference; assert the case's regime."""
    ours, sk = fit_both(X, **kw)
    ref_kw = {n: kw[n] for n in ("reg_covar", "tol", "max_iter") if n in kw}
    for name in ("weights_init", "means_init", "precisions_init"):
        ref_kw[name] = kw.get(name)
    ref = reference(
        X, kw["n_components"], kw["covariance_type"], kw["random_state"], **ref_kw
    )
    ct = kw["covariance_type"]
    err_sk = errors(sk, ref, ct)
    err_ours = errors(ours, ref, ct)
    if exact:
        # premise: scikit-learn is exact here
        assert sk.n_iter_ == ref.n_iter_
        bad = {n: f"{e:.1e}" for n, e in err_sk.items() if e > SKLEARN_EXACT}
        assert not bad, f"scikit-learn not exact (premise of the case): {bad}"
        assert_same(ours, sk, ct)
        # the fitted models score the data alike (same parameters, same maths)
        a, b = ours.score_samples(X), sk.score_samples(X)
        err = float(np.max(np.abs(a - b)) / np.max(np.abs(b)))
        assert err <= RTOL, f"score_samples: {err:.1e}"
        np.testing.assert_array_equal(ours.predict(X), sk.predict(X))
    else:
        # premise: scikit-learn loses digits here (its n_iter_ may differ)
        assert max(err_sk.values()) > SKLEARN_EXACT, err_sk
        assert ours.n_iter_ == ref.n_iter_
        assert ours.converged_ == ref.converged_
        worse = {
            n: f"emgmm {err_ours[n]:.1e} > scikit-learn {err_sk[n]:.1e}"
            for n in ATTRS
            if err_ours[n] > max(err_sk[n], ROUNDING_FLOOR)
        }
        assert not worse, f"less accurate than scikit-learn: {worse}"
        far = {n: f"{e:.1e}" for n, e in err_ours.items() if e > RTOL}
        assert not far, f"emgmm vs the exact reference beyond {RTOL:g}: {far}"
    return ours, sk, ref


###############################################################################
# full covariance, tight clusters far from the origin (uncentred moments)


@pytest.mark.parametrize("std", [1e-2, 1e-3])
@pytest.mark.parametrize("d", [8, 16])
def test_full_tight_clusters_kmeans_start(d, std):
    X = tight_clusters(d, std)
    check_case(
        X,
        exact=True,
        n_components=3,
        covariance_type="full",
        reg_covar=1e-12,
        random_state=0,
    )


@pytest.mark.parametrize("std", [1e-2, 1e-3])
@pytest.mark.parametrize("d", [8, 16])
def test_full_tight_clusters_user_start(d, std):
    # a sensible start: the true centres moved by 3 std, spheres of the
    # true spread (a start that merges clusters makes a covariance with
    # condition number ~(10/std)^2, whose inverse nobody gets exact)
    X, centres = tight_clusters(d, std, seed=1, return_centres=True)
    rng = np.random.default_rng(2)
    kw = dict(
        n_components=3,
        covariance_type="full",
        reg_covar=1e-12,
        random_state=0,
        weights_init=np.full(3, 1 / 3),
        means_init=centres + 3 * std * rng.standard_normal(centres.shape),
        precisions_init=np.stack([np.eye(d) / std**2] * 3),
    )
    check_case(X, exact=True, **kw)


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
@pytest.mark.parametrize("std", [1e-2, 1e-3])
def test_other_types_tight_clusters(std, covariance_type):
    """scikit-learn's ``E[x^2] - mu^2`` loses ~eps |mu|^2 / std^2: inexact."""
    X = tight_clusters(8, std, seed=7)
    check_case(
        X,
        exact=False,
        n_components=3,
        covariance_type=covariance_type,
        reg_covar=1e-12,
        random_state=0,
    )


@pytest.mark.parametrize("reg_covar", [1e-2, 1e-6])
@pytest.mark.parametrize("columns", [(16, 32), (24, 40)], ids=["px16-32", "px24-40"])
def test_full_digits_pixels_user_start(columns, reg_covar):
    """16 pixel columns of digits from a user start (weights, means, precisions).

    Real data, d = 16: pixels that are nearly constant within a component
    have a variance of about ``reg_covar`` and a mean of several units --
    the tight-cluster situation (|mu|^2 / sigma^2 up to ~1e8) in benign data.
    """
    X = load_digits().data[:400, slice(*columns)].astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = mixture.GaussianMixture(
            4, random_state=1, max_iter=3, reg_covar=1e-2
        ).fit(X)
    check_case(
        X,
        exact=True,
        n_components=4,
        covariance_type="full",
        random_state=3,
        reg_covar=reg_covar,
        max_iter=15,
        weights_init=np.full(4, 0.25),
        means_init=base.means_ + 0.1,
        precisions_init=base.precisions_,
    )


def test_full_d16_user_start_benign():
    """Blobs at d = 16 from a user start (weights, means and precisions)."""
    X = blobs(16, n=800, k=4, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = mixture.GaussianMixture(4, random_state=1, max_iter=2).fit(X)
    check_case(
        X,
        exact=True,
        n_components=4,
        covariance_type="full",
        random_state=3,
        weights_init=np.full(4, 0.25),
        means_init=base.means_ + 0.1,
        precisions_init=base.precisions_,
    )


###############################################################################
# large offsets, every type


# (offset, covariance type) -> whether scikit-learn is exact (measured)
OFFSET_CASES = {
    (1e3, "full"): True,
    (1e3, "tied"): False,
    (1e3, "diag"): False,
    (1e3, "spherical"): False,
    (1e4, "full"): True,
    (1e4, "tied"): False,
    (1e4, "diag"): False,
    (1e4, "spherical"): False,
    (1e6, "full"): False,
    (1e6, "tied"): False,
    (1e6, "diag"): False,
    (1e6, "spherical"): False,
}


@pytest.mark.parametrize(("offset", "covariance_type"), list(OFFSET_CASES))
def test_large_offset(offset, covariance_type):
    # overlapping blobs and 20 iterations (tol=0: the same count for all;
    # a slowly converging EM amplifies everyone's rounding, 100 iterations
    # of it put scikit-learn's 'full' at 1e-12..2e-10 from the reference)
    X = blobs(4, n=600, k=3, seed=0, offset=offset, std=3.0)
    check_case(
        X,
        exact=OFFSET_CASES[offset, covariance_type],
        n_components=3,
        covariance_type=covariance_type,
        random_state=0,
        tol=0,
        max_iter=20,
    )


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
@pytest.mark.parametrize("offset", [1e3, 1e4])
def test_translated_reference(offset, covariance_type):
    """Against scikit-learn on the data translated to the origin.

    ``X - offset`` is exact in float64 here (Sterbenz), so scikit-learn's fit
    of the translated data, translated back, is a reference independent of
    :mod:`em_reference`; emgmm must be at least as close to it as
    scikit-learn on the raw data, and close in absolute terms.
    """
    X = blobs(4, n=600, k=3, seed=1, offset=offset)
    kw = dict(n_components=3, covariance_type=covariance_type, random_state=0)
    ours, sk = fit_both(X, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shifted = mixture.GaussianMixture(**kw).fit(X - offset)
    assert ours.n_iter_ == sk.n_iter_ == shifted.n_iter_
    # the data, hence the log-likelihood, are not translation invariant in
    # their rounding; compare the parameters only
    for name in PARAM_ATTRS:
        ref = getattr(shifted, name) + (offset if name == "means_" else 0)
        e_ours = rel_err(getattr(ours, name), ref, name, covariance_type)
        e_sk = rel_err(getattr(sk, name), ref, name, covariance_type)
        assert e_ours <= max(e_sk, ROUNDING_FLOOR), (name, e_ours, e_sk)
        assert e_ours <= RTOL, (name, e_ours)


###############################################################################
# the E-step on its own: log-densities of the fitted parameters


SCORE_CASES = {
    "tight-8-1e-3": lambda: tight_clusters(8, 1e-3, seed=7),
    "tight-16-1e-2": lambda: tight_clusters(16, 1e-2, seed=7),
    "offset-1e4": lambda: blobs(4, n=600, k=3, seed=0, offset=1e4, std=3.0),
}


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("data", list(SCORE_CASES))
def test_score_samples_at_least_as_accurate(data, covariance_type):
    """Each estimator's ``score_samples`` against the exact log-density of
    its own fitted parameters: emgmm's error at most scikit-learn's.

    scikit-learn centres per component for 'full'/'tied' (``X @ P - mu @ P``)
    and expands the square for 'diag'/'spherical'.
    """
    X = SCORE_CASES[data]()
    kw = dict(
        n_components=3,
        covariance_type=covariance_type,
        reg_covar=1e-12,
        random_state=0,
        max_iter=3,
    )
    ours, sk = fit_both(X, **kw)

    def err(est):
        ref = em_reference.score_samples(
            X, est.weights_, est.means_, est.precisions_cholesky_, covariance_type
        )
        return float(np.max(np.abs(est.score_samples(X) - ref)) / np.max(np.abs(ref)))

    e_ours, e_sk = err(ours), err(sk)
    assert e_ours <= max(e_sk, ROUNDING_FLOOR), (
        f"score_samples: emgmm {e_ours:.1e} vs scikit-learn {e_sk:.1e}"
    )


###############################################################################
# many features, many components (benign data)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_many_features(covariance_type):
    X = blobs(64, n=800, k=4, seed=4, std=12.0)
    check_case(
        X,
        exact=True,
        n_components=4,
        covariance_type=covariance_type,
        random_state=0,
        tol=1e-6,
        max_iter=10,
    )


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_many_components(covariance_type):
    X = blobs(3, n=2000, k=20, seed=5, std=1.5)
    check_case(
        X,
        exact=True,
        n_components=20,
        covariance_type=covariance_type,
        random_state=0,
        tol=1e-6,
        max_iter=30,
    )


###############################################################################
# the threaded multi-part path (N >= 1e5, 2 threads)


THREAD_CASES = [
    # (name, covariance type, d, K): full d=2 takes the numba kernel, full
    # d=16 the NumPy/BLAS path, tight/8 the hard data on the threaded path
    ("blobs", "full", 2, 4),
    ("blobs", "full", 16, 4),
    ("blobs", "diag", 8, 4),
    ("blobs", "tied", 8, 4),
    ("tight", "full", 8, 3),
]


_THREAD_CACHE = {}


def _threaded_fits(data, covariance_type, d, k):
    """emgmm on 1 and 2 threads (start only, and 5 iterations), scikit-learn."""
    key = (data, covariance_type, d, k)
    if key in _THREAD_CACHE:
        return _THREAD_CACHE[key]
    n = 100_000
    if data == "tight":
        X = tight_clusters(d, 1e-2, n=n, k=k, seed=6)
        reg = 1e-12
    else:
        # overlapping (std 3): responsibilities are not all 0 or 1, so a
        # difference in the last bits is not rounded away
        X = blobs(d, n=n, k=k, seed=6, std=3.0)
        reg = 1e-6
    kw = dict(
        n_components=k,
        covariance_type=covariance_type,
        random_state=0,
        reg_covar=reg,
        tol=0,
    )
    fits = {}
    for threads in (1, 2):
        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            blas = [
                i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
            ]
            assert min(blas) == threads
            for max_iter in (0, 5):
                fits[threads, max_iter] = GaussianMixture(max_iter=max_iter, **kw).fit(
                    X
                )
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fits["sklearn"] = mixture.GaussianMixture(max_iter=5, **kw).fit(X)
    _THREAD_CACHE[key] = fits
    return fits


@pytest.mark.parametrize(("data", "covariance_type", "d", "k"), THREAD_CASES)
def test_threaded_path(data, covariance_type, d, k):
    """2 threads, several row parts: equal to scikit-learn."""
    fits = _threaded_fits(data, covariance_type, d, k)
    assert_same(fits[2, 5], fits["sklearn"], covariance_type)


@pytest.mark.parametrize(("data", "covariance_type", "d", "k"), THREAD_CASES)
def test_threads_same_bytes(data, covariance_type, d, k):
    """emgmm documents the same bytes whatever the number of threads: the
    start (k-means + initial M-step, ``max_iter=0``) and 5 iterations."""
    fits = _threaded_fits(data, covariance_type, d, k)
    for max_iter in (0, 5):
        for name in PARAM_ATTRS if max_iter == 0 else ATTRS:
            np.testing.assert_array_equal(
                getattr(fits[2, max_iter], name),
                getattr(fits[1, max_iter], name),
                f"{name} (max_iter={max_iter}): 2 threads vs 1",
            )


###############################################################################
# ties between n_init starts


TIE_N_INIT = 6
TIE_KW = dict(
    n_components=3,
    init_params="random_from_data",
    tol=1e-10,
    max_iter=200,
)
# (covariance type, seed): well separated blobs where several of the 6 starts
# reach the same optimum (up to a permutation of the components), with lower
# bounds equal to ~1e-12; in some of them a later start is better by rounding
# only, where scikit-learn's strict ">" picks the permuted copy
TIE_CASES = [("full", s) for s in (0, 3, 4, 7)] + [("diag", s) for s in (1, 2, 5)]
_TIE_CACHE = {}


def _tie_case(covariance_type, seed):
    key = (covariance_type, seed)
    if key not in _TIE_CACHE:
        X = blobs(2, n=300, k=3, seed=10 + seed)
        kw = dict(TIE_KW, covariance_type=covariance_type)
        starts = replay_starts(X, TIE_N_INIT, GaussianMixture, random_state=seed, **kw)
        sk_starts = replay_starts(
            X, TIE_N_INIT, mixture.GaussianMixture, random_state=seed, **kw
        )
        ours, sk = fit_both(X, n_init=TIE_N_INIT, random_state=seed, **kw)
        _TIE_CACHE[key] = X, starts, sk_starts, ours, sk
    return _TIE_CACHE[key]


@pytest.mark.parametrize(("covariance_type", "seed"), TIE_CASES)
def test_n_init_tie_keeps_the_earlier_start(covariance_type, seed):
    """The documented rule, and scikit-learn's pick where the rule agrees.

    ``GaussianMixture`` documents: starts whose lower bounds agree within
    1e-12 (relative) count as a tie, and the earlier one is kept.
    """
    X, starts, sk_starts, ours, sk = _tie_case(covariance_type, seed)
    lbs = [s.lower_bound_ for s in starts]
    best = tie_rule(lbs)
    # a tie: another start reaches the same optimum to 1e-12
    assert sum(tied(lbs, i, best) for i in range(len(lbs))) >= 2, lbs
    # the n_init fit is that start, to the last bit
    for name in ATTRS:
        np.testing.assert_array_equal(getattr(ours, name), getattr(starts[best], name))
    assert ours.n_iter_ == starts[best].n_iter_
    # scikit-learn keeps the first start with the highest lower bound (">")
    sk_lbs = [s.lower_bound_ for s in sk_starts]
    sk_best = sklearn_pick(sk_lbs)
    assert sk.lower_bound_ == sk_lbs[sk_best]
    if sk_best == best:
        assert_same(ours, sk, covariance_type)
    else:
        # a later start better by rounding only: the same optimum, permuted
        assert sk_best > best
        assert abs(sk.lower_bound_ - ours.lower_bound_) <= 1e-12 * abs(sk.lower_bound_)
        order = np.lexsort(ours.means_.T[::-1])
        sk_order = np.lexsort(sk.means_.T[::-1])
        # (stopped by tol=1e-10 on the lower bound: parameters to ~1e-5)
        np.testing.assert_allclose(
            ours.means_[order], sk.means_[sk_order], atol=1e-4 * np.abs(X).max()
        )


def test_n_init_tie_cases_cover_both_outcomes():
    """The cases include ties where scikit-learn keeps the same start and
    ties where it picks a later, rounding-better copy (the rule matters)."""
    outcomes = set()
    for covariance_type, seed in TIE_CASES:
        _, starts, sk_starts, _, _ = _tie_case(covariance_type, seed)
        best = tie_rule([s.lower_bound_ for s in starts])
        sk_best = sklearn_pick([s.lower_bound_ for s in sk_starts])
        outcomes.add(best == sk_best)
    assert outcomes == {True, False}
