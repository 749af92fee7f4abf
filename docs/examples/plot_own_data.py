"""
Your own table: Palmer penguins, step by step
=============================================

What the pipeline does to a table of your own (``source: file``), called
from Python: :func:`emgmm.pipeline.data.load_dataset` reads and checks it
(text columns, integer codes and row numbers are skipped and named, rows
with empty cells dropped with ``on_invalid: drop``),
:func:`emgmm.pipeline.preprocess.preprocess` standardises the columns,
:func:`emgmm.pipeline.embed.umap_embed` embeds them, and a three-component
:class:`emgmm.GaussianMixture` is fitted to the embedding (the default
``fit_space``) and to the scaled columns (``fit_space: features``), each
scored by its adjusted Rand index (ARI) against the species.

The table is the Palmer penguins data (344 birds, bill and flipper lengths
in mm, body mass in g), as the ``palmerpenguins`` package ships it.
"""

import io
import logging
import warnings
from importlib.resources import files

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import confusion_matrix

from emgmm import GaussianMixture
from emgmm.pipeline.compare import adjusted_rand
from emgmm.pipeline.data import load_dataset
from emgmm.pipeline.embed import umap_embed
from emgmm.pipeline.plots import plot_labelings
from emgmm.pipeline.preprocess import preprocess

# %%
# Load and check the table
# ------------------------
# The same dataset entry as in a config file. The loader's warnings name
# what it left out; they are collected here to print them.

csv = files("palmerpenguins") / "data" / "penguins.csv"
spec = {
    "source": "file",
    "path": str(csv),
    "label_column": "species",
    "on_invalid": "drop",
}
log = io.StringIO()
handler = logging.StreamHandler(log)
data_log = logging.getLogger("emgmm.pipeline.data")
data_log.addHandler(handler)
try:
    X, species, info = load_dataset("penguins", spec)
finally:
    data_log.removeHandler(handler)
print(log.getvalue().replace(str(csv), "penguins.csv"))
print("features:", info["features"])
print("skipped columns:", info["skipped_columns"])
print("rows:", info["n_samples"], "kept,", info["n_dropped_invalid"], "dropped")
print("labels:", info["label_names"])

# %%
# Scale, then embed
# -----------------
# Unscaled, body mass (thousands of grams) would decide every distance.

Z, scaling = preprocess(X, scale="standard", names=info["features"])
Y, embedding = umap_embed(Z, n_neighbors=30, min_dist=0.0, random_state=42)
print(f"{Z.shape[1]} standardised columns -> {Y.shape[1]}-D embedding")

# %%
# Three components, on the embedding and on the features
# ------------------------------------------------------
# The pipeline's emgmm settings: 50 iterations without a stopping rule
# (``tol=0``), seed 42. With ``tol=0`` scikit-learn's convergence flag is
# False by construction, so its warning is silenced here.

labels = {}
for space, data in [("embedding", Y), ("features", Z)]:
    gm = GaussianMixture(3, max_iter=50, tol=0.0, random_state=42)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels[space] = gm.fit_predict(data)
    ari = adjusted_rand(labels[space], species)
    print(f"fit_space {space}: ARI against the species {ari:.3f}")

# %%
# The species and the two mixtures on the embedding
# -------------------------------------------------
# Each mixture's components are renamed to the species they overlap most
# (a one-to-one assignment), so the colours compare.


def to_species(found):
    confusion = confusion_matrix(found, species)
    rows, cols = linear_sum_assignment(-confusion)
    mapping = np.empty(len(rows), dtype=int)
    mapping[rows] = cols
    return mapping[found]


fig = plot_labelings(
    Y,
    {
        "species": species,
        "mixture on the embedding": to_species(labels["embedding"]),
        "mixture on the features": to_species(labels["features"]),
    },
    title="Palmer penguins: UMAP embedding of the standardised measurements",
)
