"""The notebook's ``GaussianMixtureEM`` interface on the emgmm engine.

The notebook ``06_em_algorithm_fit_gmm`` calls::

    model = GaussianMixtureEM(K=4, num_iterations=50, allow_singular=False)
    results = model.fit_fast(X_umap)
    results['pis_dict'][f'Iteration_{model.num_iterations - 1}'][0]

This module keeps that API (and the result dict) but runs the same private
EM functions as :class:`emgmm.GaussianMixture`, so with the same settings the
numbers are identical to it and hence to scikit-learn.
"""

import numpy as np

from ._covariance import LOG_2PI, Full
from ._em import initial_resp, run_em
from ._engine import Engine, blas_threads
from ._errors import InputError, SingularCovarianceError
from ._validation import COVARIANCE_TYPES, INIT_METHODS, invalid

__all__ = ["DEFAULT_RANDOM_STATE", "GaussianMixtureEM"]

#: the seed used when no ``random_state`` is given (reproducible by default)
DEFAULT_RANDOM_STATE = 0
_FIX = "increase reg_covar, use fewer components, or pass allow_singular=True"


def _psd_factor(covariance):
    """scipy's ``_PSD`` (allow_singular=True) for one covariance matrix.

    Returns ``(U, log_const, null_basis, support_tol)`` with ``U`` such that
    ``||(x - mu) U||^2`` is the Mahalanobis distance under the
    pseudo-inverse, ``log_const = -(rank log(2 pi) + log pdet) / 2``, the basis
    of the null space and scipy's tolerance for "in the support".
    """
    s, u = np.linalg.eigh(covariance)
    eps = 1e6 * np.finfo(np.float64).eps * np.max(np.abs(s))
    keep = s > eps
    s_pinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    factor = u * np.sqrt(s_pinv)
    rank = int(keep.sum())
    log_pdet = float(np.sum(np.log(s[keep])))
    log_const = -0.5 * (rank * LOG_2PI + log_pdet)
    null_basis = u[:, ~keep]
    return factor, log_const, null_basis, 1e3 * eps


class PseudoInverseFull(Full):
    """'full' covariances that may be singular (``allow_singular=True``).

    Like ``scipy.stats.multivariate_normal(allow_singular=True)``: a
    component whose covariance has no Cholesky factor gets the pseudo-inverse
    and pseudo-determinant of an eigendecomposition with scipy's cutoff, and
    points off its support get density 0.  The null spaces travel as the
    parameters' ``aux``; while it is None (no singular component) the pass is
    the standard one.
    """

    def precision_factors(self, covariances, means, iteration=-1):
        n_components, n_features, _ = covariances.shape
        prec = np.empty_like(covariances)
        log_const = np.empty(n_components)
        null_space = []
        for k, cov in enumerate(covariances):
            factor, const, null_basis, tol = _psd_factor(cov)
            if null_basis.shape[1] == 0:
                try:
                    prec[k] = self.precision_cholesky(cov[None])[0]
                    log_const[k] = self.log_const(prec[k : k + 1], 1, n_features)[0]
                    continue
                except SingularCovarianceError:
                    pass
            prec[k] = factor
            log_const[k] = const
            null_space.append((k, null_basis, tol))
        return prec, log_const, null_space or None

    def prepare_params(self, params, dtype):
        means = params.means.astype(dtype)
        return super().prepare_params(params, dtype), params.aux, means

    def sq_mahalanobis(self, X1, prepared, work=None):
        inner, null_space, means = prepared
        q = super().sq_mahalanobis(X1, inner, work)
        for k, basis, tol in null_space or ():
            residual = np.linalg.norm((X1[:, :-1] - means[k]) @ basis, axis=1)
            q[residual >= tol, k] = np.inf
        return q


class GaussianMixtureEM:
    """EM for a Gaussian mixture with the notebook's interface.

    Parameters
    ----------
    K : int, default=4
        Number of components.
    num_iterations : int, default=50
        Maximum number of EM iterations (all of them when ``tol`` is None).
    allow_singular : bool, default=False
        What to do when a covariance stops being positive definite: ``False``
        raises :class:`~emgmm.SingularCovarianceError`; ``True`` carries on
        like ``scipy.stats.multivariate_normal(allow_singular=True)``
        (pseudo-inverse and pseudo-determinant from an eigendecomposition with
        scipy's cutoff; points off the component's support get density 0).
        Only ``covariance_type='full'`` supports ``True``.
    tol : float or None, default=None
        ``None`` runs all ``num_iterations`` (the notebook's behaviour); a
        float stops as scikit-learn does, when the change of the mean
        log-likelihood per point is below ``tol``.
    init : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        Initialisation, exactly as scikit-learn's ``init_params``.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation.  ``None`` uses the fixed seed
        ``DEFAULT_RANDOM_STATE = 0``, so that the notebook's call (which
        passes none) prints the same numbers on every run; pass a
        ``RandomState`` instance for fresh randomness.  (scikit-learn's
        ``GaussianMixture`` and :class:`emgmm.GaussianMixture` keep
        scikit-learn's meaning: ``None`` is fresh randomness.)
    reg_covar : float, default=0.0
        Added to the covariance diagonals in every M-step (the notebook adds
        nothing; scikit-learn's default is 1e-6).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Covariance structure.

    Attributes
    ----------
    n_iter_ : int
        Iterations run by the last fit (``num_iterations`` unless ``tol``
        stopped early).  ``num_iterations`` itself is never changed, so the
        notebook's ``pis_dict[f'Iteration_{model.num_iterations - 1}']`` only
        exists when all iterations ran (always with ``tol=None``); use
        ``pis_dict[f'Iteration_{model.n_iter_ - 1}']`` for the last one.
    converged_ : bool
        Whether ``tol`` stopped the iterations (always False for tol=None).
    weights_, means_, covariances_ : ndarray
        Final parameters (as scikit-learn's attributes).

    Examples
    --------
    >>> import numpy as np
    >>> from emgmm import GaussianMixtureEM
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(6, 1, (100, 2))])
    >>> model = GaussianMixtureEM(K=2, num_iterations=20, random_state=0)
    >>> results = model.fit_fast(X)
    >>> sorted(results)[:4]
    ['converged', 'cov', 'gamma', 'log_likelihood']
    >>> results['pis_dict'][f'Iteration_{model.num_iterations - 1}'].shape
    (1, 2)
    >>> results['gamma'].shape, len(results['log_likelihood'])
    ((200, 2), 20)
    """

    def __init__(
        self,
        K=4,
        num_iterations=50,
        allow_singular=False,
        *,
        tol=None,
        init="kmeans",
        random_state=None,
        reg_covar=0.0,
        covariance_type="full",
    ):
        self.K = K
        self.num_iterations = num_iterations
        self.allow_singular = allow_singular
        self.tol = tol
        self.init = init
        self.random_state = random_state
        self.reg_covar = reg_covar
        self.covariance_type = covariance_type

    # ------------------------------------------------------------------
    def _check_params(self, n_samples):
        def bad(name, expected, got, fix):
            raise InputError(invalid(name, expected, got, fix))

        if not isinstance(self.K, int | np.integer) or self.K < 1:
            bad("K", "an integer >= 1", self.K, "pass the number of components")
        if self.K > n_samples:
            bad("K", f"<= the number of points ({n_samples})", self.K, "use fewer")
        if not isinstance(self.num_iterations, int | np.integer) or (
            self.num_iterations < 1
        ):
            bad("num_iterations", "an integer >= 1", self.num_iterations, "use 50")
        if self.tol is not None and not (
            isinstance(self.tol, float | int) and self.tol >= 0
        ):
            bad("tol", "None or a float >= 0", self.tol, "use None or 1e-3")
        if self.init not in INIT_METHODS:
            bad("init", f"one of {INIT_METHODS}", self.init, "use 'kmeans'")
        if not isinstance(self.reg_covar, float | int) or self.reg_covar < 0:
            bad("reg_covar", "a float >= 0", self.reg_covar, "use 0.0 or 1e-6")
        if self.covariance_type not in COVARIANCE_TYPES:
            bad(
                "covariance_type",
                f"one of {COVARIANCE_TYPES}",
                self.covariance_type,
                "use 'full'",
            )
        if self.allow_singular and self.covariance_type != "full":
            bad(
                "covariance_type",
                "'full' when allow_singular=True",
                self.covariance_type,
                "use covariance_type='full'",
            )

    def _model(self):
        if self.allow_singular:
            return PseudoInverseFull()
        from ._covariance import MODELS

        return MODELS[self.covariance_type]

    # ------------------------------------------------------------------
    def fit_fast(self, X):
        """Run EM on ``X`` and return the notebook's result dict.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data (a DataFrame is accepted).

        Returns
        -------
        results : dict
            ``'pis_dict'``: ``'Initial'`` and ``'Iteration_0'`` ...
            ``'Iteration_{n_iter-1}'``, each an array of shape (1, K) of
            mixing proportions; ``'means'`` (K, d); ``'cov'`` (K, d, d) for
            'full'; ``'gamma'`` (N, K) responsibilities under the final
            parameters; ``'log_likelihood'``: list, entry ``i`` the total
            log-likelihood sum_n log p(x_n) under the parameters of
            ``'Iteration_i'``; ``'n_iter'``; ``'converged'``.

        Raises
        ------
        SingularCovarianceError
            With ``allow_singular=False``, when a covariance stops being
            positive definite (the message names component, iteration and
            smallest eigenvalue).
        InputError
            For invalid settings or data.
        """
        from sklearn.utils import check_array, check_random_state

        try:
            X = check_array(X, dtype=[np.float64, np.float32], ensure_min_samples=2)
        except ValueError as err:
            message = f"X is not valid data for GaussianMixtureEM: {err}"
            raise InputError(message) from None
        X = np.asarray(X, dtype=np.float64)
        n_samples = X.shape[0]
        self._check_params(n_samples)
        seed = DEFAULT_RANDOM_STATE if self.random_state is None else self.random_state
        engine = Engine(
            X,
            self._model(),
            float(self.reg_covar),
            None,
            np.float64,
            blas_threads(),
        )
        pis_dict = {}
        log_likelihood = []

        def on_iteration(n_iter, params, total, change):
            if n_iter > 1:
                log_likelihood.append(total)
            pis_dict[f"Iteration_{n_iter - 1}"] = params.weights.copy()[None, :]

        try:
            resp = initial_resp(
                X,
                self.K,
                self.init,
                check_random_state(seed),
                compiled=engine.use_kernels(self.K),
                n_threads=engine.n_threads,
            )
            nk, means, covariances = engine.parameters_from_resp(resp)
            del resp
            params = engine.make_params(nk / n_samples, means, covariances, -1)
            pis_dict["Initial"] = params.weights.copy()[None, :]
            result = run_em(
                engine,
                params,
                max_iter=self.num_iterations,
                tol=self.tol,
                on_iteration=on_iteration,
            )
            gamma = np.empty((n_samples, self.K))
            log_likelihood.append(engine.log_resp_pass(result.params, gamma))
        except SingularCovarianceError as err:
            raise self._singular(err) from None
        finally:
            engine.close()

        params = result.params
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.weights_ = params.weights
        self.means_ = params.means + engine.shift
        self.covariances_ = params.covariances
        self.log_likelihood_ = log_likelihood
        return {
            "pis_dict": pis_dict,
            "means": self.means_.copy(),
            "cov": self.covariances_.copy(),
            "gamma": gamma,
            "log_likelihood": log_likelihood,
            "n_iter": result.n_iter,
            "converged": result.converged,
        }

    @staticmethod
    def _singular(err):
        """The notebook's message: iterations counted from 0, and the fix."""
        iteration = err.iteration - 1 if err.iteration >= 0 else -1
        where = "the initialisation" if iteration < 0 else f"iteration {iteration}"
        return SingularCovarianceError(
            f"component {err.component} has a singular covariance at {where} "
            f"(smallest eigenvalue {err.min_eigenvalue:.3g}): {_FIX}",
            component=err.component,
            iteration=iteration,
            min_eigenvalue=err.min_eigenvalue,
        )

    fit = fit_fast

    def __repr__(self):
        return (
            f"GaussianMixtureEM(K={self.K}, num_iterations={self.num_iterations}, "
            f"allow_singular={self.allow_singular}, tol={self.tol}, "
            f"init={self.init!r}, random_state={self.random_state!r}, "
            f"reg_covar={self.reg_covar}, covariance_type={self.covariance_type!r})"
        )
