"""emgmm: Gaussian mixtures fitted by EM, matching scikit-learn and faster.

The package holds everything the Snakemake workflow does (loading data, UMAP,
fitting, matching, scoring, plotting) so it can be used and tested without
Snakemake.
"""

from ._errors import EmgmmError, InputError, SingularCovarianceError
from ._gaussian_mixture import GaussianMixture
from ._notebook import GaussianMixtureEM

__version__ = "0.1.0"

__all__ = [
    "EmgmmError",
    "GaussianMixture",
    "GaussianMixtureEM",
    "InputError",
    "SingularCovarianceError",
    "__version__",
]
