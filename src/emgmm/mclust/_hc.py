"""Model-based agglomerative hierarchical clustering, mclust's default start.

mclust starts EM for ``G > 1`` components from a partition cut from a
hierarchical tree (Banfield & Raftery 1993; Fraley 1998): starting from one
group per observation, the two groups whose merge increases a Gaussian
classification log-likelihood criterion the least are merged, until one group
is left.  mclust 6's defaults (``mclust.options("hcModelName")`` and
``("hcUse")``) are the unconstrained model ``"VVV"`` on the ``"SVD"``
transformation of the data (Scrucca & Raftery 2015): centre and scale each
column (standard deviation with ``n - 1``), take the thin SVD ``U D V^T`` of
the result and use ``U D^{1/2}``.

The ``"VVV"`` criterion is the classification log-likelihood
``sum_k n_k log det(W_k / n_k)`` (Banfield & Raftery 1993), which is undefined
for groups with fewer than ``d + 1`` members.  Fraley (1998) and mclust's
``hcVVV`` regularise it with two numbers, ``alpha = beta = 1``, without a
formula in the documentation.  Black-box runs of mclust 6.0's ``hcVVV``
identify the group term as::

    T_k = n_k log(det(W_k / n_k) + beta (tr(W_k) + alpha omega) / n_k)

with ``omega = tr(W) / (n d)`` for the whole data's scatter matrix ``W`` and the
determinant taken as 0 for ``n_k <= d``.  With mclust's handling of exact ties
(see :func:`hc`) the merge sequences equal R's ``hc(X, "VVV", use = "SVD")``
on the data sets in ``tests/library/test_mclust.py``.  See ``docs/mclust.md``.

References
----------
Fraley, C. (1998). Algorithms for model-based Gaussian hierarchical
clustering. SIAM Journal on Scientific Computing 20, 270-281.
Scrucca, L. and Raftery, A. E. (2015). Improved initialisation of model-based
clustering using Gaussian hierarchical partitions. Advances in Data Analysis
and Classification 9, 447-460.
"""

import numpy as np

__all__ = ["hc", "hclass", "svd_transform"]


def svd_transform(X):
    """mclust's ``hcUse = "SVD"`` transformation, ``U D^{1/2}`` of the scaled data.

    Parameters
    ----------
    X : ndarray of shape (n, d)

    Returns
    -------
    ndarray of shape (n, d)
    """
    X = np.asarray(X, dtype=float)
    sd = X.std(axis=0, ddof=1)
    Z = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    U, D, _ = np.linalg.svd(Z, full_matrices=False)
    return U * np.sqrt(D)


def _vvv_term(nk, W, omega, alpha=1.0, beta=1.0):
    """Each group's ``n_k log(det(W_k / n_k) + beta (tr W_k + alpha omega) / n_k)``.

    The determinant is taken as 0 for groups with at most ``d`` members (their
    ``W_k`` is singular), so such groups are scored by the trace part alone.
    """
    d = W.shape[-1]
    det = np.where(nk > d, np.linalg.det(W / nk[:, None, None]), 0.0)
    tr = np.trace(W, axis1=1, axis2=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        return nk * np.log(det + beta * (tr + alpha * omega) / nk)


def hc(X, use="SVD"):
    """Agglomerative hierarchical clustering with the ``"VVV"`` criterion.

    Parameters
    ----------
    X : array-like of shape (n, d)
        Data (not yet transformed).
    use : {"SVD", "VARS"}, default="SVD"
        ``"SVD"``: mclust 6's default transformation; ``"VARS"``: the data.

    Returns
    -------
    merges : ndarray of shape (n - 1, 2)
        Row ``i`` holds the smallest (0-based) observation index of each of
        the two groups merged at stage ``i``, as mclust's ``hc`` returns them
        (there 1-based).

    Notes
    -----
    Groups live in slots ``0 .. m-1``.  Merging the groups in slots ``a < b``
    keeps the result in slot ``a`` and moves the group in the last slot into
    slot ``b``.  Among pairs with exactly equal cost, the one with the largest
    ``b``, then the largest ``a``, is merged.  This bookkeeping only matters
    for ties (duplicated rows, or rows on a grid such as iris's), and is what
    reproduces mclust's merge order there.
    """
    X = np.asarray(X, dtype=float)
    if use == "SVD":
        X = svd_transform(X)
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
    term = _vvv_term(nk, W, omega)
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
        return _vvv_term(nk[s] + nk[others], merged, omega) - term[s] - term[others]

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
        term[a] = _vvv_term(nk[a : a + 1], W[a : a + 1], omega)[0]
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


def hclass(merges, G):
    """Partition into ``G`` groups cut from a tree, as mclust's ``hclass``.

    Parameters
    ----------
    merges : ndarray of shape (n - 1, 2)
        From :func:`hc`.
    G : int
        Number of groups, ``1 <= G <= n``.

    Returns
    -------
    ndarray of shape (n,)
        Group labels ``0 .. G-1``, numbered by first appearance.
    """
    n = len(merges) + 1
    if not 1 <= G <= n:
        raise ValueError(f"G must be between 1 and n = {n}, got {G}")
    parent = np.arange(n)

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for a, b in merges[: n - G]:
        parent[find(b)] = find(a)
    roots = np.array([find(i) for i in range(n)])
    _, first, inverse = np.unique(roots, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse]
