"""emgmm: Gaussian mixtures fitted by EM, matching scikit-learn and faster.

The package holds everything the Snakemake workflow does (loading data, UMAP,
fitting, matching, scoring, plotting) so it can be used and tested without
Snakemake. The estimators are imported on first use, so that ``import emgmm``
(and the workflow's light steps) need not load scikit-learn.
"""

from ._errors import EmgmmError, InputError, SingularCovarianceError

__version__ = "0.1.0"

__all__ = [
    "EmgmmError",
    "GaussianMixture",
    "GaussianMixtureEM",
    "InputError",
    "SingularCovarianceError",
    "__version__",
]

_LAZY = {
    "GaussianMixture": "._gaussian_mixture",
    "GaussianMixtureEM": "._notebook",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])
