"""Compiled EM for mclust's models: the M-steps, the E-step and :func:`me`'s loop.

The formulas, where each inner loop starts and what it measures are those
described in :mod:`._models` and ``docs/mclust.md``; this module runs them
compiled (numba, serial, cached on disk).  A NumPy version of the same loop
spent about 0.5 ms per EM iteration on 333 rows, almost all of it in the
calls around d x d matrices (G scatter matrices, eigen-decompositions, and
the inner passes of the iterative M-steps).  Compiled, an EM iteration costs
its arithmetic, and ``me()`` is one call.

Each E-step, with the sums of the next M-step, is the engine's fused pass
(:func:`emgmm._em_numba.block_pass`).  The small factorisations that run per
EM iteration or per inner pass are written out (a LAPACK call through numba
cost 1-4 us at d = 4): Cholesky factors and their inverses, EVE and VVE's
polar factor and largest eigenvalues by Jacobi rotations.  The eigen-
decompositions of EEV and VEV, EVV's determinants and the eigenvalue test of
a covariance the Cholesky bound leaves open are LAPACK's.  Results agree
with the NumPy formulas to rounding (the tests hold them to R's mclust 6.0
to 1e-8 in the log-likelihood and 1e-6 in the parameters, with the same
iteration counts).

Failures (a component without weight, a covariance singular to ``eps``) are
returned as a status code, never raised; :data:`ERRORS` words them.
"""

import math

import numpy as np
from numba import njit

from .._em_numba import block_pass

__all__ = ["CODES", "ERRORS", "m_step", "me_loop"]

#: Model name -> the integer the compiled code dispatches on.
CODES = {
    name: code
    for code, name in enumerate(
        ("EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE", "VEE", "EVE", "VVE")
        + ("EEV", "VEV", "EVV", "VVV", "E", "V")
    )
}
_EII, _VII, _EEI, _VEI, _EVI, _VVI, _EEE, _VEE, _EVE, _VVE = range(10)
_EEV, _VEV, _EVV, _VVV, _E, _V = range(10, 16)

#: Status code -> message (``{k}``: the 1-based component).
ERRORS = {
    1: "a component has no weight",
    2: "covariance not positive definite",
    3: "VEE: common matrix not positive definite",
    4: "a rotated scatter matrix is singular",
    5: "EVV: a scatter matrix is singular",
    6: "component {k}: covariance singular",
    7: "parameters are not finite",
}
_NO_WEIGHT, _NOT_PD, _VEE_NOT_PD, _ROTATED_SINGULAR = 1, 2, 3, 4
_EVV_SINGULAR, _SINGULAR, _NOT_FINITE = 5, 6, 7

_LOG_2PI = math.log(2.0 * math.pi)
_EPS = float(np.finfo(np.float64).eps)
# A covariance whose reciprocal condition number is certainly above this is
# not singular to any eps <= 1e-10; only the others get an eigenvalue test.
_SAFE_RCOND = 1e-10


# --- small dense helpers --------------------------------------------------------


@njit(cache=True)
def _all_finite(a):
    for v in a.ravel():
        if not math.isfinite(v):
            return False
    return True


@njit(cache=True)
def _det_root(values):
    """``exp(mean(log(values)))``: the d-th root of the product, in log space."""
    s = 0.0
    for v in values:
        s += math.log(v) if v > 0 else (-math.inf if v == 0 else math.nan)
    return math.exp(s / values.size)


@njit(cache=True)
def _cholesky_inverse(S, L, Linv):
    """Lower Cholesky factor ``L`` of ``S`` and its inverse; False if not PD."""
    d = S.shape[0]
    for j in range(d):
        s = S[j, j]
        for p in range(j):
            s -= L[j, p] * L[j, p]
        if not s > 0.0:
            return False
        L[j, j] = math.sqrt(s)
        for i in range(j + 1, d):
            t = S[i, j]
            for p in range(j):
                t -= L[i, p] * L[j, p]
            L[i, j] = t / L[j, j]
        for i in range(j):
            L[i, j] = 0.0
    for j in range(d):
        Linv[j, j] = 1.0 / L[j, j]
        for i in range(j + 1, d):
            t = 0.0
            for p in range(j, i):
                t -= L[i, p] * Linv[p, j]
            Linv[i, j] = t / L[i, i]
        for i in range(j):
            Linv[i, j] = 0.0
    return True


@njit(cache=True)
def _rotate(D, values, out):
    """``out[k] = D diag(values[k]) D^T``."""
    G, d = values.shape
    for k in range(G):
        for i in range(d):
            for m in range(i, d):
                s = 0.0
                for j in range(d):
                    s += D[i, j] * values[k, j] * D[m, j]
                out[k, i, m] = s
                out[k, m, i] = s


@njit(cache=True)
def _rotate_each(Dk, values, out):
    """``out[k] = Dk[k] diag(values[k]) Dk[k]^T``."""
    for k in range(values.shape[0]):
        _rotate(Dk[k], values[k : k + 1], out[k : k + 1])


@njit(cache=True)
def _diagonal(values, out):
    G, d = values.shape
    out[:] = 0.0
    for k in range(G):
        for j in range(d):
            out[k, j, j] = values[k, j]


@njit(cache=True)
def _eigh_desc(W):
    """Eigenvalues (G, d) and eigenvectors (G, d, d) of each ``W[k]``, decreasing."""
    G, d, _ = W.shape
    values = np.empty((G, d))
    vectors = np.empty((G, d, d))
    for k in range(G):
        w, v = np.linalg.eigh(W[k])
        for j in range(d):
            values[k, j] = w[d - 1 - j]
            vectors[k, :, j] = v[:, d - 1 - j]
    return values, vectors


# --- statistics and the E-step --------------------------------------------------


@njit(cache=True)
def _statistics(X, z, nk, mean, W):
    """Component weights ``nk``, means and centred scatter matrices ``W``."""
    n, d = X.shape
    G = z.shape[1]
    diff = np.empty(d)
    for k in range(G):
        s = 0.0
        for i in range(n):
            s += z[i, k]
        nk[k] = s
        if s <= 0.0:
            return _NO_WEIGHT
        for j in range(d):
            m = 0.0
            for i in range(n):
                m += z[i, k] * X[i, j]
            mean[k, j] = m / s
        W[k] = 0.0
        for i in range(n):
            w = z[i, k]
            for j in range(d):
                diff[j] = X[i, j] - mean[k, j]
            for a in range(d):
                wa = w * diff[a]
                for b in range(a, d):
                    W[k, a, b] += wa * diff[b]
        for a in range(d):
            for b in range(a + 1, d):
                W[k, b, a] = W[k, a, b]
    return 0


@njit(cache=True)
def _factors(pro, sigma, eps, Linv, log_w):
    """Inverse Cholesky factors ``Linv`` (lower) and ``log_w_k = log pro_k +
    log N``'s constant; returns (status, component).

    A covariance is singular when its smallest eigenvalue is not above ``eps``
    times its largest (mclust's ``emControl()$eps``).  The test needs the
    eigenvalues only when the Cholesky factor leaves it open: with ``lambda_min
    >= 1 / ||L^-1||_F^2`` and ``lambda_max <= tr(S)``, a covariance whose bound
    exceeds ``_SAFE_RCOND`` passes it.
    """
    G, d, _ = sigma.shape
    if not _all_finite(sigma):
        return _NOT_FINITE, 0
    L = np.empty((d, d))
    for k in range(G):
        ok = _cholesky_inverse(sigma[k], L, Linv[k])
        sure = False
        if ok:
            frob = 0.0
            for i in range(d):
                for j in range(i + 1):
                    frob += Linv[k, i, j] * Linv[k, i, j]
            trace = 0.0
            for j in range(d):
                trace += sigma[k, j, j]
            sure = frob * trace * _SAFE_RCOND < 1.0
        if not sure:
            values = np.linalg.eigvalsh(sigma[k])
            if not (values[0] > eps * values[d - 1]) or not ok:
                return _SINGULAR, k
        logdet = 0.0
        for j in range(d):
            logdet += math.log(L[j, j])
        log_w[k] = math.log(pro[k]) - 0.5 * d * _LOG_2PI - logdet
    return 0, 0


@njit(cache=True)
def _responsibilities(X, mean, Linv, log_w):
    """``z_ik`` from the factors of :func:`_factors` (one pass, row by row)."""
    n, d = X.shape
    G = log_w.size
    z = np.empty((n, G))
    diff = np.empty(d)
    for i in range(n):
        top = -math.inf
        for k in range(G):
            for j in range(d):
                diff[j] = X[i, j] - mean[k, j]
            maha = 0.0
            for a in range(d):
                y = 0.0
                for b in range(a + 1):
                    y += Linv[k, a, b] * diff[b]
                maha += y * y
            z[i, k] = log_w[k] - 0.5 * maha
            top = max(top, z[i, k])
        total = 0.0
        for k in range(G):
            z[i, k] = math.exp(z[i, k] - top)
            total += z[i, k]
        for k in range(G):
            z[i, k] /= total
    return z


# --- the iterative M-steps' inner loops -----------------------------------------


@njit(cache=True)
def _vei(diagW, nk, shape, has_state, tol, itmax):
    """VEI: from the previous M-step's shape (the identity at the first),
    the volumes given it and the shape given those, then
    :func:`_alternate_volumes`."""
    G, d = diagW.shape
    B = shape.copy() if has_state else np.ones(d)
    lam = _vei_volumes(diagW, nk, B)
    return _alternate_volumes(diagW, nk, lam, _vei_shape(diagW, lam), tol, itmax)


@njit(cache=True)
def _vev(omega, nk, lam0, A0, has_state, tol, itmax):
    """VEV: :func:`_alternate_volumes` on the eigenvalues, from the previous
    M-step's volumes and shape or, at the first, from EEV's solution."""
    G, d = omega.shape
    if has_state:
        return _alternate_volumes(omega, nk, lam0.copy(), A0.copy(), tol, itmax)
    total = np.zeros(d)
    for k in range(G):
        total += omega[k]
    root = _det_root(total)
    return _alternate_volumes(
        omega, nk, np.full(G, root / nk.sum()), total / root, tol, itmax
    )


@njit(cache=True)
def _alternate_volumes(values, nk, lam, shape, tol, itmax):
    """The inner loop of VEI and VEV: volumes given the shape, then the shape
    given those volumes, until ``max_k |lambda_k - lambda_k'| / (1 +
    lambda_k)`` is at most ``tol`` or after ``itmax`` passes.

    Returns (volumes, shape, passes).
    """
    G = values.shape[0]
    count = 0
    while True:
        new = _vei_volumes(values, nk, shape)
        shape = _vei_shape(values, new)
        count += 1
        err = 0.0
        for k in range(G):
            err = max(err, abs(new[k] - lam[k]) / (1.0 + new[k]))
        lam = new
        if err <= tol or count >= itmax:
            break
    return lam, shape, count


@njit(cache=True)
def _vei_volumes(values, nk, B):
    """``lambda_k = sum_j values_kj / B_j / (n_k d)``."""
    G, d = values.shape
    lam = np.empty(G)
    for k in range(G):
        s = 0.0
        for j in range(d):
            s += values[k, j] / B[j]
        lam[k] = s / (nk[k] * d)
    return lam


@njit(cache=True)
def _vei_shape(values, lam):
    """``B = sum_k values_k / lambda_k``, scaled to determinant 1."""
    G, d = values.shape
    B = np.zeros(d)
    for j in range(d):
        for k in range(G):
            B[j] += values[k, j] / lam[k]
    return B / _det_root(B)


@njit(cache=True)
def _vee(W, nk, tol, itmax, out):
    """VEE: volumes given C, then C given the volumes; stops on the objective.

    ``C`` and ``lambda_k C`` are factored by Cholesky (``C^-1 = L^-T L^-1``,
    ``log det(lambda_k C) = d log lambda_k + log det C``) rather than by a
    LAPACK inverse and determinant per component, which cost 1-2 us a call.
    """
    G, d, _ = W.shape
    lam = np.ones(G)
    L = np.empty((d, d))
    Linv = np.empty((d, d))
    Cinv = np.empty((d, d))
    trace = np.empty(G)
    status, C = _vee_shape(W, lam, L, Linv)
    if status:
        return status, 0
    old = math.inf
    count = 0
    while count < itmax:
        if not _cholesky_inverse(C, L, Linv):
            return _NOT_PD, count
        logdet = 0.0
        for j in range(d):
            logdet += 2.0 * math.log(L[j, j])
        for i in range(d):
            for j in range(d):
                t = 0.0
                for m in range(max(i, j), d):
                    t += Linv[m, i] * Linv[m, j]
                Cinv[i, j] = t
        for k in range(G):
            t = 0.0
            for i in range(d):
                for j in range(d):
                    t += W[k, i, j] * Cinv[j, i]
            trace[k] = t
            lam[k] = t / (nk[k] * d)
        count += 1
        # The M-step objective sum_k tr(W_k S_k^-1) + n_k log det S_k.
        new = 0.0
        for k in range(G):
            if not lam[k] > 0.0:
                return _NOT_PD, count
            new += trace[k] / lam[k] + nk[k] * (d * math.log(lam[k]) + logdet)
        if abs(new - old) <= tol * (1.0 + abs(new)):
            break
        old = new
        if count >= itmax:
            break
        status, C = _vee_shape(W, lam, L, Linv)
        if status:
            return status, count
    for k in range(G):
        out[k] = lam[k] * C
    return 0, count


@njit(cache=True)
def _vee_shape(W, lam, L, Linv):
    """``C = sum_k W_k / lambda_k`` scaled to determinant 1."""
    G, d, _ = W.shape
    C = np.zeros((d, d))
    for k in range(G):
        for i in range(d):
            for j in range(d):
                C[i, j] += W[k, i, j] / lam[k]
    C = 0.5 * (C + C.T)
    if not _cholesky_inverse(C, L, Linv):
        return _VEE_NOT_PD, C
    logdet = 0.0
    for j in range(d):
        logdet += 2.0 * math.log(L[j, j])
    return 0, C / math.exp(logdet / d)


@njit(cache=True)
def _largest_eigenvalue(S):
    """Largest eigenvalue of a symmetric matrix, by cyclic Jacobi rotations
    until the off-diagonal part is below ``eps`` of the matrix's norm (as
    accurate as LAPACK's ``syevd``, without its 1 us call)."""
    d = S.shape[0]
    A = S.copy()
    size = 0.0
    for i in range(d):
        for j in range(d):
            size += A[i, j] * A[i, j]
    for _ in range(64):
        off = 0.0
        for p in range(d - 1):
            for q in range(p + 1, d):
                off += A[p, q] * A[p, q]
        if off <= _EPS * _EPS * size:
            break
        for p in range(d - 1):
            for q in range(p + 1, d):
                if A[p, q] == 0.0:
                    continue
                theta = (A[q, q] - A[p, p]) / (2.0 * A[p, q])
                t = math.copysign(1.0, theta) / (
                    abs(theta) + math.sqrt(theta * theta + 1.0)
                )
                c = 1.0 / math.sqrt(t * t + 1.0)
                sn = t * c
                for k in range(d):
                    akp, akq = A[k, p], A[k, q]
                    A[k, p] = c * akp - sn * akq
                    A[k, q] = sn * akp + c * akq
                for k in range(d):
                    apk, aqk = A[p, k], A[q, k]
                    A[p, k] = c * apk - sn * aqk
                    A[q, k] = sn * apk + c * aqk
    top = A[0, 0]
    for i in range(1, d):
        top = max(top, A[i, i])
    return top


@njit(cache=True)
def _polar(M):
    """``-U V^T`` for the SVD ``U S V^T`` of ``M``: minus its orthogonal polar
    factor.

    One-sided Jacobi (Hestenes 1958; Demmel & Veselic 1992): plane rotations
    ``V`` from the right make the columns of ``M V = U S`` orthogonal, each
    pair to ``eps`` relative to its own norms, so the small singular vectors
    come out as accurately as the large ones.  The majorisers of EVE and VVE
    are often nearly singular (a column scaled in grams, another in
    millimetres: condition numbers of 1e10 to 1e19 on penguins), where a
    Newton iteration for the factor fails; LAPACK's SVD took 3.5 us a call at
    d = 4, this about a tenth of that.  A column of exact zeros (a rank-
    deficient ``M``, whose factor is not unique) gets the unit vector
    orthogonal to the others, as any SVD would pick one.
    """
    d = M.shape[0]
    A = M.copy()
    V = np.eye(d)
    for _ in range(64):
        rotated = False
        for p in range(d - 1):
            for q in range(p + 1, d):
                alpha, beta, gamma = 0.0, 0.0, 0.0
                for i in range(d):
                    alpha += A[i, p] * A[i, p]
                    beta += A[i, q] * A[i, q]
                    gamma += A[i, p] * A[i, q]
                if abs(gamma) <= _EPS * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2.0 * gamma)
                root = math.sqrt(1.0 + zeta * zeta)
                t = math.copysign(1.0, zeta) / (abs(zeta) + root)
                c = 1.0 / math.sqrt(1.0 + t * t)
                sn = c * t
                for i in range(d):
                    ap, aq = A[i, p], A[i, q]
                    A[i, p] = c * ap - sn * aq
                    A[i, q] = sn * ap + c * aq
                    vp, vq = V[i, p], V[i, q]
                    V[i, p] = c * vp - sn * vq
                    V[i, q] = sn * vp + c * vq
        if not rotated:
            break
    # U: the columns of A normalised; zero columns completed.
    for j in range(d):
        norm = 0.0
        for i in range(d):
            norm += A[i, j] * A[i, j]
        if norm > 0.0:
            norm = math.sqrt(norm)
            for i in range(d):
                A[i, j] /= norm
    for j in range(d):
        if A[:, j].any():
            continue
        best = np.zeros(d)
        v = np.empty(d)
        for e in range(d):
            v[:] = 0.0
            v[e] = 1.0
            for m in range(d):
                if m != j:
                    dot = 0.0
                    for i in range(d):
                        dot += A[i, m] * v[i]
                    for i in range(d):
                        v[i] -= dot * A[i, m]
            if (v * v).sum() > (best * best).sum():
                best[:] = v
        A[:, j] = best / math.sqrt((best * best).sum())
    # -U V^T, without a BLAS call (a d x d product costs less than the call).
    Q = np.empty((d, d))
    for i in range(d):
        for j in range(d):
            t = 0.0
            for m in range(d):
                t += A[i, m] * V[j, m]
            Q[i, j] = -t
    return Q


@njit(cache=True)
def _common_orientation(W, D0, A0, has_state, tol, itmax):
    """EVE and VVE: the common orientation by Browne & McNicholas' MM steps.

    Returns (status, D, rotated diagonals diag(D^T W_k D), shapes A, passes).
    """
    G, d, _ = W.shape
    if has_state:
        D, A = D0.copy(), A0.copy()
    else:
        D, A = np.eye(d), np.ones((G, d))
    # Largest eigenvalue of each W_k (the first step's majoriser) and the
    # shapes' reciprocals psi_k = 1 / A_k.
    alpha = np.empty(G)
    for k in range(G):
        alpha[k] = _largest_eigenvalue(W[k])
    psi = np.empty((G, d))
    diag = np.empty((G, d))
    old = math.inf
    count = 0
    first = not has_state  # the very first pass of a fit starts from D = I
    while True:
        if not first:
            for k in range(G):
                for j in range(d):
                    psi[k, j] = 1.0 / A[k, j]
            # Step 1: the SVD of sum_k (W_k - alpha_k I) D Psi_k.
            M = np.zeros((d, d))
            for k in range(G):
                for i in range(d):
                    for j in range(d):
                        s = 0.0
                        for m in range(d):
                            s += W[k, i, m] * D[m, j]
                        M[i, j] += (s - alpha[k] * D[i, j]) * psi[k, j]
            D = _polar(M)
            # Step 2: the SVD of sum_k W_k D (Psi_k - beta_k I), beta_k = max psi_k.
            M = np.zeros((d, d))
            for k in range(G):
                beta = psi[k].max()
                for i in range(d):
                    for j in range(d):
                        s = 0.0
                        for m in range(d):
                            s += W[k, i, m] * D[m, j]
                        M[i, j] += s * (psi[k, j] - beta)
            D = _polar(M)
        first = False
        for k in range(G):
            for i in range(d):
                s = 0.0
                for j in range(d):
                    t = 0.0
                    for m in range(d):
                        t += W[k, j, m] * D[m, i]
                    s += D[j, i] * t
                if not s > 0.0:
                    return _ROTATED_SINGULAR, D, diag, A, count
                diag[k, i] = s
        new = 0.0
        for k in range(G):
            root = _det_root(diag[k])
            for i in range(d):
                A[k, i] = diag[k, i] / root
                new += diag[k, i] / A[k, i]
        count += 1
        if abs(new - old) <= tol * (1.0 + abs(new)) or count >= itmax:
            break
        old = new
    return 0, D, diag, A, count


# --- one M-step -------------------------------------------------------------------


@njit(cache=True)
def m_step(code, X, z, state_lam, state_shape, state_D, state_A, has_state, tol,
           itmax, pro, mean, sigma):  # fmt: skip
    """One M-step of model ``code`` from responsibilities ``z``.

    Writes the proportions, means and covariances into ``pro``, ``mean`` and
    ``sigma``.  The ``state_*`` arrays carry the iterative models' inner
    parameters from one M-step to the next (read when ``has_state``, always
    written): ``state_lam`` (G,) the volumes, ``state_shape`` (d,) the common
    shape, ``state_D`` (d, d) the common orientation, ``state_A`` (G, d) the
    shapes.

    Returns (status, inner passes).
    """
    n, d = X.shape
    G = z.shape[1]
    W = np.empty((G, d, d))
    nk = np.empty(G)
    status = _statistics(X, z, nk, mean, W)
    if status:
        return status, 0
    for k in range(G):
        pro[k] = nk[k] / n
    return _covariances(code, nk, W, state_lam, state_shape, state_D, state_A,
                        has_state, tol, itmax, sigma)  # fmt: skip


@njit(cache=True)
def _covariances(code, nk, W, state_lam, state_shape, state_D, state_A, has_state,
                 tol, itmax, sigma):  # fmt: skip
    """The covariances of model ``code`` given the weights and scatter matrices
    (arguments as :func:`m_step`'s); returns (status, inner passes)."""
    G, d, _ = W.shape
    total = nk.sum()
    if not _all_finite(W):
        return _NOT_FINITE, 0
    status = 0
    count = 0
    diagW = np.empty((G, d))
    for k in range(G):
        for j in range(d):
            diagW[k, j] = W[k, j, j]
    if code == _E or code == _EEE:
        pooled = W.sum(axis=0) / total
        for k in range(G):
            sigma[k] = pooled
    elif code == _V or code == _VVV:
        for k in range(G):
            sigma[k] = W[k] / nk[k]
    elif code == _EII:
        trace = 0.0
        for k in range(G):
            trace += diagW[k].sum()
        _diagonal(np.full((G, d), trace / (total * d)), sigma)
    elif code == _VII:
        values = np.empty((G, d))
        for k in range(G):
            values[k] = diagW[k].sum() / (nk[k] * d)
        _diagonal(values, sigma)
    elif code == _EEI:
        values = np.empty((G, d))
        B = diagW.sum(axis=0) / total
        for k in range(G):
            values[k] = B
        _diagonal(values, sigma)
    elif code == _VVI:
        values = np.empty((G, d))
        for k in range(G):
            values[k] = diagW[k] / nk[k]
        _diagonal(values, sigma)
    elif code == _EVI:
        roots = np.empty(G)
        for k in range(G):
            roots[k] = _det_root(diagW[k])
        lam = roots.sum() / total
        values = np.empty((G, d))
        for k in range(G):
            values[k] = lam * diagW[k] / roots[k]
        _diagonal(values, sigma)
    elif code == _VEI:
        lam, B, count = _vei(diagW, nk, state_shape, has_state, tol, itmax)
        state_lam[:] = lam
        state_shape[:] = B
        values = np.empty((G, d))
        for k in range(G):
            values[k] = lam[k] * B
        _diagonal(values, sigma)
    elif code == _VEE:
        status, count = _vee(W, nk, tol, itmax, sigma)
    elif code == _EVE or code == _VVE:
        status, D, diag, A, count = _common_orientation(
            W, state_D, state_A, has_state, tol, itmax
        )
        if status == 0:
            state_D[:] = D
            state_A[:] = A
            values = np.empty((G, d))
            if code == _EVE:
                s = 0.0
                for k in range(G):
                    for j in range(d):
                        s += diag[k, j] / A[k, j]
                lam = s / (total * d)
                for k in range(G):
                    values[k] = lam * A[k]
            else:
                for k in range(G):
                    values[k] = diag[k] / nk[k]
            _rotate(D, values, sigma)
    elif code == _EEV or code == _VEV:
        omega, vectors = _eigh_desc(W)
        if code == _EEV:
            summed = omega.sum(axis=0)
            root = _det_root(summed)
            values = np.empty((G, d))
            for k in range(G):
                values[k] = (root / total) * (summed / root)
        else:
            lam, A, count = _vev(
                omega, nk, state_lam, state_shape, has_state, tol, itmax
            )
            state_lam[:] = lam
            state_shape[:] = A
            values = np.empty((G, d))
            for k in range(G):
                values[k] = lam[k] * A
        _rotate_each(vectors, values, sigma)
    elif code == _EVV:
        roots = np.empty(G)
        for k in range(G):
            sign, logdet = np.linalg.slogdet(W[k])
            if sign <= 0:
                return _EVV_SINGULAR, 0
            roots[k] = math.exp(logdet / d)
        lam = roots.sum() / total
        for k in range(G):
            sigma[k] = lam * W[k] / roots[k]
    return status, count


# --- the EM loop -----------------------------------------------------------------


@njit(cache=True)
def me_loop(code, X, z, tol, inner_tol, itmax, inner_itmax, eps, shift, n_blocks,
            n_padded):  # fmt: skip
    """mclust's ``me()`` for model ``code`` from responsibilities ``z``.

    The first M-step takes its statistics from ``z``; every E-step is the
    engine's fused pass (:func:`emgmm._em_numba.block_pass`: the
    log-likelihood of the parameters just estimated and the next M-step's
    sums, centred at the current means), over ``n_blocks`` row blocks, one
    after another, in the kernel's layout: coordinates shifted by ``shift``
    (a tuple for the unrolled kernel, an array for the blocked one) and the
    factors padded to ``n_padded`` features.  The
    returned ``z`` is computed once, from the returned parameters.

    Returns (status, component, loglik, pro, mean, sigma, z, iterations,
    converged, inner passes per M-step); ``status`` 0 is a fit, else a key of
    :data:`ERRORS` (``component`` 0-based for status 6).
    """
    n, d = X.shape
    G = z.shape[1]
    pro = np.empty(G)
    mean = np.empty((G, d))
    sigma = np.empty((G, d, d))
    nk = np.empty(G)
    W = np.empty((G, d, d))
    state_lam = np.empty(G)
    state_shape = np.empty(d)
    state_D = np.empty((d, d))
    state_A = np.empty((G, d))
    Linv = np.empty((G, d, d))
    log_w = np.empty(G)
    centres = np.empty((G, d))
    prec_chol = np.zeros((G, n_padded, n_padded))
    no_weights = np.ones(0)
    nk_b = np.empty((n_blocks, G))
    sx_b = np.empty((n_blocks, G, d))
    sxx_b = np.empty((n_blocks, G, n_padded, n_padded))
    inner = np.zeros(16, dtype=np.int64)
    status = _statistics(X, z, nk, mean, W)
    count = 0
    old = math.nan
    loglik = math.nan
    iterations = 0
    converged = False
    while iterations < itmax:
        if status == 0:
            for k in range(G):
                pro[k] = nk[k] / n
            status, count = _covariances(
                code, nk, W, state_lam, state_shape, state_D, state_A,
                iterations > 0, inner_tol, inner_itmax, sigma,
            )  # fmt: skip
        if status:
            return (status, 0, math.nan, pro, mean, sigma, z, iterations, False,
                    inner[:iterations])  # fmt: skip
        if iterations == inner.size:
            inner = np.concatenate((inner, np.zeros(inner.size, dtype=np.int64)))
        inner[iterations] = count
        status, k = _factors(pro, sigma, eps, Linv, log_w)
        if status:
            return (status, k, math.nan, pro, mean, sigma, z, iterations, False,
                    inner[: iterations + 1])  # fmt: skip
        for k in range(G):
            for j in range(d):
                centres[k, j] = mean[k, j] - shift[j]
                for i in range(d):
                    prec_chol[k, i, j] = Linv[k, j, i]
        nk_b[:] = 0.0
        sx_b[:] = 0.0
        sxx_b[:] = 0.0
        loglik = 0.0
        step = (n + n_blocks - 1) // n_blocks
        for b in range(n_blocks):
            loglik += block_pass(
                X, shift, log_w, centres, prec_chol, no_weights, False, b * step,
                min(n, (b + 1) * step), nk_b[b], sx_b[b], sxx_b[b],
            )  # fmt: skip
        iterations += 1
        if math.isfinite(old) and abs(loglik - old) <= tol * (1.0 + abs(loglik)):
            converged = True
            break
        old = loglik
        if iterations < itmax:
            status = _pass_statistics(nk_b, sx_b, sxx_b, centres, shift, nk, mean, W)
    z = _responsibilities(X, mean, Linv, log_w)
    return (0, 0, loglik, pro, mean, sigma, z, iterations, converged,
            inner[:iterations])  # fmt: skip


@njit(cache=True)
def _pass_statistics(nk_b, sx_b, sxx_b, centres, shift, nk, mean, W):
    """Weights, means and scatter matrices from a pass's block sums (centred at
    ``centres``): ``mean = c + sx / nk``, ``W = sxx - sx sx^T / nk``."""
    n_blocks, G, d = sx_b.shape
    for k in range(G):
        v = 0.0
        for b in range(n_blocks):
            v += nk_b[b, k]
        nk[k] = v
        if not v > 0.0:
            return _NO_WEIGHT
        sx = np.zeros(d)
        for j in range(d):
            for b in range(n_blocks):
                sx[j] += sx_b[b, k, j]
            mean[k, j] = centres[k, j] + shift[j] + sx[j] / v
        for j in range(d):
            for t in range(j + 1):
                m2 = 0.0
                for b in range(n_blocks):
                    m2 += sxx_b[b, k, j, t]
                W[k, j, t] = m2 - sx[j] * sx[t] / v
                W[k, t, j] = W[k, j, t]
    return 0
