"""The Snakemake pipeline's steps, importable and testable without Snakemake.

Loading and checking data (:mod:`~emgmm.pipeline.data`), preparing and
embedding it (:mod:`~emgmm.pipeline.preprocess`,
:mod:`~emgmm.pipeline.embed`), fitting both implementations
(:mod:`~emgmm.pipeline.fitting`), comparing and explaining the fits
(:mod:`~emgmm.pipeline.compare`, :mod:`~emgmm.pipeline.explain`), the tables
and figures (:mod:`~emgmm.pipeline.summarize`, :mod:`~emgmm.pipeline.plots`,
:mod:`~emgmm.pipeline.overview`), files and jobs (:mod:`~emgmm.pipeline.io`,
:mod:`~emgmm.pipeline.jobs`, :mod:`~emgmm.pipeline.provenance`) and the
configuration (:mod:`~emgmm.pipeline.config`). ``workflow/scripts/`` call
these; the estimators they compare are :mod:`emgmm`'s.

It needs the ``pipeline`` extra (``pip install "emgmm[pipeline]"``):
Snakemake, umap-learn, matplotlib, seaborn, pyarrow, PyYAML and jsonschema,
none of which the estimators use.
"""

from importlib.util import find_spec

# module -> distribution of what the pipeline's modules import
_NEEDS = {
    "snakemake": "snakemake",
    "umap": "umap-learn",
    "matplotlib": "matplotlib",
    "pyarrow": "pyarrow",
    "yaml": "pyyaml",
    "jsonschema": "jsonschema",
}
_missing = [dist for module, dist in _NEEDS.items() if find_spec(module) is None]
if _missing:
    raise ImportError(
        f"emgmm.pipeline needs {', '.join(_missing)}, which are not installed: "
        "pip install 'emgmm[pipeline]'"
    )
