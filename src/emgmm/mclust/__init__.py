"""mclust's Gaussian mixture models in Python, checked against R's mclust 6.0.

The 14 covariance parameterisations of R's mclust (Scrucca et al. 2016) --
EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, VVE, EEV, VEV, EVV, VVV, and E/V
for one feature -- with mclust's meaning of every number:

* :func:`me` -- EM from responsibilities ``z``, M-step first, with mclust's
  convergence rule and ``emControl()`` defaults (:class:`EMControl`);
* :func:`bic` / :func:`icl` -- tables over ``G`` and models with mclust's sign
  (``2 log L - p log n``, higher is better), NaN where a fit fails;
* :func:`mclust` -- the chosen model with classification and uncertainty;
* :func:`hc` / :func:`hclass` -- model-based hierarchical clustering, the
  default start.

Implemented from the published methods (Celeux & Govaert 1995; Fraley 1998;
Fraley & Raftery 2002; Browne & McNicholas 2014; Scrucca et al. 2016), with R's
mclust used only as a black box to compare results.  See ``docs/mclust.md``.

Examples
--------
>>> import numpy as np
>>> from emgmm import mclust
>>> rng = np.random.default_rng(0)
>>> X = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(5, 1, (40, 2))])
>>> z = np.repeat(np.eye(2), 40, axis=0)
>>> fit = mclust.me(X, "VEV", z)
>>> fit.pro.shape, fit.mean.shape, fit.sigma.shape
((2,), (2, 2), (2, 2, 2))
"""

from ._bic import MclustFit, bic, icl, mclust, qclass
from ._em import EMControl, MEFit, me
from ._hc import hc, hclass, svd_transform
from ._models import MODELS

__all__ = [
    "MODELS",
    "EMControl",
    "MEFit",
    "MclustFit",
    "bic",
    "hc",
    "hclass",
    "icl",
    "mclust",
    "me",
    "qclass",
    "svd_transform",
]
