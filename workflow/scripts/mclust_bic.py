"""mclust's BIC table and chosen model over K and the config's mclust models."""

import logging

import numpy as np
from threadpoolctl import threadpool_limits

from emgmm import EmgmmError, InputError, mclust
from emgmm.pipeline import io, plots

logger = logging.getLogger(__name__)

# mclust's hierarchical start holds an n x n matrix of merge costs.
MAX_ROWS = 10_000


def main(smk):
    dataset = smk.wildcards.dataset
    X = io.load_npz(smk.input.points)[smk.params.space]
    if len(X) > MAX_ROWS:
        raise InputError(
            f"dataset {dataset!r}: mclust models need at most {MAX_ROWS} rows "
            f"(their hierarchical start holds an n x n matrix), got {len(X)}; "
            "remove the mclust names from covariance_types or subsample the data"
        )
    with threadpool_limits(limits=smk.threads, user_api="blas"):
        try:
            result = mclust.mclust(X, G=smk.params.G, models=smk.params.models)
        except EmgmmError as err:  # e.g. every fit singular: name the dataset
            raise InputError(f"dataset {dataset!r}: {err}") from None
    table = result.BIC.reset_index()
    io.save_table(smk.output.table, table)
    chosen = {
        "dataset": dataset,
        "model": result.model,
        "G": int(result.G),
        "bic": float(result.bic),
        "icl": float(result.icl),
        "loglik": float(result.loglik),
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "failed_fits": int(np.isnan(result.BIC.to_numpy()).sum()),
        "convention": "bic, icl: mclust's sign, 2 log L - p log n, higher is better",
        "scope": (
            "the best of mclust's models only; model_selection.tsv and "
            "results/chosen.tsv choose among these and the emgmm fits, in "
            "scikit-learn's sign (their bic is minus this one)"
        ),
    }
    logger.info("chosen mclust model: %s", chosen)
    io.save_json(smk.output.chosen, chosen)
    io.save_npz(
        smk.output.classification,
        classification=result.classification,
        uncertainty=result.uncertainty,
    )
    plots.save_figure(
        plots.plot_mclust_bic(result.BIC, f"mclust's models on {dataset}"),
        smk.output.figure,
    )


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
