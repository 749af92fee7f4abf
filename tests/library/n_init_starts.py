"""The ``n_init`` starts of a fit, one by one, and the tie rule between them.

``GaussianMixture`` keeps a later start only if its lower bound is higher by
more than ``TIE_RTOL`` (relative); scikit-learn keeps any strictly higher one.
Where starts reach the same optimum (a permutation of the components), their
lower bounds differ by rounding only, and which of them scikit-learn keeps
depends on the host's last bits (its BLAS kernels): the tests compare the
starts one by one and check each estimator's own rule.
"""

import warnings

import numpy as np

from emgmm._gaussian_mixture import TIE_RTOL


def replay_starts(X, n_init, estimator, **kw):
    """Each start of ``n_init`` alone: one RandomState object consumed in turn.

    ``fit`` draws a start's randomness from the same RandomState object in
    sequence, so fitting ``n_init`` estimators with ``n_init=1`` that share
    one ``RandomState`` replays the starts of one ``n_init`` fit.
    """
    kw = dict(kw)
    rs = np.random.RandomState(kw.pop("random_state"))
    fits = []
    for _ in range(n_init):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fits.append(estimator(random_state=rs, **kw).fit(X))
    return fits


def tie_rule(lower_bounds, rtol=TIE_RTOL):
    """The documented rule: a later start wins only if better by > rtol."""
    best = 0
    for i, lb in enumerate(lower_bounds[1:], start=1):
        if lb > lower_bounds[best] + rtol * abs(lower_bounds[best]):
            best = i
    return best


def sklearn_pick(lower_bounds):
    """scikit-learn's rule: the first start with the highest lower bound."""
    return int(np.argmax(lower_bounds))


def tied(lower_bounds, i, j, rtol=TIE_RTOL):
    """Whether starts ``i`` and ``j`` reach the same lower bound to ``rtol``."""
    a, b = lower_bounds[i], lower_bounds[j]
    return abs(a - b) <= rtol * abs(b)
