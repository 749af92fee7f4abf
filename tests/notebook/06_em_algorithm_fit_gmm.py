# The code cells of shared/seed/06_em_algorithm_fit_gmm (the notebook this
# project started from), in order. Only the import of GaussianMixtureEM is
# changed (ml_utils -> emgmm); the notebook's "Load dataset" cell is not in the
# export, so the caller provides X_umap. Typos of the PDF export (spaces for
# underscores, a broken line) are restored to the code that ran.
# fmt: off
# ruff: noqa
### Basics
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import seaborn as sns
import os
### ML packages
from scipy.stats import multivariate_normal
from sklearn.mixture import GaussianMixture
import umap
from sklearn.metrics import adjusted_rand_score
from scipy.spatial.distance import cdist
### Msc
import warnings
### 00P Code
from emgmm import GaussianMixtureEM

# [4]
# code in -> ml_utils.py
# code also pasted at appendix
model = GaussianMixtureEM(K=4, num_iterations=50, allow_singular=False)
results = model.fit_fast(X_umap)

# [5]
pis_dict = results['pis_dict']
iterations = [key for key in pis_dict if key.startswith('Iteration_')]
iterations_sorted = sorted(iterations, key=lambda x: int(x.split('_')[1]))
pi_matrix = np.array([pis_dict['Initial'][0]] + [pis_dict[it][0] for it in iterations_sorted])
plt.figure(figsize=(8, 5))
for k in range(pi_matrix.shape[1]):
    plt.plot(range(len(pi_matrix)), pi_matrix[:, k], label=f'pi {k}')
plt.title('Convergence of Mixing Proportions')
plt.xlabel('Iteration')
plt.ylabel('pi value')
steps = 25
plt.xticks(range(0, len(iterations_sorted), steps))
plt.legend()
plt.tight_layout()
plt.savefig('Media/viz/06/06_em_convergence_plot')
plt.show()

# [6]
sk_model = GaussianMixture(n_components=4, random_state=42)
sk_model.fit(X_umap)

# Your final results
my_pi = results['pis_dict'][f'Iteration_{model.num_iterations - 1}'][0]
my_mu = np.array(results['means'])
my_cov = np.array(results['cov'])

# Sklearn results
sk_pi = sk_model.weights_
sk_mu = sk_model.weights_
sk_mu = sk_model.means_
sk_cov = sk_model.covariances_

# [7]
dist_matrix = cdist(my_mu, sk_mu)
matches = np.argmin(dist_matrix, axis=1)

print("Matching components based on mean proximity:")
for i, j in enumerate(matches):
    print(f"Component {i} → Sklearn {j} | Distance: {dist_matrix[i, j]:.4f}")

print("\nMixing weights comparison:")
for i, j in enumerate(matches):
    print(f"Component {i}: mine={my_pi[i]:.4f} | sklearn={sk_pi[j]:.4f}")
print("\nMean vector L2 distances:")
for i, j in enumerate(matches):
    delta = np.linalg.norm(my_mu[i] - sk_mu[j])
    print(f"Component {i}: ||μ_mine - μ_sklearn|| = {delta:.4f}")
my_labels = np.argmax(results['gamma'], axis=1)
sk_labels = sk_model.predict(X_umap)
ari = adjusted_rand_score(my_labels, sk_labels)
print(f"\nAdjusted Rand Index: {ari:.4f}")
remapped_labels = np.zeros_like(my_labels)
for i, j in enumerate(matches):
    remapped_labels[my_labels == i] = j
X_umap_np = X_umap.to_numpy() if isinstance(X_umap, pd.DataFrame) else X_umap
fig, axs = plt.subplots(1, 2, figsize=(12, 5), sharex=True, sharey=True)
axs[0].scatter(X_umap_np[:, 0], X_umap_np[:, 1], c=remapped_labels, cmap='tab10', s=20)
axs[0].set_title("My EM Clustering")
axs[1].scatter(X_umap_np[:, 0], X_umap_np[:, 1], c=sk_labels, cmap='tab10', s=20)
axs[1].set_title("Sklearn GMM Clustering")
plt.suptitle("Clustering Results on UMAP Projection", fontsize=14)
plt.tight_layout()
plt.savefig('Media/viz/06/06 label 2dim comparison viz')
plt.show()
