"""``emgmm.GaussianMixture``: the estimator (parameters, fit, predict, sample).

A faster drop-in for scikit-learn's ``GaussianMixture`` that follows
``sklearn/mixture/_base.py`` + ``_gaussian_mixture.py`` (scikit-learn 1.9.1)
step by step.  This module holds only the estimator: validation of its
parameters, the ``n_init`` starts and their tie rule, the fitted attributes
and the prediction methods.  The EM loop is :func:`emgmm._em.run_em`, the
passes over the data are :class:`emgmm._engine.Engine`'s and every
per-covariance-type formula is a model of :mod:`emgmm._covariance`.
"""

import warnings
from numbers import Integral, Real
from time import time

import numpy as np
from sklearn.base import BaseEstimator, DensityMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import _dask, criteria
from ._covariance import MODELS
from ._em import initial_resp, run_em
from ._engine import Engine, Params, blas_threads
from ._errors import SingularCovarianceError
from ._math import logsumexp_rows
from ._validation import (
    COVARIANCE_TYPES,
    HISTORY_OPTIONS,
    INIT_METHODS,
    check_init_means,
    check_init_weights,
    check_sample_weight,
)

__all__ = ["GaussianMixture"]

# lower bounds of two starts closer than this (relative) count as a tie
TIE_RTOL = 1e-12


class GaussianMixture(DensityMixin, BaseEstimator):
    """Gaussian mixture fitted by EM; drop-in for scikit-learn's.

    Same parameters, attributes, methods and results as
    :class:`sklearn.mixture.GaussianMixture` (scikit-learn 1.9.1): with the
    same ``random_state`` every fitted attribute agrees to 1e-10 (relative to
    the array's scale, float64) with the same ``n_iter_`` and ``converged_``
    wherever scikit-learn's own rounding allows it, and emgmm is never less
    accurate than scikit-learn (see Notes).  Each
    iteration is computed in one pass over the data: a fused numba kernel
    with at most 128 features (every covariance type), chunks of large matrix
    products above, several times faster and with a fraction of sklearn's
    memory.

    Parameters
    ----------
    n_components : int, default=1
        The number of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        Type of covariance parameters, as in scikit-learn.
    tol : float, default=1e-3
        Convergence threshold on the change of the mean log-likelihood per
        sample (sklearn's lower bound) between iterations.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of the covariances.
    max_iter : int, default=100
        The number of EM iterations to perform.
    n_init : int, default=1
        The number of initialisations; the best result is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, \
default='kmeans'
        How responsibilities (hence weights, means and covariances) are
        initialised, as in scikit-learn.
    weights_init : array-like of shape (n_components,), default=None
        User-provided initial weights.
    means_init : array-like of shape (n_components, n_features), default=None
        User-provided initial means.
    precisions_init : array-like, default=None
        User-provided initial precisions (inverse covariances); shape as
        ``precisions_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the initialisation (and of :meth:`sample`); the random state
        is used in exactly the same order as scikit-learn does.
    warm_start : bool, default=False
        Reuse the previous solution as initialisation (``n_init`` ignored).
    verbose : int, default=0
        Verbosity, as in scikit-learn.
    verbose_interval : int, default=10
        Iterations between messages.
    history : {'none', 'means', 'covariances'}, default='means'
        What to record per iteration in ``history_``: nothing, weights and
        means, or also covariances.
    dtype : {None, 'float64', 'float32'}, default=None
        Working precision.  ``None`` works like scikit-learn (float64, or
        float32 when the input is float32); attributes are float32 in
        'float32'.  Passes run by the numba kernel (at most 128 features)
        compute in float64 in either mode, from the data as given.  Passes
        run as NumPy chunks (more features) compute in float32 in 'float32'
        (on data shifted by their mean, with float64 accumulators and
        M-step); measured on that path against float64 on blobs (N=3000,
        K=3, d=3/16/64): means agree to 1e-6 relative or better, covariances
        to 3e-5 ('full'), 2e-6 ('tied'), 1.3e-4 ('diag') and 2e-5
        ('spherical'); ``tests/library/test_numerics.py`` asserts 1e-5 and 3e-4.
    chunk_size : int, default=None
        Rows per chunk; ``None`` chooses it so that a chunk's work arrays
        take about 4 MiB.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing proportions.
    means_ : ndarray of shape (n_components, n_features)
        Component means.
    covariances_ : ndarray
        Covariances; shape depends on ``covariance_type`` as in scikit-learn.
    precisions_ : ndarray
        Inverses of the covariances.
    precisions_cholesky_ : ndarray
        Cholesky factors of the precisions.
    converged_ : bool
        Whether the best start converged.
    n_iter_ : int
        Iterations of the best start.
    lower_bound_ : float
        Mean log-likelihood per sample of the best start (before its last
        M-step, as scikit-learn).
    lower_bounds_ : list of float
        Trace of the lower bound of the best start.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Feature names, when ``X`` has string feature names.
    history_ : dict
        ``'weights'`` (``n_iter_ + 1``, n_components) and ``'means'``
        (``n_iter_ + 1``, n_components, n_features); ``'covariances'`` when
        ``history='covariances'``.  Row 0 is after initialisation, row ``i``
        after the ``i``-th M-step; with ``n_init > 1`` of the best start.
        Empty dict when ``history='none'``.
    failed_inits_ : list of dict
        Starts (``n_init > 1``) abandoned because a covariance became
        singular: ``{'init': i, 'component': k, 'iteration': t,
        'min_eigenvalue': float, 'message': str}``.  scikit-learn instead
        aborts the whole fit; here the fit only fails if every start fails.
    init_rows_ : int
        Rows the start was computed from: ``n_samples``, or for a Dask array
        whose rows and responsibilities exceed 128 MiB the size of the
        seeded sample it started from (0 when every initial parameter was
        given).

    See Also
    --------
    emgmm.GaussianMixtureEM : The notebook interface on the same engine.

    Notes
    -----
    Each iteration is scikit-learn's E- and M-step in one pass over the data,
    with centred second moments: never less accurate than scikit-learn.
    ``sample_weight`` weighs every statistic, the lower bound and the start
    (all but ``init_params='random'``).  A singular covariance raises
    :class:`~emgmm.SingularCovarianceError` (a ``ValueError``); unlike
    scikit-learn, with ``n_init > 1`` only that start is dropped
    (``failed_inits_``), and starts whose lower bounds agree to 1e-12 keep
    the earlier one.  A Dask array (``fit``, ``predict``, ``score`` and the
    others) is processed one block of rows per task, the blocks' sums added
    in a fixed order: the same fit as in memory to 1e-10, the same bytes on
    any number of workers.  Details and measurements: :doc:`/estimator`
    (``docs/estimator.md``).

    Examples
    --------
    >>> import numpy as np
    >>> from emgmm import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> gm.means_
    array([[10.,  2.],
           [ 1.,  2.]])
    >>> gm.predict([[0, 0], [12, 3]])
    array([1, 0])
    >>> gm.history_["means"].shape
    (3, 2, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "covariance_type": [StrOptions(set(COVARIANCE_TYPES))],
        "tol": [Interval(Real, 0.0, None, closed="left")],
        "reg_covar": [Interval(Real, 0.0, None, closed="left")],
        "max_iter": [Interval(Integral, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init_params": [StrOptions(set(INIT_METHODS))],
        "weights_init": ["array-like", None],
        "means_init": ["array-like", None],
        "precisions_init": ["array-like", None],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "verbose_interval": [Interval(Integral, 1, None, closed="left")],
        "history": [StrOptions(set(HISTORY_OPTIONS))],
        "dtype": [StrOptions({"float32", "float64"}), None],
        "chunk_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        history="means",
        dtype=None,
        chunk_size=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.history = history
        self.dtype = dtype
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ fit
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Estimate model parameters with the EM algorithm.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Training data.  A Dask array is fitted block by block, never
            gathered whole (see Notes).
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like or Dask array of shape (n_samples,), \
default=None
            Non-negative weight of each row (see the class Notes); None gives
            every row weight 1.

        Returns
        -------
        self : object
            The fitted mixture.

        Raises
        ------
        SingularCovarianceError
            (a ``ValueError``) if a covariance stops being positive definite
            in every start.
        ValueError
            If ``sample_weight`` has the wrong size or negative, NaN or
            infinite entries.
        """
        self._fit(X, sample_weight, labels=False)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_predict(self, X, y=None, sample_weight=None):
        """Estimate model parameters using X and predict the labels for X.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like or Dask array of shape (n_samples,), \
default=None
            Non-negative weight of each row; None gives every row weight 1.

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
            Component labels (lazy for a Dask array).
        """
        return self._fit(X, sample_weight, labels=True)

    def _fit(self, X, sample_weight, labels):
        """Fit; with ``labels``, return the labels of a final E-step.

        That pass (scikit-learn makes it in ``fit`` too, and drops the
        labels) takes as long as an EM iteration: ``fit`` skips it.
        """
        dask = _dask.is_dask(X)
        if dask:
            X = _dask.check_rows(X)
            self.n_features_in_ = X.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            X = validate_data(
                self, X, dtype=[np.float64, np.float32], ensure_min_samples=2
            )
        if dask and X.shape[0] < 2:
            raise ValueError(
                f"X must have at least 2 rows to fit a mixture, got {X.shape[0]}"
            )
        if X.shape[0] < self.n_components:
            raise ValueError(
                "Expected n_samples >= n_components "
                f"but got n_components = {self.n_components}, "
                f"n_samples = {X.shape[0]}"
            )
        model = MODELS[self.covariance_type]
        inits = self._checked_inits(model, X.shape[1])
        dtype = X.dtype if self.dtype is None else np.dtype(self.dtype)
        settings = (model, self.reg_covar, self.chunk_size, dtype, blas_threads())
        if dask:
            engine = _dask.DaskEngine(X, *settings, sample_weight=sample_weight)
        else:
            sample_weight = check_sample_weight(sample_weight, X.shape[0])
            engine = Engine(X, *settings, sample_weight=sample_weight)
        try:
            best = self._best_start(engine, inits)
            result, start = best
            if not self.converged_ and self.max_iter > 0:
                warnings.warn(
                    "Best performing initialization did not converge. "
                    "Try different init parameters, or increase max_iter, "
                    "tol, or check for degenerate data.",
                    ConvergenceWarning,
                    stacklevel=2,
                )
            self._set_fitted(result.params, engine, dtype)
            self.n_iter_ = result.n_iter
            self.lower_bound_ = result.lower_bound if self.max_iter > 0 else -np.inf
            self.lower_bounds_ = result.lower_bounds
            self.history_ = self._history_arrays(start, result, engine)
            self._engine_shift = engine.shift
            # final E-step: labels consistent with fit(X).predict(X)
            return engine.labels(result.params) if labels else None
        finally:
            engine.close()

    def _best_start(self, engine, inits):
        """Run the ``n_init`` starts; keep the best (see the tie rule)."""
        do_init = not (self.warm_start and hasattr(self, "converged_"))
        n_init = self.n_init if do_init else 1
        random_state = check_random_state(self.random_state)
        if do_init:
            self.init_rows_ = 0  # set by the start, unless every init is given
        best = None
        self.converged_ = False
        self.failed_inits_ = []
        for init in range(n_init):
            self._print_verbose_msg_init_beg(init)
            try:
                if do_init:
                    params = self._initial_params(engine, random_state, *inits)
                    lower_bound = -np.inf
                else:
                    params = self._params_from_attributes(engine)
                    lower_bound = self.lower_bound_
                start = params

                def on_iteration(n_iter, params, total, change):
                    self._print_verbose_msg_iter_end(n_iter, change)

                result = run_em(
                    engine,
                    params,
                    max_iter=self.max_iter,
                    tol=self.tol,
                    lower_bound=lower_bound,
                    # verbose output runs the iterations one at a time
                    on_iteration=on_iteration if self.verbose else None,
                    record=self.history,
                )
            except SingularCovarianceError as err:
                if n_init == 1:
                    raise
                self._skip_failed_start(init, n_init, err)
                continue
            if self.max_iter > 0:
                self._print_verbose_msg_init_end(result.lower_bound, result.converged)
            if best is None or self._better(result, best[0]):
                best = (result, start)
                self.converged_ = result.converged and self.max_iter > 0
        if best is None:
            first = self.failed_inits_[0]
            raise SingularCovarianceError(
                f"All {n_init} initializations failed; first failure: "
                f"{first['message']}",
                component=first["component"],
                iteration=first["iteration"],
                min_eigenvalue=first["min_eigenvalue"],
            )
        return best

    def _better(self, result, best):
        """Tie rule: a later start must beat the best by more than rounding.

        Starts whose lower bounds agree to ``TIE_RTOL`` (1e-12) relative reach
        the same optimum (up to a permutation of components); the earlier
        start is kept, as sklearn's strict ``>`` does for exactly equal
        values.  With ``max_iter=0`` the first start is kept.
        """
        if self.max_iter == 0:
            return False
        if best.lower_bound == -np.inf:
            return True
        margin = TIE_RTOL * abs(best.lower_bound)
        return result.lower_bound > best.lower_bound + margin

    def _skip_failed_start(self, init, n_init, err):
        self.failed_inits_.append(
            {
                "init": init,
                "component": err.component,
                "iteration": err.iteration,
                "min_eigenvalue": err.min_eigenvalue,
                "message": str(err),
            }
        )
        warnings.warn(
            f"Initialization {init} of {n_init} failed and was skipped: {err}",
            UserWarning,
            stacklevel=3,
        )

    def _checked_inits(self, model, n_features):
        weights_init = means_init = precisions_init = None
        if self.weights_init is not None:
            weights_init = check_init_weights(self.weights_init, self.n_components)
        if self.means_init is not None:
            means_init = check_init_means(
                self.means_init, self.n_components, n_features
            )
        if self.precisions_init is not None:
            precisions_init = model.check_precisions(
                self.precisions_init, self.n_components, n_features
            )
        return weights_init, means_init, precisions_init

    def _initial_params(
        self, engine, random_state, weights_init, means_init, precisions_init
    ):
        model = engine.model
        weights = means = covariances = None
        if weights_init is None or means_init is None or precisions_init is None:
            start, X_start = engine.start_data(random_state, self.n_components)
            resp = initial_resp(
                X_start,
                self.n_components,
                self.init_params,
                random_state,
                start.sample_weight,
                compiled=start.use_kernels(self.n_components),
                n_threads=start.n_threads,
            )
            weights, means, covariances = start.parameters_from_resp(resp)
            del resp
            if weights_init is None:
                weights = weights / start.total_weight
            self.init_rows_ = start.n_samples
            if start is not engine:
                start.close()  # its worker threads (it may serve other starts)
        if weights_init is not None:
            weights = np.asarray(weights_init, dtype=np.float64)
        if means_init is not None:
            means = np.asarray(means_init, dtype=np.float64) - engine.shift
        if precisions_init is None:
            return engine.make_params(weights, means, covariances, -1)
        prec_chol = model.precision_cholesky_from_precisions(precisions_init)
        covariances = model.covariances_from_precision_cholesky(prec_chol)
        return self._params(weights, means, covariances, prec_chol)

    def _params(self, weights, means, covariances, prec_chol):
        """:class:`Params` from given factors (no Cholesky)."""
        model = MODELS[self.covariance_type]
        log_const = model.log_const(prec_chol, *means.shape)
        return Params(weights, means, covariances, prec_chol, log_const)

    def _params_from_attributes(self, engine):
        return self._params(
            np.asarray(self.weights_, dtype=np.float64),
            np.asarray(self.means_, dtype=np.float64) - engine.shift,
            np.asarray(self.covariances_, dtype=np.float64),
            np.asarray(self.precisions_cholesky_, dtype=np.float64),
        )

    def _set_fitted(self, params, engine, dtype):
        out = np.dtype(dtype)
        model = engine.model
        self.weights_ = params.weights.astype(out)
        self.means_ = (params.means + engine.shift).astype(out)
        self.covariances_ = params.covariances.astype(out)
        self.precisions_cholesky_ = params.prec_chol.astype(out)
        self.precisions_ = model.precisions(params.prec_chol).astype(out)

    def _history_arrays(self, start, result, engine):
        """``history_``: the start's parameters, then each iteration's."""
        if self.history == "none":
            return {}
        covariances = start.covariances
        if self.history == "covariances":
            covariances = covariances[None]
        rows = [(start.weights[None], start.means[None], covariances)]
        rows += result.history
        out = {
            "weights": np.concatenate([r[0] for r in rows]),
            "means": np.concatenate([r[1] for r in rows]) + engine.shift,
        }
        if self.history == "covariances":
            out["covariances"] = np.concatenate([r[2] for r in rows])
        return out

    # --------------------------------------------------------- prediction
    def _weighted_log_prob(self, X):
        """``log p(x | k) + log w_k`` for every row, by chunks."""
        dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        shift = np.asarray(self._engine_shift, dtype=np.float64)
        engine = Engine(
            X,
            MODELS[self.covariance_type],
            self.reg_covar,
            self.chunk_size,
            dtype,
            blas_threads() if X.shape[0] >= 100_000 else 1,
            shift,
        )
        params = self._params_from_attributes(engine)
        out = np.empty((X.shape[0], self.n_components), dtype=engine.dtype)
        with engine.blas_guard():
            for sl in engine.chunk_slices(self.n_components):
                out[sl] = engine.weighted_log_prob(params, sl)
        return out

    def _estimate_weighted_log_prob(self, X):
        """``log p(x | k) + log w_k`` (sklearn's private name)."""
        return self._weighted_log_prob(X)

    def _rowwise(self, X, func, n_columns=None, dtype=None):
        """``func`` of the validated rows: NumPy in, NumPy out; a Dask array
        in, a lazy Dask array out (``n_columns`` values per row, or one)."""
        check_is_fitted(self)
        if not _dask.is_dask(X):
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
            return func(X)
        X = _dask.check_rows(X, self.n_features_in_)
        if dtype is None:
            dtype = np.dtype(self.dtype) if self.dtype is not None else X.dtype
        return _dask.map_rows(func, X, n_columns, dtype)

    def _score_rows(self, X):
        return logsumexp_rows(self._weighted_log_prob(X))

    def _label_rows(self, X):
        return np.argmax(self._weighted_log_prob(X), axis=1)

    def _proba_rows(self, X):
        wlp = self._weighted_log_prob(X)
        with np.errstate(under="ignore"):
            return np.exp(wlp - logsumexp_rows(wlp)[:, None])

    def score_samples(self, X):
        """Compute the log-likelihood of each sample.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        log_prob : ndarray or Dask array of shape (n_samples,)
            Log-likelihood of each sample under the model (lazy for a Dask
            array).
        """
        return self._rowwise(X, self._score_rows)

    def score(self, X, y=None, sample_weight=None):
        """Compute the per-sample average log-likelihood of X.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Data points.
        y : Ignored
            Not used, present for API consistency.
        sample_weight : array-like or Dask array of shape (n_samples,), \
default=None
            Weights of the rows: the weighted mean is returned.

        Returns
        -------
        log_likelihood : float
            (Weighted) mean log-likelihood of X under the model.
        """
        log_prob = self.score_samples(X)
        if _dask.is_dask(log_prob):
            return _dask.weighted_mean(log_prob, sample_weight)
        weights = check_sample_weight(sample_weight, log_prob.shape[0])
        if weights is None:
            return float(np.mean(log_prob))
        keep = weights > 0
        return float(np.dot(weights[keep], log_prob[keep]) / weights.sum())

    def predict(self, X):
        """Predict the component label of each sample.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        labels : ndarray or Dask array of shape (n_samples,)
            Component labels (lazy for a Dask array).
        """
        return self._rowwise(X, self._label_rows, dtype=np.intp)

    def predict_proba(self, X):
        """Posterior probability of each component for each sample.

        Parameters
        ----------
        X : array-like or Dask array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        resp : ndarray or Dask array of shape (n_samples, n_components)
            Responsibilities (lazy for a Dask array).
        """
        return self._rowwise(X, self._proba_rows, self.n_components)

    def sample(self, n_samples=1):
        """Generate random samples from the fitted mixture (as sklearn).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Generated samples.
        y : ndarray of shape (n_samples,)
            Component labels.
        """
        check_is_fitted(self)
        if n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {self.n_components} . The "
                "sampling requires at least one sample."
            )
        rng = check_random_state(self.random_state)
        counts = rng.multinomial(n_samples, self.weights_)
        model = MODELS[self.covariance_type]
        X = model.sample(rng, self.means_, self.covariances_, counts)
        y = np.concatenate(
            [np.full(int(n), i, dtype=np.int64) for i, n in enumerate(counts)]
        )
        return np.asarray(X, dtype=np.float64), y

    def n_parameters(self):
        """Number of free parameters of the fitted model.

        Returns
        -------
        n_parameters : int
            Free parameters (as sklearn's ``_n_parameters``).
        """
        return criteria.n_parameters(
            self.covariance_type, self.n_components, self.means_.shape[1]
        )

    _n_parameters = n_parameters

    def bic(self, X):
        """Bayesian information criterion of the model on X.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        bic : float
            The lower the better.
        """
        n = X.shape[0]
        return criteria.bic(self.score(X) * n, self.n_parameters(), n)

    def aic(self, X):
        """Akaike information criterion of the model on X.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
            Data points.

        Returns
        -------
        aic : float
            The lower the better.
        """
        return criteria.aic(self.score(X) * X.shape[0], self.n_parameters())

    # ------------------------------------------------------------ verbose
    def _print_verbose_msg_init_beg(self, n_init):
        if self.verbose >= 1:
            print(f"Initialization {n_init}")
        if self.verbose >= 2:
            self._init_prev_time = time()
            self._iter_prev_time = self._init_prev_time

    def _print_verbose_msg_iter_end(self, n_iter, diff_ll):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            elif self.verbose >= 2:
                cur_time = time()
                print(
                    f"  Iteration {n_iter}\t time lapse "
                    f"{cur_time - self._iter_prev_time:.5f}s\t ll change {diff_ll:.5f}"
                )
                self._iter_prev_time = cur_time

    def _print_verbose_msg_init_end(self, lb, init_has_converged):
        converged_msg = "converged" if init_has_converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {converged_msg}.")
        elif self.verbose >= 2:
            t = time() - self._init_prev_time
            print(
                f"Initialization {converged_msg}. time lapse {t:.5f}s\t lower bound"
                f" {lb:.5f}."
            )
