"""emgmm: Gaussian mixtures fitted by EM, matching scikit-learn and faster.

* :class:`GaussianMixture`: scikit-learn's estimator (same parameters,
  attributes, methods and results, to 1e-10), faster and in less memory;
* :class:`GaussianMixtureEM`: the notebook's interface on the same engine;
* :mod:`emgmm.mclust`: R mclust's 14 covariance models, BIC tables and
  hierarchical start, with mclust's numbers;
* :mod:`emgmm.criteria` (parameter counts, BIC/AIC/ICL, each sign stated),
  :mod:`emgmm.covariance` (covariance types as full matrices) and
  :mod:`emgmm.runtime` (threads and numba's cache);
* :mod:`emgmm.pipeline`: the Snakemake pipeline's steps, with the
  ``pipeline`` extra.

The estimators are imported on first use, so that ``import emgmm`` loads
neither scikit-learn nor numba, nor anything of the pipeline.
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
