"""
EM against scikit-learn: the notebook's comparison on digits
============================================================

The notebook ``06_em_algorithm_fit_gmm`` embedded scikit-learn's digits in
2-D with UMAP, fitted a four-component Gaussian mixture with its own EM,
``GaussianMixtureEM(K=4, num_iterations=50)``, and with scikit-learn's
``GaussianMixture(4, random_state=42)``, paired the components by the
distance between their means and compared the two labelings. This is the
same comparison with emgmm: :class:`emgmm.GaussianMixtureEM` keeps the
notebook's interface, :func:`emgmm.pipeline.compare.match_components` pairs
the components one to one (the notebook's nearest-mean pairing beside it),
and the figures are the pipeline's.
"""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.mixture import GaussianMixture

from emgmm import GaussianMixture as EmGaussianMixture
from emgmm import GaussianMixtureEM
from emgmm.pipeline.compare import adjusted_rand, match_components, relabel
from emgmm.pipeline.embed import umap_embed
from emgmm.pipeline.plots import plot_labelings, plot_mixing_convergence

# %%
# Embed the digits
# ----------------
# 1797 images of 8 x 8 pixels, embedded with the pipeline's UMAP settings
# (umap-learn's settings for clustering). With ``random_state`` set the
# embedding is the same, byte for byte, on every run.

X = load_digits().data
Y, info = umap_embed(X, n_neighbors=30, min_dist=0.0, random_state=42)
print(f"{X.shape} -> {Y.shape}; nearest neighbours by {info['neighbours']}")

# %%
# Fit both mixtures
# -----------------
# The notebook's call: 50 iterations, no stopping rule. scikit-learn with its
# defaults stops when the mean log-likelihood per sample changes by less
# than ``tol=1e-3``.

model = GaussianMixtureEM(K=4, num_iterations=50, allow_singular=False)
results = model.fit_fast(Y)
sk = GaussianMixture(n_components=4, random_state=42).fit(Y)
print(f"emgmm: {results['n_iter']} iterations; scikit-learn: {sk.n_iter_}")

# %%
# Pair the components and compare
# -------------------------------
# ``match_components`` pairs each of our components with one of
# scikit-learn's (Hungarian assignment on the distances between means) and
# reports the notebook's greedy nearest-mean partner beside it.

ours = {
    "weights": results["pis_dict"]["Iteration_49"][0],
    "means": results["means"],
    "covariances": results["cov"],
}
theirs = {"weights": sk.weights_, "means": sk.means_, "covariances": sk.covariances_}
table, greedy_is_permutation = match_components(ours, theirs)
print(table.round(6).to_string(index=False))
print("greedy pairing is one to one:", greedy_is_permutation)

labels_ours = results["gamma"].argmax(axis=1)
labels_sklearn = sk.predict(Y)
print(f"ARI between the labelings: {adjusted_rand(labels_ours, labels_sklearn):.4f}")
agree = (relabel(labels_ours, table) == labels_sklearn).mean()
print(f"points in matched components: {agree:.4f}")

# %%
# Where they differ, scikit-learn stopped early. Run it to a tight
# tolerance and the two reach the same optimum.
sk_converged = GaussianMixture(
    n_components=4, random_state=42, tol=1e-10, max_iter=1000
).fit(Y)
theirs = {
    "weights": sk_converged.weights_,
    "means": sk_converged.means_,
    "covariances": sk_converged.covariances_,
}
table_converged, _ = match_components(ours, theirs)
print(f"scikit-learn to tol=1e-10: {sk_converged.n_iter_} iterations")
distance = table_converged["mean_distance"].max()
print(f"largest distance between matched means: {distance:.1e}")
ari = adjusted_rand(labels_ours, sk_converged.predict(Y))
print(f"ARI between the labelings: {ari:.4f}")

# %%
# The two labelings, in matched colours
# -------------------------------------

fig = plot_labelings(
    Y,
    {
        "emgmm (GaussianMixtureEM)": relabel(labels_ours, table),
        "scikit-learn (tol=1e-3)": labels_sklearn,
    },
)

# %%
# The mixing proportions per iteration
# ------------------------------------
# The notebook's plot: row 0 is the initialisation, row ``i`` the
# proportions after iteration ``i``.

pis = results["pis_dict"]
pi_matrix = np.vstack(
    [pis["Initial"]] + [pis[f"Iteration_{i}"] for i in range(results["n_iter"])]
)
fig = plot_mixing_convergence(pi_matrix)

# %%
# The same fit with scikit-learn's interface
# ------------------------------------------
# :class:`emgmm.GaussianMixture` takes scikit-learn's parameters and
# follows its steps: with the same ``random_state`` it stops after the same
# number of iterations at the same parameters.

em = EmGaussianMixture(n_components=4, random_state=42).fit(Y)
print(f"iterations: emgmm {em.n_iter_}, scikit-learn {sk.n_iter_}")
print(f"largest difference of the means: {np.abs(em.means_ - sk.means_).max():.1e}")
