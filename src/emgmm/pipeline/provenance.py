"""Provenance of a run: versions, config, input hashes, per-job wall time."""

import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd

from .io import file_sha256

__all__ = ["benchmark_table", "manifest", "package_versions"]

PACKAGES = (
    "emgmm",
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "umap-learn",
    "pynndescent",
    "numba",
    "matplotlib",
    "seaborn",
    "threadpoolctl",
    "snakemake",
)


def package_versions(packages=PACKAGES):
    """Installed version of each package (``None`` when missing)."""
    out = {}
    for name in packages:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def benchmark_table(root="benchmarks"):
    """Snakemake's benchmark files under ``root`` as one table (a row per job)."""
    rows = []
    for path in sorted(Path(root).rglob("*.tsv")):
        bench = pd.read_csv(path, sep="\t")
        if bench.empty:
            continue
        rel = path.relative_to(root)
        rows.append(
            {
                "job": str(rel.with_suffix("")),
                "rule": rel.stem,
                "seconds": float(bench["s"].iloc[-1]),
                "max_rss_mb": float(bench["max_rss"].iloc[-1]),
            }
        )
    return pd.DataFrame(rows, columns=["job", "rule", "seconds", "max_rss_mb"])


def manifest(config, inputs, timings):
    """The run's manifest: config, versions, input hashes and wall time per rule."""
    per_rule = (
        timings.groupby("rule")["seconds"].agg(["count", "sum", "max"]).round(3)
        if len(timings)
        else pd.DataFrame()
    )
    return {
        "config": config,
        "versions": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "inputs_sha256": {str(p): file_sha256(p) for p in sorted(map(str, inputs))},
        "wall_time_per_rule": {
            rule: {"jobs": int(r["count"]), "total_s": r["sum"], "max_s": r["max"]}
            for rule, r in per_rule.iterrows()
        },
    }
