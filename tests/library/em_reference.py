"""scikit-learn's EM, step for step, in extended precision (``np.longdouble``).

A reference for the parity tests: the same algorithm as
``sklearn.mixture.GaussianMixture`` (same initial M-step, ``nk + 10 eps``,
``reg_covar`` on the diagonal, weights renormalised in every M-step, the
lower bound taken before the M-step, the same stopping rule), computed in
80-bit extended precision (``eps = 1.1e-19`` on x86-64) with centred
second moments.  Its results are the exact EM iterates of the float64 data
to about 1e-16 relative, so the distance of scikit-learn (or emgmm) from it
measures that estimator's own rounding error.

Plain loops over components and features (NumPy's linear algebra does not
take ``longdouble``): meant for small problems (N up to a few thousand,
d <= 16).
"""

import numpy as np

LD = np.longdouble
EPS64 = np.finfo(np.float64).eps


def _cholesky_lower(a):
    """Lower Cholesky factor of a symmetric positive-definite matrix."""
    d = a.shape[0]
    L = np.zeros_like(a)
    for j in range(d):
        s = a[j, j] - np.dot(L[j, :j], L[j, :j])
        if not s > 0:
            raise np.linalg.LinAlgError("not positive definite")
        L[j, j] = np.sqrt(s)
        L[j + 1 :, j] = (a[j + 1 :, j] - L[j + 1 :, :j] @ L[j, :j]) / L[j, j]
    return L


def _inv_lower(L):
    """Inverse of a lower-triangular matrix (forward substitution by rows)."""
    d = L.shape[0]
    inv = np.zeros_like(L)
    for i in range(d):
        inv[i, i] = 1 / L[i, i]
        inv[i, :i] = -(L[i, :i] @ inv[:i, :i]) / L[i, i]
    return inv


def precision_cholesky(covariances, covariance_type):
    """scikit-learn's ``_compute_precision_cholesky``: ``inv(chol(cov)).T``."""
    if covariance_type == "full":
        return np.array([_inv_lower(_cholesky_lower(c)).T for c in covariances])
    if covariance_type == "tied":
        return _inv_lower(_cholesky_lower(covariances)).T
    return 1 / np.sqrt(covariances)


def precision_cholesky_from_precisions(precisions, covariance_type):
    """scikit-learn's ``_compute_precision_cholesky_from_precisions``."""
    precisions = np.asarray(precisions, dtype=LD)
    if covariance_type == "full":
        return np.array([_cholesky_lower(p) for p in precisions])
    if covariance_type == "tied":
        return _cholesky_lower(precisions)
    return np.sqrt(precisions)


def precisions_from_cholesky(prec_chol, covariance_type):
    if covariance_type == "full":
        return np.array([u @ u.T for u in prec_chol])
    if covariance_type == "tied":
        return prec_chol @ prec_chol.T
    return prec_chol**2


def log_gaussian_prob(X, means, prec_chol, covariance_type):
    """``log N(x_i | mu_k, Sigma_k)``, shape (n_samples, n_components)."""
    n, d = X.shape
    K = means.shape[0]
    out = np.empty((n, K), dtype=LD)
    for k in range(K):
        diff = X - means[k]
        if covariance_type == "full":
            u = prec_chol[k]
        elif covariance_type == "tied":
            u = prec_chol
        if covariance_type in ("full", "tied"):
            y = diff @ u
            log_det = np.sum(np.log(np.diagonal(u)))
        elif covariance_type == "diag":
            y = diff * prec_chol[k]
            log_det = np.sum(np.log(prec_chol[k]))
        else:
            y = diff * prec_chol[k]
            log_det = d * np.log(prec_chol[k])
        out[:, k] = -0.5 * (d * np.log(2 * LD(np.pi)) + np.sum(y * y, axis=1)) + log_det
    return out


def estimate_parameters(X, resp, reg_covar, covariance_type):
    """scikit-learn's ``_estimate_gaussian_parameters`` (centred moments)."""
    n, d = X.shape
    nk = resp.sum(axis=0) + 10 * LD(EPS64)
    means = (resp.T @ X) / nk[:, None]
    K = means.shape[0]
    if covariance_type == "full":
        cov = np.empty((K, d, d), dtype=LD)
        for k in range(K):
            diff = X - means[k]
            cov[k] = (resp[:, k][:, None] * diff).T @ diff / nk[k]
            cov[k].flat[:: d + 1] += LD(reg_covar)
    elif covariance_type == "tied":
        cov = np.zeros((d, d), dtype=LD)
        for k in range(K):
            diff = X - means[k]
            cov += (resp[:, k][:, None] * diff).T @ diff
        cov /= nk.sum()
        cov.flat[:: d + 1] += LD(reg_covar)
    else:
        cov = np.empty((K, d), dtype=LD)
        for k in range(K):
            diff = X - means[k]
            cov[k] = resp[:, k] @ (diff * diff) / nk[k]
        cov += LD(reg_covar)
        if covariance_type == "spherical":
            cov = cov.mean(axis=1)
    return nk, means, cov


def _logsumexp_rows(a):
    m = a.max(axis=1)
    return m + np.log(np.exp(a - m[:, None]).sum(axis=1))


class Fit:
    """Result of :func:`fit`, attributes named as scikit-learn's."""


def fit(
    X,
    covariance_type,
    *,
    resp=None,
    weights_init=None,
    means_init=None,
    precisions_init=None,
    reg_covar=1e-6,
    tol=1e-3,
    max_iter=100,
):
    """One start of scikit-learn's EM in extended precision.

    The start is either initial responsibilities ``resp`` (e.g. one-hot
    k-means labels), or user-given initial parameters, combined exactly as
    ``GaussianMixture._initialize`` does.
    """
    X = np.asarray(X, dtype=LD)
    n = X.shape[0]
    if resp is not None:
        weights, means, cov = estimate_parameters(
            X, np.asarray(resp, dtype=LD), reg_covar, covariance_type
        )
        if weights_init is None:
            weights = weights / n
    if weights_init is not None:
        weights = np.asarray(weights_init, dtype=LD)
    if means_init is not None:
        means = np.asarray(means_init, dtype=LD)
    if precisions_init is None:
        prec_chol = precision_cholesky(cov, covariance_type)
    else:
        prec_chol = precision_cholesky_from_precisions(precisions_init, covariance_type)

    lower_bound = -np.inf
    lower_bounds = []
    converged = False
    n_iter = 0
    for iteration in range(1, max_iter + 1):
        n_iter = iteration
        prev = lower_bound
        wlp = log_gaussian_prob(X, means, prec_chol, covariance_type) + np.log(weights)
        lse = _logsumexp_rows(wlp)
        resp = np.exp(wlp - lse[:, None])
        lower_bound = lse.mean()
        weights, means, cov = estimate_parameters(X, resp, reg_covar, covariance_type)
        weights = weights / weights.sum()
        prec_chol = precision_cholesky(cov, covariance_type)
        lower_bounds.append(lower_bound)
        if abs(lower_bound - prev) < tol:
            converged = True
            break
    out = Fit()
    out.weights_ = weights
    out.means_ = means
    out.covariances_ = cov
    out.precisions_cholesky_ = prec_chol
    out.precisions_ = precisions_from_cholesky(prec_chol, covariance_type)
    out.lower_bound_ = lower_bound
    out.lower_bounds_ = lower_bounds
    out.n_iter_ = n_iter
    out.converged_ = converged
    return out


def score_samples(X, weights, means, prec_chol, covariance_type):
    """``log p(x_i)`` of given (float64) parameters, in extended precision."""
    X = np.asarray(X, dtype=LD)
    wlp = log_gaussian_prob(
        X, np.asarray(means, dtype=LD), np.asarray(prec_chol, dtype=LD), covariance_type
    ) + np.log(np.asarray(weights, dtype=LD))
    return _logsumexp_rows(wlp)
