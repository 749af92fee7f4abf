"""Process set-up for emgmm's compiled kernels and BLAS: threads and numba's cache.

numba reads its thread count and cache folder once, when it is imported, and
BLAS libraries size their thread pools when they load. A process that runs
emgmm's kernels (or UMAP's) under a fixed thread budget, such as a Snakemake
job with ``threads: n``, calls :func:`configure_threads` first, before numba
or any BLAS is loaded; afterwards it still limits what it can.

:func:`default_numba_cache_dir` is where compiled kernels are kept between
processes when ``NUMBA_CACHE_DIR`` is not set: a fresh environment's first
fit compiles emgmm's kernels (seconds), every later process loads them.
"""

import os
import sys
from numbers import Integral

from ._errors import InputError

__all__ = ["configure_threads", "default_numba_cache_dir"]

_THREAD_ENV_VARS = (
    "NUMBA_NUM_THREADS",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def default_numba_cache_dir():
    """Return the directory used for ``NUMBA_CACHE_DIR`` when none is set.

    ``$XDG_CACHE_HOME/emgmm/numba`` (``~/.cache/emgmm/numba`` by default): outside
    the repository and the Python environment, and shared by every workflow,
    working directory and test run of the same user.  numba keys each entry by
    the source file's path, size and modification time, the numba and Python
    versions and the CPU, so one directory is safe across environments.

    Returns
    -------
    path : str
    """
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return os.path.join(base, "emgmm", "numba")


def configure_threads(n_threads):
    """Limit numba, OpenMP and BLAS threads and default the numba cache directory.

    Sets ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
    ``MKL_NUM_THREADS``, ``VECLIB_MAXIMUM_THREADS`` and ``NUMEXPR_NUM_THREADS``
    to ``n_threads``, and ``NUMBA_CACHE_DIR`` to :func:`default_numba_cache_dir`
    unless it is already set.  Call it first in a script, before ``numba`` or
    ``umap`` are imported: numba reads these variables once, at import.  If
    numba is already imported, ``numba.set_num_threads`` is called instead
    (capped at numba's pool size) and the cache directory applies only to
    kernels not yet decorated; BLAS pools already loaded are limited with
    ``threadpoolctl``.

    Parameters
    ----------
    n_threads : int
        Threads the job may use (Snakemake's ``threads``), at least 1.

    Raises
    ------
    InputError
        If ``n_threads`` is not a positive integer.

    Examples
    --------
    >>> import os
    >>> configure_threads(1)  # doctest: +SKIP
    >>> os.environ["OMP_NUM_THREADS"]  # doctest: +SKIP
    '1'
    """
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral):
        raise InputError(
            f"n_threads must be a positive integer, got {n_threads!r}; "
            "pass the job's threads, e.g. snakemake.threads"
        )
    if n_threads < 1:
        raise InputError(
            f"n_threads must be >= 1, got {n_threads}; pass at least 1 thread"
        )
    n = int(n_threads)
    numba_loaded = "numba" in sys.modules
    for var in _THREAD_ENV_VARS:
        # numba re-reads its variables at every compilation and refuses a
        # NUMBA_NUM_THREADS other than its launched pool's: once loaded, its
        # threads are set with set_num_threads below instead.
        if not (numba_loaded and var == "NUMBA_NUM_THREADS"):
            os.environ[var] = str(n)
    os.environ.setdefault("NUMBA_CACHE_DIR", default_numba_cache_dir())
    if numba_loaded:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
        if not numba.config.CACHE_DIR:  # read at import; applies to later caches
            numba.config.CACHE_DIR = os.environ["NUMBA_CACHE_DIR"]
    if "numpy" in sys.modules or "scipy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=n)  # global, not a context: stays in effect
