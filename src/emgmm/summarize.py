"""Tables gathered across fits: scores, summary, model selection, stability."""

import numpy as np
import pandas as pd

from .compare import adjusted_rand, greedy_is_one_to_one, pairwise_ari, relabel
from .explain import continue_fits, explain_difference, identical

__all__ = [
    "CRITERIA_SIGN",
    "comparison_scores",
    "model_selection_table",
    "stability_table",
    "summary_table",
]

_KEY = ["dataset", "n_components", "covariance_type", "random_state"]


def comparison_scores(ours, theirs, matching, fit_ours, fit_theirs, X, y=None):
    """ARIs and matching figures of one emgmm/sklearn pair, with an explanation.

    Where the two fits differ, both are continued from their final parameters
    to a tight tolerance (:func:`emgmm.explain.continue_fits`) and the
    explanation says what that measured.

    Parameters
    ----------
    ours, theirs : dict
        Fit records (from :func:`emgmm.fitting.fit_mixture`).
    matching : pandas.DataFrame
        From :func:`emgmm.compare.match_components`.
    fit_ours, fit_theirs : mapping
        Fit arrays (from :func:`emgmm.fitting.fit_mixture`): ``labels``,
        ``weights``, ``means``, ``precisions``.
    X : ndarray of shape (n_samples, n_features)
        The data both were fitted to (the embedding).
    y : ndarray or None
        Ground truth, when known.

    Returns
    -------
    dict
        JSON-able. ``label_agreement`` is the fraction of points that the two
        fits put in the same component once our components are renamed to
        their one-to-one partners (``matching``); ``continuation`` holds the
        measurements of :func:`~emgmm.explain.continue_fits` (None when the
        fits are identical).
    """
    labels_ours, labels_theirs = fit_ours["labels"], fit_theirs["labels"]
    ari = adjusted_rand(labels_ours, labels_theirs)
    max_distance = float(matching["mean_distance"].max())
    continuation = None
    if not identical(max_distance, ari):
        continuation = continue_fits(
            X,
            {"emgmm": fit_ours, "sklearn": fit_theirs},
            covariance_type=ours["covariance_type"],
            reg_covar=ours["reg_covar"],
        )
    scores = {
        "ari_emgmm_sklearn": ari,
        "ari_emgmm_truth": None if y is None else adjusted_rand(labels_ours, y),
        "ari_sklearn_truth": None if y is None else adjusted_rand(labels_theirs, y),
        "max_mean_distance": max_distance,
        "max_weight_difference": float(matching["weight_difference"].abs().max()),
        "max_covariance_difference": float(matching["max_covariance_difference"].max()),
        "greedy_one_to_one": greedy_is_one_to_one(matching),
        "label_agreement": float(
            np.mean(relabel(labels_ours, matching) == labels_theirs)
        ),
        "continuation": continuation,
        "explanation": explain_difference(
            ours,
            theirs,
            max_distance=max_distance,
            ari=ari,
            continuation=continuation,
        ),
    }
    if not scores["greedy_one_to_one"]:
        scores["explanation"] += (
            "; WARNING: the notebook's greedy nearest-mean matching maps two "
            "components to the same sklearn component, the one-to-one "
            "(Hungarian) matching is used instead"
        )
    return scores


_RECORD_COLUMNS = [
    "n_iter",
    "max_iter",
    "tol",
    "converged",
    "log_likelihood",
    "mean_log_likelihood",
    "n_parameters",
    "bic",
    "aic",
    "icl",
    "n_samples",
    "n_features",
    "threads",
]
# summary.tsv's criteria keep scikit-learn's sign (mclust's BIC, in
# results/{dataset}/mclust_bic.tsv, is the opposite): this column says so.
CRITERIA_SIGN = (
    "bic, aic, icl: scikit-learn's sign, lower is better: "
    "bic = -2 log L + p log n, aic = -2 log L + 2 p, icl = bic + 2 entropy"
)
_SCORE_COLUMNS = [
    "ari_emgmm_sklearn",
    "ari_emgmm_truth",
    "ari_sklearn_truth",
    "max_mean_distance",
    "max_weight_difference",
    "max_covariance_difference",
    "greedy_one_to_one",
    "label_agreement",
    "explanation",
]
# What continuing both fits measured (empty when the fits are identical):
# per pair, and per fit (the row's implementation).
_CONTINUATION_PAIR_COLUMNS = [
    "same_optimum",
    "continued_max_mean_distance",
    "continued_log_likelihood_difference",
]
_CONTINUATION_FIT_COLUMNS = [
    "continued_mean_log_likelihood",
    "stopped_short_by",
    "continued_n_iter",
    "continued_converged",
]


def summary_table(pairs):
    """One row per fit (both implementations of every sweep point).

    Parameters
    ----------
    pairs : iterable of (dataset, emgmm_record, sklearn_record, scores)

    Returns
    -------
    pandas.DataFrame
        Sorted by dataset, K, covariance type, seed and implementation.
        ``criteria_sign`` names the sign of ``bic``, ``aic`` and ``icl``
        (:data:`CRITERIA_SIGN`: scikit-learn's, lower is better). Beside
        each fit's record and the pair's scores, where the fits differ, what
        continuing both measured (:func:`emgmm.explain.continue_fits`): for the
        pair ``same_optimum``, ``continued_max_mean_distance`` and
        ``continued_log_likelihood_difference`` (emgmm minus sklearn, per
        sample); for the row's fit ``continued_mean_log_likelihood``,
        ``stopped_short_by``, ``continued_n_iter`` and
        ``continued_converged``. Empty where the fits are identical.
    """
    rows = []
    for dataset, ours, theirs, scores in pairs:
        for rec in (ours, theirs):
            row = {
                "dataset": dataset,
                "implementation": rec["implementation"],
                "n_components": rec["n_components"],
                "covariance_type": rec["covariance_type"],
                "random_state": rec["random_state"],
            }
            row.update({c: rec[c] for c in _RECORD_COLUMNS})
            row["criteria_sign"] = CRITERIA_SIGN
            row.update({c: scores[c] for c in _SCORE_COLUMNS})
            cont = scores.get("continuation") or {}
            own = cont.get(rec["implementation"], {})
            row.update({c: cont.get(c) for c in _CONTINUATION_PAIR_COLUMNS})
            row.update({c: own.get(c) for c in _CONTINUATION_FIT_COLUMNS})
            rows.append(row)
    df = pd.DataFrame(rows)
    return df.sort_values([*_KEY, "implementation"], kind="stable").reset_index(
        drop=True
    )


def model_selection_table(records, criterion="bic"):
    """Criteria of every fit of one dataset, marking the best seed and the chosen model.

    For each (K, covariance type) the seed with the highest log-likelihood
    stands for the model (as ``n_init`` would pick it); the chosen model has
    the lowest ``criterion`` among those.
    """
    df = pd.DataFrame(records)[
        [
            "n_components",
            "covariance_type",
            "random_state",
            "n_iter",
            "converged",
            "log_likelihood",
            "n_parameters",
            "bic",
            "aic",
            "icl",
        ]
    ].sort_values(["covariance_type", "n_components", "random_state"], kind="stable")
    best = df.groupby(["n_components", "covariance_type"])["log_likelihood"].transform(
        "max"
    )
    df["best_seed"] = df["log_likelihood"] == best
    # Ties between seeds (same optimum): keep the first seed only.
    df["best_seed"] &= ~df.duplicated(["n_components", "covariance_type", "best_seed"])
    candidates = df[df["best_seed"]]
    chosen = candidates[criterion].idxmin()
    df["chosen"] = df.index == chosen
    df["criterion"] = criterion
    return df.reset_index(drop=True)


def stability_table(records, labels):
    """Agreement across seeds for each (K, covariance type) of one dataset.

    Parameters
    ----------
    records : list of dict
        Fit records of one implementation.
    labels : list of ndarray
        Hard labels, aligned with ``records``.

    Returns
    -------
    pandas.DataFrame
        ``n_seeds``, mean and minimum pairwise ARI between seeds' labelings
        (NaN with a single seed), and the range and standard deviation of the
        final log-likelihood.
    """
    df = pd.DataFrame(records)
    rows = []
    for (k, cov), idx in df.groupby(["n_components", "covariance_type"]).groups.items():
        idx = list(idx)
        ari = pairwise_ari([labels[i] for i in idx])
        off = ari[~np.eye(len(idx), dtype=bool)]
        ll = df.loc[idx, "log_likelihood"].to_numpy()
        rows.append(
            {
                "n_components": k,
                "covariance_type": cov,
                "n_seeds": len(idx),
                "seeds": " ".join(str(s) for s in df.loc[idx, "random_state"]),
                "mean_pairwise_ari": float(off.mean()) if off.size else np.nan,
                "min_pairwise_ari": float(off.min()) if off.size else np.nan,
                "log_likelihood_range": float(ll.max() - ll.min()),
                "log_likelihood_std": float(ll.std()),
            }
        )
    return (
        pd.DataFrame(rows)
        .sort_values(["covariance_type", "n_components"], kind="stable")
        .reset_index(drop=True)
    )
