"""
Model selection over mclust's 14 covariance models
==================================================

R's mclust chooses among 14 covariance models, from ``EII`` (spherical,
equal volumes) to ``VVV`` (everything free), by BIC. :mod:`emgmm.mclust`
fits them as mclust does (hierarchical start, mclust's EM and stopping
rule) and gives mclust's numbers. Here: all 14 models with G = 1 to 6 on
Fisher's iris measurements (150 flowers, 4 features), mclust's BIC plot,
and the same BIC in scikit-learn's sign next to
:class:`emgmm.GaussianMixture`'s :meth:`~emgmm.GaussianMixture.bic` for
the four models that are scikit-learn's covariance types.
"""

import matplotlib.pyplot as plt
import pandas as pd
from sklearn.datasets import load_iris

from emgmm import GaussianMixture, criteria, mclust
from emgmm.covariance import MCLUST_TWINS
from emgmm.pipeline.plots import plot_mclust_bic

# %%
# mclust's BIC table
# ------------------
# :func:`emgmm.mclust.mclust` fills the table (``mclustBIC``) and keeps the
# model with the highest BIC, as ``Mclust`` does. mclust's sign is
# ``2 log L - p log n``: higher is better. A fit whose covariance becomes
# singular is NaN (mclust's NA).

X = load_iris().data
n, d = X.shape
best = mclust.mclust(X, G=range(1, 7))
print(f"chosen: {best.model} with G = {best.G}, BIC {best.bic:.4f}")
print(best.BIC.round(1).to_string())

# %%
# The BIC plot
# ------------

fig = plot_mclust_bic(best.BIC, title="mclust's 14 models on iris")

# %%
# The same numbers in scikit-learn's sign
# ---------------------------------------
# scikit-learn's :meth:`~sklearn.mixture.GaussianMixture.bic` is
# ``-2 log L + p log n``: the same number with the opposite sign, lower is
# better. :mod:`emgmm.criteria` computes either from the log-likelihood and
# the parameter count, which it knows for both families.

p = criteria.n_parameters(best.model, best.G, d)
print(f"{best.model}, G = {best.G}: {p} free parameters")
print("mclust's sign:      ", round(criteria.bic(best.loglik, p, n, sign="mclust"), 4))
print("scikit-learn's sign:", round(criteria.bic(best.loglik, p, n), 4))

# %%
# The twins: scikit-learn's four types among mclust's models
# ----------------------------------------------------------
# ``full`` is mclust's ``VVV``, ``tied`` ``EEE``, ``diag`` ``VVI`` and
# ``spherical`` ``VII`` (:data:`emgmm.covariance.MCLUST_TWINS`): the same
# family of Gaussians with the same number of parameters. Their BICs still
# differ where the fits reach different optima: scikit-learn's estimator
# (and emgmm's) starts from k-means and adds ``reg_covar=1e-6`` to every
# covariance, mclust starts from its hierarchical partitions and adds
# nothing.

rows = []
for covariance_type, model in MCLUST_TWINS.items():
    for G in best.BIC.index:
        gm = GaussianMixture(G, covariance_type=covariance_type, random_state=0)
        rows.append(
            {
                "G": G,
                "type": covariance_type,
                "mclust model": model,
                "same count": criteria.n_parameters(covariance_type, G, d)
                == criteria.n_parameters(model, G, d),
                "mclust BIC, sklearn sign": -best.BIC.loc[G, model],
                "GaussianMixture.bic": gm.fit(X).bic(X),
            }
        )
twins = pd.DataFrame(rows)
twins["difference"] = twins["GaussianMixture.bic"] - twins["mclust BIC, sklearn sign"]
print(twins.round(2).to_string(index=False))

fig, ax = plt.subplots(figsize=(8, 5))
for (covariance_type, group), colour in zip(
    twins.groupby("type", sort=False), ["C0", "C1", "C2", "C3"], strict=True
):
    model = MCLUST_TWINS[covariance_type]
    ax.plot(
        group["G"],
        group["mclust BIC, sklearn sign"],
        "-o",
        color=colour,
        label=f"emgmm.mclust {model}",
    )
    ax.plot(
        group["G"],
        group["GaussianMixture.bic"],
        "--x",
        color=colour,
        label=f"emgmm.GaussianMixture '{covariance_type}'",
    )
ax.set(
    xlabel="Number of components",
    ylabel="BIC = -2 log L + p log n (lower is better)",
    title="Twin models on iris: mclust's start against k-means",
)
ax.legend(ncol=2, fontsize=8)
fig.tight_layout()
