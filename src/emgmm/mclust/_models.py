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
  measured from outside (see the models' docstrings and docs/mclust.md); the
  common orientation of EVE and VVE is updated by the majorisation-
  minimisation steps of Browne & McNicholas (2014).  ``state`` carries the
  previous M-step's inner parameters to the next EM iteration's M-step.

The M-steps run compiled, in :mod:`._kernels` (one function per inner loop,
one dispatch on the model); these objects name the models, count their
parameters and call them.

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

__all__ = ["MODELS", "MULTIVARIATE", "UNIVARIATE", "Model"]


_SQRT_EPS = float(np.sqrt(np.finfo(float).eps))
_NO_LIMIT = 2**63 - 1


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
            Inner parameters (``lam``, ``shape``, ``D``, ``A``) and the number
            of inner passes (``inner_iterations``), to start the next M-step
            from.

        Raises
        ------
        SingularCovarianceError
            If a component has no weight or a matrix the M-step needs is
            singular.
        """
        from ._kernels import CODES, ERRORS, m_step  # numba, at first use

        X = np.ascontiguousarray(X, dtype=float)
        z = np.ascontiguousarray(z, dtype=float)
        d, G = X.shape[1], z.shape[1]
        state = state or {}
        lam = np.array(state.get("lam", np.empty(G)), dtype=float)
        shape = np.array(state.get("shape", np.empty(d)), dtype=float)
        D = np.array(state.get("D", np.empty((d, d))), dtype=float)
        A = np.array(state.get("A", np.empty((G, d))), dtype=float)
        pro, mean, sigma = np.empty(G), np.empty((G, d)), np.empty((G, d, d))
        status, count = m_step(
            CODES[self.name], X, z, lam, shape, D, A, bool(state), tol,
            _NO_LIMIT if itmax is None else int(itmax), pro, mean, sigma,
        )  # fmt: skip
        if status:
            raise SingularCovarianceError(ERRORS[status])
        state = {"lam": lam, "shape": shape, "D": D, "A": A}
        return pro, mean, sigma, {**state, "inner_iterations": int(count)}

    def __repr__(self):
        return f"<mclust model {self.name}>"


# --- one feature --------------------------------------------------------------


class E(Model):
    """``sigma^2``: the pooled variance."""

    name = "E"

    def n_covariance_parameters(self, G, d):
        return 1


class V(Model):
    """``sigma_k^2``: each component's variance."""

    name = "V"

    def n_covariance_parameters(self, G, d):
        return G


# --- spherical and diagonal -----------------------------------------------------


class EII(Model):
    """``lambda I``: ``lambda = tr(sum_k W_k) / (n d)``."""

    name = "EII"

    def n_covariance_parameters(self, G, d):
        return 1


class VII(Model):
    """``lambda_k I``: ``lambda_k = tr(W_k) / (n_k d)``."""

    name = "VII"

    def n_covariance_parameters(self, G, d):
        return G


class EEI(Model):
    """``B``: the diagonal of the pooled scatter over ``n``."""

    name = "EEI"

    def n_covariance_parameters(self, G, d):
        return d


class VEI(Model):
    """``lambda_k B``: volumes given the shape, then the shape given volumes.

    The loop starts from the identity shape at the first M-step and from the
    previous M-step's afterwards; it stops when ``max_k |lambda_k -
    lambda_k'| / (1 + lambda_k)`` is at most ``tol``.
    """

    name = "VEI"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1)


class EVI(Model):
    """``lambda A_k``: ``A_k = diag(W_k) / det(diag W_k)^(1/d)``, one volume."""

    name = "EVI"

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1)


class VVI(Model):
    """``diag(W_k) / n_k``."""

    name = "VVI"

    def n_covariance_parameters(self, G, d):
        return G * d


# --- ellipsoidal, equal orientation --------------------------------------------


class EEE(Model):
    """``sum_k W_k / n``."""

    name = "EEE"

    def n_covariance_parameters(self, G, d):
        return d * (d + 1) // 2


class VEE(Model):
    """``lambda_k C``: volumes given ``C``, then ``C`` given the volumes.

    The loop starts from EEE's shape at every M-step and stops on the relative
    change of the M-step objective ``sum_k tr(W_k S_k^-1) + n_k log det S_k``.
    """

    name = "VEE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1) + d * (d - 1) // 2


class EVE(Model):
    """``lambda D A_k D^T``: shapes and volume given ``D``, ``D`` by MM.

    The common orientation ``D`` minimises ``F(D) = sum_k tr(W_k D Psi_k
    D^T)``, ``Psi_k = A_k^-1``, over orthogonal ``D`` by Browne & McNicholas'
    (2014) two majorisation-minimisation steps.  Step 1: with ``alpha_k`` the
    largest eigenvalue of ``W_k``, ``F`` minus the constant ``sum_k alpha_k
    tr(Psi_k)`` is concave in ``D``, so its tangent majorises it; the
    tangent's minimiser over orthogonal matrices is ``-U V^T`` for the SVD
    ``U S V^T`` of ``sum_k (W_k - alpha_k I) D Psi_k``.  Step 2 is the same
    with the roles swapped: ``beta_k`` the largest entry of ``Psi_k`` and the
    matrix ``sum_k W_k D (Psi_k - beta_k I)``.

    Each inner pass computes the shapes ``A_k = diag(D^T W_k D) /
    det(...)^(1/d)`` given ``D``, preceded (except in the very first pass of
    a fit) by one pair of MM steps with the shapes of the pass before.  The
    first M-step starts from ``D = I``, later ones from the previous M-step's
    ``D`` and shapes.  The loop stops when the relative change of ``F`` is at
    most ``tol``.  This is the loop R's mclust 6.0 runs, as measured from
    outside (results after 1, 2, 3 passes and the convergence measure it
    reports).
    """

    name = "EVE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1) + d * (d - 1) // 2


class VVE(Model):
    """``lambda_k D A_k D^T``: VVI in the rotated frame given ``D``, ``D`` as EVE's.

    mclust's orientation step weighs the components by their shapes alone,
    for VVE as for EVE, so VVE's ``D`` is not the exact conditional maximiser
    when the volumes differ; this is what R's mclust 6.0 computes.
    """

    name = "VVE"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G * d + d * (d - 1) // 2


# --- ellipsoidal, variable orientation -------------------------------------------


class EEV(Model):
    """``lambda D_k A D_k^T``: ``D_k`` the eigenvectors of ``W_k``, ``lambda A``
    from the summed eigenvalues."""

    name = "EEV"

    def n_covariance_parameters(self, G, d):
        return 1 + (d - 1) + G * d * (d - 1) // 2


class VEV(Model):
    """``lambda_k D_k A D_k^T``: ``D_k`` the eigenvectors of ``W_k``; ``A`` and
    the volumes alternate as VEI's, from EEV's solution at the first M-step and
    from the previous M-step's afterwards."""

    name = "VEV"
    iterative = True

    def n_covariance_parameters(self, G, d):
        return G + (d - 1) + G * d * (d - 1) // 2


class EVV(Model):
    """``lambda W_k / det(W_k)^(1/d)``, one volume."""

    name = "EVV"

    def n_covariance_parameters(self, G, d):
        return 1 + G * (d - 1) + G * d * (d - 1) // 2


class VVV(Model):
    """``W_k / n_k``."""

    name = "VVV"

    def n_covariance_parameters(self, G, d):
        return G * d * (d + 1) // 2


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
