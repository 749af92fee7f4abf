"""Dask arrays in the estimator: the same EM, one task per block of rows.

An exact EM is a sum over rows: every pass computes, per block of rows, the
sum of ``log p(x_i)`` and the sufficient statistics of the M-step, with the
same engine and kernels as in memory (:class:`emgmm._engine.Engine` over the
block); the sums are added in a fixed tree over the blocks (it depends only
on their number) and the M-step runs on the client.  So the data never need
to fit in one process, any Dask scheduler runs the passes, and the result is
the same bytes whatever the number of workers, threads or processes.

The start: where the rows (and their responsibilities) take at most
``START_MAX_BYTES``, they are gathered and the start is the in-memory one,
exactly; above, the same start on a seeded sample of as many rows as fit in
that size (drawn with a seed taken from ``random_state``), recorded in the
fitted model as ``init_rows_``.

:class:`DaskEngine` is an :class:`~emgmm._engine.Engine` whose passes over
the rows are Dask tasks; everything between passes (M-step, factors, the
stopping rule) is the in-memory engine's.  Dask is imported only here, when
a Dask array is passed.
"""

import numpy as np

from ._engine import Engine, _accumulate, blas_threads
from ._validation import check_sample_weight, no_positive_weight

__all__ = [
    "DaskEngine",
    "START_MAX_BYTES",
    "check_rows",
    "is_dask",
    "map_rows",
    "weighted_mean",
]

# rows x (features + components) x 8 bytes above which the start is computed
# on a seeded sample of rows rather than on all of them
START_MAX_BYTES = 2**27
# blocks' sums are added in groups of this many, level by level
TREE_FANIN = 8


def is_dask(X):
    """Whether ``X`` is a Dask collection (without importing Dask)."""
    return type(X).__module__.split(".")[0] == "dask"


def check_rows(X, n_features=None):
    """``X`` as a 2-D floating Dask array with whole rows in each block.

    Raises ``ValueError`` with the fix for a Dask collection that is not an
    array, an array that is not 2-D or not numeric, or (``n_features`` given)
    rows of the wrong width.  NaN and infinite values are found by the first
    pass over the rows (:class:`DaskEngine`, or the prediction tasks).
    """
    import dask.array as da

    if not isinstance(X, da.Array):
        raise ValueError(
            f"X must be a Dask array, got a {type(X).__name__}; pass "
            "X.to_dask_array(lengths=True) or X.values"
        )
    if X.ndim != 2:
        raise ValueError(
            f"X must be 2-D (rows x features), got a Dask array of shape "
            f"{X.shape}; reshape it, e.g. X.reshape(-1, 1) for one feature"
        )
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise ValueError(
            f"X must be numeric, got a Dask array of dtype {X.dtype}; convert "
            "it with X.astype(float)"
        )
    if any(np.isnan(n) for n in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but GaussianMixture is expecting "
            f"{n_features} features as input."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X.rechunk({1: -1})


def _check_finite(X, first_row):
    bad = ~np.isfinite(X).all(axis=1)
    if np.any(bad):
        i = first_row + int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"X contains NaN or infinity at row {i} ({int(bad.sum())} such "
            f"row(s) in rows {first_row}-{first_row + len(X) - 1}); drop or "
            "impute them"
        )


def _weights(sample_weight, n_samples, chunks):
    """``sample_weight`` as a Dask array in blocks of ``chunks`` rows, or None.

    A number is one weight for every row, as in memory; an array of the wrong
    shape raises the in-memory check's message.  The values are checked block
    by block in the passes (``check_sample_weight(..., whole=False)``).
    """
    import numbers

    import dask.array as da

    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        value = check_sample_weight(sample_weight, 1)[0]
        return da.full(n_samples, value, chunks=(chunks,))
    w = da.asarray(sample_weight)
    if w.ndim != 1 or w.shape[0] != n_samples:
        check_sample_weight(np.broadcast_to(0.0, w.shape), n_samples)
    return w.rechunk((chunks,))


def _block_sums(X, weights, first_row):
    """Checks of a block, and its ``(sum w, [sum w x])`` in float64."""
    _check_finite(X, first_row)
    if weights is None:
        return float(X.shape[0]), [X.sum(axis=0, dtype=np.float64)]
    weights = check_sample_weight(weights, X.shape[0], first_row=first_row, whole=False)
    return float(weights.sum(dtype=np.float64)), [weights @ X.astype(np.float64)]


def _block_engine(X, weights, spec):
    model, reg_covar, chunk_size, dtype, shift, kernels = spec
    engine = Engine(X, model, reg_covar, chunk_size, dtype, 1, shift, weights)
    # the whole fit's choice of path, whatever the block's size
    engine.numpy_max_work = -1 if kernels else np.inf
    return engine


def _block_pass(X, weights, spec, params):
    """``(sum log p, raw statistics)`` of one block."""
    return _block_engine(X, weights, spec).pass_statistics(params)


def _block_labels(X, spec, params):
    return _block_engine(X, None, spec).labels(params)


def _add_parts(*parts):
    """The sum of ``(total, raw statistics)`` pairs, in the order given."""
    total, acc = 0.0, None
    for part_total, part in parts:
        total += part_total
        acc = _accumulate(acc, part)
    return total, acc


def _tree_sum(parts, add):
    """``parts`` added in groups of ``TREE_FANIN``, level by level."""
    from dask import delayed

    while len(parts) > 1:
        parts = [
            delayed(add, pure=False)(*parts[i : i + TREE_FANIN])
            for i in range(0, len(parts), TREE_FANIN)
        ]
    return parts[0]


class DaskEngine(Engine):
    """The engine over a Dask array: passes are tasks, one per block.

    Parameters as :class:`~emgmm._engine.Engine`; ``X`` a 2-D Dask array
    (:func:`check_rows`) and ``sample_weight`` None, a number, or a 1-D array
    (Dask or NumPy) of one weight per row.  Construction runs one pass: the checks of
    every block (NaN, infinity, bad weights) and the shift.
    """

    one_call_iterations = False  # each pass is Dask's tasks

    def __init__(
        self, X, model, reg_covar, chunk_size, dtype, n_threads, sample_weight=None
    ):
        import dask

        # the in-memory engine's settings; the weights, their total and the
        # shift come from the first pass, below
        Engine.__init__(
            self,
            X,
            model,
            reg_covar,
            chunk_size,
            dtype,
            n_threads,
            np.zeros(X.shape[1]),
        )
        self._gathered = None  # the in-memory start's engine (start_data)
        sizes = X.chunks[0]
        self.first_rows = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int)
        self.blocks = list(X.to_delayed()[:, 0])
        self.sample_weight = _weights(sample_weight, self.n_samples, sizes)
        if self.sample_weight is None:
            self.weight_blocks = [None] * len(self.blocks)
        else:
            self.weight_blocks = list(self.sample_weight.to_delayed())
        # blocks of no rows (a filtered array) add nothing: leave them out
        kept = [i for i, n in enumerate(sizes) if n > 0]
        self.blocks = [self.blocks[i] for i in kept]
        self.weight_blocks = [self.weight_blocks[i] for i in kept]
        self.first_rows = self.first_rows[kept]
        sums = [
            dask.delayed(_block_sums, pure=False)(xb, wb, first)
            for xb, wb, first in zip(
                self.blocks, self.weight_blocks, self.first_rows, strict=True
            )
        ]
        self.total_weight, (column_sums,) = dask.compute(_tree_sum(sums, _add_parts))[0]
        if not self.total_weight > 0:
            raise no_positive_weight()
        self.shift = column_sums / self.total_weight

    def _spec(self, n_components):
        return (
            self.model,
            self.reg_covar,
            self.chunk_size,
            self.dtype,
            self.shift,
            self.use_kernels(n_components),
        )

    def pass_statistics(self, params):
        """One pass as Dask tasks; the blocks' sums added in a fixed tree."""
        import dask

        spec = dask.delayed(self._spec(len(params.weights)))
        params = dask.delayed(params)
        parts = [
            dask.delayed(_block_pass, pure=False)(xb, wb, spec, params)
            for xb, wb in zip(self.blocks, self.weight_blocks, strict=True)
        ]
        return dask.compute(_tree_sum(parts, _add_parts))[0]

    def labels(self, params, out=None):
        """The most probable component of every row: a lazy Dask array."""
        return self.X.map_blocks(
            _block_labels,
            self._spec(len(params.weights)),
            params,
            drop_axis=1,
            dtype=np.intp,
        )

    def start_data(self, random_state, n_components):
        """An in-memory engine over all rows, or over a seeded sample.

        All rows where ``n_samples * (n_features + n_components) * 8`` bytes
        are at most ``START_MAX_BYTES``: the start is then the in-memory
        one.  Else a sample of as many rows as fit in that size, drawn
        without replacement by a generator seeded from ``random_state``.
        """
        import dask

        rows = START_MAX_BYTES // (8 * (self.n_features + n_components))
        if self.n_samples <= rows:
            if self._gathered is None:  # once for every start of the fit
                self._gathered = self._in_memory(
                    *dask.compute(self.X, self.sample_weight)
                )
            return self._gathered, self._gathered.X
        seed = random_state.randint(np.iinfo(np.int32).max)
        index = np.random.default_rng(seed).choice(self.n_samples, rows, replace=False)
        index.sort()
        X = self.X[index]
        weights = None if self.sample_weight is None else self.sample_weight[index]
        engine = self._in_memory(*dask.compute(X, weights))
        return engine, engine.X

    def _in_memory(self, X, weights):
        """An in-memory engine over gathered rows, with this fit's shift."""
        return Engine(
            np.ascontiguousarray(X),
            self.model,
            self.reg_covar,
            self.chunk_size,
            self.dtype,
            blas_threads(),
            self.shift,
            weights,
        )

    def close(self):
        """Release the gathered rows of the start and the worker threads."""
        self._gathered = None
        Engine.close(self)


def map_rows(func, X, n_columns=None, dtype=np.float64):
    """``func`` over the blocks of rows of ``X``, lazily (a Dask array).

    ``func`` maps a block of rows to one value per row (``n_columns`` None)
    or to ``n_columns`` values per row.
    """

    def checked(block, block_info=None):
        _check_finite(block, block_info[0]["array-location"][0][0])
        return func(block)

    if n_columns is None:
        return X.map_blocks(checked, drop_axis=1, dtype=dtype)
    return X.map_blocks(checked, chunks=(X.chunks[0], (n_columns,)), dtype=dtype)


def weighted_mean(values, sample_weight=None):
    """The (weighted) mean of a 1-D Dask array, as a float.

    Weights as :func:`emgmm._validation.check_sample_weight` takes them: a
    number, or one per value (Dask or NumPy); rows of weight 0 are left out
    even where the value is infinite.
    """
    import dask
    import dask.array as da

    weights = _weights(sample_weight, values.shape[0], values.chunks[0])
    if weights is None:
        return float(values.mean().compute())

    def checked(block, block_info=None):
        first = block_info[0]["array-location"][0][0]
        return check_sample_weight(block, block.shape[0], first_row=first, whole=False)

    weights = weights.map_blocks(checked, dtype=np.float64)
    total, weight = dask.compute(
        (weights * da.where(weights > 0, values, 0.0)).sum(), weights.sum()
    )
    if not weight > 0:
        raise no_positive_weight()
    return float(total / weight)
