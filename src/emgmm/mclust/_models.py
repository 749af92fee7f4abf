"""mclust's Gaussian parsimonious covariance models, one object per model.

Every model writes component ``k``'s covariance as the eigen-decomposition
``Sigma_k = lambda_k D_k A_k D_k^T`` (Banfield & Raftery 1993; Celeux &
Govaert 1995): the volume ``lambda_k`` (a scalar), the shape ``A_k`` (diagonal,
``det A_k = 1``) and the orientation ``D_k`` (orthogonal).  A three-letter name
says, in that order, whether volume, shape and orientation are equal (``E``)
or variable (``V``) across components, or the identity (``I``).  ``E`` and
``V`` are the one-feature models.

Each object answers, for its model:

* ``n_parameters(G, d)`` -- the count mclust's ``nMclustParams`` gives (means,
  ``G - 1`` mixing proportions and the free covariance parameters);
* ``m_step(X, z, state, tol, itmax)`` -- the maximum-likelihood proportions,
  means and covariances given responsibilities ``z``.  The closed forms are
  those of Celeux & Govaert (1995, Table 1 and section 4).  Models without
  one (VEI, VEE, VEV, EVE, VVE) alternate between blocks of parameters, each
  in closed form given the others, until a change measure is below ``tol``
  (mclust's ``emControl()$tol[2]``, ``sqrt(eps)``) or ``itmax`` passes are
  done (``emControl()$itmax[2]``).  Where each loop starts, what one pass
  does and which change it measures follow what R's mclust 6.0 does, as
  measured from outside (see :func:`_alternate_volumes`, ``VEE`` and
  :func:`_common_orientation`, and docs/mclust.md); the common orientation
  of EVE and VVE is updated by the majorisation-minimisation steps of Browne
  & McNicholas (2014).  ``state`` carries the previous M-step's inner
  parameters to the next EM iteration's M-step.

The log-density is shared: :func:`log_density` works from the covariances'
Cholesky factors for every model.

References
----------
Banfield, J. D. and Raftery, A. E. (1993). Model-based Gaussian and
non-Gaussian clustering. Biometrics 49, 803-821.
Celeux, G. and Govaert, G. (1995). Gaussian parsimonious clustering models.
Pattern Recognition 28, 781-793.
Browne, R. P. and McNicholas, P. D. (2014). Estimating common principal
components in high dimensions. Advances in Data Analysis and Classification
8, 217-226.
Scrucca, L., Fop, M., Murphy, T. B. and Raftery, A. E. (2016). mclust 5:
clustering, classification and density estimation using Gaussian finite
mixture models. The R Journal 8(1), 289-317.
"""

import numpy as np

from .._errors import SingularCovarianceError

__all__ = ["MODELS", "MULTIVARIATE", "UNIVARIATE", "Model", "log_density"]


_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))


def _statistics(X, z):
    """Component sizes, means and centred scatter matrices ``W_k``."""
    nk = z.sum(axis=0)
    if np.any(nk <= 0):
        raise SingularCovarianceError("a component has no weight")
    mean = (z.T @ X) / nk[:, None]
    G, d = mean.shape
    W = np.empty((G, d, d))
    for k in range(G):
        diff = X - mean[k]
        W[k] = (diff * z[:, k : k + 1]).T @ diff
        W[k] = 0.5 * (W[k] + W[k].T)
    return nk, mean, W


def _det_root(values):
    """``prod(values) ** (1/d)`` along the last axis, in log space."""
    with np.errstate(divide="ignore"):
        return np.exp(np.mean(np.log(values), axis=-1))


def _eigh_desc(W):
    """Eigen-decomposition of symmetric matrices, eigenvalues decreasing."""
    values, vectors = np.linalg.eigh(W)
    return values[..., ::-1], vectors[..., ::-1]


def _rotated_diagonals(W, D):
    """``diag(D^T W_k D)`` for each component, shape (G, d)."""
    return np.einsum("ji,gjl,li->gi", D, W, D)


def _objective(W, nk, sigma):
    """The M-step objective ``sum_k tr(W_k S_k^-1) + n_k log det S_k``."""
    sign, logdet = np.linalg.slogdet(sigma)
    if np.any(sign <= 0):
        raise SingularCovarianceError("covariance not positive definite")
    trace = np.einsum("gij,gji->g", W, np.linalg.inv(sigma))
    return float(np.sum(trace) + np.sum(nk * logdet))


class Model:
    """One of mclust's covariance models (see the module docstring).

    Attributes
    ----------
    name : str
        mclust's model name, e.g. ``"VEV"``.
    iterative : bool
        Whether the M-step needs inner iterations.
    """

    name = ""
    iterative = False

    def n_covariance_parameters(self, G, d):
        raise NotImplementedError

    def n_parameters(self, G, d):
        """Free parameters as mclust's ``nMclustParams`` counts them.

        Parameters
        ----------
        G : int
            Number of components.
        d : int
            Number of features.

        Returns
        -------
        int
            ``G * d`` means + ``G - 1`` proportions + covariance parameters.
        """
        return G * d + (G - 1) + self.n_covariance_parameters(G, d)

    def m_step(self, X, z, state=None, tol=_SQRT_EPS, itmax=None):
        """Proportions, means and covariances maximising the expected loglik.

        Parameters
        ----------
        X : ndarray of shape (n, d)
        z : ndarray of shape (n, G)
            Responsibilities (rows sum to 1).
        state : dict or None
            Inner parameters of the previous M-step (iterative models).
        tol : float
            Relative tolerance of the inner iterations.
        itmax : int or None
            Maximum number of inner iterations (None: no limit).

        Returns
        -------
        pro : ndarray of shape (G,)
        mean : ndarray of shape (G, d)
        sigma : ndarray of shape (G, d, d)
        state : dict
            Inner parameters, to start the next M-step from.
        """
        nk, mean, W = _statistics(X, z)
        sigma, state = self._covariances(W, nk, state, tol, itmax)
        return nk / X.shape[0], mean, sigma, state

    def __repr__(self):
        return f"<mclust model {self.name}>"


def _diagonal(values):
    """(G, d) diagonals -> (G, d, d) diagonal matrices."""
    G, d = values.shape
    out = np.zeros((G, d, d))
    idx = np.arange(d)
    out[:, idx, idx] = values
    return out


def _rotate(D, values):
    """``D diag(values_k) D^T`` for each row of ``values``; D is (d, d) or (G, d, d)."""
    if D.ndim == 2:
        return np.einsum("ij,gj,kj->gik", D, values, D)
    return np.einsum("gij,gj,gkj->gik", D, values, D)


def _alternate_volumes(volumes, shape, lam, current, tol, itmax):
    """Inner loop of VEI and VEV: volumes and the common shape in turn.

    From the volumes ``lam`` and shape ``current`` it starts from, each pass
    computes the volumes given the shape, then the shape given those volumes,
    both in closed form.  The loop stops when the change of the volumes,
    ``max_k |lambda_k - lambda_k'| / (1 + lambda_k)``, is at most ``tol`` or
    after ``itmax`` passes; the covariances are the last volumes times the
    shape computed from them.

    Returns
    -------
    lam, shape, count
    """
    count = 0
    while True:
        new = volumes(current)
        current = shape(new)
        count += 1
        err = np.max(np.abs(new - lam) / (1.0 + new))
        lam = new
        if err <= tol or (itmax is not None and count >= itmax):
            break
    return lam, current, count


# --- one feature --------------------------------------------------------------


class E(Model):
    name = "E"

    def n_covariance_parameters(self, G, d):
        return 1

    def _covariances(self, W, nk, state, tol, itmax):
        G = len(nk)
        return np.full((G, 1, 1), W.sum() / nk.sum()), {}


class V(Model):
    name = "V"

    def n_covariance_parameters(self, G, d):
        return G

    def _covariances(self, W, nk, state, tol, itmax):
        return W / nk[:, None, None], {}


# --- spherical and diagonal -----------------------------------------------------


class EII(Model):
    name = "EII"

    def n_covariance_parameters(self, G, d):
        return 1

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        lam = np.trace(W.sum(axis=0)) / (nk.sum() * d)
        return _diagonal(np.full((G, d), lam)), {}


class VII(Model):
    name = "VII"

    def n_covariance_parameters(self, G, d):
        return G

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        lam = np.trace(W, axis1=1, axis2=2) / (nk * d)
        return _diagonal(np.repeat(lam[:, None], d, axis=1)), {}


class EEI(Model):
    name = "EEI"

    def n_covariance_parameters(self, G, d):
        return d

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        B = np.diagonal(W.sum(axis=0)) / nk.sum()
        return _diagonal(np.tile(B, (G, 1))), {}


class VEI(Model):
    """``lambda_k B``: volumes given the shape, then the shape given volumes."""

    name = "VEI"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1)

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        diagW = np.diagonal(W, axis1=1, axis2=2)  # (G, d)

        def volumes(B):
            return np.sum(diagW / B, axis=1) / (nk * d)

        def shape(lam):
            B = np.sum(diagW / lam[:, None], axis=0)
            return B / _det_root(B)

        # From the previous M-step's shape (the identity at the first one).
        B = state["shape"] if state and "shape" in state else np.ones(d)
        lam0 = volumes(B)
        B = shape(lam0)
        lam, B, count = _alternate_volumes(volumes, shape, lam0, B, tol, itmax)
        state = {"lam": lam, "shape": B, "inner_iterations": count}
        return _diagonal(lam[:, None] * B), state


class EVI(Model):
    name = "EVI"

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1)

    def _covariances(self, W, nk, state, tol, itmax):
        diagW = np.diagonal(W, axis1=1, axis2=2)
        root = _det_root(diagW)
        lam = root.sum() / nk.sum()
        return _diagonal(lam * diagW / root[:, None]), {}


class VVI(Model):
    name = "VVI"

    def n_covariance_parameters(self, G, d):
        return G * d

    def _covariances(self, W, nk, state, tol, itmax):
        return _diagonal(np.diagonal(W, axis1=1, axis2=2) / nk[:, None]), {}


# --- ellipsoidal, equal orientation --------------------------------------------


class EEE(Model):
    name = "EEE"

    def n_covariance_parameters(self, G, d):
        return d * (d + 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        G = len(nk)
        return np.repeat((W.sum(axis=0) / nk.sum())[None], G, axis=0), {}


class VEE(Model):
    """``lambda_k C``: volumes given ``C``, then ``C`` given the volumes."""

    name = "VEE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1) + d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape

        def volumes(C):
            return np.einsum("gij,ji->g", W, np.linalg.inv(C)) / (nk * d)

        def shape(lam):
            C = np.sum(W / lam[:, None, None], axis=0)
            C = 0.5 * (C + C.T)
            sign, logdet = np.linalg.slogdet(C)
            if sign <= 0:
                raise SingularCovarianceError(
                    "VEE: common matrix not positive definite"
                )
            return C / np.exp(logdet / d)

        # The loop starts from EEE's shape and stops on the relative change
        # of the M-step objective; each pass is "volumes, then the shape".
        C = shape(np.ones(G))
        old = np.inf
        count = 0
        while itmax is None or count < itmax:
            lam = volumes(C)
            count += 1
            new = _objective(W, nk, lam[:, None, None] * C[None])
            if abs(new - old) <= tol * (1.0 + abs(new)):
                break
            old = new
            if itmax is not None and count >= itmax:
                break
            C = shape(lam)
        return lam[:, None, None] * C[None], {"inner_iterations": count}


def _mm_orientation(W, psi, D):
    """One pass of the two majorisation-minimisation steps for the orientation.

    Minimises ``F(D) = sum_k tr(W_k D diag(psi_k) D^T)`` over orthogonal ``D``
    (Browne & McNicholas 2014).  Step 1: with ``alpha_k`` the largest
    eigenvalue of ``W_k``, ``F`` minus the constant ``sum_k alpha_k
    tr(Psi_k)`` is concave in ``D``, so its tangent at the current ``D``
    majorises it; the tangent's minimiser over orthogonal matrices is
    ``-U V^T`` for the SVD ``U S V^T`` of ``sum_k (W_k - alpha_k I) D Psi_k``.
    Step 2 is the same with the roles swapped: ``beta_k`` the largest entry
    of ``psi_k`` and the matrix ``sum_k W_k D (Psi_k - beta_k I)``.  One pass
    does step 1 then step 2.
    """
    d = D.shape[0]
    eye = np.eye(d)
    alpha = np.linalg.eigvalsh(W)[:, -1]
    M = np.zeros((d, d))
    for k in range(W.shape[0]):
        M += (W[k] - alpha[k] * eye) @ (D * psi[k])
    U, _, Vt = np.linalg.svd(M)
    D = -U @ Vt
    beta = psi.max(axis=1)
    M = np.zeros((d, d))
    for k in range(W.shape[0]):
        M += W[k] @ (D * (psi[k] - beta[k]))
    U, _, Vt = np.linalg.svd(M)
    return -U @ Vt


def _common_orientation(W, state, tol, itmax):
    """Inner loop of EVE and VVE: the common orientation ``D`` and shapes.

    Each pass computes the shapes ``A_k = diag(D^T W_k D) / det(...)^(1/d)``
    given ``D``, preceded (except in the very first pass of a fit) by one
    pass of :func:`_mm_orientation` with ``psi_k = 1 / A_k``, the shapes of
    the pass before.  The first M-step starts from ``D = I``; later ones from
    the previous M-step's ``D`` and shapes.  The loop stops when the relative
    change of ``F = sum_k tr(W_k D A_k^{-1} D^T)`` is at most ``tol`` or after
    ``itmax`` passes.  This is the loop R's mclust 6.0 runs, as measured from
    outside (results after 1, 2, 3 passes and the convergence measure it
    reports): its orientation step weighs the components by their shapes
    alone, for VVE as for EVE, so VVE's ``D`` is not the exact conditional
    maximiser when the volumes differ.

    Returns
    -------
    D, rotated diagonals ``diag(D^T W_k D)`` (G, d), state
    """
    if state and "D" in state:
        D, A = state["D"], state["A"]
    else:
        D, A = np.eye(W.shape[1]), None
    old = np.inf
    count = 0
    while True:
        if A is not None:
            D = _mm_orientation(W, 1.0 / A, D)
        diag = _rotated_diagonals(W, D)
        if np.any(diag <= 0):
            raise SingularCovarianceError("a rotated scatter matrix is singular")
        A = diag / _det_root(diag)[:, None]
        new = float(np.sum(diag / A))
        count += 1
        if abs(new - old) <= tol * (1.0 + abs(new)):
            break
        if itmax is not None and count >= itmax:
            break
        old = new
    return D, diag, {"D": D, "A": A, "inner_iterations": count}


class EVE(Model):
    """``lambda D A_k D^T``: shapes and volume given ``D``, ``D`` by MM."""

    name = "EVE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1) + d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        D, diag, state = _common_orientation(W, state, tol, itmax)
        A = diag / _det_root(diag)[:, None]
        lam = np.sum(diag / A) / (nk.sum() * d)
        return _rotate(D, lam * A), state


class VVE(Model):
    """``lambda_k D A_k D^T``: VVI in the rotated frame given ``D``, ``D`` by MM."""

    name = "VVE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G * d + d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        D, diag, state = _common_orientation(W, state, tol, itmax)
        return _rotate(D, diag / nk[:, None]), state


# --- ellipsoidal, variable orientation -------------------------------------------


class EEV(Model):
    name = "EEV"

    def n_covariance_parameters(self, G, d):
        return 1 + (d - 1) + G * d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        omega, L = _eigh_desc(W)
        total = omega.sum(axis=0)
        root = _det_root(total)
        A = total / root
        lam = root / nk.sum()
        return _rotate(L, np.tile(lam * A, (len(nk), 1))), {}


class VEV(Model):
    """``lambda_k D_k A D_k^T``: ``D_k`` the eigenvectors of ``W_k``; ``A`` and
    the volumes alternate."""

    name = "VEV"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1) + G * d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        omega, L = _eigh_desc(W)

        def volumes(A):
            return np.sum(omega / A, axis=1) / (nk * d)

        def shape(lam):
            A = np.sum(omega / lam[:, None], axis=0)
            return A / _det_root(A)

        if state and "lam" in state:  # from the previous M-step's
            lam0, A = state["lam"], state["shape"]
        else:  # from EEV's solution
            total = omega.sum(axis=0)
            lam0 = np.full(G, _det_root(total) / nk.sum())
            A = total / _det_root(total)
        lam, A, count = _alternate_volumes(volumes, shape, lam0, A, tol, itmax)
        state = {"lam": lam, "shape": A, "inner_iterations": count}
        return _rotate(L, lam[:, None] * A[None]), state


class EVV(Model):
    name = "EVV"

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1) + G * d * (d - 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        G, d, _ = W.shape
        sign, logdet = np.linalg.slogdet(W)
        if np.any(sign <= 0):
            raise SingularCovarianceError("EVV: a scatter matrix is singular")
        root = np.exp(logdet / d)
        lam = root.sum() / nk.sum()
        return lam * W / root[:, None, None], {}


class VVV(Model):
    name = "VVV"

    def n_covariance_parameters(self, G, d):
        return G * d * (d + 1) // 2

    def _covariances(self, W, nk, state, tol, itmax):
        return W / nk[:, None, None], {}


MULTIVARIATE = tuple(
    cls()
    for cls in (
        EII,
        VII,
        EEI,
        VEI,
        EVI,
        VVI,
        EEE,
        VEE,
        EVE,
        VVE,
        EEV,
        VEV,
        EVV,
        VVV,
    )
)
UNIVARIATE = (E(), V())
MODELS = {m.name: m for m in MULTIVARIATE + UNIVARIATE}


def log_density(X, mean, sigma, eps):
    """``log phi(x_i; mean_k, sigma_k)`` for every row and component.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    mean : ndarray of shape (G, d)
    sigma : ndarray of shape (G, d, d)
    eps : float
        A covariance whose reciprocal condition number (smallest over largest
        eigenvalue) is below ``eps`` counts as singular, as mclust's
        ``emControl()$eps`` decides.

    Returns
    -------
    ndarray of shape (n, G)

    Raises
    ------
    SingularCovarianceError
        If a covariance is singular to ``eps``.
    """
    d = X.shape[1]
    values = np.linalg.eigvalsh(sigma)
    bad = ~(values[:, 0] > eps * values[:, -1])
    if np.any(bad):
        raise SingularCovarianceError(
            f"component {int(np.argmax(bad)) + 1}: covariance singular"
        )
    L = np.linalg.cholesky(sigma)
    Linv = np.linalg.inv(L)
    logdet = 2.0 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
    # y[n, g, :] = L_g^{-1} (x_n - mean_g)
    y = np.einsum("gij,gnj->ngi", Linv, X[None, :, :] - mean[:, None, :])
    maha = np.einsum("ngi,ngi->ng", y, y)
    return -0.5 * (d * np.log(2 * np.pi) + logdet[None, :] + maha)
