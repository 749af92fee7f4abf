"""Fit one Gaussian mixture (emgmm or scikit-learn) to one dataset's points.

The points are the UMAP embedding or the preprocessed features, as the
config's ``fit_space`` says.
"""

import logging

from emgmm import InputError
from emgmm.pipeline import io
from emgmm.pipeline.fitting import fit_mixture

logger = logging.getLogger(__name__)


def main(smk):
    wc = smk.wildcards
    X = io.load_npz(smk.input.points)[smk.params.space]
    try:
        result = fit_mixture(
            X,
            implementation=smk.params.implementation,
            n_components=int(wc.k),
            covariance_type=wc.covariance_type,
            random_state=int(wc.seed),
            threads=smk.threads,
            **smk.params.settings,
        )
    except InputError as err:  # e.g. fewer rows than K: say which dataset
        raise InputError(f"dataset {wc.dataset!r}: {err}") from None
    record = {"dataset": wc.dataset, "fit_space": smk.params.space, **result.record}
    logger.info(
        "%s: %d iterations, converged=%s, log-likelihood %.6f",
        record["implementation"],
        record["n_iter"],
        record["converged"],
        record["log_likelihood"],
    )
    io.save_npz(smk.output.fit, **result.arrays)
    io.save_json(smk.output.record, record)


if __name__ == "__main__":
    io.run_script(main, snakemake)  # noqa: F821
