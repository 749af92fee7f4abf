"""The EM loop and the initial responsibilities, shared by both front-ends.

:func:`run_em` is the one EM loop of emgmm's estimators:
:class:`emgmm.GaussianMixture` and the notebook's
:class:`emgmm.GaussianMixtureEM` both call it and differ only in what they do
in ``on_iteration`` (history, verbose messages, the notebook's ``pis_dict``).
It replays scikit-learn's ``BaseMixture.fit_predict``
(``sklearn/mixture/_base.py``): an E-step gives the lower bound (the weighted
mean of ``log p(x_i)``) of the current parameters, then the M-step; stop when
the bound changed by less than ``tol``.

:func:`emgmm.mclust.me` has a loop of its own because it replays a different
algorithm, R mclust's ``me()``: M-step first (from the given
responsibilities), the log-likelihood of the parameters just estimated, and a
relative stopping rule, ``|l_new - l_old| / (1 + |l_new|) < tol``, with
mclust's iterative M-steps inside. Where a fit must equal scikit-learn's
iteration for iteration, it is this loop; where it must equal R's, that one.
Both use one log-sum-exp (:mod:`emgmm._math`), one error hierarchy
(:mod:`emgmm._errors`) and one set of criteria (:mod:`emgmm.criteria`).
"""

from dataclasses import dataclass, field

import numpy as np

__all__ = ["EMResult", "initial_resp", "run_em", "sklearn_labels"]


@dataclass
class EMResult:
    """Outcome of one start of EM.

    ``history`` holds what ``run_em``'s ``record`` asked for: per iteration,
    the weights, means and covariances after its M-step, as segments of
    stacked arrays (``(weights, means, covariances)``, each of ``n`` rows;
    ``covariances`` None unless recorded).
    """

    params: object
    n_iter: int
    lower_bound: float
    lower_bounds: list = field(default_factory=list)
    converged: bool = False
    history: list = field(default_factory=list)


def run_em(
    engine,
    params,
    *,
    max_iter,
    tol,
    on_iteration=None,
    lower_bound=-np.inf,
    record="none",
):
    """EM iterations of one start, with sklearn's stopping rule.

    Parameters
    ----------
    engine : emgmm._engine.Engine
        Data, weights and the covariance model.
    params : emgmm._engine.Params
        Starting parameters.
    max_iter : int
        Maximum number of iterations (0 returns ``params`` unchanged).
    tol : float or None
        Stop when the lower bound changes by less than ``tol``; None runs all
        ``max_iter`` iterations.
    on_iteration : callable, default=None
        Called after each M-step as ``on_iteration(n_iter, params, total,
        change)``: ``params`` the new parameters, ``total`` the (weighted) sum
        of ``log p(x_i)`` under the previous ones and ``change`` the change of
        the lower bound.  With it the iterations run one at a time; without
        it, iterations the engine runs in one compiled call
        (:meth:`emgmm._engine.Engine.compiled_iterations`, with the same
        arithmetic) run there.
    lower_bound : float, default=-inf
        Lower bound of ``params`` (a warm start passes the previous one).
    record : {'none', 'means', 'covariances'}, default='none'
        What ``EMResult.history`` keeps of each iteration's parameters:
        nothing, the weights and means, or these and the covariances.

    Returns
    -------
    EMResult
    """
    result = EMResult(params, 0, lower_bound)
    with engine.blas_guard(params), engine.kernel_threads(params):
        if on_iteration is None:
            run, failed = None, False
            # in segments (the engine bounds what one call records)
            while result.n_iter < max_iter and not (result.converged or failed):
                run = engine.compiled_iterations(
                    result.params,
                    max_iter - result.n_iter,
                    tol,
                    result.lower_bound,
                    _RECORD[record],
                )
                if run is None:
                    break
                result.params, totals, history, result.converged, failed = run
                if len(totals):
                    bounds = (totals / engine.total_weight).tolist()
                    result.lower_bounds += bounds
                    result.lower_bound = bounds[-1]
                    result.n_iter += len(bounds)
                    if record != "none":
                        weights, means, covariances = history
                        if record != "covariances":
                            covariances = None
                        result.history.append((weights, means, covariances))
            if run is not None and not failed:
                return result
            # a covariance failed: the step below redoes it and raises
        for n_iter in range(result.n_iter + 1, max_iter + 1):
            previous = result.lower_bound
            total, result.params = engine.em_step(result.params, n_iter)
            result.lower_bound = total / engine.total_weight
            result.lower_bounds.append(result.lower_bound)
            result.n_iter = n_iter
            change = result.lower_bound - previous
            if record != "none":
                result.history.append(_stacked(result.params, record))
            if on_iteration is not None:
                on_iteration(n_iter, result.params, total, change)
            if tol is not None and abs(change) < tol:
                result.converged = True
                break
    return result


_RECORD = {"none": 0, "means": 1, "covariances": 2}


def _stacked(params, record):
    """One iteration's record: a segment of one row."""
    covariances = params.covariances[None].copy() if record == "covariances" else None
    return params.weights[None].copy(), params.means[None].copy(), covariances


def sklearn_labels(X, n_clusters, random_state, sample_weight=None):
    """``KMeans(n_clusters, n_init=1, random_state).fit(X).labels_``."""
    from sklearn.cluster import KMeans

    kmeans = KMeans(n_clusters=n_clusters, n_init=1, random_state=random_state)
    return kmeans.fit(X, sample_weight=sample_weight).labels_


def initial_resp(
    X,
    n_components,
    init_params,
    random_state,
    sample_weight=None,
    compiled=False,
    n_threads=1,
):
    """Initial responsibilities exactly as sklearn's ``_initialize_parameters``.

    ``random_state`` (a ``RandomState``) is consumed in the same order, so the
    whole sequence of starts replays scikit-learn's.  With ``sample_weight``,
    'kmeans' and 'k-means++' pass the weights to scikit-learn's k-means and
    'random_from_data' draws rows with probability proportional to their
    weight (rows of weight 0 are never drawn).  With ``compiled`` (the
    engine's kernels serve the data), 'kmeans' runs Lloyd's iterations in
    :mod:`emgmm._kmeans` on ``n_threads``; else scikit-learn's ``KMeans``.
    """
    from sklearn.cluster import kmeans_plusplus

    n_samples = X.shape[0]
    resp = np.zeros((n_samples, n_components), dtype=X.dtype)
    if init_params == "kmeans":
        if compiled:
            from ._kmeans import kmeans_labels

            label = kmeans_labels(
                X, n_components, random_state, sample_weight, n_threads
            )
        else:
            label = sklearn_labels(X, n_components, random_state, sample_weight)
        resp[np.arange(n_samples), label] = 1
    elif init_params == "random":
        resp = np.asarray(
            random_state.uniform(size=(n_samples, n_components)), dtype=X.dtype
        )
        resp /= np.sum(resp, axis=1)[:, np.newaxis]
    elif init_params == "random_from_data":
        p = None if sample_weight is None else sample_weight / sample_weight.sum()
        indices = random_state.choice(n_samples, size=n_components, replace=False, p=p)
        resp[indices, np.arange(n_components)] = 1
    else:  # "k-means++"
        _, indices = kmeans_plusplus(
            X, n_components, random_state=random_state, sample_weight=sample_weight
        )
        resp[indices, np.arange(n_components)] = 1
    return resp
