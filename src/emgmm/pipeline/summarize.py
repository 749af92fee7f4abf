"""Tables gathered across fits: scores, summary, model selection, stability."""

import numpy as np
import pandas as pd

from .compare import adjusted_rand, greedy_is_one_to_one, pairwise_ari, relabel
from .explain import continue_fits, explain_difference, identical, stopping, verdict

__all__ = [
    "CRITERIA_SIGN",
    "chosen_models",
    "comparison_scores",
    "model_name",
    "model_selection_table",
    "stability_table",
    "summary_table",
]

_KEY = ["dataset", "n_components", "covariance_type", "random_state"]


def comparison_scores(ours, theirs, matching, fit_ours, fit_theirs, X, y=None):
    """ARIs and matching figures of one emgmm/sklearn pair, with an explanation.

    Where the two fits differ, both are continued from their final parameters
    to a tight tolerance (:func:`emgmm.pipeline.explain.continue_fits`) and the
    explanation says what that measured.

    Parameters
    ----------
    ours, theirs : dict
        Fit records (from :func:`emgmm.pipeline.fitting.fit_mixture`).
    matching : pandas.DataFrame
        From :func:`emgmm.pipeline.compare.match_components`.
    fit_ours, fit_theirs : mapping
        Fit arrays (from :func:`emgmm.pipeline.fitting.fit_mixture`): ``labels``,
        ``weights``, ``means``, ``precisions``.
    X : ndarray of shape (n_samples, n_features)
        The points both were fitted to (the embedding, or the features with
        ``fit_space: features``).
    y : ndarray or None
        Ground truth, when known.

    Returns
    -------
    dict
        JSON-able. ``label_agreement`` is the fraction of points that the two
        fits put in the same component once our components are renamed to
        their one-to-one partners (``matching``); ``continuation`` holds the
        measurements of :func:`~emgmm.pipeline.explain.continue_fits` (None when the
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


#: summary.tsv's ``criteria_sign`` column: its criteria keep scikit-learn's
#: sign (mclust's BIC, in results/{dataset}/mclust_bic.tsv, is the opposite)
CRITERIA_SIGN = (
    "bic, aic, icl: scikit-learn's sign, lower is better: "
    "bic = -2 log L + p log n, aic = -2 log L + 2 p, icl = bic + 2 entropy"
)
# Each fit's own numbers, as <implementation>_<name> columns.
_FIT_COLUMNS = [
    "stopping",
    "fit_rows",
    "n_iter",
    "converged",
    "log_likelihood",
    "mean_log_likelihood",
    "bic",
    "aic",
    "icl",
]
_PAIR_COLUMNS = [
    "ari_emgmm_truth",
    "ari_sklearn_truth",
    "ari_emgmm_sklearn",
    "label_agreement",
    "max_mean_distance",
    "max_weight_difference",
    "max_covariance_difference",
    "greedy_one_to_one",
]
# What continuing both fits measured (empty when the fits are identical):
# per pair, and per fit.
_CONTINUATION_PAIR_COLUMNS = [
    "same_optimum",
    "continued_max_mean_distance",
    "continued_log_likelihood_difference",
]
_CONTINUATION_FIT_COLUMNS = [
    "stopped_short_by",
    "continued_n_iter",
    "continued_converged",
    "continued_mean_log_likelihood",
]


def summary_table(pairs, chosen=()):
    """One row per emgmm/sklearn pair: the verdict first, the detail after.

    Parameters
    ----------
    pairs : iterable of (dataset, emgmm_record, sklearn_record, scores)
    chosen : collection of tuple, default=()
        ``(dataset, n_components, covariance_type, random_state)`` of the
        model each dataset's model selection chose
        (:func:`model_selection_table`).

    Returns
    -------
    pandas.DataFrame
        Sorted by dataset, K, covariance type and seed. The first columns
        answer whether the two fits agree and which model the data choose:

        * ``agreement``: ``identical``, ``same optimum``, ``different
          optima`` or ``differ`` (not measured), and ``verdict``, the
          sentence behind it (:func:`emgmm.pipeline.explain.verdict`);
        * ``chosen``: True on the model the dataset's criterion chose.

        Then the scores of the pair (ARIs against the truth and between the
        fits, ``label_agreement``, matching), each fit's numbers as
        ``emgmm_*`` and ``sklearn_*`` columns (``stopping`` says how it
        stopped, :func:`emgmm.pipeline.explain.stopping`; ``bic``, ``aic``, ``icl``
        in scikit-learn's sign, :data:`CRITERIA_SIGN`), what continuing
        both measured where they differ (:func:`emgmm.pipeline.explain.continue_fits`),
        the data's size, the space fitted, and the full ``explanation``.
    """
    chosen = set(chosen)
    rows = []
    for dataset, ours, theirs, scores in pairs:
        key = (
            dataset,
            ours["n_components"],
            ours["covariance_type"],
            ours["random_state"],
        )
        agreement, sentence = verdict(scores)
        row = dict(zip(_KEY, key, strict=True))
        row.update(agreement=agreement, verdict=sentence, chosen=key in chosen)
        row.update({c: scores[c] for c in _PAIR_COLUMNS})
        cont = scores.get("continuation") or {}
        for rec in (ours, theirs):
            name = rec["implementation"]
            own = {
                "fit_rows": rec["n_samples"],  # records older than fit_rows
                **rec,
                "stopping": stopping(rec),
            }
            row.update({f"{name}_{c}": own[c] for c in _FIT_COLUMNS})
        row.update({c: cont.get(c) for c in _CONTINUATION_PAIR_COLUMNS})
        for rec in (ours, theirs):
            name = rec["implementation"]
            own = cont.get(name, {})
            row.update({f"{name}_{c}": own.get(c) for c in _CONTINUATION_FIT_COLUMNS})
        row.update(
            n_parameters=ours["n_parameters"],
            criteria_sign=CRITERIA_SIGN,
            n_samples=ours["n_samples"],
            n_features=ours["n_features"],
            fit_space=ours.get("fit_space", "embedding"),
            emgmm_tol=ours["tol"],
            sklearn_tol=theirs["tol"],
            threads=ours["threads"],
            explanation=scores["explanation"],
        )
        rows.append(row)
    df = pd.DataFrame(rows)
    return df.sort_values(_KEY, kind="stable").reset_index(drop=True)


# mclust's models against the emgmm fits: one table, one sign.
#: ``fitted_by`` of the rows of mclust's models in :func:`model_selection_table`
MCLUST_START = "emgmm.mclust (hierarchical start)"
#: ``fitted_by`` of the rows of the emgmm fits in :func:`model_selection_table`
EMGMM_START = "emgmm (k-means start, best seed)"


def model_selection_table(records, criterion="bic", mclust_bic=None):
    """Criteria of every fit of one dataset, marking the best seed and the chosen model.

    For each (K, covariance type) the seed with the highest log-likelihood
    stands for the model (as ``n_init`` would pick it); the chosen model has
    the lowest ``criterion`` among those and, with ``criterion="bic"``,
    among mclust's models (``mclust_bic``): one answer to "which model",
    whichever family it comes from.

    Parameters
    ----------
    records : list of dict
        emgmm's fit records of one dataset.
    criterion : {"bic", "aic", "icl"}, default="bic"
    mclust_bic : pandas.DataFrame or None, default=None
        :func:`emgmm.mclust.bic`'s table (index ``G``, one column per
        model, mclust's sign ``2 log L - p log n``). Its rows join the table
        with ``bic = -BIC``: scikit-learn's sign, lower is better. Only BIC
        is compared across the two families (mclust's table has no AIC).

    Returns
    -------
    pandas.DataFrame
        One row per fit (emgmm) and per mclust model and G: ``fitted_by``
        (:data:`EMGMM_START` or :data:`MCLUST_START`), ``n_components``,
        ``covariance_type`` (a scikit-learn type or an mclust model name;
        full is mclust's VVV, tied EEE, diag VVI, spherical VII: they differ
        only by their start), the criteria in scikit-learn's sign and
        ``mclust_bic`` (``-bic``, mclust's sign), ``best_seed`` and
        ``chosen``.
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
    df.insert(0, "fitted_by", EMGMM_START)
    if mclust_bic is not None:
        long = mclust_bic.rename_axis("n_components").reset_index()
        long = long.melt("n_components", var_name="covariance_type", value_name="b")
        extra = pd.DataFrame(
            {
                "fitted_by": MCLUST_START,
                "n_components": long["n_components"].astype(int),
                "covariance_type": long["covariance_type"],
                "bic": -long["b"].astype(float),
                "best_seed": long["b"].notna(),  # a failed fit is no candidate
            }
        )
        df = pd.concat([df, extra], ignore_index=True)
    df["mclust_bic"] = -df["bic"]
    candidates = df[df["best_seed"]]
    chosen = candidates[criterion].idxmin()
    df["chosen"] = df.index == chosen
    df["criterion"] = criterion
    return df.reset_index(drop=True)


def model_name(row):
    """``K=3 full`` for an emgmm fit, ``G=6 VVV`` for one of mclust's models."""
    prefix = "G" if row["fitted_by"] == MCLUST_START else "K"
    return f"{prefix}={int(row['n_components'])} {row['covariance_type']}"


def chosen_models(tables, infos):
    """One row per dataset: the model its criterion chose, and how.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Each dataset's :func:`model_selection_table`.
    infos : dict of str to dict
        Each dataset's description: ``n_samples``, ``fit_space`` and the
        preprocessing (``scale``, ``pca``).

    Returns
    -------
    pandas.DataFrame
        ``dataset``, ``model`` (e.g. ``K=3 full``, ``G=6 VVV``),
        ``n_components``, ``covariance_type``, ``fitted_by``, ``criterion``
        and its ``value`` (scikit-learn's sign: lower is better) with the
        next best model and the difference to it, then the data's
        ``n_samples``, ``fit_space``, ``scale`` and ``pca``.
    """
    rows = []
    for dataset, table in tables.items():
        criterion = table["criterion"].iloc[0]
        candidates = table[table["best_seed"]].sort_values(criterion, kind="stable")
        best = candidates.iloc[0]
        row = {
            "dataset": dataset,
            "model": model_name(best),
            "n_components": int(best["n_components"]),
            "covariance_type": best["covariance_type"],
            "fitted_by": best["fitted_by"],
            "random_state": best["random_state"],
            "criterion": criterion,
            "value": float(best[criterion]),
        }
        if len(candidates) > 1:
            runner = candidates.iloc[1]
            row["runner_up"] = model_name(runner)
            row["lead"] = float(runner[criterion] - best[criterion])
        info = infos.get(dataset, {})
        row.update({k: info.get(k) for k in ("n_samples", "fit_space", "scale", "pca")})
        rows.append(row)
    return pd.DataFrame(rows)


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
