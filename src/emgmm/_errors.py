"""Exceptions that carry a one-line, user-facing message.

Every error a user can cause (bad config, bad data, a model that cannot be
fitted as asked) is raised as a subclass of :class:`EmgmmError`.  The workflow
scripts catch exactly this class, print ``str(err)`` as one line and exit
non-zero; any other exception is a bug and keeps its traceback.
"""

__all__ = ["EmgmmError", "InputError", "SingularCovarianceError"]


class EmgmmError(Exception):
    """Base class of errors whose message is meant for the user, as one line."""


class InputError(EmgmmError, ValueError):
    """Invalid configuration or data: the message names what and how to fix it."""


class SingularCovarianceError(EmgmmError, ValueError):
    """A component's covariance stopped being positive definite.

    Raised by the estimators' EM (where it names the component, the
    iteration and the smallest eigenvalue) and by :mod:`emgmm.mclust`'s
    M-steps (where only the message is known; :func:`emgmm.mclust.me` turns it
    into a failed fit, as R's mclust returns NA).

    Parameters
    ----------
    message : str
        One line naming the component, the iteration and a fix.
    component : int or None
        Index of the failing component.
    iteration : int or None
        EM iteration at which it failed (``-1`` for the initialisation).
    min_eigenvalue : float or None
        Smallest eigenvalue of the offending covariance matrix.
    """

    def __init__(self, message, *, component=None, iteration=None, min_eigenvalue=None):
        super().__init__(message)
        self.component = component
        self.iteration = iteration
        self.min_eigenvalue = min_eigenvalue
