"""The compiled part of :func:`emgmm.mclust.hc` (see :mod:`._hc`).

Kept apart so that importing :mod:`emgmm.mclust` does not import numba: the
kernels load at the first ``hc`` call.
"""

import math

import numpy as np
from numba import njit

from .._em_numba import _numpy_sum, _pairwise_leaf

# the regularisation of the VVV term (mclust hcVVV's alpha and beta)
_ALPHA = 1.0
_BETA = 1.0


# pairs are costed in blocks of this many slots, with every loop over the
# block innermost and of this constant length (vectorised by LLVM); the
# per-slot arrays are padded by one block
_LANES = 64

# _hc_run's status
_OK = 0
_NAN_FAIL = 1
_NAN_LAZY = 2


@njit(cache=True, nogil=True, error_model="numpy")
def _det_lu(A):
    """Determinant of the square matrix ``A`` (overwritten) by LU factorisation
    with partial pivoting, LAPACK ``getrf``'s algorithm (its operations in
    another order).  A column without a non-zero pivot gives 0, as
    ``getrf``'s ``info > 0`` does in ``numpy.linalg.det``."""
    d = A.shape[0]
    det = 1.0
    for k in range(d):
        p = k
        big = abs(A[k, k])
        for i in range(k + 1, d):
            v = abs(A[i, k])
            if v > big:
                big = v
                p = i
        if big == 0.0:
            return 0.0
        if p != k:
            for j in range(k, d):
                t = A[k, j]
                A[k, j] = A[p, j]
                A[p, j] = t
            det = -det
        pivot = A[k, k]
        det *= pivot
        for i in range(k + 1, d):
            f = A[i, k] / pivot  # a division: 1 / pivot may overflow
            for j in range(k + 1, d):
                A[i, j] -= f * A[k, j]
    return det


@njit(cache=True, nogil=True, error_model="numpy")
def _lane_trace(mt, tr, diag):
    """``tr[p] = np.trace(mt[:, :, p])`` for every lane ``p``, the same bits
    (NumPy's pairwise sum; ``diag`` is scratch)."""
    d = mt.shape[0]
    if d < 8:
        for p in range(_LANES):
            tr[p] = -0.0
        for i in range(d):
            for p in range(_LANES):
                tr[p] += mt[i, i, p]
        return
    for p in range(_LANES):
        for i in range(d):
            diag[i] = mt[i, i, p]
        tr[p] = _pairwise_leaf(diag, 0, d) if d <= 128 else _numpy_sum(diag)


@njit(cache=True, nogil=True, error_model="numpy")
def _lane_det(mt, nk, lanes, det, bad, r, g):
    """``det[p] = det(M_p / nk[p])`` for the lanes' symmetric matrices ``M_p``
    (upper triangles in ``mt[:, :, p]``, overwritten), by ``L D L^T``: the
    product of the pivots ``D_k / nk``.  ``bad[p]``: a pivot was not positive
    (``M_p`` singular or, from rounding, not positive definite); that lane's
    ``det`` is then to be taken otherwise.  ``r``, ``g``: scratch.

    One feature: ``det`` of the first ``lanes`` lanes is
    ``numpy.linalg.det``'s of the 1 x 1 matrix ``M_p / nk[p]`` (the same
    bits: ``exp(log|x|)`` with the sign of ``x``, 0 for 0).
    """
    d = mt.shape[0]
    for p in range(_LANES):
        det[p] = 1.0
        bad[p] = False
    if d == 1:
        for p in range(lanes):
            x = mt[0, 0, p] / nk[p]
            if x != 0.0:
                det[p] = math.copysign(math.exp(math.log(abs(x))), x)
            else:
                det[p] = 0.0
        return
    for k in range(d):
        for p in range(_LANES):
            piv = mt[k, k, p]
            bad[p] |= not piv > 0.0
            det[p] *= piv * (1.0 / nk[p])
            r[p] = 1.0 / piv
        for i in range(k + 1, d):
            for p in range(_LANES):
                g[p] = mt[k, i, p] * r[p]
            for j in range(i, d):
                for p in range(_LANES):
                    mt[i, j, p] -= g[p] * mt[k, j, p]


@njit(cache=True, nogil=True, error_model="numpy")
def _merge_costs(s, lo, hi, nk, meanT, WT, term, omega, out, scratch):
    """``out[o - lo]``, for ``lo <= o < hi`` (``o = s`` left unused): the change
    of the criterion when the groups in slots ``s`` and ``o`` merge,
    ``T_merged - T_s - T_o`` (subtracted in that order), with

        T = n log(det(M / n) + beta (tr M + alpha omega) / n),
        M = W_s + W_o + n_s n_o / (n_s + n_o) (m_o - m_s)(m_o - m_s)^T,

    ``n = n_s + n_o`` and the determinant 0 for ``n <= d``.  A determinant
    that rounds to a negative number is used as it is; the log of a
    non-positive argument is -inf or NaN, as ``np.log``'s.

    Returns whether a cost is NaN.
    """
    dl, mt, f, tot, tr, det, bad, r, g, diag, work = scratch
    d = meanT.shape[0]
    ns = nk[s]
    ts = term[s]
    nan = False
    for o0 in range(lo, hi, _LANES):
        # lanes past hi read slots of the padding or of merged groups: unused.
        # Unsigned slot indices: no test for negative indices, the loops over
        # the lanes vectorise.
        u0 = np.uint64(o0)
        lanes = min(_LANES, hi - o0)
        for p in range(_LANES):
            no = nk[u0 + np.uint64(p)]
            f[p] = ns * no / (ns + no)
            tot[p] = ns + no
        need_det = False
        for p in range(lanes):
            need_det |= tot[p] > d
        for i in range(d):
            msi = meanT[i, s]
            for p in range(_LANES):
                dl[i, p] = meanT[i, u0 + np.uint64(p)] - msi
        # the merged scatter matrices: their upper triangles for a
        # determinant, else their diagonals for the trace
        for i in range(d):
            for j in range(i, d if need_det else i + 1):
                wsij = WT[i, j, s]
                for p in range(_LANES):
                    wo = WT[i, j, u0 + np.uint64(p)]
                    mt[i, j, p] = wsij + wo + f[p] * (dl[i, p] * dl[j, p])
        _lane_trace(mt, tr, diag)
        if need_det:
            _lane_det(mt, tot, lanes, det, bad, r, g)
            for p in range(_LANES):
                det[p] = det[p] if tot[p] > d else 0.0
            for p in range(lanes):
                if bad[p] and tot[p] > d:
                    # LU with partial pivoting of M / n, as LAPACK's, instead
                    o = o0 + p
                    n = tot[p]
                    for i in range(d):
                        for j in range(i, d):
                            wo = WT[i, j, o]
                            v = WT[i, j, s] + wo + f[p] * (dl[i, p] * dl[j, p])
                            work[i, j] = v / n
                            work[j, i] = v / n
                    det[p] = _det_lu(work)
        else:
            for p in range(_LANES):
                det[p] = 0.0
        for p in range(_LANES):
            r[p] = det[p] + _BETA * (tr[p] + _ALPHA * omega) / tot[p]
        for p in range(lanes):
            r[p] = math.log(r[p])
        for p in range(_LANES):
            g[p] = tot[p] * r[p] - ts - term[u0 + np.uint64(p)]
        for p in range(lanes):
            c = g[p]
            out[o0 + p - lo] = c
            nan |= c != c and o0 + p != s
    return nan


@njit(cache=True, nogil=True, error_model="numpy")
def _group_term(a, nk, WT, omega, scratch):
    """``T`` of the group in slot ``a`` alone, as :func:`_merge_costs`
    computes it (in lane 0)."""
    dl, mt, f, tot, tr, det, bad, r, g, diag, work = scratch
    d = WT.shape[0]
    for i in range(d):
        for j in range(i, d):
            for p in range(_LANES):
                mt[i, j, p] = WT[i, j, a]
    for p in range(_LANES):
        tot[p] = nk[a]
    _lane_trace(mt, tr, diag)
    n = nk[a]
    if not n > d:
        det[0] = 0.0
    else:
        _lane_det(mt, tot, 1, det, bad, r, g)
        if bad[0]:
            for i in range(d):
                for j in range(i, d):
                    work[i, j] = WT[i, j, a] / n
                    work[j, i] = WT[i, j, a] / n
            det[0] = _det_lu(work)
    return n * math.log(det[0] + _BETA * (tr[0] + _ALPHA * omega) / n)


@njit(cache=True, nogil=True, error_model="numpy")
def _best_in_column(b, cost, colval, colarg):
    """Smallest cost of merging slot ``b`` with a slot ``a < b``, ties to the
    largest ``a``, into ``colval[b]``, ``colarg[b]``.  Returns False, and
    leaves them, when the column holds a NaN (where NumPy's ``min`` is NaN)."""
    if b == 0:
        colval[0] = np.inf
        return True
    row = b * (b - 1) // 2
    v = np.inf
    arg = 0
    for a in range(b):
        c = cost[row + a]
        if c <= v:
            v = c
            arg = a
        elif c != c:
            return False
    colval[b] = v
    colarg[b] = arg
    return True


@njit(cache=True, nogil=True, error_model="numpy")
def _hc_run(X, omega, lazy):
    """The merges of :func:`hc` on the (transformed) rows ``X``, and a status:
    ``_OK``; ``_NAN_FAIL`` where a column of costs that the NumPy
    implementation scanned held a NaN (where it failed); ``_NAN_LAZY`` when
    a cost is NaN with ``lazy`` (then run again without).  Unless ``_OK``,
    the merges are incomplete.

    The pair costs are a matrix ``cost[a, b]``, ``a < b``, and each column
    ``b`` has its smallest entry ``colval[b]`` (ties to the largest row,
    ``colarg[b]``); the merge is the smallest of these (ties to the largest
    ``b``).  After a merge, a column's best is updated from the entries that
    changed (rows ``a`` and ``b``), and the column is scanned only when its
    best entry changed for a larger one.  With ``lazy``, such a column is
    scanned only once it could hold the smallest cost: until then it is
    dirty, ``colval`` a lower bound of its entries.  Either way, where the
    NumPy implementation rescans columns, the ``(colval, colarg)`` it gets
    are the ones here, so the merges are its merges.  Its rescans failed at a
    column holding a NaN; from the first NaN cost on (without ``lazy``), its
    rescans are made as it made them, and fail where they failed.
    """
    n, d = X.shape
    merges = np.zeros((max(n - 1, 0), 2), dtype=np.int64)
    # per-slot state, slot-major and padded by one block of lanes; slot s
    # holds a group while s < m
    size = n + _LANES
    nk = np.ones(size)
    meanT = np.zeros((d, size))
    for s in range(n):
        for i in range(d):
            meanT[i, s] = X[s, i]
    WT = np.zeros((d, d, size))  # upper triangles
    label = np.arange(n)
    term = np.zeros(size)
    scratch = (
        np.empty((d, _LANES)),  # dl
        np.empty((d, d, _LANES)),  # mt
        np.empty(_LANES),  # f
        np.empty(_LANES),  # tot
        np.empty(_LANES),  # tr
        np.empty(_LANES),  # det
        np.zeros(_LANES, dtype=np.bool_),  # bad
        np.empty(_LANES),  # r
        np.empty(_LANES),  # g
        np.empty(d),  # diag
        np.empty((d, d)),  # work
    )
    for s in range(n):
        term[s] = _group_term(s, nk, WT, omega, scratch)
    # the cost of merging slots a < b, cost[a, b], at cost[b (b - 1) / 2 + a]:
    # a column b of the (a, b) matrix is contiguous
    cost = np.empty(n * (n - 1) // 2)
    # colval[b], colarg[b]: smallest cost[a, b] over a < b, ties to the largest a
    colval = np.full(n, np.inf)
    colarg = np.zeros(n, dtype=np.int64)
    row_a = np.empty(n)  # the costs of merging slot a with each slot
    touched = np.zeros(n, dtype=np.bool_)
    for b in range(1, n):
        row = b * (b - 1) // 2
        # (T - T_b) - T_a: the NumPy implementation's last write of the entry
        _merge_costs(b, 0, b, nk, meanT, WT, term, omega, cost[row : row + b], scratch)
        if not _best_in_column(b, cost, colval, colarg):
            return merges, _NAN_FAIL
    dirty = np.zeros(n, dtype=np.bool_)
    nan_seen = False
    m = n
    for step in range(n - 1):
        # the smallest column best, ties to the largest b; a dirty column there
        # is scanned (its colval can only grow) and the search made again
        while True:
            v = np.inf
            b = 0
            for c in range(m):
                if colval[c] <= v:
                    v = colval[c]
                    b = c
            if not dirty[b]:
                break
            _best_in_column(b, cost, colval, colarg)
            dirty[b] = False
        a = colarg[b]
        merges[step, 0] = min(label[a], label[b])
        merges[step, 1] = max(label[a], label[b])
        total = nk[a] + nk[b]
        f = nk[a] * nk[b] / total
        for i in range(d):
            di = meanT[i, b] - meanT[i, a]
            for j in range(i, d):
                dj = meanT[j, b] - meanT[j, a]
                WT[i, j, a] = WT[i, j, a] + WT[i, j, b] + f * (di * dj)
        for i in range(d):
            meanT[i, a] = (nk[a] * meanT[i, a] + nk[b] * meanT[i, b]) / total
        nk[a] = total
        label[a] = min(label[a], label[b])
        term[a] = _group_term(a, nk, WT, omega, scratch)
        last = m - 1
        rlast = last * (last - 1) // 2
        if b != last:  # the group in the last slot moves into slot b
            nk[b] = nk[last]
            for i in range(d):
                meanT[i, b] = meanT[i, last]
                for j in range(i, d):
                    WT[i, j, b] = WT[i, j, last]
            label[b] = label[last]
            term[b] = term[last]
            rb = b * (b - 1) // 2
            for x in range(b):
                cost[rb + x] = cost[rlast + x]
            for x in range(b + 1, last):
                cost[x * (x - 1) // 2 + b] = cost[rlast + x]
        m = last
        # every cost involving slot a: its column (o < a) and row (o > a)
        nan_seen |= _merge_costs(a, 0, m, nk, meanT, WT, term, omega, row_a, scratch)
        ra = a * (a - 1) // 2
        for o in range(a):
            cost[ra + o] = row_a[o]
        for c in range(a + 1, m):
            cost[c * (c - 1) // 2 + a] = row_a[c]
        if nan_seen and lazy:
            return merges, _NAN_LAZY
        if nan_seen:
            # the NumPy implementation's rescans: columns a and b, those whose
            # best was in row a or b (that entry changed), and those where the
            # new entry in row a or b beats their best (or ties it from a
            # larger row)
            for c in range(m):
                touched[c] = colarg[c] == a or colarg[c] == b
            touched[a] = True
            for c in range(a + 1, m):
                x = cost[c * (c - 1) // 2 + a]
                if x < colval[c] or (x == colval[c] and a > colarg[c]):
                    touched[c] = True
            if b < m:
                touched[b] = True
                for c in range(b + 1, m):
                    x = cost[c * (c - 1) // 2 + b]
                    if x < colval[c] or (x == colval[c] and b > colarg[c]):
                        touched[c] = True
            for c in range(m):
                if touched[c] and not _best_in_column(c, cost, colval, colarg):
                    return merges, _NAN_FAIL
            continue
        # columns a and b hold new entries only (b's moved from the last
        # column, and row a's): scanned
        _best_in_column(a, cost, colval, colarg)
        dirty[a] = False
        if b < m:
            _best_in_column(b, cost, colval, colarg)
            dirty[b] = False
        # any other column c > a: its entries in row a and (c > b) row b are new
        for c in range(a + 1, m):
            if c == b:
                continue
            xq = row_a[c]
            q = a
            if b < c:  # cost[b, c], moved from cost[c, last]
                xb = cost[rlast + c]
                if xb <= xq:  # ties to the larger row, b
                    xq = xb
                    q = b
            if dirty[c]:
                # below the bound, the new entry is the best; else the bound
                # still holds
                if xq < colval[c]:
                    colval[c] = xq
                    colarg[c] = q
                    dirty[c] = False
                continue
            r = colarg[c]
            if r == a or r == b:
                # the best entry changed: the new one is the best if it is
                # below the old best, or equal from a row at least as large
                # (the old best's equals are in rows below r); else scan, or
                # keep the old best as a bound (every entry is at least it)
                if xq < colval[c] or (xq == colval[c] and q >= r):
                    colval[c] = xq
                    colarg[c] = q
                elif lazy:
                    dirty[c] = True
                else:
                    _best_in_column(c, cost, colval, colarg)
            elif xq < colval[c] or (xq == colval[c] and q > r):
                colval[c] = xq
                colarg[c] = q
    return merges, _OK
