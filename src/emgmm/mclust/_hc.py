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
documentation of ``hcVVV`` regularise it with two numbers, ``alpha = beta =
1``: ``beta`` times the trace of the group's scatter matrix over its size, and
``alpha`` times the trace of the whole data's scatter matrix over ``n d``.
Here both are added to the diagonal of ``W_k / n_k``::

    S_k* = W_k / n_k + (beta tr(W_k) / n_k + alpha tr(W) / (n d)) I

That literal reading does not reproduce mclust 6.0's tree exactly (its
first merges agree, later ones differ; mclust's exact form is not published
in the documentation we could read), so partitions cut from it differ from
mclust's for some ``G``.  ``mclust.bic(..., initialization=...)`` accepts
mclust's own partitions; with them the BIC table is mclust's to 1e-10.  See
``docs/mclust.md``.

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


def _logdet(M):
    sign, value = np.linalg.slogdet(M)
    return np.where(sign > 0, value, -np.inf)


def _vvv_term(nk, W, omega, alpha=1.0, beta=1.0):
    """Regularised ``n_k log det`` of each group's covariance estimate."""
    d = W.shape[-1]
    S = W / nk[:, None, None]
    shift = beta * np.trace(S, axis1=1, axis2=2) + alpha * omega
    return nk * _logdet(S + shift[:, None, None] * np.eye(d))


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
    """
    X = np.asarray(X, dtype=float)
    if use == "SVD":
        X = svd_transform(X)
    elif use != "VARS":
        raise ValueError(f"use must be 'SVD' or 'VARS', got {use!r}")
    n, d = X.shape
    centred = X - X.mean(axis=0)
    omega = float(np.sum(centred * centred)) / (n * d)
    nk = np.ones(n)
    mean = X.copy()
    W = np.zeros((n, d, d))
    label = np.arange(n)
    term = _vvv_term(nk, W, omega)
    active = np.ones(n, dtype=bool)
    cost = np.full((n, n), np.inf)

    def fill(i):
        idx = np.flatnonzero(active)
        idx = idx[idx != i]
        if idx.size == 0:
            return
        diff = mean[idx] - mean[i]
        f = nk[i] * nk[idx] / (nk[i] + nk[idx])
        merged = W[i] + W[idx] + f[:, None, None] * np.einsum("ki,kj->kij", diff, diff)
        c = _vvv_term(nk[i] + nk[idx], merged, omega) - term[i] - term[idx]
        cost[i, idx] = c
        cost[idx, i] = c

    for i in range(n):
        fill(i)
    best = np.argmin(cost, axis=1)
    merges = np.empty((max(n - 1, 0), 2), dtype=int)
    for step in range(n - 1):
        rowmin = cost[np.arange(n), best]
        i = int(np.argmin(rowmin))
        j = int(best[i])
        if i > j:
            i, j = j, i
        merges[step] = (
            (label[i], label[j]) if label[i] < label[j] else (label[j], label[i])
        )
        diff = mean[j] - mean[i]
        total = nk[i] + nk[j]
        W[i] = W[i] + W[j] + (nk[i] * nk[j] / total) * np.outer(diff, diff)
        mean[i] = (nk[i] * mean[i] + nk[j] * mean[j]) / total
        nk[i] = total
        label[i] = min(label[i], label[j])
        active[j] = False
        cost[j, :] = np.inf
        cost[:, j] = np.inf
        term[i] = _vvv_term(nk[i : i + 1], W[i : i + 1], omega)[0]
        cost[i, :] = np.inf
        cost[:, i] = np.inf
        fill(i)
        rows = np.flatnonzero(active)
        stale = rows[(best[rows] == i) | (best[rows] == j) | (rows == i)]
        best[stale] = np.argmin(cost[stale], axis=1)
        fresh = rows[~np.isin(rows, stale)]
        closer = cost[fresh, i] < cost[fresh, best[fresh]]
        best[fresh[closer]] = i
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
