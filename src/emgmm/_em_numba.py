"""Fused numba E-step + sufficient statistics (every covariance type, d <= 128).

Per pass over the data, an EM iteration is dominated by memory traffic and
array-operation overhead when done with NumPy chunks.  :func:`fused_full_pass`
does one loop over the points that computes, per point, the log-densities of
all components, their log-sum-exp and the responsibilities, and accumulates
the sufficient statistics ``sum w r``, ``sum w r (x - c_k)`` and
``sum w r (x - c_k)(x - c_k)^T`` centred at the current means ``c_k`` (so no
cancellation for data far from the origin).

Layout (SIMD): the rows are processed in tiles of ``_TILE`` points copied
feature-major (``xt[j, p]``), so that every inner loop runs over the points of
a tile with unit stride and a constant trip count, the loop LLVM vectorises
(AVX-512/AVX2 as the CPU allows).  On Intel CPUs with AVX-512, LLVM
vectorises 256 bits wide unless asked otherwise (its ``prefer-256-bit``
tuning), and numba can ask only for a whole process
(``NUMBA_CPU_FEATURES``); the tile functions of the blocked kernel ask for
themselves (:func:`_wide_vectors`), and a tile's scratch
starts on a 64-byte boundary (:func:`_aligned_zeros`: a 512-bit load that
straddles two cache lines costs two).  Measured on the Intel Xeon host, one
thread unless said, seconds per iteration (median of 3-9 pairs of fits in a
process), new against old code in alternating processes, two or three of
each: (1e5, 64, 16) 0.337-0.359 against 0.386-0.402; on two threads
0.177-0.182 against 0.202-0.215; (1e5, 16, 8) 15.8 against 18.2-18.5 ms;
(1e5, 6, 8) on two threads 2.7-3.0 against 3.5-3.7 ms.  The unrolled
kernel's own functions stay 256 bits wide (with 512, (1e6, 2, 4) took
12.5-12.9 ms against 10.9-11.4 ms); the functions it shares with the
blocked kernel (responsibilities, exp, log, tile sums) are 512 bits wide
there too, at the same speed (10.9 ms at (1e6, 2, 4)).  Two kernels share
that layout:

* the *unrolled* kernel (``n_features <= UNROLLED_MAX_FEATURES``):
  ``n_features`` reaches it as the length of a tuple (``shift``), so each
  ``n_features`` gets its own compiled (and cached) specialisation in which
  the loops over features unroll;
* the *blocked* kernel (more features): one compiled kernel for every
  ``n_features``, padded to a multiple of 4 and worked in blocks of 4, so the
  loop over the points stays innermost at every d (see the section below).

Vector exp/log: numba >= 0.62 no longer uses Intel's SVML (its LLVM is not
patched for it; ``numba -s`` reports "SVML Operational: False" even with the
``intel-cmplr-lib-rt`` wheel loaded), so ``math.exp``/``math.log`` in a loop
stay scalar library calls.  :func:`_tile_exp` and :func:`_tile_log` are
fdlibm's algorithms written as branch-free tile loops, within one ulp of the
C library, that vectorise like the rest.

Floating point: the kernels are compiled with LLVM's ``contract`` flag only
(fused multiply-add: at most one rounding less per operation).  The sums over
the points of one tile (:func:`_tile_sum`, :func:`_tile_dot`,
:func:`_tile_block_moments`) also allow ``reassoc``, so LLVM sums them in
interleaved vector partial sums, an order fixed at compile time; the tile
sums are added to the block sums tile after tile, and the blocks in order,
without reassociation.  Against a reference
that sums the same terms exactly, the statistics agree to a few 1e-16 of
their magnitude (tests/library/test_em_numba.py asserts 1e-13).

:func:`full_m_step` is the full-covariance M-step that follows a pass, in
one compiled call: covariances from the centred statistics, their Cholesky
factors, the factors' inverses and log-determinants (NumPy and SciPy calls
for these took about 40 us per iteration, more than the pass itself on
1,000 rows); :func:`compiled_iterations` runs a fit's iterations, each the
pass, the sums of its blocks and that M-step, in one compiled call (the
passes' blocks in parallel inside it: a compiled loop calls the serial
:func:`block_pass`, since numba cannot load a cached serial function that
calls a parallel one).

Determinism: the rows are split into a number of blocks that depends only on
the problem's size (:func:`n_blocks_for`: the rows, and for a small pass its
work; never the thread count); each block writes its own partial
sums and the blocks are reduced afterwards in a fixed order.  The same input
therefore gives the same bytes whatever the number of threads (on one
machine: the vector width and FMA of the compiled code are the CPU's).
"""

import math

import numpy as np
from numba import (
    get_num_threads,
    njit,
    prange,
    set_num_threads,
    types,
)
from numba.extending import intrinsic, overload

from ._engine import pass_work

__all__ = [
    "block_pass",
    "column_sums",
    "compiled_iterations",
    "full_m_step",
    "full_weighted_log_prob",
    "fused_full_pass",
    "n_blocks_for",
    "numba_threads",
    "pass_blocks",
    "resp_moments",
    "sum_blocks",
]

# the kernel with every loop over features unrolled (one compiled
# specialisation per n_features) up to this many features, the blocked kernel
# (one for all n_features) above; measured on 2 threads, ms per pass: at
# (1e6, 2, 4) unrolled 10.4, blocked 13.0; at (2e5, 3, 8) 6.6 vs 5.5; at
# (2e5, 6, 8) 13.2 vs 9.3
UNROLLED_MAX_FEATURES = 2
# points per tile: a compile-time constant (numba freezes module globals), so
# the loops over a tile have a known trip count; 128 was measured faster than
# 32 (loop overhead) and keeps a tile's scratch in L1
_TILE = 128

# fused multiply-add only: no reassociation, no approximate functions ...
_FASTMATH = {"contract"}
# ... except inside the sum over the points of one tile (_tile_sum, _tile_dot)
# whose order LLVM fixes at compile time (interleaved vector partial sums)
_FASTMATH_SUM = {"contract", "reassoc"}


# exp on a tile without a vector math library (numba >= 0.62 has no SVML):
# fdlibm's e_exp.c (Sun Microsystems, freely distributable), rewritten as
# branch-free loops; 2**k is assembled in the exponent bits of an int64 buffer
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_EXP_P1 = 1.66666666666666019037e-01
_EXP_P2 = -2.77777777770155933842e-03
_EXP_P3 = 6.61375632143793436117e-05
_EXP_P4 = -1.65339022054652515390e-06
_EXP_P5 = 4.13813679705723846039e-08
# log on a tile: fdlibm's e_log.c (as in musl), branch-free
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_MIN_NORMAL = 2.2250738585072014e-308
_LOG_BIAS = (0x3FF00000 - 0x3FE6A09E) << 32
_LOG_MANT = 0x000FFFFFFFFFFFFF
_LOG_SQRT_HALF = 0x3FE6A09E << 32
# below this, exp(x) is subnormal or 0: returned as 0 (no effect on sums of
# responsibilities, which are >= exp(0) = 1 at the maximum)
_EXP_MIN = -708.0


# a pass of fewer than 2 * 4096 rows splits in two row blocks (two threads'
# work) from this many multiply-adds (emgmm._engine.pass_work) on: the
# smallest measured size, below the engine's NUMPY_MAX_WORK.  On the Intel
# Xeon host, us per EM iteration in one compiled call on two threads, one
# block / two: (500, 2, 4) 7.4 / 6.5; (1e3, 2, 4) 13.2 / 9.5; (4e3, 2, 4)
# 51 / 28; (1e3, 8, 4) 46 / 32; (1e3, 16, 8) 209 / 128.  On one thread the
# blocks run one after the other, without a parallel region: 0.6 us more a
# block (its scratch).
SPLIT_MIN_WORK = 10_000


def n_blocks_for(n_samples, work=0):
    """Number of row blocks of a pass: one per 4,096 rows, at most 64; two
    where fewer rows hold at least ``SPLIT_MIN_WORK`` multiply-adds
    (``work``, :func:`emgmm._engine.pass_work`).  Fixed by the problem's
    size, never by the threads: the blocks' sums add in one order
    (determinism)."""
    n_blocks = max(1, min(64, n_samples // 4096))
    if n_blocks == 1 and n_samples >= 2 * _TILE and work >= SPLIT_MIN_WORK:
        n_blocks = 2
    return int(n_blocks)


def pass_blocks(n_samples, n_features, n_components):
    """Row blocks of a full-covariance pass over ``n_samples`` rows:
    :func:`n_blocks_for` with the pass's work."""
    return n_blocks_for(n_samples, pass_work(n_samples, n_features, n_components))


@intrinsic
def _wide_vectors(typingctx):
    """Mark the calling function: its loops vectorise 512 bits wide where the
    CPU has AVX-512."""

    def codegen(context, builder, signature, args):
        # llvmlite lists only LLVM's enum attributes; a string attribute goes
        # into the set as LLVM IR spells it
        set.add(builder.function.attributes, '"prefer-vector-width"="512"')
        return context.get_dummy_value()

    return types.none(), codegen


@njit(cache=True, nogil=True)
def _aligned_zeros(n_rows, n_cols):
    """Zeros of shape (n_rows, n_cols) starting on a 64-byte boundary."""
    buffer = np.zeros(n_rows * n_cols + 8)
    offset = (-buffer.ctypes.data % 64) // 8
    return buffer[offset : offset + n_rows * n_cols].reshape((n_rows, n_cols))


@njit(cache=True, nogil=True)
def _tile_vectors():
    """A pass's scratch vectors of one tile, 64-byte aligned: five of float64
    (the last, the weights, ones) and one of int64."""
    vectors = _aligned_zeros(6, _TILE)
    vectors[4] = 1.0
    return (
        vectors[0], vectors[1], vectors[2], vectors[3], vectors[4],
        vectors[5].view(np.int64),
    )  # fmt: skip


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_exp(x, out, bits):
    """``out[p] = exp(x[p])`` for one tile (within 1 ulp; vectorisable).

    ``x <= -708`` gives 0, nan stays nan; ``bits`` is int64 scratch.
    """
    _wide_vectors()
    scale = bits.view(np.float64)
    for p in range(_TILE):
        v = x[p]
        v = v if v > _EXP_MIN else _EXP_MIN
        k = math.floor(v * _INV_LN2 + 0.5)
        bits[p] = (np.int64(k) + 1023) << 52
        hi = v - k * _LN2_HI
        lo = k * _LN2_LO
        r = hi - lo
        t = r * r
        c = r - t * (
            _EXP_P1 + t * (_EXP_P2 + t * (_EXP_P3 + t * (_EXP_P4 + t * _EXP_P5)))
        )
        out[p] = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    for p in range(_TILE):
        v = x[p]
        e = out[p] * scale[p]
        out[p] = e if v > _EXP_MIN else (0.0 if v <= _EXP_MIN else v)


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_log(x, out, bits):
    """``out[p] = log(x[p])`` for one tile (within 1 ulp; vectorisable).

    For ``x`` normal, 0, inf or nan (subnormal ``x`` is not handled: the
    callers' sums are >= 1 or 0); ``bits`` is int64 scratch.
    """
    _wide_vectors()
    xbits = x.view(np.int64)
    mant = bits.view(np.float64)
    for p in range(_TILE):
        ix = xbits[p] + _LOG_BIAS
        bits[p] = (ix & _LOG_MANT) + _LOG_SQRT_HALF
        out[p] = np.float64((ix >> 52) - 0x3FF)
    for p in range(_TILE):
        v = x[p]
        dk = out[p]
        f = mant[p] - 1.0
        hfsq = 0.5 * f * f
        s = f / (2.0 + f)
        z = s * s
        w = z * z
        t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
        t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
        r = s * (hfsq + t2 + t1) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI
        special = -math.inf if v == 0.0 else (v if v >= 0.0 else math.nan)
        out[p] = r if (v >= _MIN_NORMAL and v < math.inf) else special


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _load_tile(X, shift, row0, n_rows, xt):
    """Rows ``row0 : row0 + n_rows`` minus ``shift`` into ``xt`` (feature-major).

    ``shift`` is a tuple: its length (``n_features``) is a compile-time
    constant, so the loops over features unroll.  Lanes past ``n_rows`` are
    set to 0 (the internal origin).
    """
    n_features = len(shift)
    if n_rows == _TILE:
        for p in range(_TILE):
            for j in range(n_features):
                xt[j, p] = X[row0 + p, j] - shift[j]
    else:
        for p in range(n_rows):
            for j in range(n_features):
                xt[j, p] = X[row0 + p, j] - shift[j]
        for p in range(n_rows, _TILE):
            for j in range(n_features):
                xt[j, p] = 0.0


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_log_prob(xt, shift, log_w, means, prec_chol, logp):
    """``log w_k + log N(x_p | k)`` for the points of one tile.

    One loop over the points per component; the loops over features inside
    unroll (``len(shift)`` is constant), so the distances stay in registers.
    """
    n_features = len(shift)
    n_components = means.shape[0]
    for k in range(n_components):
        c = log_w[k]
        for p in range(_TILE):
            q = 0.0
            for j in range(n_features):
                y = 0.0
                # prec_chol is upper triangular: column j has rows <= j
                for t in range(j + 1):
                    y += (xt[t, p] - means[k, t]) * prec_chol[k, t, j]
                q += y * y
            logp[k, p] = c - 0.5 * q


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_resp(logp, w, n_rows, mx, s, lse, y, bits):
    """Log-sum-exp per point into ``lse`` and ``w_p r_kp`` in place of ``logp``.

    Lanes past ``n_rows`` get ``lse = 0`` and zero responsibilities.
    """
    _wide_vectors()
    n_components = logp.shape[0]
    for p in range(_TILE):
        mx[p] = logp[0, p]
    for k in range(1, n_components):
        for p in range(_TILE):
            v = logp[k, p]
            mx[p] = v if v > mx[p] else mx[p]
    for p in range(_TILE):
        # all components -inf (or nan): no shift, as the scalar version did
        mx[p] = mx[p] if abs(mx[p]) < math.inf else 0.0
        s[p] = 0.0
    for k in range(n_components):
        for p in range(_TILE):
            y[p] = logp[k, p] - mx[p]
        _tile_exp(y, logp[k], bits)
        for p in range(_TILE):
            s[p] += logp[k, p]
    _tile_log(s, lse, bits)
    for p in range(_TILE):
        lse[p] += mx[p]
        s[p] = 1.0 / s[p]
    for k in range(n_components):
        for p in range(_TILE):
            logp[k, p] = logp[k, p] * s[p] * w[p]
    for p in range(n_rows, _TILE):
        lse[p] = 0.0
        for k in range(n_components):
            logp[k, p] = 0.0


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH_SUM)
def _tile_dot(a, b):
    """``sum_p a[p] b[p]`` over one tile (vectorised; fixed compiled order)."""
    _wide_vectors()
    acc = 0.0
    for p in range(_TILE):
        acc += a[p] * b[p]
    return acc


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH_SUM)
def _tile_sum(a):
    """``sum_p a[p]`` over one tile (vectorised; fixed compiled order)."""
    _wide_vectors()
    acc = 0.0
    for p in range(_TILE):
        acc += a[p]
    return acc


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_accumulate(xt, shift, means, resp, diff, rdiff, stats):
    """Add one tile's ``sum r``, ``sum r (x - mu)``, ``sum r (x - mu)(x - mu)^T``.

    ``stats[k, 0]`` sums ``r``, ``stats[k, 1 + j]`` sums ``r (x_j - mu_j)`` and
    ``stats[k, 1 + n_features + pair]`` the lower triangle of the second
    moments, packed row by row.  ``diff`` and ``rdiff`` are scratch of shape
    (n_features, _TILE).  One or two features (a compile-time constant) take
    every sum in one loop over the points (:func:`_tile_moments_1`,
    :func:`_tile_moments_2`): 11.2 against 12.7 us a pass of 1,000 rows at
    K = 4, d = 2 (Intel Xeon).
    """
    n_features = len(shift)
    n_components = means.shape[0]
    for k in range(n_components):
        r = resp[k]
        if n_features == 1:
            _tile_moments_1(xt[0], r, means[k, 0], stats[k])
            continue
        if n_features == 2:
            _tile_moments_2(xt[0], xt[1], r, means[k, 0], means[k, 1], stats[k])
            continue
        stats[k, 0] += _tile_sum(r)
        for j in range(n_features):
            m = means[k, j]
            d_j = diff[j]
            rd_j = rdiff[j]
            x_j = xt[j]
            for p in range(_TILE):
                v = x_j[p] - m
                d_j[p] = v
                rd_j[p] = r[p] * v
        pair = 1 + n_features
        for j in range(n_features):
            stats[k, 1 + j] += _tile_sum(rdiff[j])
            for t in range(j + 1):
                stats[k, pair] += _tile_dot(rdiff[j], diff[t])
                pair += 1


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH_SUM)
def _tile_moments_1(x0, r, m0, out):
    """:func:`_tile_accumulate`'s sums for one component, one feature."""
    a = b0 = c00 = 0.0
    for p in range(_TILE):
        v0 = x0[p] - m0
        rv0 = r[p] * v0
        a += r[p]
        b0 += rv0
        c00 += rv0 * v0
    out[0] += a
    out[1] += b0
    out[2] += c00


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH_SUM)
def _tile_moments_2(x0, x1, r, m0, m1, out):
    """:func:`_tile_accumulate`'s sums for one component, two features."""
    a = b0 = b1 = c00 = c10 = c11 = 0.0
    for p in range(_TILE):
        v0 = x0[p] - m0
        v1 = x1[p] - m1
        rv0 = r[p] * v0
        rv1 = r[p] * v1
        a += r[p]
        b0 += rv0
        b1 += rv1
        c00 += rv0 * v0
        c10 += rv1 * v0
        c11 += rv1 * v1
    out[0] += a
    out[1] += b0
    out[2] += b1
    out[3] += c00
    out[4] += c10
    out[5] += c11


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _fused_full_blocks(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, n_blocks
):
    n_samples = X.shape[0]
    n_features = len(shift)
    n_components = means.shape[0]
    lse_sum = np.zeros(n_blocks)
    nk = np.zeros((n_blocks, n_components))
    sx = np.zeros((n_blocks, n_components, n_features))
    sxx = np.zeros((n_blocks, n_components, n_features, n_features))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        lse_sum[b] = unrolled_block(
            X, shift, log_w, means, prec_chol, sample_weight, weighted, start,
            stop, nk[b], sx[b], sxx[b],
        )  # fmt: skip
    return lse_sum, nk, sx, sxx


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def unrolled_block(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, start, stop, nk,
    sx, sxx,
):  # fmt: skip
    """Rows ``start:stop`` of the unrolled kernel's pass, as :func:`blocked_block`
    (``shift`` a tuple, the factors unpadded; the lower triangle of ``sxx``)."""
    n_features = len(shift)
    n_components = means.shape[0]
    n_pairs = n_features * (n_features + 1) // 2
    xt = _aligned_zeros(n_features, _TILE)
    logp = _aligned_zeros(n_components, _TILE)
    diff = _aligned_zeros(n_features, _TILE)
    rdiff = _aligned_zeros(n_features, _TILE)
    y, mx, s, lse, w, bits = _tile_vectors()
    # sums of the block: tile after tile, in order
    b_lse = 0.0
    b_stats = np.zeros((n_components, 1 + n_features + n_pairs))
    for row0 in range(start, stop, _TILE):
        n_rows = min(_TILE, stop - row0)
        _load_tile(X, shift, row0, n_rows, xt)
        if weighted:
            for p in range(n_rows):
                w[p] = sample_weight[row0 + p]
            for p in range(n_rows, _TILE):
                w[p] = 0.0
        _tile_log_prob(xt, shift, log_w, means, prec_chol, logp)
        _tile_resp(logp, w, n_rows, mx, s, lse, y, bits)
        b_lse += _tile_dot(lse, w)
        _tile_accumulate(xt, shift, means, logp, diff, rdiff, b_stats)
    for k in range(n_components):
        nk[k] += b_stats[k, 0]
        pair = 1 + n_features
        for j in range(n_features):
            sx[k, j] += b_stats[k, 1 + j]
            for t in range(j + 1):
                sxx[k, j, t] += b_stats[k, pair]
                pair += 1
    return b_lse


def block_pass(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, start, stop, nk,
    sx, sxx,
):  # fmt: skip
    """One row block of the fused pass, in compiled code: :func:`unrolled_block`
    when ``shift`` is a tuple, :func:`blocked_block` when it is an array (the
    layouts :func:`full_iteration_data` makes).  Serial: callers that run
    blocks one after another (mclust's EM, whose compiled loop cannot call a
    parallel kernel and stay cacheable) get the bytes of the parallel pass."""
    raise NotImplementedError("block_pass is called from compiled code only")


@overload(block_pass, jit_options={"cache": True})
def _block_pass(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, start, stop, nk,
    sx, sxx,
):  # fmt: skip
    block = unrolled_block if isinstance(shift, types.BaseTuple) else blocked_block

    def impl(
        X, shift, log_w, means, prec_chol, sample_weight, weighted, start, stop,
        nk, sx, sxx,
    ):  # fmt: skip
        return block(
            X, shift, log_w, means, prec_chol, sample_weight, weighted, start,
            stop, nk, sx, sxx,
        )  # fmt: skip

    return impl


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _full_weighted_log_prob(X, shift, log_w, means, prec_chol, n_blocks):
    n_samples = X.shape[0]
    n_features = len(shift)
    n_components = means.shape[0]
    out = np.empty((n_samples, n_components))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        xt = np.empty((n_features, _TILE))
        logp = np.empty((n_components, _TILE))
        for row0 in range(start, stop, _TILE):
            n_rows = min(_TILE, stop - row0)
            _load_tile(X, shift, row0, n_rows, xt)
            _tile_log_prob(xt, shift, log_w, means, prec_chol, logp)
            for p in range(n_rows):
                for k in range(n_components):
                    out[row0 + p, k] = logp[k, p]
    return out


# -- the blocked kernel (3 <= n_features <= BLOCKED_MAX_FEATURES) ------------
#
# One compiled kernel for every n_features: the features are padded to a
# multiple of 4 (zero rows of the tile, zero rows and columns of the factors)
# and worked in blocks of 4, so the loops over the points of a tile are the
# innermost ones at every d.  Distances: y_j = sum_t (x_t - mu_t) P[t, j] in
# steps of 4 terms of t (4 loads and 4 FMA per store); second moments: 4 x 4
# blocks of sum_p r (x_j - mu_j)(x_t - mu_t) in 16 accumulators (8 loads per
# 16 FMA), the lower block triangle only.  Measured on one AMD EPYC core at
# (1e5, 16, 8), numba's static schedule: 24-25 ms per pass against 43-45 ms
# for the unrolled kernel (LLVM does not vectorise its fully unrolled
# 136-term body across points) and 92 ms for the NumPy/BLAS chunks.

_BLOCK = 4


def padded_features(n_features):
    """``n_features`` rounded up to a multiple of the block width."""
    return -(-n_features // _BLOCK) * _BLOCK


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _load_tile_padded(X, shift, row0, n_rows, xt):
    """As :func:`_load_tile`, ``shift`` an array; rows ``>= n_features`` stay 0."""
    _wide_vectors()
    n_features = X.shape[1]
    for p in range(n_rows):
        for j in range(n_features):
            xt[j, p] = X[row0 + p, j] - shift[j]
    for p in range(n_rows, _TILE):
        for j in range(n_features):
            xt[j, p] = 0.0


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_centre(xt, mean, n_features, diff):
    """``diff[t, p] = xt[t, p] - mean[t]`` (padding rows of ``diff`` stay 0)."""
    _wide_vectors()
    for t in range(n_features):
        m = mean[t]
        x_t = xt[t]
        d_t = diff[t]
        for p in range(_TILE):
            d_t[p] = x_t[p] - m


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_sq_distance(diff, prec_chol, n_features, y, q):
    """``q[p] = |diff[:, p]^T P|^2`` with ``P`` padded upper triangular.

    Four columns of ``diff^T P`` at a time (``y``: scratch of shape
    (_BLOCK, _TILE)), each point's four rows of ``diff`` loaded once for
    them; the columns past the last whole block one at a time.  Each column
    sums the same terms in the same order as one at a time (the same
    bytes): a 10,000-row block pass at d = 64, K = 16 went from 50.4 to
    37.6 ms, at d = 16, K = 8 from 1.94 to 1.80 ms (Intel Xeon).
    """
    _wide_vectors()
    for p in range(_TILE):
        q[p] = 0.0
    n_full = n_features - n_features % _BLOCK
    y0 = y[0]
    y1 = y[1]
    y2 = y[2]
    y3 = y[3]
    for jb in range(0, n_full, _BLOCK):
        for t in range(0, jb + 1, _BLOCK):
            d0 = diff[t]
            d1 = diff[t + 1]
            d2 = diff[t + 2]
            d3 = diff[t + 3]
            a0 = prec_chol[t, jb]
            a1 = prec_chol[t + 1, jb]
            a2 = prec_chol[t + 2, jb]
            a3 = prec_chol[t + 3, jb]
            b0 = prec_chol[t, jb + 1]
            b1 = prec_chol[t + 1, jb + 1]
            b2 = prec_chol[t + 2, jb + 1]
            b3 = prec_chol[t + 3, jb + 1]
            c0 = prec_chol[t, jb + 2]
            c1 = prec_chol[t + 1, jb + 2]
            c2 = prec_chol[t + 2, jb + 2]
            c3 = prec_chol[t + 3, jb + 2]
            e0 = prec_chol[t, jb + 3]
            e1 = prec_chol[t + 1, jb + 3]
            e2 = prec_chol[t + 2, jb + 3]
            e3 = prec_chol[t + 3, jb + 3]
            if t == 0:
                for p in range(_TILE):
                    u0 = d0[p]
                    u1 = d1[p]
                    u2 = d2[p]
                    u3 = d3[p]
                    y0[p] = u0 * a0 + u1 * a1 + u2 * a2 + u3 * a3
                    y1[p] = u0 * b0 + u1 * b1 + u2 * b2 + u3 * b3
                    y2[p] = u0 * c0 + u1 * c1 + u2 * c2 + u3 * c3
                    y3[p] = u0 * e0 + u1 * e1 + u2 * e2 + u3 * e3
            else:
                for p in range(_TILE):
                    u0 = d0[p]
                    u1 = d1[p]
                    u2 = d2[p]
                    u3 = d3[p]
                    y0[p] += u0 * a0 + u1 * a1 + u2 * a2 + u3 * a3
                    y1[p] += u0 * b0 + u1 * b1 + u2 * b2 + u3 * b3
                    y2[p] += u0 * c0 + u1 * c1 + u2 * c2 + u3 * c3
                    y3[p] += u0 * e0 + u1 * e1 + u2 * e2 + u3 * e3
        for jj in range(_BLOCK):
            yj = y[jj]
            for p in range(_TILE):
                q[p] += yj[p] * yj[p]
    for j in range(n_full, n_features):
        for t in range(0, j + 1, _BLOCK):
            c0 = prec_chol[t, j]
            c1 = prec_chol[t + 1, j]
            c2 = prec_chol[t + 2, j]
            c3 = prec_chol[t + 3, j]
            d0 = diff[t]
            d1 = diff[t + 1]
            d2 = diff[t + 2]
            d3 = diff[t + 3]
            if t == 0:
                for p in range(_TILE):
                    y0[p] = d0[p] * c0 + d1[p] * c1 + d2[p] * c2 + d3[p] * c3
            else:
                for p in range(_TILE):
                    y0[p] += d0[p] * c0 + d1[p] * c1 + d2[p] * c2 + d3[p] * c3
        for p in range(_TILE):
            q[p] += y0[p] * y0[p]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH_SUM)
def _tile_block_moments(rdiff, diff, jb, tb):
    """The 4 x 4 block ``sum_p rdiff[jb + u, p] diff[tb + v, p]`` (row-major)."""
    _wide_vectors()
    a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = 0.0
    a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = 0.0
    r0, r1, r2, r3 = rdiff[jb], rdiff[jb + 1], rdiff[jb + 2], rdiff[jb + 3]
    x0, x1, x2, x3 = diff[tb], diff[tb + 1], diff[tb + 2], diff[tb + 3]
    for p in range(_TILE):
        u0, u1, u2, u3 = r0[p], r1[p], r2[p], r3[p]
        v0, v1, v2, v3 = x0[p], x1[p], x2[p], x3[p]
        a00 += u0 * v0
        a01 += u0 * v1
        a02 += u0 * v2
        a03 += u0 * v3
        a10 += u1 * v0
        a11 += u1 * v1
        a12 += u1 * v2
        a13 += u1 * v3
        a20 += u2 * v0
        a21 += u2 * v1
        a22 += u2 * v2
        a23 += u2 * v3
        a30 += u3 * v0
        a31 += u3 * v1
        a32 += u3 * v2
        a33 += u3 * v3
    return (a00, a01, a02, a03, a10, a11, a12, a13) + (
        a20,
        a21,
        a22,
        a23,
        a30,
        a31,
        a32,
        a33,
    )


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_accumulate_padded(xt, means, resp, n_features, diff, rdiff, nk, sx, sxx):
    """One tile's ``sum r``, ``sum r (x - mu)`` and lower block triangle of
    ``sum r (x - mu)(x - mu)^T`` (padded) added to ``nk``, ``sx``, ``sxx``."""
    _wide_vectors()
    n_components = means.shape[0]
    n_padded = sxx.shape[1]
    for k in range(n_components):
        r = resp[k]
        nk[k] += _tile_sum(r)
        _tile_centre(xt, means[k], n_features, diff)
        for t in range(n_features):
            d_t = diff[t]
            rd_t = rdiff[t]
            for p in range(_TILE):
                rd_t[p] = r[p] * d_t[p]
            sx[k, t] += _tile_sum(rd_t)
        for jb in range(0, n_padded, _BLOCK):
            for tb in range(0, jb + 1, _BLOCK):
                block = _tile_block_moments(rdiff, diff, jb, tb)
                for u in range(_BLOCK):
                    for v in range(_BLOCK):
                        sxx[k, jb + u, tb + v] += block[_BLOCK * u + v]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _tile_log_prob_padded(xt, log_w, means, prec_chol, diff, y, q, logp):
    """``log w_k + log N(x_p | k)`` for one tile (padded factors)."""
    _wide_vectors()
    n_features = means.shape[1]
    for k in range(means.shape[0]):
        _tile_centre(xt, means[k], n_features, diff)
        _tile_sq_distance(diff, prec_chol[k], n_features, y, q)
        c = log_w[k]
        for p in range(_TILE):
            logp[k, p] = c - 0.5 * q[p]


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _blocked_full_blocks(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, n_blocks
):
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    n_padded = prec_chol.shape[1]
    lse_sum = np.zeros(n_blocks)
    nk = np.zeros((n_blocks, n_components))
    sx = np.zeros((n_blocks, n_components, n_features))
    sxx = np.zeros((n_blocks, n_components, n_padded, n_padded))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        lse_sum[b] = blocked_block(
            X, shift, log_w, means, prec_chol, sample_weight, weighted, start,
            stop, nk[b], sx[b], sxx[b],
        )  # fmt: skip
    return lse_sum, nk, sx, sxx[:, :, :n_features, :n_features]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def blocked_block(
    X, shift, log_w, means, prec_chol, sample_weight, weighted, start, stop, nk,
    sx, sxx,
):  # fmt: skip
    """Rows ``start:stop`` of the blocked kernel's pass: their statistics added
    to ``nk``, ``sx`` and ``sxx`` (zeros: the block's own; the lower block
    triangle of ``sxx``, padded), their ``sum w log p`` returned."""
    _wide_vectors()
    n_components = means.shape[0]
    n_padded = prec_chol.shape[1]
    xt = _aligned_zeros(n_padded, _TILE)
    diff = _aligned_zeros(n_padded, _TILE)
    rdiff = _aligned_zeros(n_padded, _TILE)
    logp = _aligned_zeros(n_components, _TILE)
    y = _aligned_zeros(_BLOCK, _TILE)
    q, mx, s, lse, w, bits = _tile_vectors()
    b_lse = 0.0  # sums of the block: tile after tile, in order
    for row0 in range(start, stop, _TILE):
        n_rows = min(_TILE, stop - row0)
        _load_tile_padded(X, shift, row0, n_rows, xt)
        if weighted:
            for p in range(n_rows):
                w[p] = sample_weight[row0 + p]
            for p in range(n_rows, _TILE):
                w[p] = 0.0
        _tile_log_prob_padded(xt, log_w, means, prec_chol, diff, y, q, logp)
        _tile_resp(logp, w, n_rows, mx, s, lse, q, bits)
        b_lse += _tile_dot(lse, w)
        _tile_accumulate_padded(xt, means, logp, X.shape[1], diff, rdiff, nk, sx, sxx)
    return b_lse


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _blocked_weighted_log_prob(X, shift, log_w, means, prec_chol, n_blocks):
    n_samples = X.shape[0]
    n_components = means.shape[0]
    n_padded = prec_chol.shape[1]
    out = np.empty((n_samples, n_components))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in prange(n_blocks):
        start = b * step
        stop = min(n_samples, start + step)
        xt = _aligned_zeros(n_padded, _TILE)
        diff = _aligned_zeros(n_padded, _TILE)
        logp = _aligned_zeros(n_components, _TILE)
        y = _aligned_zeros(_BLOCK + 1, _TILE)
        q = y[_BLOCK]
        for row0 in range(start, stop, _TILE):
            n_rows = min(_TILE, stop - row0)
            _load_tile_padded(X, shift, row0, n_rows, xt)
            _tile_log_prob_padded(xt, log_w, means, prec_chol, diff, y, q, logp)
            for p in range(n_rows):
                for k in range(n_components):
                    out[row0 + p, k] = logp[k, p]
    return out


def _as_f64(*arrays):
    return tuple(np.ascontiguousarray(a, dtype=np.float64) for a in arrays)


def _as_tuple(shift):
    """``shift`` as a tuple: the kernels are compiled once per ``n_features``."""
    return tuple(float(v) for v in shift)


def _as_rows(X):
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return np.ascontiguousarray(X)


def _log_w(log_weights, log_const):
    """``log_const + log_weights`` per component, as the kernels add them."""
    log_const, log_weights = _as_f64(log_const, log_weights)
    return log_const + log_weights


def full_weighted_log_prob(
    X, shift, log_weights, means, prec_chol, log_const, n_threads
):
    """``log w_k + log N(x_i | k)`` for all rows (each row independent).

    Parameters as in :func:`fused_full_pass`; returns an ndarray of shape
    (n_samples, n_components), float64.
    """
    X = _as_rows(X)
    unrolled, shift, means, prec_chol = _kernel_inputs(X, shift, means, prec_chol)
    kernel = _full_weighted_log_prob if unrolled else _blocked_weighted_log_prob
    n_blocks = pass_blocks(*X.shape, means.shape[0])
    with _numba_thread_limit(n_threads, n_blocks):
        return kernel(
            X,
            shift,
            _log_w(log_weights, log_const),
            means,
            prec_chol,
            n_blocks,
        )


def _kernel_inputs(X, shift, means, prec_chol):
    """Which kernel serves ``X`` and the parameters in its layout.

    Returns ``(unrolled, shift, means, prec_chol)``: the unrolled kernel
    (``n_features <= UNROLLED_MAX_FEATURES``) takes ``shift`` as a tuple and
    the factors as they are; the blocked kernel takes ``shift`` as an array
    and the factors padded to a multiple of 4 features.
    """
    shift, means, prec_chol = _as_f64(shift, means, prec_chol)
    if X.shape[1] <= UNROLLED_MAX_FEATURES:
        return True, _as_tuple(shift), means, prec_chol
    return False, shift, means, _padded(prec_chol)


def _padded(prec_chol, n_padded=None):
    """Factors padded with zero rows and columns to a multiple of 4 features."""
    n_components, n_features = prec_chol.shape[:2]
    if n_padded is None:
        n_padded = padded_features(n_features)
    out = np.zeros((n_components, n_padded, n_padded))
    out[:, :n_features, :n_features] = prec_chol
    return out


class _numba_thread_limit:
    """Context manager: numba threads <= ``n_threads`` inside, and no more
    than ``n_blocks`` row blocks (a block has one thread).

    Sets (and restores) numba's thread count only where it differs: a pass
    over 1,000 rows takes tens of microseconds, and a ``set_num_threads``
    pair 1.7 us of them (an empty parallel loop takes 1.1 us on one thread,
    2.0 us on two; measured on the Intel Xeon host).
    """

    def __init__(self, n_threads, n_blocks):
        self.n_threads = min(n_threads, n_blocks)

    def __enter__(self):
        self.previous = get_num_threads()
        self.target = max(1, min(self.n_threads, self.previous))
        if self.target != self.previous:
            set_num_threads(self.target)
        # numba's default static schedule: handing out row blocks one at a
        # time (set_parallel_chunksize(1)) made the pass 2.3x slower at
        # (1e5, 16, 8) on 2 threads (33 vs 14 ms) and 1.8x at (2e5, 6, 8)
        # (18 vs 10 ms), as much on one thread

    def __exit__(self, *exc):
        if self.target != self.previous:
            set_num_threads(self.previous)


def fused_full_pass(
    X,
    shift,
    log_weights,
    means,
    prec_chol,
    log_const,
    n_threads,
    sample_weight=None,
):
    """One E-step and the centred sufficient statistics of the M-step.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64 or float32
        Raw data (C-contiguous; other layouts are copied).
    shift : ndarray of shape (n_features,)
        Global shift subtracted from every row (internal coordinates).
    log_weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
        Current means in internal (shifted) coordinates; the statistics are
        centred at them.
    prec_chol : ndarray of shape (n_components, n_features, n_features)
        Upper-triangular Cholesky factors of the precisions.
    log_const : ndarray of shape (n_components,)
        ``-n_features/2 log(2 pi) + log det(prec_chol)``.
    n_threads : int
        Numba threads to use for this call.
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weight of each row; None means all ones.

    Returns
    -------
    lse_sum : float
        ``sum_i w_i log p(x_i)``.
    nk : ndarray of shape (n_components,)
        ``sum_i w_i r_ik``.
    sx : ndarray of shape (n_components, n_features)
        ``sum_i w_i r_ik (x_i - c_k)``.
    sxx : ndarray of shape (n_components, n_features, n_features)
        ``sum_i w_i r_ik (x_i - c_k)(x_i - c_k)^T``.
    """
    X = _as_rows(X)
    n_samples = X.shape[0]
    if sample_weight is None:
        weighted = False
        sample_weight = np.ones(0)
    else:
        weighted = True
        sample_weight = np.ascontiguousarray(sample_weight, dtype=np.float64)
        if sample_weight.shape != (n_samples,):
            raise ValueError(
                f"sample_weight must have shape ({n_samples},) to match X, got "
                f"{sample_weight.shape}; pass one weight per row"
            )
    unrolled, shift, means, prec_chol = _kernel_inputs(X, shift, means, prec_chol)
    n_blocks = pass_blocks(*X.shape, means.shape[0])
    kernel = _fused_full_blocks if unrolled else _blocked_full_blocks
    with _numba_thread_limit(n_threads, n_blocks):
        lse_sum, nk, sx, sxx = kernel(
            X,
            shift,
            _log_w(log_weights, log_const),
            means,
            prec_chol,
            sample_weight,
            weighted,
            n_blocks,
        )
    return _reduce_blocks(lse_sum, nk, sx, sxx)


def _reduce_blocks(lse_sum, nk, sx, sxx):
    """Fixed-order sum over the blocks (deterministic) and symmetric ``sxx``.

    The kernels fill the lower triangle of each block's second moments (the
    blocked kernel also some entries above it, inside its diagonal 4 x 4
    blocks, which are replaced here by their mirror images).
    """
    total = 0.0
    for value in lse_sum:
        total += float(value)
    nk_t, sx_t, sxx_t = sum_blocks(nk), sum_blocks(sx), sum_blocks(sxx)
    upper = _upper_indices(sxx_t.shape[-1])
    sxx_t[:, upper[0], upper[1]] = sxx_t[:, upper[1], upper[0]]
    return total, nk_t, sx_t, sxx_t


def sum_blocks(blocks):
    """``blocks[0] + blocks[1] + ...`` in that order, as a new C array: the
    per-block partial sums of a kernel, reduced the same way whatever the
    number of threads."""
    total = np.array(blocks[0], order="C")
    for block in blocks[1:]:
        total += block
    return total


_UPPER = {}


def _upper_indices(n_features):
    """``np.triu_indices(n_features, 1)``, made once per ``n_features``."""
    if n_features not in _UPPER:
        _UPPER[n_features] = np.triu_indices(n_features, 1)
    return _UPPER[n_features]


def numba_threads(limit):
    """Threads numba may use: ``min(limit, NUMBA_NUM_THREADS)``."""
    import numba

    return max(1, min(int(limit), int(numba.config.NUMBA_NUM_THREADS)))


# -- column sums (the engine's shift) -------------------------------------------


# serial, as _resp_moments_blocks below: one pass per fit, memory-bound, where
# a parallel loop saved a few milliseconds and cost 1-2 s more to compile
@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _column_sums_blocks(X, centre, sample_weight, weighted, squared, n_blocks):
    n_samples, n_features = X.shape
    sums = np.zeros((n_blocks, n_features))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in range(n_blocks):
        for i in range(b * step, min(n_samples, (b + 1) * step)):
            w = sample_weight[i] if weighted else 1.0
            for j in range(n_features):
                v = X[i, j] - centre[j]
                sums[b, j] += w * (v * v if squared else v)
    return sums


def column_sums(X, sample_weight=None, centre=None):
    """``sum_i w_i x_i`` (``centre`` None) or ``sum_i w_i (x_i - centre)^2``.

    Rows in blocks fixed by ``n_samples``, added in block order, on the
    calling thread.
    """
    X = _as_rows(X)
    weighted = sample_weight is not None
    weights = np.ones(0) if sample_weight is None else sample_weight
    squared = centre is not None
    centre = np.zeros(X.shape[1]) if centre is None else centre
    sums = _column_sums_blocks(
        X, *_as_f64(centre, weights), weighted, squared, n_blocks_for(X.shape[0])
    )
    return sum_blocks(sums)


# -- statistics of given responsibilities (the initial M-step) ---------------


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _resp_moments_blocks(
    X, shift, resp, centres, sample_weight, weighted, second, n_blocks
):
    n_samples, n_features = X.shape
    n_components = centres.shape[0]
    nk = np.zeros((n_blocks, n_components))
    sx = np.zeros((n_blocks, n_components, n_features))
    sxx = np.zeros((n_blocks, n_components, n_features, n_features))
    step = (n_samples + n_blocks - 1) // n_blocks
    for b in range(n_blocks):
        diff = np.empty(n_features)
        for i in range(b * step, min(n_samples, (b + 1) * step)):
            w = sample_weight[i] if weighted else 1.0
            for k in range(n_components):
                r = resp[i, k] * w
                if r == 0.0:  # adds exact zeros (X is finite): k-means' one-hot
                    continue
                nk[b, k] += r
                for j in range(n_features):
                    diff[j] = (X[i, j] - shift[j]) - centres[k, j]
                for j in range(n_features):
                    rd = r * diff[j]
                    sx[b, k, j] += rd
                    if second:
                        for t in range(j + 1):
                            sxx[b, k, j, t] += rd * diff[t]
    return np.zeros(n_blocks), nk, sx, sxx


def resp_moments(X, shift, resp, centres, sample_weight=None, second=True):
    """``sum w r``, ``sum w r (x - c_k)`` and ``sum w r (x - c_k)(x - c_k)^T``
    for given responsibilities (the initial M-step's statistics).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float64 or float32
    shift : ndarray of shape (n_features,)
        Subtracted from every row (internal coordinates).
    resp : ndarray of shape (n_samples, n_components)
        Responsibilities (k-means' start: one-hot rows, whose zeros are
        skipped).
    centres : ndarray of shape (n_components, n_features)
        The statistics are centred at these (internal coordinates).
    sample_weight : ndarray of shape (n_samples,), default=None
    second : bool, default=True
        False leaves ``sxx`` zero (the first pass, for the centres, needs
        only ``nk`` and ``sx``).

    Returns
    -------
    nk, sx, sxx
        As :func:`fused_full_pass` (``sxx`` symmetric).
    """
    X = _as_rows(X)
    weighted = sample_weight is not None
    weights = np.ones(0) if sample_weight is None else sample_weight
    n_blocks = n_blocks_for(X.shape[0])
    out = _resp_moments_blocks(
        X,
        *_as_f64(shift, resp, centres, weights),
        weighted,
        second,
        n_blocks,
    )
    return _reduce_blocks(*out)[1:]


# -- the full-covariance M-step -----------------------------------------------

_LOG_2PI = math.log(2 * math.pi)


def full_m_step(nk_raw, sx, m2, centres, shift, reg_covar, eps):
    """scikit-learn's full-covariance M-step from centred statistics.

    ``nk = nk_raw + 10 eps``, means ``(sx + nk_raw c) / nk`` (a component
    with no responsibility at all gets scikit-learn's mean 0, i.e.
    ``-shift``), covariances ``sum r (x - mu)(x - mu)^T / nk + reg_covar I``
    (moved from the centres ``c`` to the new means exactly), their Cholesky
    factors ``L``, ``prec_chol = inv(L)^T`` and ``log_const = -d/2 log(2 pi)
    + log det prec_chol``.

    Returns
    -------
    weights, means, covariances, prec_chol, log_const, failed
        ``failed`` is the first component whose covariance is not positive
        definite, or -1 (the caller raises scikit-learn's error).
    """
    return _full_m_step_from_sums(nk_raw, sx, m2, centres, shift, reg_covar, eps)


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _full_m_step_from_sums(nk_raw, sx, m2, centres, shift, reg_covar, eps):
    """:func:`full_m_step` compiled: ``nk = nk_raw + 10 eps``, the weights
    ``nk / np.sum(nk)`` (the same bits, :func:`_numpy_sum`), its outputs
    allocated and :func:`_full_m_step` into them."""
    n_components, n_features = centres.shape
    nk = np.empty(n_components)
    for k in range(n_components):
        nk[k] = nk_raw[k] + 10 * eps
    total = _numpy_sum(nk)
    weights = np.empty(n_components)
    for k in range(n_components):
        weights[k] = nk[k] / total
    out = (
        weights,
        np.empty((n_components, n_features)),
        np.empty((n_components, n_features, n_features)),
        np.zeros((n_components, n_features, n_features)),
        np.empty(n_components),
        np.zeros((n_features, n_features)),
        np.empty(n_features),
    )
    failed = _full_m_step(nk_raw, nk, sx, m2, centres, shift, reg_covar, out)
    return out[0], out[1], out[2], out[3], out[4], failed


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _full_m_step(nk_raw, nk, sx, m2, centres, shift, reg_covar, out):
    """:func:`full_m_step` into ``out``; returns the failed component or -1."""
    n_components, n_features = centres.shape
    _, means, cov, prec_chol, log_const, chol, delta = out
    for k in range(n_components):
        for j in range(n_features):
            if nk_raw[k] == 0.0:
                means[k, j] = -shift[j]
            else:
                means[k, j] = (sx[k, j] + nk_raw[k] * centres[k, j]) / nk[k]
            delta[j] = means[k, j] - centres[k, j]
        for j in range(n_features):
            for t in range(j + 1):
                m = (
                    m2[k, j, t]
                    - sx[k, j] * delta[t]
                    - delta[j] * sx[k, t]
                    + nk_raw[k] * delta[j] * delta[t]
                )
                m = m / nk[k]
                cov[k, j, t] = m
                cov[k, t, j] = m
            cov[k, j, j] += reg_covar
        # Cholesky factor L (lower), row by row
        for j in range(n_features):
            for t in range(j + 1):
                s = cov[k, j, t]
                for u in range(t):
                    s -= chol[j, u] * chol[t, u]
                if t == j:
                    if not s > 0.0:
                        return k
                    chol[j, j] = math.sqrt(s)
                else:
                    chol[j, t] = s / chol[t, t]
        # inv(L) by forward substitution, stored transposed (upper)
        log_det = 0.0
        for c in range(n_features):
            for j in range(c, n_features):
                s = 1.0 if j == c else 0.0
                for u in range(c, j):
                    s -= chol[j, u] * prec_chol[k, c, u]
                prec_chol[k, c, j] = s / chol[j, j]
            log_det += math.log(prec_chol[k, c, c])
        log_const[k] = -0.5 * n_features * _LOG_2PI + log_det
    return -1


# -- one whole EM iteration for 'full': the pass, then one compiled call ---------
#
# An iteration by the Python calls above (fused_full_pass, _reduce_blocks,
# full_m_step) pays about 60 us of argument conversion, thread-count checks,
# dispatch and allocation around the work: at (1e3, 2, 4) the pass itself
# takes 22 us and the iteration 85 us on one Intel Xeon core.  Below, the
# kernel's arguments are made once per fit and the block sums and the M-step
# are one compiled call, with the same arithmetic in the same order: the same
# bits.  (The kernel inside that call too would save a few more microseconds
# but compiled the parallel kernel a second time: 11.9 s instead of 7.9 s in
# a fresh environment.)


@njit(cache=True, nogil=True, error_model="numpy")
def _pairwise_leaf(a, start, n):
    """NumPy's pairwise sum of ``a[start:start + n]``, ``n <= 128``: eight
    partial sums, or one from -0.0 below 8 values."""
    if n < 8:
        res = -0.0
        for i in range(start, start + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[start], a[start + 1], a[start + 2], a[start + 3]
    r4, r5, r6, r7 = a[start + 4], a[start + 5], a[start + 6], a[start + 7]
    i = start + 8
    stop = start + n - n % 8
    while i < stop:
        r0 += a[i]
        r1 += a[i + 1]
        r2 += a[i + 2]
        r3 += a[i + 3]
        r4 += a[i + 4]
        r5 += a[i + 5]
        r6 += a[i + 6]
        r7 += a[i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < start + n:
        res += a[i]
        i += 1
    return res


@njit(cache=True, nogil=True, error_model="numpy")
def _numpy_sum(a):
    """``np.sum(a)`` of a float64 vector, the same bits.

    Above 128 values NumPy sums two halves (the first a multiple of 8 long)
    and adds them; that recursion is replayed with an explicit stack (numba
    0.68 crashed loading a cached function that called a recursive one).
    """
    # post-order walk: each entry a range and whether its halves are summed;
    # a level adds at most two entries, and 64-bit sizes have < 64 levels
    starts = np.empty(130, dtype=np.int64)
    sizes = np.empty(130, dtype=np.int64)
    expanded = np.zeros(130, dtype=np.bool_)
    values = np.empty(130)
    starts[0], sizes[0], depth, n_values = 0, len(a), 1, 0
    while depth > 0:
        top = depth - 1
        n = sizes[top]
        if n <= 128:
            values[n_values] = _pairwise_leaf(a, starts[top], n)
            n_values += 1
            depth -= 1
        elif expanded[top]:
            values[n_values - 2] = values[n_values - 2] + values[n_values - 1]
            n_values -= 1
            depth -= 1
        else:
            expanded[top] = True
            half = n // 2
            half -= half % 8
            # right half below the left on the stack: the left is summed first
            starts[depth], sizes[depth] = starts[top] + half, n - half
            starts[depth + 1], sizes[depth + 1] = starts[top], half
            expanded[depth] = expanded[depth + 1] = False
            depth += 2
    return values[0]


@njit(cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _finish_full_iteration(lse_sum, nk_b, sx_b, sxx_b, means, shift, reg_covar, eps):
    """:func:`_reduce_blocks` and :func:`full_m_step` of one pass's sums.

    The lower triangles of ``sxx`` are all the M-step reads, so the mirror
    copy of :func:`_reduce_blocks` is left out.
    """
    total = 0.0
    for value in lse_sum:
        total += value
    n_blocks, n_components, n_features = sx_b.shape
    n_padded = sxx_b.shape[2]
    nk_raw = np.empty(n_components)
    sx = np.empty((n_components, n_features))
    m2 = np.empty((n_components, n_padded, n_padded))
    for k in range(n_components):  # block 0, then each next block added
        v = nk_b[0, k]
        for b in range(1, n_blocks):
            v += nk_b[b, k]
        nk_raw[k] = v
        for j in range(n_features):
            v = sx_b[0, k, j]
            for b in range(1, n_blocks):
                v += sx_b[b, k, j]
            sx[k, j] = v
            for t in range(j + 1):
                v = sxx_b[0, k, j, t]
                for b in range(1, n_blocks):
                    v += sxx_b[b, k, j, t]
                m2[k, j, t] = v
    return (
        total,
        *_full_m_step_from_sums(nk_raw, sx, m2, means, shift, reg_covar, eps),
    )


def full_iteration_data(X, shift, sample_weight=None):
    """What :func:`compiled_iterations` takes of the data, made once per fit.

    ``X``, ``shift`` and ``sample_weight`` (None: all ones) as
    :func:`fused_full_pass` takes them, converted as it converts them.
    """
    X = _as_rows(X)
    (shift,) = _as_f64(shift)
    n_samples, n_features = X.shape
    weighted = sample_weight is not None
    (weights,) = _as_f64(sample_weight) if weighted else (np.ones(0),)
    if n_features <= UNROLLED_MAX_FEATURES:
        layout = _as_tuple(shift)  # the unrolled kernel
    else:
        layout = padded_features(n_features)  # the blocked kernel
    return X, shift, layout, weights, weighted


def compiled_iterations(
    data, weights, means, prec_chol, log_const, reg_covar, eps, max_iter, tol,
    total_weight, lower_bound, record, n_threads,
):  # fmt: skip
    """Up to ``max_iter`` EM iterations of a full-covariance fit in one compiled
    call.

    Each iteration is :func:`fused_full_pass` and :func:`full_m_step`, with the
    log-weights computed in the compiled code (``math.log``, the C library's,
    as Python's ``math.log``) and scikit-learn's stopping rule: the lower
    bound ``total / total_weight`` changed by less than ``tol`` (pass a
    negative ``tol`` to run all ``max_iter``).  The row blocks of the pass
    (:func:`n_blocks_for`) run in parallel; one block, or one thread, runs
    without a parallel region.  Calling back into Python
    between iterations cost more than a pass at 1,000 rows: 39 us an
    iteration at (1e3, 2, 4) against 16.

    Parameters
    ----------
    data : tuple
        From :func:`full_iteration_data`.
    weights, means, prec_chol, log_const : ndarray
        The start, as :func:`fused_full_pass` takes them (``weights`` not
        logged).
    reg_covar, eps : float
        As :func:`full_m_step`'s.
    max_iter : int
    tol : float
    total_weight : float
        ``sum_i w_i``.
    lower_bound : float
        The start's lower bound (``-inf`` for a new start).
    record : int
        Per iteration, 0: nothing, 1: also the weights and means, 2: also the
        covariances.
    n_threads : int
        Numba threads for the passes.

    Returns
    -------
    weights, means, covariances, prec_chol, log_const : ndarray
        After the last completed iteration (the start's ``covariances`` are
        not known here: with no completed iteration they are empty).
    totals : ndarray of shape (n_iter,)
        ``sum_i w_i log p(x_i)`` under each iteration's parameters.
    history : tuple of 3 ndarrays
        The weights, means and covariances after each iteration (empty
        unless ``record`` asks for them).
    n_iter : int
    converged : bool
    failed : int
        The component whose covariance failed in iteration ``n_iter + 1``, or
        -1; the caller redoes that iteration to raise the model's error.
    """
    X, shift, layout, sample_weight, weighted = data
    n_blocks = pass_blocks(*X.shape, len(weights))
    kernel_shift, n_padded = (
        (layout, X.shape[1]) if isinstance(layout, tuple) else (shift, layout)
    )
    weights, means, prec_chol, log_const = _as_f64(weights, means, prec_chol, log_const)
    with _numba_thread_limit(n_threads, n_blocks):
        return _iterations(
            X, kernel_shift, shift, weights, means, prec_chol, log_const,
            sample_weight, weighted, n_blocks, get_num_threads() == 1, n_padded,
            reg_covar, eps, int(max_iter), float(tol), float(total_weight),
            float(lower_bound), int(record),
        )  # fmt: skip


@njit(parallel=True, cache=True, nogil=True, error_model="numpy", fastmath=_FASTMATH)
def _iterations(
    X, kernel_shift, shift, weights, means, prec_chol, log_const, sample_weight,
    weighted, n_blocks, serial, n_padded, reg_covar, eps, max_iter, tol,
    total_weight, lower_bound, record,
):  # fmt: skip
    n_samples, n_features = X.shape
    n_components = means.shape[0]
    log_w = np.empty(n_components)
    factors = np.zeros((n_components, n_padded, n_padded))
    lse_sum = np.zeros(n_blocks)
    nk_b = np.zeros((n_blocks, n_components))
    sx_b = np.zeros((n_blocks, n_components, n_features))
    sxx_b = np.zeros((n_blocks, n_components, n_padded, n_padded))
    step = (n_samples + n_blocks - 1) // n_blocks
    totals = np.empty(max_iter)
    n_rec = max_iter if record >= 1 else 0
    rec_w = np.empty((n_rec, n_components))
    rec_m = np.empty((n_rec, n_components, n_features))
    rec_c = np.empty((max_iter if record >= 2 else 0, n_components, n_features,
                      n_features))  # fmt: skip
    covariances = np.empty((0, n_features, n_features))
    n_iter = 0
    converged = False
    failed = -1
    for it in range(max_iter):
        for k in range(n_components):
            log_w[k] = log_const[k] + math.log(weights[k])
            for i in range(n_features):
                for j in range(n_features):
                    factors[k, i, j] = prec_chol[k, i, j]
        nk_b[:] = 0.0
        sx_b[:] = 0.0
        sxx_b[:] = 0.0
        if n_blocks == 1 or serial:
            # no parallel region for one block or one thread: same sums
            for b in range(n_blocks):
                lse_sum[b] = block_pass(
                    X, kernel_shift, log_w, means, factors, sample_weight,
                    weighted, b * step, min(n_samples, (b + 1) * step), nk_b[b],
                    sx_b[b], sxx_b[b],
                )  # fmt: skip
        else:
            for b in prange(n_blocks):
                lse_sum[b] = block_pass(
                    X, kernel_shift, log_w, means, factors, sample_weight,
                    weighted, b * step, min(n_samples, (b + 1) * step), nk_b[b],
                    sx_b[b], sxx_b[b],
                )  # fmt: skip
        total, w, m, c, p, lc, fail = _finish_full_iteration(
            lse_sum, nk_b, sx_b, sxx_b[:, :, :n_features, :n_features], means,
            shift, reg_covar, eps,
        )  # fmt: skip
        if fail >= 0:
            failed = fail
            break
        weights, means, covariances, prec_chol, log_const = w, m, c, p, lc
        totals[it] = total
        if record >= 1:
            rec_w[it] = weights
            rec_m[it] = means
        if record >= 2:
            rec_c[it] = covariances
        n_iter = it + 1
        previous = lower_bound
        lower_bound = total / total_weight
        if abs(lower_bound - previous) < tol:
            converged = True
            break
    return (
        weights, means, covariances, prec_chol, log_const, totals[:n_iter],
        (rec_w[:n_iter], rec_m[:n_iter], rec_c[: min(n_iter, rec_c.shape[0])]),
        n_iter, converged, failed,
    )  # fmt: skip
