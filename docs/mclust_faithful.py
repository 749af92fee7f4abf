"""docs/mclust_models.md's faithful tables: emgmm.mclust.bic next to R's mclustBIC.

Runs R (mclust 6.0) once for faithful, its hierarchical partitions and its
mclustBIC table (G = 1..9, all 14 models), then emgmm.mclust.bic from R's
partitions and from emgmm's own default start; prints both tables and their
agreement as Markdown, and draws docs/images/mclust_bic_faithful.png with
emgmm.pipeline.plots.plot_mclust_bic.  Usage: python docs/mclust_faithful.py
"""

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from emgmm import mclust
from emgmm.pipeline import plots

R = r"""
suppressPackageStartupMessages(library(mclust))
out <- commandArgs(trailingOnly = TRUE)[1]
X <- as.matrix(faithful)
w <- function(m, f) write.csv(format(as.data.frame(m), digits = 17),
                              file.path(out, f), row.names = FALSE, quote = FALSE)
w(X, "X.csv")
w(hclass(hc(X, modelName = "VVV", use = "SVD"), 1:9), "hc.csv")
B <- mclustBIC(X, G = 1:9)
w(matrix(B, nrow = 9, dimnames = dimnames(B)), "bic.csv")
writeLines(as.character(packageVersion("mclust")), file.path(out, "version.txt"))
"""


def markdown(table, digits=2):
    head = "| G | " + " | ".join(table.columns) + " |"
    rule = "|---" * (len(table.columns) + 1) + "|"
    rows = [
        f"| {g} | "
        + " | ".join("NA" if np.isnan(v) else f"{v:.{digits}f}" for v in row)
        + " |"
        for g, row in zip(table.index, table.to_numpy(), strict=True)
    ]
    return "\n".join([head, rule, *rows])


def best(table):
    values = table.to_numpy()
    a, b = np.unravel_index(np.nanargmax(values), values.shape)
    return f"{table.columns[b]}, G={table.index[a]}, BIC {values[a, b]:.4f}"


def main():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(["Rscript", "-e", R, out], check=True)
        read = lambda f: pd.read_csv(Path(out, f), na_values="NA")  # noqa: E731
        X = read("X.csv").to_numpy(dtype=float)
        hc = read("hc.csv").to_numpy(dtype=int) - 1
        theirs = read("bic.csv")
        version = Path(out, "version.txt").read_text().strip()
    theirs.index = pd.Index(range(1, 10), name="G")
    start = {g: hc[:, g - 1] for g in range(1, 10)}
    from_r = mclust.bic(X, G=range(1, 10), initialization=start)
    default = mclust.bic(X, G=range(1, 10))
    print(f"R mclust {version}, faithful {X.shape}")
    for name, ours in (("R's hc partitions", from_r), ("emgmm's default hc", default)):
        same_na = bool((ours.isna() == theirs.isna()).all().all())
        rel = (ours - theirs).abs() / theirs.abs()
        print(
            f"\n{name}: NA in the same cells: {same_na}; largest relative "
            f"difference {np.nanmax(rel.to_numpy()):.2g}; cells within 1e-6: "
            f"{int((rel < 1e-6).sum().sum())} of {rel.size}; "
            f"best ours {best(ours)} / R {best(theirs)}"
        )
    print("\nemgmm, from R's partitions\n" + markdown(from_r))
    print("\nR mclustBIC\n" + markdown(theirs))
    print("\nemgmm, default start\n" + markdown(default))
    path = Path(__file__).parent / "images" / "mclust_bic_faithful.png"
    plots.save_figure(
        plots.plot_mclust_bic(default, "emgmm.mclust.bic on faithful (default start)"),
        path,
    )
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
