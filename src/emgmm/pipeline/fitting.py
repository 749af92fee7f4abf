"""Fit one mixture (ours or scikit-learn's) and describe the result.

:func:`fit_mixture` runs either implementation with the same settings under a
fixed number of BLAS threads and returns a :class:`FitResult`: the arrays
(parameters, labels, per-iteration traces) and a JSON-able record (iterations,
convergence, final log-likelihood, BIC/AIC/ICL, threads and versions used).
Why two fits disagree is measured in :mod:`emgmm.pipeline.explain`.
"""

import warnings
from dataclasses import dataclass, field
from importlib.metadata import version

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from .. import EmgmmError, InputError
from ..criteria import information_criteria, n_parameters

__all__ = ["FitResult", "IMPLEMENTATIONS", "fit_mixture"]

IMPLEMENTATIONS = ("emgmm", "sklearn")


@dataclass
class FitResult:
    """Arrays and record of one fit (see :func:`fit_mixture`)."""

    arrays: dict
    record: dict = field(default_factory=dict)


def _estimator(implementation, **params):
    if implementation == "emgmm":
        from .. import GaussianMixture

        return GaussianMixture(**params)
    if implementation == "sklearn":
        from sklearn.mixture import GaussianMixture

        params.pop("history", None)
        return GaussianMixture(**params)
    raise InputError(
        f"implementation must be one of {', '.join(IMPLEMENTATIONS)}, "
        f"got {implementation!r}"
    )


def fit_mixture(
    X,
    *,
    implementation,
    n_components,
    covariance_type="full",
    random_state=0,
    max_iter=100,
    tol=1e-3,
    reg_covar=1e-6,
    n_init=1,
    init_params="kmeans",
    threads=1,
    max_rows=None,
):
    """Fit a Gaussian mixture with one implementation and summarise it.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    implementation : {"emgmm", "sklearn"}
    n_components, covariance_type, random_state, max_iter, tol, reg_covar, \
n_init, init_params
        As for :class:`sklearn.mixture.GaussianMixture`.
    threads : int, default=1
        BLAS threads for the fit (emgmm's numba kernels follow the same
        limit); recorded.
    max_rows : int or None, default=None
        Fit to a sample of at most this many rows, drawn without replacement
        by ``numpy.random.default_rng(random_state)`` (sorted); labels,
        responsibilities and the log-likelihood are still of every row.
        Recorded as ``fit_rows``.  None: every row.

    Returns
    -------
    FitResult
    """
    if n_components > X.shape[0]:
        raise InputError(
            f"n_components={n_components} is more than the {X.shape[0]} points; "
            "use a smaller K"
        )
    gm = _estimator(
        implementation,
        n_components=n_components,
        covariance_type=covariance_type,
        random_state=random_state,
        max_iter=max_iter,
        tol=tol,
        reg_covar=reg_covar,
        n_init=n_init,
        init_params=init_params,
        history="means",
    )
    fitted = X
    if max_rows is not None and X.shape[0] > max_rows:
        rng = np.random.default_rng(random_state)
        fitted = X[np.sort(rng.choice(X.shape[0], size=max_rows, replace=False))]
    with threadpool_limits(limits=threads), warnings.catch_warnings():
        # Not converging within max_iter is reported in the record, not as noise.
        warnings.filterwarnings("ignore", message=".*converge.*")
        try:
            gm.fit(fitted)
        except EmgmmError:
            raise
        except ValueError as err:
            # scikit-learn's collapsed-covariance error is about the data and
            # settings, not a bug: report it as one line, as emgmm does.
            if "ill-defined empirical covariance" not in str(err):
                raise
            raise InputError(f"{implementation}: {err}") from None
        resp = gm.predict_proba(X)
        log_likelihood = float(gm.score_samples(X).sum())
        # BLAS only: which other thread pools are loaded (OpenMP, say) depends
        # on what the process ran before, and a Snakemake process runs many
        # jobs (emgmm.pipeline.jobs). Sorted: threadpoolctl lists libraries in no
        # stable order, and the record must be byte-identical between runs.
        blas = sorted(
            (
                {k: info[k] for k in ("internal_api", "num_threads", "version")}
                for info in threadpool_info()
                if info["user_api"] == "blas"
            ),
            key=lambda b: (b["internal_api"], str(b["version"]), b["num_threads"]),
        )
    labels = resp.argmax(axis=1)
    n_params = n_parameters(covariance_type, n_components, X.shape[1])
    arrays = {
        "weights": gm.weights_,
        "means": gm.means_,
        "covariances": gm.covariances_,
        # The exact final state, for continuing the fit (emgmm.pipeline.explain).
        "precisions": gm.precisions_,
        "labels": labels,
        "max_resp": resp.max(axis=1),
        "lower_bounds": np.asarray(gm.lower_bounds_, dtype=np.float64),
    }
    history = getattr(gm, "history_", None)
    if history is not None:
        arrays["history_weights"] = history["weights"]
        arrays["history_means"] = history["means"]
    record = {
        "implementation": implementation,
        "n_components": n_components,
        "covariance_type": covariance_type,
        "random_state": random_state,
        "max_iter": max_iter,
        "tol": tol,
        "reg_covar": reg_covar,
        "n_init": n_init,
        "init_params": init_params,
        "n_samples": int(X.shape[0]),
        "fit_rows": int(fitted.shape[0]),
        "n_features": int(X.shape[1]),
        "n_iter": int(gm.n_iter_),
        "converged": bool(gm.converged_),
        "log_likelihood": log_likelihood,
        "mean_log_likelihood": log_likelihood / X.shape[0],
        "n_parameters": n_params,
        **information_criteria(log_likelihood, n_params, resp),
        "threads": threads,
        "blas": blas,
        "version": version("emgmm" if implementation == "emgmm" else "scikit-learn"),
    }
    return FitResult(arrays=arrays, record=record)
