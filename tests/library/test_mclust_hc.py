"""emgmm.mclust.hc, compiled with numba, against the NumPy implementation it
replaced (kept below as ``reference_hc``, the spec: the same criterion, slot
bookkeeping and tie rules).

The two compute the costs with the same operations in the same order except
the determinant (LAPACK's LU there, ``L D L^T`` here; one feature: the same
bits) and the log (NumPy's vectorised ``np.log`` there, the C library's
``log`` here).  Exact ties, from duplicated rows or rows on a grid, therefore
resolve alike, and so does every merge whose cost is not within rounding of
another's.  A pair of merges within a few ulps of each other can go either
way: on a 0.1-grid set below the reference's pick depends on which ``log``
it is given (NumPy's AVX-512 one against the C library's).
"""

import math
import warnings

import numpy as np
import pytest

from emgmm import mclust
from emgmm.mclust import _hc_numba


def _vvv_term(nk, W, omega, alpha=1.0, beta=1.0, log=np.log):
    """Each group's ``n_k log(det(W_k / n_k) + beta (tr W_k + alpha omega) / n_k)``.

    The determinant is taken as 0 for groups with at most ``d`` members (their
    ``W_k`` is singular), so such groups are scored by the trace part alone.
    """
    d = W.shape[-1]
    det = np.where(nk > d, np.linalg.det(W / nk[:, None, None]), 0.0)
    tr = np.trace(W, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return nk * log(det + beta * (tr + alpha * omega) / nk)


def reference_hc(X, use="SVD", log=np.log):
    """The NumPy implementation replaced by the compiled one (the spec)."""
    X = np.asarray(X, dtype=float)
    if use == "SVD":
        X = mclust.svd_transform(X)
    elif use != "VARS":
        raise ValueError(f"use must be 'SVD' or 'VARS', got {use!r}")
    n, d = X.shape
    centred = X - X.mean(axis=0)
    omega = float(np.sum(centred * centred)) / (n * d)
    # Per-slot state; slot s holds a group while s < m.
    nk = np.ones(n)
    mean = X.copy()
    W = np.zeros((n, d, d))
    label = np.arange(n)
    term = _vvv_term(nk, W, omega, log=log)
    cost = np.full((n, n), np.inf)  # cost[a, b], a < b, merging slots a and b
    # colval[b], colarg[b]: smallest cost[a, b] over a < b, ties to the largest a
    colval = np.full(n, np.inf)
    colarg = np.zeros(n, dtype=int)

    def pair_costs(s, others):
        diff = mean[others] - mean[s]
        f = nk[s] * nk[others] / (nk[s] + nk[others])
        merged = (
            W[s] + W[others] + f[:, None, None] * np.einsum("ki,kj->kij", diff, diff)
        )
        return (
            _vvv_term(nk[s] + nk[others], merged, omega, log=log)
            - term[s]
            - term[others]
        )

    def set_row(s, m):
        """Recompute every cost involving slot s, among slots 0 .. m-1."""
        others = np.delete(np.arange(m), s)
        c = pair_costs(s, others) if others.size else np.empty(0)
        lo, hi = others < s, others > s
        cost[others[lo], s] = c[lo]
        cost[s, others[hi]] = c[hi]

    def best_in_column(b):
        if b == 0:
            colval[b] = np.inf
            return
        col = cost[:b, b]
        v = col.min()
        colval[b] = v
        colarg[b] = int(np.flatnonzero(col == v)[-1])

    for s in range(n):
        set_row(s, n)
    for b in range(n):
        best_in_column(b)

    merges = np.empty((max(n - 1, 0), 2), dtype=int)
    m = n
    for step in range(n - 1):
        v = colval[:m].min()
        b = int(np.flatnonzero(colval[:m] == v)[-1])
        a = int(colarg[b])
        merges[step] = (min(label[a], label[b]), max(label[a], label[b]))
        diff = mean[b] - mean[a]
        total = nk[a] + nk[b]
        W[a] = W[a] + W[b] + (nk[a] * nk[b] / total) * np.outer(diff, diff)
        mean[a] = (nk[a] * mean[a] + nk[b] * mean[b]) / total
        nk[a] = total
        label[a] = min(label[a], label[b])
        term[a] = _vvv_term(nk[a : a + 1], W[a : a + 1], omega, log=log)[0]
        last = m - 1
        if b != last:  # the group in the last slot moves into slot b
            nk[b], mean[b], W[b] = nk[last], mean[last], W[last]
            label[b], term[b] = label[last], term[last]
            moved = np.r_[cost[:last, last], np.inf]
            cost[:b, b] = moved[:b]
            cost[b, b + 1 : last] = moved[b + 1 : last]
            cost[b, b] = np.inf
        m = last
        cost[:, m] = np.inf
        cost[m, :] = np.inf
        set_row(a, m)
        # Columns whose best may have changed, recomputed: a and b, those whose
        # best was in row a or b (that entry changed), and those where the new
        # entry in row a or b beats their best (or ties it from a larger row).
        touched = np.zeros(m, dtype=bool)
        touched[a] = True
        if b < m:
            touched[b] = True
        cols = np.arange(m)
        up = cols > a
        ca = cost[a, cols[up]]
        better = (ca < colval[cols[up]]) | (
            (ca == colval[cols[up]]) & (a > colarg[cols[up]])
        )
        touched[cols[up][better]] = True
        if b < m:
            upb = cols > b
            cb = cost[b, cols[upb]]
            better_b = (cb < colval[cols[upb]]) | (
                (cb == colval[cols[upb]]) & (b > colarg[cols[upb]])
            )
            touched[cols[upb][better_b]] = True
        touched |= (colarg[:m] == a) | (colarg[:m] == b)
        for c in np.flatnonzero(touched):
            best_in_column(int(c))
    return merges


def _glibc_log(x):
    """The C library's ``log`` elementwise (CPython's ``math.log``; the
    compiled code's), ``-inf`` at 0 and NaN below, as ``np.log``."""
    return np.array(
        [math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan) for v in x]
    )


def make_data(kind, n, d, seed):
    """A seeded ``(n, d)`` data set of one kind (never all rows equal)."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        X = rng.normal(size=(n, d))
    elif kind == "duplicates":  # each row about 3 times
        rows = rng.normal(size=(max(2, n // 3), d))
        X = rows[rng.permutation(np.r_[0, 1, rng.integers(0, len(rows), n - 2)])]
    elif kind == "grid":  # integers 0..3: many exactly tied costs
        X = rng.integers(0, 4, size=(n, d)).astype(float)
    elif kind == "grid01":  # a 0.1 grid, as iris's measurements
        X = np.round(rng.uniform(0, 1, size=(n, d)), 1)
    elif kind == "offset":
        X = rng.normal(size=(n, d)) + 1e6
    elif kind == "offset_grid":
        X = rng.integers(0, 5, size=(n, d)) * 0.1 + 1e6
    elif kind == "blobs":
        centres = rng.normal(size=(3, d)) * 5
        X = centres[rng.integers(0, 3, n)] + rng.normal(size=(n, d))
    else:
        raise ValueError(kind)
    if (X == X[0]).all():  # every cost NaN: tested below
        X[-1] += 1.0
    return X


KINDS = ["normal", "duplicates", "grid", "grid01", "offset", "offset_grid", "blobs"]
SHAPES = [(2, 1), (3, 2), (5, 5), (9, 3), (40, 1), (60, 4), (120, 2), (200, 5)]
CASES = [
    (kind, n, d, use) for kind in KINDS for n, d in SHAPES for use in ("VARS", "SVD")
]


@pytest.mark.parametrize(("kind", "n", "d", "use"), CASES)
def test_merges_equal_the_reference(kind, n, d, use):
    X = make_data(kind, n, d, seed=[KINDS.index(kind), n, d])
    # the C library's log in the reference too: NumPy's vectorised one differs
    # between NumPy builds (CI also runs the oldest supported NumPy)
    want = reference_hc(X, use=use, log=_glibc_log)
    np.testing.assert_array_equal(mclust.hc(X, use=use), want)


def test_duplicate_rows_tie_as_the_reference():
    """Many exact ties among merges of several duplicated rows (more than d
    per group, so the determinant is in play)."""
    rng = np.random.default_rng(7)
    rows = rng.integers(0, 3, size=(12, 3)).astype(float)
    X = rows[rng.integers(0, 12, 150)]
    for use in ("VARS", "SVD"):
        np.testing.assert_array_equal(mclust.hc(X, use=use), reference_hc(X, use=use))


def test_near_tie_follows_the_log():
    """On this 0.1-grid set two merges cost within 4 ulps of each other at
    step 29.  With the C library's log the reference's merges are ours
    (where NumPy's log is its AVX-512 one, the reference picks the other)."""
    X = np.round(np.random.default_rng(223).uniform(0, 1, size=(130, 4)), 1)
    np.testing.assert_array_equal(mclust.hc(X), reference_hc(X, log=_glibc_log))


def test_lazy_and_eager_column_scans_agree():
    """_hc_run without lazy scans (the path taken after a NaN cost) gives the
    same merges."""
    for seed, (n, d) in enumerate([(150, 3), (200, 2), (80, 5)]):
        X = mclust.svd_transform(make_data("blobs", n, d, seed))
        centred = X - X.mean(axis=0)
        omega = float(np.sum(centred * centred)) / X.size
        lazy, status_lazy = _hc_numba._hc_run(X, omega, True)
        eager, status_eager = _hc_numba._hc_run(X, omega, False)
        assert status_lazy == status_eager == _hc_numba._OK
        np.testing.assert_array_equal(lazy, eager)


def test_infinite_cost_is_merged_as_by_the_reference():
    """At a scale of 1e78 in 2 dimensions the determinant of a group of 3 or
    more overflows: the last merge costs +inf, the smallest cost left (the
    reference's ``min`` and ``==`` on inf)."""
    for seed in (11, 14, 23):  # 4, 4 and 3 rows: no NaN cost
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(int(rng.integers(3, 12)), 2)) * 1e78
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = reference_hc(X, use="VARS")
        np.testing.assert_array_equal(mclust.hc(X, use="VARS"), expected)


def test_nan_cost_fails_where_the_reference_failed():
    """A NaN cost in a column the reference rescans made it fail (an
    IndexError from an empty np.flatnonzero); hc raises a ValueError."""
    cases = [np.ones((6, 2))]  # all rows equal: omega = 0, every cost NaN
    for seed in (0, 1, 2):  # +inf terms: inf - inf after a few merges
        rng = np.random.default_rng(seed)
        cases.append(rng.normal(size=(int(rng.integers(3, 12)), 2)) * 1e78)
    for X in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.raises(IndexError):
                reference_hc(X, use="VARS")
        with pytest.raises(ValueError, match="NaN"):
            mclust.hc(X, use="VARS")


def test_nan_cost_the_reference_never_rescanned():
    """Duplicated rows at a scale of 1e60: the determinant of a singular
    group rounds far below 0 and a cost is NaN, in an entry no rescan reads:
    the lazy run stops at the NaN and the exact one completes the tree.
    (Which entries are NaN depends on the rounding of singular determinants,
    so the merges are not compared with the reference, whose determinant is
    the installed LAPACK's.)"""
    rng = np.random.default_rng(676)
    d, k = int(rng.integers(2, 4)), int(rng.integers(2, 6))
    n = int(rng.integers(k + 1, 9))
    X = (rng.normal(size=(k, d)) * 1e60)[rng.integers(0, k, n)]
    centred = X - X.mean(axis=0)
    omega = float(np.sum(centred * centred)) / X.size
    assert _hc_numba._hc_run(X, omega, True)[1] == _hc_numba._NAN_LAZY
    merges = mclust.hc(X, use="VARS")
    assert merges.shape == (n - 1, 2)
    # a tree: every merge joins two groups, the last one all rows
    assert mclust.hclass(merges, 1).tolist() == [0] * n
    assert len(set(mclust.hclass(merges, n).tolist())) == n


def test_small_inputs_and_bad_use():
    assert mclust.hc(np.zeros((1, 3)), use="VARS").shape == (0, 2)
    np.testing.assert_array_equal(mclust.hc([[0.0, 1.0], [2.0, 3.0]]), [[0, 1]])
    with pytest.raises(ValueError, match="use must be"):
        mclust.hc(np.zeros((4, 2)), use="XYZ")
