"""The fused numba pass against a naive NumPy reference (full covariance)."""

import math

import numpy as np
import pytest

from emgmm import _em_numba
from emgmm._covariance import MODELS

RTOL = 1e-13


def _problem(n_samples, n_features, n_components, dtype, seed=0, offset=1e4):
    """Clusters of std ~1 far from the origin, parameters near the truth."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(n_components, n_features)) + offset
    labels = rng.integers(n_components, size=n_samples)
    X = (centres[labels] + rng.normal(size=(n_samples, n_features))).astype(dtype)
    shift = X.astype(np.float64).mean(axis=0)
    means = centres - shift + rng.normal(scale=0.3, size=centres.shape)
    A = rng.normal(scale=0.3, size=(n_components, n_features, n_features))
    cov = np.eye(n_features) + A @ np.swapaxes(A, 1, 2)
    # upper-triangular factor U with U U^T = cov^-1 (scikit-learn's form)
    prec_chol = np.array(
        [np.linalg.solve(np.linalg.cholesky(c), np.eye(n_features)).T for c in cov]
    )
    weights = rng.dirichlet(np.full(n_components, 5.0))
    log_const = -0.5 * n_features * np.log(2 * np.pi) + np.log(
        np.diagonal(prec_chol, axis1=1, axis2=2)
    ).sum(axis=1)
    return X, shift, np.log(weights), means, prec_chol, log_const


def _fsum0(terms):
    """Exactly rounded sum over the first axis (``math.fsum``)."""
    return np.apply_along_axis(math.fsum, 0, terms)


def _reference(X, shift, log_weights, means, prec_chol, log_const, sample_weight):
    """Naive NumPy version of the fused pass (float64 terms, exact sums).

    The terms are formed as the kernel forms them, then summed exactly, so
    the comparison measures the kernel's own summation error.
    """
    Xc = X.astype(np.float64) - shift
    n_samples = Xc.shape[0]
    w = np.ones(n_samples) if sample_weight is None else sample_weight
    diffs = Xc[:, None, :] - means[None, :, :]
    y = np.einsum("nkt,ktj->nkj", diffs, prec_chol)
    logp = log_const + log_weights - 0.5 * (y**2).sum(axis=2)
    mx = logp.max(axis=1, keepdims=True)
    lse = mx[:, 0] + np.log(np.exp(logp - mx).sum(axis=1))
    resp = np.exp(logp - lse[:, None]) * w[:, None]
    lse_sum = math.fsum(w * lse)
    nk = _fsum0(resp)
    rd = resp[:, :, None] * diffs
    sx = _fsum0(rd)
    sxx = _fsum0(rd[:, :, :, None] * diffs[:, :, None, :])
    # magnitudes of the sums, the scale their rounding errors are relative to
    scale_sx = np.einsum("nk,nkj->kj", resp, np.abs(diffs))
    scale_sxx = np.einsum("nk,nkj,nkt->kjt", resp, np.abs(diffs), np.abs(diffs))
    scale_lse = float((w * np.abs(lse)).sum())
    return (
        (lse_sum, nk, sx, sxx),
        (scale_lse, nk, scale_sx, scale_sxx),
        logp,
    )


def _assert_close(got, want, scale, rtol=RTOL):
    got, want, scale = (np.asarray(a, dtype=np.float64) for a in (got, want, scale))
    assert got.shape == want.shape
    err = np.abs(got - want)
    bound = rtol * (scale + np.finfo(np.float64).tiny)
    assert np.all(err <= bound), (
        f"max error/scale {np.max(err / (scale + np.finfo(np.float64).tiny)):.3g}"
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", [False, True])
# 1, 2: the unrolled kernel; from 3 the blocked one (17: padded to 20)
@pytest.mark.parametrize("n_features", [1, 2, 3, 4, 5, 6, 8, 16, 17])
@pytest.mark.parametrize("n_components", [1, 3, 8])
def test_fused_pass_matches_numpy_reference(n_features, n_components, weighted, dtype):
    # two row blocks, each ending with a partial tile
    n_samples = 2 * 4096 + 37
    args = _problem(n_samples, n_features, n_components, dtype, seed=n_features)
    rng = np.random.default_rng(1)
    sample_weight = rng.uniform(0.0, 3.0, n_samples) if weighted else None
    got = _em_numba.fused_full_pass(*args, 2, sample_weight=sample_weight)
    want, scale, _ = _reference(*args, sample_weight)
    for g, w, s in zip(got, want, scale, strict=True):
        _assert_close(g, w, s)
    # symmetric second moments
    np.testing.assert_array_equal(got[3], np.swapaxes(got[3], 1, 2))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("n_features", [1, 2, 3, 6, 17])
def test_weighted_log_prob_matches_numpy_reference(n_features, dtype):
    args = _problem(1000, n_features, 4, dtype, seed=3)
    got = _em_numba.full_weighted_log_prob(*args, 2)
    _, _, logp = _reference(*args, None)
    _assert_close(got, logp, np.abs(logp))


@pytest.mark.parametrize("n_samples", [1, 5, 127, 128, 129, 4096 * 2 + 1])
@pytest.mark.parametrize("n_features", [2, 5])
def test_small_and_ragged_sizes(n_samples, n_features):
    args = _problem(n_samples, n_features, 3, np.float64, seed=5)
    got = _em_numba.fused_full_pass(*args, 2)
    want, scale, _ = _reference(*args, None)
    for g, w, s in zip(got, want, scale, strict=True):
        _assert_close(g, w, s)


def test_row_blocks_depend_on_the_size_only():
    """One block per 4,096 rows (at most 64); a smaller pass the kernels run
    (more than the engine's NUMPY_MAX_WORK) splits in two from 256 rows."""
    from emgmm._engine import NUMPY_MAX_WORK, pass_work

    blocks = _em_numba.n_blocks_for
    assert [blocks(n) for n in (1, 1000, 8191, 8192, 12_288, 10**6)] == [
        1, 1, 1, 2, 3, 64,
    ]  # fmt: skip
    assert blocks(1000, pass_work(1000, 2, 4)) == 2
    assert _em_numba.pass_blocks(1000, 2, 4) == 2
    assert _em_numba.pass_blocks(1000, 1, 1) == 1  # 2,000 multiply-adds
    assert blocks(300, NUMPY_MAX_WORK + 1) == 2
    assert blocks(255, 10**9) == 1
    assert blocks(20_000, pass_work(20_000, 64, 16)) == 4


@pytest.mark.parametrize(
    ("n_samples", "n_features", "n_components"),
    [(1000, 2, 4), (700, 9, 5), (200_000, 2, 4), (200_000, 3, 4)],
)
def test_same_bytes_whatever_the_thread_count(n_samples, n_features, n_components):
    args = _problem(n_samples, n_features, n_components, np.float64, seed=7)
    weights = np.random.default_rng(2).uniform(0, 2, n_samples)
    one = _em_numba.fused_full_pass(*args, 1, sample_weight=weights)
    two = _em_numba.fused_full_pass(*args, 2, sample_weight=weights)
    assert one[0] == two[0]
    for a, b in zip(one[1:], two[1:], strict=True):
        assert a.tobytes() == b.tobytes()
    lp1 = _em_numba.full_weighted_log_prob(*args, 1)
    lp2 = _em_numba.full_weighted_log_prob(*args, 2)
    assert lp1.tobytes() == lp2.tobytes()


@pytest.mark.parametrize("n_features", [2, 7])
def test_integer_weights_equal_repeated_rows_and_zero_weights_removed_rows(n_features):
    X, *rest = _problem(5000, n_features, 3, np.float64, seed=11)
    counts = np.random.default_rng(4).integers(0, 4, size=len(X))
    weighted = _em_numba.fused_full_pass(X, *rest, 2, sample_weight=counts * 1.0)
    repeated = _em_numba.fused_full_pass(np.repeat(X, counts, axis=0), *rest, 2)
    _, scale, _ = _reference(X, *rest, counts * 1.0)
    for g, w, s in zip(weighted, repeated, scale, strict=True):
        _assert_close(g, w, s)


def test_zero_weight_component_gets_no_responsibility():
    X, shift, log_weights, means, prec_chol, log_const = _problem(
        3000, 2, 3, np.float64, seed=13
    )
    log_weights = log_weights.copy()
    log_weights[1] = -np.inf
    lse_sum, nk, sx, sxx = _em_numba.fused_full_pass(
        X, shift, log_weights, means, prec_chol, log_const, 1
    )
    assert np.isfinite(lse_sum)
    assert nk[1] == 0.0 and not sx[1].any() and not sxx[1].any()
    assert np.isclose(nk.sum(), len(X), rtol=1e-13)


def test_wrong_sample_weight_shape_is_one_clear_error():
    args = _problem(100, 2, 2, np.float64)
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(100,\)"):
        _em_numba.fused_full_pass(*args, 1, sample_weight=np.ones(99))


def _tile_apply(fn, x):
    tile = _em_numba._TILE
    x = np.concatenate([x, np.ones(-len(x) % tile)])
    out = np.empty_like(x)
    bits = np.empty(tile, dtype=np.int64)
    for i in range(0, len(x), tile):
        fn(x[i : i + tile].copy(), out[i : i + tile], bits)
    return out


def test_tile_exp_within_one_ulp_of_numpy():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [-rng.uniform(0, 40, 20_000), -rng.uniform(0, 708, 20_000), [0.0, -1e-300]]
    )
    got = _tile_apply(_em_numba._tile_exp, x)[: len(x)]
    want = np.exp(x)
    assert np.all(np.abs(got - want) <= np.spacing(want))
    special = _tile_apply(
        _em_numba._tile_exp, np.array([-np.inf, np.nan, -708.5, -1e4])
    )[:4]
    assert special[0] == 0.0 and np.isnan(special[1])
    assert special[2] == 0.0 and special[3] == 0.0


def test_tile_log_within_one_ulp_of_numpy():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [rng.uniform(1, 9, 20_000), np.exp(rng.uniform(-700, 700, 20_000))]
    )
    got = _tile_apply(_em_numba._tile_log, x)[: len(x)]
    want = np.log(x)
    assert np.all(np.abs(got - want) <= np.spacing(np.abs(want)))
    special = _tile_apply(_em_numba._tile_log, np.array([0.0, np.inf, np.nan, 1.0]))
    assert special[0] == -np.inf and special[1] == np.inf
    assert np.isnan(special[2]) and special[3] == 0.0


@pytest.mark.parametrize("n_features", [1, 2, 5])
def test_full_m_step_matches_the_models_m_step(n_features):
    X, shift, log_weights, means, prec_chol, log_const = _problem(
        500, n_features, 3, np.float64
    )
    total, nk_raw, sx, m2 = _em_numba.fused_full_pass(
        X, shift, log_weights, means, prec_chol, log_const, 1
    )
    eps = np.finfo(np.float64).eps
    weights, new_means, cov, new_prec, new_log_const, failed = _em_numba.full_m_step(
        nk_raw, sx, m2, means, shift, 1e-6, eps
    )
    assert failed == -1
    model = MODELS["full"]
    nk = nk_raw + 10 * eps
    want_means = (sx + nk_raw[:, None] * means) / nk[:, None]
    want_cov = model.covariances((nk_raw, sx, m2), nk, want_means, means, 1e-6, shift)
    want_prec = model.precision_cholesky(want_cov)
    np.testing.assert_allclose(weights, nk / nk.sum(), rtol=1e-15)
    np.testing.assert_allclose(new_means, want_means, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(cov, want_cov, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(new_prec, want_prec, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(
        new_log_const, model.log_const(want_prec, 3, n_features), rtol=1e-12
    )


def test_full_m_step_names_the_first_singular_component():
    n_components, n_features = 3, 2
    nk_raw = np.array([5.0, 5.0, 5.0])
    sx = np.zeros((n_components, n_features))
    m2 = np.tile(np.eye(n_features), (n_components, 1, 1))
    m2[1] = 0.0  # all of component 1's points at its mean
    centres = np.zeros((n_components, n_features))
    *_, failed = _em_numba.full_m_step(nk_raw, sx, m2, centres, np.zeros(2), 0.0, 0.0)
    assert failed == 1


def test_numpy_sum_gives_numpys_bits():
    rng = np.random.default_rng(1)
    for n in [*range(1, 300), 1000, 4097, 100_003]:
        for _ in range(5):
            a = rng.random(n) * 10.0 ** rng.integers(-8, 8, n)
            a[rng.random(n) < 0.2] *= -1
            assert _em_numba._numpy_sum(a) == np.sum(a), n


@pytest.mark.parametrize(
    ("n_samples", "n_features", "n_components"), [(2000, 2, 4), (6000, 5, 3)]
)
def test_fit_by_one_call_iterations_equals_fit_by_passes(
    monkeypatch, n_samples, n_features, n_components
):
    """GaussianMixture's fit is the same bytes with Engine.em_step's one call
    per iteration as with the pass and the M-step called apart."""
    from emgmm import GaussianMixture
    from emgmm._engine import Engine

    X = _problem(n_samples, n_features, n_components, np.float64, offset=0.0)[0]
    weights = np.random.default_rng(3).random(n_samples)

    def fit():
        gm = GaussianMixture(n_components, n_init=2, random_state=0)
        return gm.fit(X, sample_weight=weights)

    one_call = fit()
    monkeypatch.setattr(Engine, "one_call_iterations", False)
    passes = fit()
    assert one_call.n_iter_ == passes.n_iter_
    assert one_call.lower_bound_ == passes.lower_bound_
    for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
        assert np.array_equal(getattr(one_call, name), getattr(passes, name))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    ("n_samples", "n_features", "n_components"),
    [
        (300, 1, 3),
        (1000, 2, 4),
        (5000, 3, 4),
        (2000, 9, 5),
        (9000, 2, 5),
        (10_000, 9, 12),
        (20_000, 5, 3),
    ],
)
def test_compiled_iterations_equal_pass_and_m_step(
    n_samples, n_features, n_components, weighted
):
    """Each of compiled_iterations' steps is fused_full_pass then full_m_step,
    bit for bit, on 1 and 2 threads, given the log-weights as the loop takes
    them (the C library's log); one row block and several."""
    X, shift, log_weights, means, prec_chol, log_const = _problem(
        n_samples, n_features, n_components, np.float64
    )
    sample_weight = np.random.default_rng(2).random(n_samples) if weighted else None
    eps = np.finfo(np.float64).eps
    data = _em_numba.full_iteration_data(X, shift, sample_weight)
    weights = np.exp(log_weights)
    total_weight = n_samples if sample_weight is None else sample_weight.sum()
    for n_threads in (1, 2):
        *got, totals, history, n_iter, converged, failed = (
            _em_numba.compiled_iterations(
                data, weights, means, prec_chol, log_const, 1e-6, eps, 6, -1.0,
                total_weight, -np.inf, 2, n_threads,
            )
        )  # fmt: skip
        assert (n_iter, converged, failed) == (6, False, -1)
        params = (weights, means, None, prec_chol, log_const)
        for it in range(6):
            logged = np.array([math.log(w) for w in params[0]])
            total, *stats = _em_numba.fused_full_pass(
                X, shift, logged, params[1], params[3], params[4], 2, sample_weight
            )
            *params, fail = _em_numba.full_m_step(*stats, params[1], shift, 1e-6, eps)
            assert fail == -1 and total == totals[it]
            for recorded, want in zip(history, params[:3], strict=True):
                assert np.array_equal(recorded[it], want)
        for a, b in zip(got, params, strict=True):
            assert np.array_equal(a, b)


def test_compiled_iterations_stop_and_fail_as_run_em_would():
    """The tolerance ends the loop where sklearn's rule does; a covariance that
    fails ends it with the last good parameters and the failing component."""
    X, shift, log_weights, means, prec_chol, log_const = _problem(800, 2, 3, np.float64)
    data = _em_numba.full_iteration_data(X, shift, None)
    eps = np.finfo(np.float64).eps
    start = (np.exp(log_weights), means, prec_chol, log_const)
    run = _em_numba.compiled_iterations(
        data, *start, 1e-6, eps, 500, -1.0, 800.0, -np.inf, 0, 1
    )
    bounds = run[5] / 800.0
    changes = np.abs(np.diff(np.r_[-np.inf, bounds]))
    tol = float(np.sort(changes)[len(changes) // 2])  # met halfway through
    stop = int(np.argmax(changes < tol)) + 1
    run = _em_numba.compiled_iterations(
        data, *start, 1e-6, eps, 500, tol, 800.0, -np.inf, 0, 1
    )
    assert (run[7], run[8], run[9]) == (stop, True, -1)
    # component 0 holds identical rows (the others' responsibility underflows
    # to 0): zero covariance
    Y = np.repeat(np.array([[0.0, 0.0], [50.0, 50.0], [50.0, 60.0]]), 400, axis=0)
    Y[400:] += np.random.default_rng(0).normal(size=(800, 2))
    data = _em_numba.full_iteration_data(Y, np.zeros(2), None)
    log_const = np.full(2, -np.log(2 * np.pi))
    start = (
        [0.3, 0.7],
        [[0.0, 0.0], [50.0, 55.0]],
        np.stack([np.eye(2)] * 2),
        log_const,
    )
    *_, n_iter, converged, failed = _em_numba.compiled_iterations(
        data, *start, 0.0, 0.0, 10, -1.0, 1200.0, -np.inf, 0, 2
    )
    assert (n_iter, converged, failed) == (0, False, 0)


@pytest.mark.parametrize("history", ["none", "means", "covariances"])
def test_fit_in_one_call_equals_fit_step_by_step(capsys, history):
    """A fit whose iterations run in one compiled call (verbose=0) is the same
    bytes, history included, as one whose callback runs after each step
    (verbose=2), and as scikit-learn's to 1e-10."""
    from sklearn.mixture import GaussianMixture as SkGaussianMixture

    from emgmm import GaussianMixture

    X = _problem(3000, 3, 4, np.float64, offset=0.0)[0]
    kwargs = dict(n_components=4, n_init=2, random_state=0, history=history)
    quiet = GaussianMixture(**kwargs).fit(X)
    loud = GaussianMixture(**kwargs, verbose=2, verbose_interval=1).fit(X)
    assert "Iteration" in capsys.readouterr().out
    assert (quiet.n_iter_, quiet.lower_bound_) == (loud.n_iter_, loud.lower_bound_)
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        assert np.array_equal(getattr(quiet, name), getattr(loud, name))
    assert quiet.history_.keys() == loud.history_.keys()
    for key, value in quiet.history_.items():
        assert np.array_equal(value, loud.history_[key])
    sk = SkGaussianMixture(n_components=4, n_init=2, random_state=0).fit(X)
    assert sk.n_iter_ == quiet.n_iter_
    np.testing.assert_allclose(quiet.means_, sk.means_, rtol=1e-10, atol=1e-10)


def test_fit_in_segments_equals_fit_in_one_call(monkeypatch):
    """With the engine's per-call record bound down to a few iterations, run_em
    goes on segment after segment: the same bytes, history and lower bounds
    included; a max_iter of 1e9 allocates by the segment, not by max_iter."""
    from emgmm import GaussianMixture, _engine

    X = _problem(2000, 2, 3, np.float64, offset=0.0)[0]
    kwargs = dict(n_components=3, random_state=0, tol=1e-8, max_iter=10**9)
    whole = GaussianMixture(**kwargs).fit(X)
    assert whole.n_iter_ > 6
    monkeypatch.setattr(_engine, "RECORD_BYTES", 96)  # one iteration a call
    parts = GaussianMixture(**kwargs).fit(X)
    assert (parts.n_iter_, parts.converged_) == (whole.n_iter_, True)
    for name in ("weights_", "means_", "covariances_", "lower_bounds_"):
        assert np.array_equal(getattr(parts, name), getattr(whole, name))
    for key, value in whole.history_.items():
        assert np.array_equal(parts.history_[key], value)


def test_wide_vectors_asks_llvm_for_512_bit_vectors():
    """:func:`_em_numba._wide_vectors` marks the function that calls it with
    LLVM's ``prefer-vector-width`` attribute; where the CPU has AVX-512 its
    loop is vectorised with 512-bit (zmm) registers, which LLVM does not use
    unasked on Intel CPUs."""
    import llvmlite.binding as llvm
    from numba import njit

    @njit(fastmath={"contract"})
    def wide(a, b, out):
        _em_numba._wide_vectors()
        for i in range(a.shape[0]):
            out[i] += a[i] * b[i]

    a = np.arange(100.0)
    out = np.ones(100)
    wide(a, a, out)
    np.testing.assert_array_equal(out, 1.0 + a * a)
    (ir,) = wide.inspect_llvm().values()
    assert '"prefer-vector-width"="512"' in ir
    if llvm.get_host_cpu_features().get("avx512f", False):
        (asm,) = wide.inspect_asm().values()
        assert "zmm" in asm


def test_aligned_zeros_start_on_a_cache_line():
    for n_rows, n_cols in [(1, 128), (3, 128), (64, 128), (5, 7)]:
        a = _em_numba._aligned_zeros(n_rows, n_cols)
        assert a.shape == (n_rows, n_cols) and a.flags.c_contiguous
        assert a.ctypes.data % 64 == 0 and not a.any()
