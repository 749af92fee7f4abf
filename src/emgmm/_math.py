"""Row-wise log-sum-exp: the one implementation every E-step uses.

The engine's E-step on a chunk (:mod:`emgmm._engine`), the estimator's
``score_samples`` and ``predict_proba``, and :func:`emgmm.mclust.me` all turn
weighted log-densities into the log-likelihood of each row and its
responsibilities here.
"""

import numpy as np

__all__ = ["log_resp_rows", "logsumexp_rows"]


def _shifted_exp(a):
    """``(shift, exp(a - shift))`` with each row's finite maximum as its shift.

    A row of ``-inf`` (no component can have produced it) keeps shift 0, so
    its log-sum-exp is ``-inf``, not NaN.
    """
    amax = a.max(axis=1)
    shift = np.where(np.isfinite(amax), amax, 0.0)
    with np.errstate(under="ignore"):
        return shift, np.exp(a - shift[:, None])


def logsumexp_rows(a):
    """``log sum_k exp(a[i, k])`` for each row ``i``.

    Examples
    --------
    >>> import numpy as np
    >>> logsumexp_rows(np.log([[0.25, 0.75], [1.0, 3.0]])).round(6).tolist()
    [0.0, 1.386294]
    """
    shift, e = _shifted_exp(a)
    with np.errstate(divide="ignore"):
        return np.log(e.sum(axis=1)) + shift


def log_resp_rows(a):
    """Row-wise log-sum-exp and the responsibilities, with one ``exp`` pass.

    Returns
    -------
    lse : ndarray of shape (n_rows,)
    resp : ndarray of the shape of ``a``
        ``exp(a - lse[:, None])``, each row summing to 1.
    """
    shift, e = _shifted_exp(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        total = e.sum(axis=1)
        e /= total[:, None]
        return np.log(total) + shift, e
