"""Why two fits differ, measured: continue each to a tight tolerance and compare.

Two fits of the same data with the same initialisation may still end at
different parameters: one stopped early (a loose ``tol``, or ``max_iter``
reached) or they climbed to different local optima. Which one it was is not
guessed here. :func:`continue_fits` restarts EM from each fit's final
parameters with a tight tolerance and measures where each one ends;
:func:`explain_difference` turns those measurements into one sentence.
"""

import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from .. import InputError

__all__ = [
    "IDENTICAL_MEANS",
    "agreement",
    "continue_fits",
    "explain_difference",
    "identical",
    "stopping",
    "verdict",
]

NAMES = ("emgmm", "sklearn")
# Two fits whose matched means are this close and whose labels agree are
# identical: there is nothing to explain and nothing is continued.
IDENTICAL_MEANS = 1e-6


def identical(max_distance, ari):
    """Whether two fits are the same (matched means within 1e-6, ARI 1)."""
    return bool(max_distance < IDENTICAL_MEANS and ari == 1.0)


def _continue_one(X, fit, *, covariance_type, reg_covar, tol, max_iter):
    """EM from the parameters of ``fit``; the estimator after it stopped."""
    from .. import GaussianMixture  # the public estimator (imported lazily)

    weights = np.asarray(fit["weights"], dtype=np.float64)
    gm = GaussianMixture(
        n_components=len(weights),
        covariance_type=covariance_type,
        reg_covar=reg_covar,
        tol=tol,
        max_iter=max_iter,
        # All three parameters are given: init_params only decides how the
        # (discarded) initial responsibilities are drawn; the cheapest one.
        init_params="random_from_data",
        weights_init=weights,
        means_init=np.asarray(fit["means"], dtype=np.float64),
        precisions_init=np.asarray(fit["precisions"], dtype=np.float64),
        random_state=0,
        history="none",
    )
    with warnings.catch_warnings():
        # Not reaching tol within max_iter is measured, not warned about.
        warnings.filterwarnings("ignore", message=".*converge.*")
        gm.fit(X)
    return gm


def continue_fits(
    X,
    fits,
    *,
    covariance_type,
    reg_covar,
    tol=1e-10,
    max_iter=10_000,
    same_means=1e-3,
    same_log_likelihood=1e-7,
    threads=1,
):
    """Continue two fits from their final parameters to a tight tolerance.

    Each fit is restarted with :class:`emgmm.GaussianMixture` from its final
    weights, means and precisions (``weights_init``, ``means_init``,
    ``precisions_init``) with the same ``reg_covar`` and runs until the mean
    log-likelihood changes by less than ``tol`` between iterations, or
    ``max_iter`` iterations. One engine continues both fits: emgmm's EM is
    scikit-learn's (the same E- and M-step formulas, equal to about 1e-12;
    ``tests/library/test_parity.py``), so continuing scikit-learn's fit with it is what
    scikit-learn would do with a smaller ``tol``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data both fits were fitted to.
    fits : mapping of str to mapping
        Two fits, ``{"emgmm": ..., "sklearn": ...}``, each with ``weights``
        (n_components,), ``means`` (n_components, n_features) and
        ``precisions`` (shape as ``precisions_`` for ``covariance_type``).
    covariance_type : {"full", "tied", "diag", "spherical"}
        Of both fits.
    reg_covar : float
        Of both fits; the continued M-steps add the same regularisation.
    tol : float, default=1e-10
        Convergence threshold of the continuation (on the mean log-likelihood
        per sample, as scikit-learn's ``tol``).
    max_iter : int, default=10000
        Most iterations each continuation may take.
    same_means : float, default=1e-3
        The continued optima are the same when their matched means (one-to-one,
        by distance) are at most ``same_means`` times the data's scale (the
        root mean variance of the columns of ``X``) apart ...
    same_log_likelihood : float, default=1e-7
        ... and their mean log-likelihoods differ by at most this much.
    threads : int, default=1
        BLAS threads.

    Raises
    ------
    InputError
        If a fit has no ``precisions`` (fits written by an older emgmm).

    Returns
    -------
    dict
        JSON-able measurements:

        * ``tol``, ``max_iter``: of the continuation;
        * per fit name (``"emgmm"``, ``"sklearn"``) a dict with
          ``mean_log_likelihood`` (of the fit's own parameters),
          ``continued_mean_log_likelihood``, ``continued_n_iter`` (iterations
          the continuation ran), ``continued_converged`` (reached ``tol``
          within ``max_iter``) and ``stopped_short_by`` (continued minus own
          mean log-likelihood: what the fit left on the table);
        * ``continued_max_mean_distance``: largest distance between matched
          means of the two continued fits; ``scale``: the data's scale;
        * ``continued_log_likelihood_difference``: emgmm's continued mean
          log-likelihood minus sklearn's;
        * ``same_optimum``: whether both continued fits reached the same
          optimum, by the two thresholds above.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from emgmm import GaussianMixture
    >>> X, _ = make_blobs(300, 2, centers=3, random_state=0)
    >>> fits = {}
    >>> for name, max_iter in (("emgmm", 200), ("sklearn", 2)):
    ...     gm = GaussianMixture(3, random_state=0, max_iter=max_iter, tol=0).fit(X)
    ...     fits[name] = {"weights": gm.weights_, "means": gm.means_,
    ...                   "precisions": gm.precisions_}
    >>> out = continue_fits(X, fits, covariance_type="full", reg_covar=1e-6)
    >>> bool(out["same_optimum"]), out["sklearn"]["stopped_short_by"] > 0
    (True, True)
    """
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    X = np.asarray(X, dtype=np.float64)
    for name in NAMES:
        if "precisions" not in fits[name]:
            raise InputError(
                f"the {name} fit has no 'precisions' (written by an older emgmm); "
                "rerun the fits, e.g. snakemake --forcerun fit_em fit_sklearn"
            )
    out = {"tol": float(tol), "max_iter": int(max_iter)}
    continued = {}
    with threadpool_limits(limits=threads):
        for name in NAMES:
            fit = fits[name]
            gm = _continue_one(
                X,
                fit,
                covariance_type=covariance_type,
                reg_covar=reg_covar,
                tol=tol,
                max_iter=max_iter,
            )
            # The first lower bound is the E-step on the given parameters:
            # the fit's own mean log-likelihood.
            own = float(gm.lower_bounds_[0])
            final = float(gm.score(X))
            continued[name] = gm
            out[name] = {
                "mean_log_likelihood": own,
                "continued_mean_log_likelihood": final,
                "continued_n_iter": int(gm.n_iter_),
                "continued_converged": bool(gm.converged_),
                "stopped_short_by": final - own,
            }
    dist = cdist(continued["emgmm"].means_, continued["sklearn"].means_)
    rows, cols = linear_sum_assignment(dist)
    scale = float(np.sqrt(np.mean(np.var(X, axis=0))))
    out["scale"] = scale
    out["continued_max_mean_distance"] = float(dist[rows, cols].max())
    out["continued_log_likelihood_difference"] = (
        out["emgmm"]["continued_mean_log_likelihood"]
        - out["sklearn"]["continued_mean_log_likelihood"]
    )
    out["same_means"] = float(same_means)
    out["same_log_likelihood"] = float(same_log_likelihood)
    out["same_optimum"] = bool(
        out["continued_max_mean_distance"] <= same_means * scale
        and abs(out["continued_log_likelihood_difference"]) <= same_log_likelihood
    )
    return out


def stopping(record):
    """How a fit stopped, in words: what its stopping rule did.

    scikit-learn's ``converged_`` is False for a fit run with ``tol=0``
    (the change of the log-likelihood is never below 0), although such a
    fit did what it was asked: run ``max_iter`` iterations with no stopping
    rule. Whether those reached the optimum is measured by continuing the
    fit (:func:`continue_fits`), not said by ``converged_``.

    Parameters
    ----------
    record : dict
        A fit record (:func:`emgmm.pipeline.fitting.fit_mixture`): ``tol``,
        ``converged``, ``n_iter`` and ``max_iter``; ``fit_rows`` and
        ``n_samples`` where it was fitted to a sample of the rows.

    Returns
    -------
    str

    Examples
    --------
    >>> stopping({"tol": 0.0, "converged": False, "n_iter": 50, "max_iter": 50})
    'ran all 50 iterations (tol=0: no stopping rule)'
    >>> stopping({"tol": 1e-3, "converged": True, "n_iter": 12, "max_iter": 100})
    'met tol=0.001 after 12 iterations'
    >>> stopping({"tol": 1e-3, "converged": True, "n_iter": 9, "max_iter": 100,
    ...           "fit_rows": 1000, "n_samples": 20000})
    'met tol=0.001 after 9 iterations, on a seeded sample of 1,000 of 20,000 rows'
    """
    n, tol = record["n_iter"], record["tol"]
    if tol == 0:
        words = f"ran all {n} iterations (tol=0: no stopping rule)"
    elif record["converged"]:
        words = f"met tol={tol:g} after {n} iterations"
    else:
        words = f"reached max_iter={record['max_iter']} before meeting tol={tol:g}"
    rows, n_samples = record.get("fit_rows"), record.get("n_samples")
    if rows is not None and n_samples is not None and rows < n_samples:
        words += f", on a seeded sample of {rows:,} of {n_samples:,} rows"
    return words


def _stopped(record, name):
    return f"{name} {stopping(record)}"


def _gap(value, digits=3):
    # Below 1e-12 per sample the difference is rounding, its sign too.
    return "less than 1e-12" if abs(value) < 1e-12 else f"{value:.{digits}g}"


def agreement(max_distance, ari, continuation):
    """The word for how two fits compare: what :func:`explain_difference`'s
    sentence starts with and :func:`verdict` returns.

    ``identical`` (matched means within :data:`IDENTICAL_MEANS`, the same
    labels), ``differ`` (not continued: not measured), ``same optimum`` or
    ``different optima`` (as the continuation measured).
    """
    if identical(max_distance, ari):
        return "identical"
    if continuation is None:
        return "differ"
    return "same optimum" if continuation["same_optimum"] else "different optima"


def explain_difference(ours, theirs, *, max_distance, ari, continuation=None):
    """One sentence on whether and why two fits differ, from measurements.

    Parameters
    ----------
    ours, theirs : dict
        Records from :func:`emgmm.pipeline.fitting.fit_mixture` (emgmm first).
    max_distance : float
        Largest distance between matched means of the two fits.
    ari : float
        Adjusted Rand index of the two labelings.
    continuation : dict or None, default=None
        From :func:`continue_fits`; needed when the fits are not identical.

    Returns
    -------
    str
        ``identical: ...`` when matched means are within 1e-6 and the labels
        agree; otherwise ``same optimum: ...`` or ``different optima: ...``
        with what the continuation measured: how far each fit had stopped
        short of its optimum (mean log-likelihood per sample) and how many
        more iterations it took, or which optimum is higher and by how much.
        Without a continuation: ``differ: ...`` and that the reason was not
        measured.

    Examples
    --------
    >>> rec = {"tol": 0.001, "converged": True, "n_iter": 12}
    >>> explain_difference(rec, rec, max_distance=0.0, ari=1.0)
    'identical: matched means within 1e-06 and the same labels'
    """
    word = agreement(max_distance, ari, continuation)
    if word == "identical":
        return (
            f"identical: matched means within {IDENTICAL_MEANS:g} and the same labels"
        )
    stopped = f"{_stopped(ours, 'emgmm')}, {_stopped(theirs, 'sklearn')}"
    if word == "differ":
        return (
            f"differ: matched means up to {max_distance:.3g} apart, ARI {ari:.4f} "
            f"({stopped}); not continued, so whether they share an optimum was "
            "not measured"
        )
    c = continuation
    fits = [
        f"{name} {_gap(c[name]['stopped_short_by'])} "
        f"({c[name]['continued_n_iter']} more iterations)"
        for name in NAMES
    ]
    diff = c["continued_log_likelihood_difference"]
    head = f"continued from their final parameters to tol={c['tol']:g}"
    if word == "same optimum":
        text = (
            f"same optimum: {head}, both reach it (matched means "
            f"{c['continued_max_mean_distance']:.2g} apart, mean log-likelihoods "
            f"within {abs(diff):.2g}); per sample, it is higher than where "
            f"they stopped by: {', '.join(fits)}; {stopped}"
        )
    else:
        if abs(diff) <= c["same_log_likelihood"]:
            which = f"of equal mean log-likelihood (within {abs(diff):.2g})"
        else:
            higher = "emgmm" if diff > 0 else "sklearn"
            which = f"{higher}'s is higher by {abs(diff):.3g} per sample"
        text = (
            f"different optima: {head}, they reach different optima (matched "
            f"means up to {c['continued_max_mean_distance']:.3g} apart); {which}; "
            f"per sample, each optimum is higher than where its fit stopped by: "
            f"{', '.join(fits)}; {stopped}"
        )
    unfinished = [n for n in NAMES if not c[n]["continued_converged"]]
    if unfinished:
        text += (
            f"; the continuation of {' and '.join(unfinished)} did not reach "
            f"tol within {c['max_iter']} iterations"
        )
    return text


def verdict(scores):
    """Whether two fits agree, in one word and one short sentence.

    Parameters
    ----------
    scores : dict
        From :func:`emgmm.pipeline.summarize.comparison_scores`:
        ``max_mean_distance``, ``ari_emgmm_sklearn`` and ``continuation``
        (what continuing both fits measured; None for identical fits).

    Returns
    -------
    agreement : str
        :func:`agreement`'s word: ``identical``, ``same optimum`` (they
        differ only because at least one stopped before it), ``different
        optima`` or ``differ`` (not continued: not measured).
    sentence : str
        What a reader needs to act on: which fit stopped short of the
        shared optimum and by how much (mean log-likelihood per sample), or
        which optimum is higher.

    Examples
    --------
    >>> cont = {"same_optimum": True, "continued_log_likelihood_difference": 0.0,
    ...         "emgmm": {"stopped_short_by": 0.0, "continued_n_iter": 1},
    ...         "sklearn": {"stopped_short_by": 2.4e-4, "continued_n_iter": 210}}
    >>> verdict({"max_mean_distance": 0.02, "ari_emgmm_sklearn": 0.99,
    ...          "continuation": cont})[1]
    'sklearn stopped 0.00024 per sample below the optimum both reach \
(210 more iterations); emgmm less than 1e-12'
    """
    c = scores.get("continuation")
    word = agreement(scores["max_mean_distance"], scores["ari_emgmm_sklearn"], c)
    if word == "identical":
        return word, "the same parameters and labels"
    if word == "differ":
        return word, "not continued: whether they share an optimum was not measured"
    if word == "same optimum":
        short = sorted(NAMES, key=lambda n: -c[n]["stopped_short_by"])
        first, second = (c[n] for n in short)
        return word, (
            f"{short[0]} stopped {_gap(first['stopped_short_by'], 2)} per sample "
            f"below the optimum both reach ({first['continued_n_iter']} more "
            f"iterations); {short[1]} {_gap(second['stopped_short_by'], 2)}"
        )
    diff = c["continued_log_likelihood_difference"]
    if abs(diff) <= c["same_log_likelihood"]:
        return word, f"of equal mean log-likelihood (within {abs(diff):.2g})"
    higher = "emgmm" if diff > 0 else "sklearn"
    return word, f"{higher}'s optimum is higher by {abs(diff):.2g} per sample"
