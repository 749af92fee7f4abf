"""The engine's mechanics: data, shift, row parts, threads, kernels, buffers.

An :class:`Engine` holds what every pass of one fit shares — the raw data
(never copied), optional per-row weights, the global shift (the data's
weighted mean, so data far from the origin lose no precision), the working
dtype, the chunk size and the worker threads — and runs the passes over the
data that the EM loop (:mod:`emgmm._em`) needs.  Everything that depends on
the covariance type is asked of its model (:mod:`emgmm._covariance`).

How a pass runs:

* rows are split into a fixed number of parts (depending only on
  ``n_samples`` and the chunk size, never on the thread count); each part is
  a loop over chunks of rows whose work arrays take about 4 MiB; parts run
  in worker threads with single-threaded BLAS inside (:meth:`Engine.blas_guard`)
  and their sums are added in a fixed order: the same bytes whatever the
  number of threads;
* with at most 128 features the fused numba kernel (:mod:`emgmm._em_numba`)
  does the whole pass in one parallel loop instead, for every covariance
  type: it takes per-component full factors and gives full second moments,
  which the type's model turns into its own statistics
  (``kernel_precision_cholesky``, ``from_kernel_statistics``); for 'full'
  the M-step that follows (covariances, their Cholesky factors and inverses)
  is compiled too (:func:`emgmm._em_numba.full_m_step`), where NumPy took
  40 us per iteration, more than a pass over 1,000 rows, and
  :meth:`Engine.compiled_iterations` runs a fit's iterations, stopping rule
  included, in one compiled call (:func:`emgmm._em_numba.compiled_iterations`;
  :meth:`Engine.em_step` takes one step of it): 16 us per iteration at
  (1e3, 2, 4) on one Intel Xeon core, where a Python round trip and a
  parallel launch per iteration made it 39 us;
* tiny passes (at most ``NUMPY_MAX_WORK`` multiply-adds) stay on the NumPy
  path: a fresh environment's first small fit then compiles nothing (emgmm's
  kernels take about 12 s to compile), and such a pass takes a fraction of a
  millisecond either way.  Which path runs depends only on the sizes, never
  on what is cached.

Threads: :func:`blas_threads` reads the current BLAS limit (set by the caller
with ``threadpoolctl.threadpool_limits``); it caps the worker threads and
numba's threads, so one setting governs the whole fit.
"""

import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from ._math import log_resp_rows

__all__ = ["Engine", "Params", "augment", "blas_threads", "chunks", "pass_work"]

# fused numba kernel up to this many features, the chunked NumPy/BLAS path
# above.  Measured on one AMD EPYC core, ms per pass, numba vs NumPy/BLAS:
# 28 vs 92 at (1e5, 16, 8), 68 vs 175 at (1e5, 32, 8), 590 vs 967 at
# (1e5, 64, 16), 450 vs 662 at (2e4, 128, 16).  The kernel's per-block second
# moments take n_blocks * K * d^2 doubles (a quarter of the data's size at
# d = 128, K = 16), which is what bounds it here.
NUMBA_MAX_FEATURES = 128
# passes of at most this many multiply-adds (pass_work) run on the NumPy
# path: no compiling for them.  Measured on one Intel Xeon core, us per EM
# iteration, NumPy path / numba / scikit-learn: (150, 4, 3) 222 / 36 / 262;
# (500, 2, 3) 259 / 56 / 353; at (1000, 2, 4), 20,000 multiply-adds, numba 57
# against 531.  A fresh environment's import and first fit of 500 x 2 rows
# took 2.6 s with serial numba kernels made to compile fast (tried and
# dropped), 1.1 s on NumPy.
NUMPY_MAX_WORK = 2**14
# what one call of Engine.compiled_iterations may allocate for the totals and
# the parameters it records per iteration (for the history): max_iter may be
# large and the fit stop early
RECORD_BYTES = 2**26
# the engine's shift by the numba kernel above this many values (N d), by
# NumPy chunks below (no compiling for small data); 0.012 s of a default fit
# at (1e5, 16, 8) was NumPy's two passes
COLUMN_SUMS_MIN_WORK = 2**16
# target size of one chunk's work arrays
CHUNK_BYTES = 4 * 2**20
# fewest rows per call of the numba kernel outside the EM loop
KERNEL_MIN_ROWS = 4096
# fixed number of row parts of a pass (threads take whole parts)
N_PARTS = 8


_CONTROLLER = None


def threadpool_controller():
    """One ``threadpoolctl.ThreadpoolController`` for the process.

    Creating one scans every loaded library (1.4 ms on the Intel Xeon host,
    per ``threadpool_info`` or ``threadpool_limits`` call); a kept one reads
    or sets the limits in 7-21 us.  Created at the first fit, when NumPy's
    and SciPy's BLAS are loaded (as scikit-learn keeps its own).
    """
    global _CONTROLLER
    if _CONTROLLER is None:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


def blas_threads():
    """Threads for a pass: the current BLAS limit (threadpoolctl).

    The limit set with ``threadpoolctl.threadpool_limits`` (or the BLAS
    environment variables) also caps numba's threads and the worker threads
    of the NumPy path.  Results are the same bytes whatever the number.
    """
    counts = [
        info["num_threads"]
        for info in threadpool_controller().info()
        if info["user_api"] == "blas"
    ]
    return min(counts) if counts else 1


def single_threaded_blas():
    """Context: BLAS limited to one thread (see :meth:`Engine.blas_guard`)."""
    return threadpool_controller().limit(limits=1, user_api="blas")


def augment(X, shift=None, dtype=None):
    """Rows ``X - shift`` with a trailing column of ones (the chunk layout)."""
    n_samples, n_features = X.shape
    X1 = np.empty((n_samples, n_features + 1), dtype=dtype or X.dtype)
    if shift is None:
        X1[:, :n_features] = X
    else:
        np.subtract(X, shift, out=X1[:, :n_features], casting="unsafe")
    X1[:, n_features] = 1
    return X1


def chunks(n_samples, chunk_size):
    """Consecutive slices of at most ``chunk_size`` rows."""
    for start in range(0, n_samples, chunk_size):
        yield slice(start, min(n_samples, start + chunk_size))


def pass_work(n_samples, n_features, n_components):
    """Multiply-adds of a full-covariance pass, ``N K d (d + 3) / 2``
    (distances and second moments): the size that picks a pass's path and
    its row blocks."""
    return n_samples * n_components * n_features * (n_features + 3) // 2


def auto_chunk_size(n_samples, n_features, n_components, itemsize=8):
    per_row = itemsize * (3 * n_components * (n_features + 1) + 4 * n_components)
    return int(max(64, min(n_samples, CHUNK_BYTES // max(per_row, 1))))


def weighted_sum(values, weights):
    """``sum w v`` in float64, rows of weight 0 left out (even if v is inf)."""
    if weights is None:
        return float(values.sum(dtype=np.float64))
    return float(np.dot(weights, np.where(weights > 0, values, 0.0)))


class Params:
    """Mixture parameters in the engine's (shifted) coordinates, float64.

    ``log_const`` is the per-component ``-d/2 log(2 pi) + log det P``;
    ``aux`` is extra data of the covariance model that made them (None for
    the four standard models).
    """

    def __init__(self, weights, means, covariances, prec_chol, log_const, aux=None):
        self.weights = weights
        self.means = means
        self.covariances = covariances
        self.prec_chol = prec_chol
        self.log_const = log_const
        self.aux = aux


class _Workspace:
    """Reusable chunk buffers (avoid fresh allocations every chunk)."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.buffers = {}
        self.square_of = self.square = None

    def get(self, name, shape):
        size = math.prod(shape)
        buf = self.buffers.get(name)
        if buf is None or buf.size < size:
            buf = self.buffers[name] = np.empty(size, dtype=self.dtype)
        return buf[:size].reshape(shape)


def _accumulate(acc, stats):
    if acc is None:
        return [np.array(s, dtype=np.float64) for s in stats]
    for a, s in zip(acc, stats, strict=True):
        a += s
    return acc


class Engine:
    """Data, weights, shift and settings shared by every pass of one fit.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The data (not copied).
    model : CovarianceModel
        The covariance type's model (``MODELS[covariance_type]``).
    reg_covar : float
        Added to the covariance diagonals in every M-step.
    chunk_size : int or None
        Rows per chunk (None: about 4 MiB of work arrays).
    dtype : dtype
        Working dtype of the passes (accumulators are float64).
    n_threads : int
        Worker threads (and numba threads) of a pass.
    shift : ndarray of shape (n_features,), default=None
        Subtracted from every row; None: the (weighted) mean of ``X``.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative per-row weights (validated by the caller); None: ones.
    """

    def __init__(
        self,
        X,
        model,
        reg_covar,
        chunk_size,
        dtype,
        n_threads,
        shift=None,
        sample_weight=None,
    ):
        self.X = X
        self.n_samples, self.n_features = X.shape
        self.model = model
        self.reg_covar = reg_covar
        self.dtype = np.dtype(dtype)
        # sklearn's nk = sum(r) + 10 eps; accumulators are float64 in every
        # mode, so float64's eps (float32's would bias float32 mode)
        self.eps = np.finfo(np.float64).eps
        self.n_threads = n_threads
        self.chunk_size = chunk_size
        self.sample_weight = sample_weight
        self.total_weight = (
            float(self.n_samples)
            if sample_weight is None
            else float(sample_weight.sum())
        )
        self.numba_max_features = NUMBA_MAX_FEATURES
        self.numpy_max_work = NUMPY_MAX_WORK
        self._executor = None
        if shift is None:
            shift = self._column_sums() / self.total_weight
        self.shift = shift
        self._far_from_origin = None
        self._kernel_data = None  # the data as compiled_iterations takes them

    @property
    def far_from_origin(self):
        """Whether the shift exceeds 1e3 standard deviations in a column
        (one more pass over the data, the first time it is asked)."""
        if self._far_from_origin is None:
            self._far_from_origin = False
            if np.any(self.shift != 0):
                var = self._column_sums(self.shift) / self.total_weight
                far = np.abs(self.shift) > 1e3 * np.sqrt(var)
                self._far_from_origin = bool(np.any(far))
        return self._far_from_origin

    def _column_sums(self, centre=None):
        """``sum w x`` or, about ``centre``, ``sum w (x - centre)^2``."""
        if (
            self.n_samples * self.n_features > COLUMN_SUMS_MIN_WORK
            and self.n_features <= self.numba_max_features
        ):
            from ._em_numba import column_sums

            return column_sums(self.X, self.sample_weight, centre)
        if centre is None:
            return self._column_sums_numpy(lambda Xs: Xs)
        return self._column_sums_numpy(lambda Xs: (Xs - centre) ** 2)

    def _column_sums_numpy(self, func):
        # Chunks of about CHUNK_BYTES: a chunk and its temporaries are the
        # memory this takes (65536 rows were 34 MB each at d = 64).
        rows = max(1024, CHUNK_BYTES // (8 * max(self.n_features, 1)))
        total = np.zeros(self.n_features)
        for sl in chunks(self.n_samples, rows):
            values = func(np.asarray(self.X[sl], dtype=np.float64))
            if self.sample_weight is None:
                total += values.sum(axis=0)
            else:
                total += self.sample_weight[sl] @ values
        return total

    def chunk_rows(self, n_components):
        if self.chunk_size is not None:
            return int(self.chunk_size)
        return auto_chunk_size(
            self.n_samples, self.n_features, n_components, self.dtype.itemsize
        )

    def chunk_slices(self, n_components):
        return chunks(self.n_samples, self.chunk_rows(n_components))

    def rows(self, sl):
        """Rows ``sl`` in shifted coordinates, working dtype, plus a 1s column."""
        return augment(self.X[sl], self.shift, self.dtype)

    def weights_of(self, sl):
        return None if self.sample_weight is None else self.sample_weight[sl]

    def use_kernels(self, n_components):
        """Whether the numba kernels run passes with ``n_components``."""
        work = pass_work(self.n_samples, self.n_features, n_components)
        return (
            self.model.fused_kernel
            and self.n_features <= self.numba_max_features
            and work > self.numpy_max_work
        )

    def use_numba(self, params):
        """Whether the fused numba kernel runs passes with ``params``."""
        return params.aux is None and self.use_kernels(len(params.weights))

    def kernel_factors(self, params):
        """The model's precision factors as the fused kernel takes them."""
        n_components, n_features = params.means.shape
        return self.model.kernel_precision_cholesky(
            params.prec_chol, n_components, n_features
        )

    def start_data(self, random_state, n_components):
        """The engine and rows the start is computed from: all of them.

        (:class:`emgmm._dask.DaskEngine` returns an in-memory engine, over a
        seeded sample where the data are too large.)
        """
        return self, self.X

    def make_params(self, weights, means, covariances, iteration=-1):
        """Parameters with the model's precision factors (may raise singular)."""
        prec_chol, log_const, aux = self.model.precision_factors(
            covariances, means, iteration
        )
        return Params(weights, means, covariances, prec_chol, log_const, aux)

    # -- passes ---------------------------------------------------------------
    def weighted_log_prob(self, params, sl):
        """``log w_k + log N(x | k)`` for rows ``sl``."""
        if self.use_numba(params):
            from ._em_numba import full_weighted_log_prob

            return full_weighted_log_prob(
                self.X[sl],
                self.shift,
                np.log(params.weights),
                params.means,
                self.kernel_factors(params),
                params.log_const,
                self.n_threads,
            )
        prepared = self.model.prepare_params(params, self.dtype)
        wlp = self.model.sq_mahalanobis(self.rows(sl), prepared)
        wlp *= -0.5
        wlp += params.log_const + np.log(params.weights)
        return wlp

    # whether em_step and run_em may use compiled_iterations (the Dask
    # engine's rows are not in memory)
    one_call_iterations = True

    def em_step(self, params, iteration):
        """One EM iteration from ``params`` (may raise singular).

        Returns the (weighted) sum over points of ``log p(x_i)`` under
        ``params`` and the next :class:`Params`.  For 'full' on the numba
        kernels it is one step of :meth:`compiled_iterations`.
        """
        if (
            self.one_call_iterations
            and self.model.name == "full"
            and self.use_numba(params)
        ):
            step = self._full_iteration(params)
            if step is not None:
                return step
            # not positive definite: the passes below raise the model's error
        total, stats = self.e_step_stats(params)
        return total, self.next_params(stats, params, iteration)

    def _full_iteration(self, params):
        """:meth:`em_step` by :meth:`compiled_iterations`; None where a
        covariance failed."""
        new, totals, _, _, failed = self.compiled_iterations(params, 1, None, -np.inf)
        return None if failed else (float(totals[0]), new)

    def kernel_data(self):
        """The data as the one-call iterations take them, made once."""
        from ._em_numba import full_iteration_data

        if self._kernel_data is None:
            self._kernel_data = full_iteration_data(
                self.X, self.shift, self.sample_weight
            )
        return self._kernel_data

    def compiled_iterations(self, params, max_iter, tol, lower_bound, record=0):
        """Up to ``max_iter`` of :func:`emgmm._em.run_em`'s iterations in one
        compiled call (:func:`emgmm._em_numba.compiled_iterations`), where
        they run there: full covariance on the numba kernels.  None elsewhere.

        ``tol`` None runs all ``max_iter``; ``record`` as there.  At most
        ``RECORD_BYTES`` of totals and recorded parameters per call: fewer
        iterations than ``max_iter`` may run (the caller goes on from the
        returned parameters).  Returns ``(params, totals, history,
        converged, failed)``: the parameters after the last completed
        iteration (``params`` if none completed), each iteration's ``sum_i
        w_i log p(x_i)``, what ``record`` asked for, whether the tolerance was
        met, and whether a covariance failed in the next iteration (whose
        passes then raise the model's error).
        """
        if not (
            self.one_call_iterations
            and self.model.name == "full"
            and self.use_numba(params)
        ):
            return None
        from ._em_numba import compiled_iterations

        n_components, n_features = params.means.shape
        per_iteration = 8 * (
            1
            + (record >= 1) * n_components * (1 + n_features)
            + (record >= 2) * n_components * n_features**2
        )
        max_iter = min(max_iter, max(1, RECORD_BYTES // per_iteration))

        *new, totals, history, n_iter, converged, failed = compiled_iterations(
            self.kernel_data(), params.weights, params.means, params.prec_chol,
            params.log_const, self.reg_covar, self.eps, max_iter,
            -1.0 if tol is None else tol, self.total_weight, lower_bound, record,
            self.n_threads,
        )  # fmt: skip
        params = Params(*new) if n_iter else params
        return params, totals, history, bool(converged), failed >= 0

    def e_step_stats(self, params):
        """E-step with ``params`` and the statistics of the M-step.

        Returns the (weighted) sum over points of ``log p(x_i)`` and the
        finished statistics ``(nk_raw, sx, m2)`` centred at ``params.means``.
        """
        total, raw = self.pass_statistics(params)
        return total, self.finish_statistics(raw, params)

    def finish_statistics(self, raw, params):
        """The model's statistics from the sums of :meth:`pass_statistics`."""
        if self.use_numba(params):
            return self.model.from_kernel_statistics(*raw)
        return self.model.finish(tuple(raw), params.means)

    def pass_statistics(self, params):
        """One pass: ``sum log p(x_i)`` and the raw sums of the M-step.

        Raw sums of row parts (or of other engines' rows, :mod:`emgmm._dask`)
        add up; :meth:`finish_statistics` turns the total into the model's
        statistics.  Which form they take (the numba kernel's or the NumPy
        path's) depends on :meth:`use_numba` alone.
        """
        model = self.model
        if self.use_numba(params):
            from ._em_numba import fused_full_pass

            total, *raw = fused_full_pass(
                self.X,
                self.shift,
                np.log(params.weights),
                params.means,
                self.kernel_factors(params),
                params.log_const,
                self.n_threads,
                sample_weight=self.sample_weight,
            )
            return total, raw
        prepared = model.prepare_params(params, self.dtype)
        log_w = (params.log_const + np.log(params.weights)).astype(self.dtype)
        centres = params.means.astype(self.dtype)
        chunk = self.chunk_rows(len(params.weights))

        def run_part(part):
            total = 0.0
            acc = None
            work = _Workspace(self.dtype)
            for sl in chunks(part.stop - part.start, chunk):
                sl = slice(part.start + sl.start, part.start + sl.stop)
                Xc = self.rows(sl)
                wlp = model.sq_mahalanobis(Xc, prepared, work)
                wlp *= -0.5
                wlp += log_w
                lse, resp = log_resp_rows(wlp)
                w = self.weights_of(sl)
                total += weighted_sum(lse, w)
                if w is not None:
                    resp *= w[:, None]
                acc = _accumulate(acc, model.statistics(Xc, resp, centres, work))
            return total, acc

        total = 0.0
        acc = None
        for part_total, part_acc in self.map_parts(run_part, chunk):  # fixed order
            total += part_total
            acc = _accumulate(acc, part_acc)
        return total, acc

    def _pass_rows(self, params):
        """Rows per call of :meth:`weighted_log_prob` in a pass over all rows."""
        rows = self.chunk_rows(len(params.weights))
        if self.use_numba(params) and self.chunk_size is None:
            # a kernel block's rows per thread and call: 164-row chunks (d = 64,
            # K = 16) cost 0.7 s in kernel calls for 1e5 rows; chunks of
            # 4 MiB / (24 K) rows doubled the peak memory at (1e5, 2, 4); one
            # block per call left the other thread idle (the labels of a fit
            # at (1e5, 16, 8) took 26 ms, longer than an EM iteration)
            rows = max(rows, KERNEL_MIN_ROWS * max(1, self.n_threads))
        return rows

    def labels(self, params, out=None):
        """The most probable component of every row (into ``out`` if given)."""
        if out is None:
            out = np.empty(self.n_samples, dtype=np.intp)
        with self.blas_guard(params):
            for sl in chunks(self.n_samples, self._pass_rows(params)):
                out[sl] = np.argmax(self.weighted_log_prob(params, sl), axis=1)
        return out

    def log_resp_pass(self, params, resp_out=None):
        """Sum of ``log p(x_i)`` and, optionally, the responsibilities."""
        total = 0.0
        with self.blas_guard(params):
            for sl in chunks(self.n_samples, self._pass_rows(params)):
                lse, resp = log_resp_rows(self.weighted_log_prob(params, sl))
                if resp_out is not None:
                    resp_out[sl] = resp
                total += weighted_sum(lse, self.weights_of(sl))
        return total

    def map_parts(self, func, chunk):
        """``func`` over a fixed partition of the rows, in threads if allowed.

        The partition depends only on ``n_samples`` and the chunk size (never
        on the thread count), and results come back in order, so the sums
        are the same bytes whatever the number of threads.
        """
        n_parts = int(min(N_PARTS, max(1, self.n_samples // max(chunk, 1))))
        bounds = np.linspace(0, self.n_samples, n_parts + 1).astype(int)
        parts = [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        if self.n_threads <= 1 or n_parts == 1:
            return [func(part) for part in parts]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=self.n_threads)
        return list(self._executor.map(func, parts))

    def close(self):
        if self._executor is not None:
            self._executor.shutdown()
            self._executor = None

    def blas_guard(self, params=None):
        """Context: single-threaded BLAS for the chunk loops.

        The one place that sets thread limits.  Chunks are parallel over row
        parts (worker threads) instead; BLAS threads inside many small GEMMs
        would mostly wait for each other.  Not set for passes with
        ``params`` that the numba kernels run (no BLAS there; threadpoolctl
        changes nothing for them).
        """
        if self.n_samples < 2048:  # a single small chunk: not worth the call
            return nullcontext()
        if params is not None and self.use_numba(params):
            return nullcontext()
        return single_threaded_blas()

    def kernel_threads(self, params):
        """Context: numba's thread count for the passes with ``params``, set
        once for a loop of them.  Each pass then finds it set; else a pass
        with fewer row blocks than threads (1,000 rows: one block) set and
        restored it, 1.7 us of a 22 us pass."""
        if not self.use_numba(params):
            return nullcontext()
        from ._em_numba import _numba_thread_limit, pass_blocks

        n_blocks = pass_blocks(self.n_samples, self.n_features, len(params.weights))
        return _numba_thread_limit(self.n_threads, n_blocks)

    # -- M-step ---------------------------------------------------------------
    def m_step(self, stats, centres):
        """``(nk, means, covariances)`` from statistics centred at ``centres``.

        ``nk`` includes sklearn's ``10 * eps``; means are in shifted
        coordinates.
        """
        nk_raw, sx = stats[0], stats[1]
        nk = nk_raw + 10 * self.eps
        means = (sx + nk_raw[:, None] * centres) / nk[:, None]
        # a component with exactly zero responsibility gets sklearn's mean 0
        dead = nk_raw == 0
        if np.any(dead):
            means[dead] = -self.shift
        covariances = self.model.covariances(
            stats, nk, means, centres, self.reg_covar, self.shift
        )
        return nk, means, covariances

    def next_params(self, stats, params, iteration):
        """The M-step as new :class:`Params` (may raise singular)."""
        if self.model.name == "full" and self.use_numba(params):
            from ._em_numba import full_m_step

            shift = np.ascontiguousarray(self.shift, dtype=np.float64)
            *new, failed = full_m_step(
                *stats, params.means, shift, self.reg_covar, self.eps
            )
            if failed < 0:
                return Params(*new)
            # not positive definite: the model names the component and raises
        nk, means, covariances = self.m_step(stats, params.means)
        return self.make_params(nk / nk.sum(), means, covariances, iteration)

    def stats_from_resp(self, resp, centres, second=True):
        """The model's statistics of given responsibilities about ``centres``.

        With ``second`` False only ``(nk_raw, sx)``.
        """
        if self.use_kernels(resp.shape[1]):
            return self._resp_moments(resp, centres, second)
        return self._resp_moments_blas(resp, centres, second)

    def _resp_moments(self, resp, centres, second):
        """:meth:`stats_from_resp` by the numba kernel."""
        from ._em_numba import resp_moments

        nk_raw, sx, m2 = resp_moments(
            self.X,
            self.shift,
            resp,
            centres,
            sample_weight=self.sample_weight,
            second=second,
        )
        if not second:
            return nk_raw, sx
        return self.model.from_kernel_statistics(nk_raw, sx, m2)

    def _resp_moments_blas(self, resp, centres, second):
        """:meth:`stats_from_resp` by chunks of NumPy/BLAS."""
        acc = None
        centres_w = centres.astype(self.dtype)
        with self.blas_guard():  # same bytes whatever the BLAS threads
            for sl in chunks(self.n_samples, self.chunk_rows(resp.shape[1])):
                rc = resp[sl].astype(self.dtype, copy=True)
                w = self.weights_of(sl)
                if w is not None:
                    rc *= w[:, None]
                stats = self.model.statistics(self.rows(sl), rc, centres_w)
                acc = _accumulate(acc, stats)
        return self.model.finish(tuple(acc), centres)[: None if second else 2]

    def _expanded_parameters_from_resp(self, resp):
        """sklearn's uncentred initial M-step in the data's own coordinates."""
        acc = None
        for sl in chunks(self.n_samples, self.chunk_rows(resp.shape[1])):
            rc = resp[sl].astype(np.float64)
            w = self.weights_of(sl)
            if w is not None:
                rc *= w[:, None]
            parts = self.model.expanded_parameters(self.X[sl].astype(np.float64), rc, w)
            acc = _accumulate(acc, parts)
        nk_raw, sx, q = acc
        nk = nk_raw + 10 * self.eps
        means = sx / nk[:, np.newaxis]
        covariances = self.model.expanded_covariances(q, nk, means, self.reg_covar)
        return nk, means - self.shift, covariances

    def parameters_from_resp(self, resp):
        """sklearn's ``_estimate_gaussian_parameters`` on given responsibilities.

        For 'tied', 'diag' and 'spherical' sklearn uses uncentred formulas in
        the data's own coordinates (``E[x^2] - mu^2``; for 'tied' ``X^T X``
        over all rows even when the responsibilities do not sum to one, as
        with 'k-means++' and 'random_from_data').  They are replayed exactly,
        unless the data lie far from the origin relative to their spread,
        where that formula loses precision and the centred one is used.
        """
        if self.model.expanded_init and not self.far_from_origin:
            with self.blas_guard():  # same bytes whatever the BLAS threads
                return self._expanded_parameters_from_resp(resp)
        zero = np.zeros((resp.shape[1], self.n_features))
        nk_raw, sx = self.stats_from_resp(resp, zero, second=False)
        centres = sx / np.where(nk_raw > 0, nk_raw, 1.0)[:, None]
        return self.m_step(self.stats_from_resp(resp, centres), centres)
