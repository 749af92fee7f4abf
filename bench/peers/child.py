"""One peer, one size, one thread count, in a fresh process.

    python -m bench.peers.child SPEC.json

``SPEC.json`` says ``mode`` (``"case"`` or ``"first"``), ``peer``,
``threads``, the size ``n, d, k``, ``n_iter``, ``seed``, ``default_fit``
(false: no default fit) and the files the
parent wrote (``data``: the ``.npy`` of :func:`bench.engine.cases.make_data`,
``data_bin``: the same values raw for R, ``init``: the start's ``.npz``).
The process prints one JSON line of measurements:

* ``case``: one warm-up fit of 1 iteration from the shared start and one
  default fit of :data:`WARM_UP_ROWS` rows (load what JAX, numba, torch or
  the JVM compile; JAX warms up every timed fit at full size), then pairs
  of fits of 1 and of ``1 + n_iter`` iterations, until ``min_time`` seconds
  are spent (at least one pair, at most :data:`MAX_PAIRS`); ``s_per_iter``
  is the median over pairs of ``(t_long - t_short) / n_iter`` (what a fit
  does besides its iterations cancels; both fits start after the memory
  probe's garbage collection and ``malloc_trim``).  Peak extra memory of the
  long fit,
  the mean log-likelihood per sample of its result and of the peer's
  default fit, and the default fit's wall time (``None``, and
  ``default_status`` says why, where the default fit was not run or
  failed).
* ``first``: importing the peer and its first default fit of a small table
  (``first_call_s``, from before the import; numpy is already imported).

Memory: the resident set of this process and every process it started
(Spark's JVM and its Python workers; R for mclust): the peak (``VmHWM``, reset
by writing ``5`` to ``/proc/<pid>/clear_refs``) minus the resident set just
before the fit, summed over those processes.
"""

import json
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np

from bench.engine.measure import malloc_trim

__all__ = ["kmeans_start", "mean_log_likelihood", "peak_extra_memory"]

HERE = Path(__file__).resolve().parent
WARM_UP_ROWS = 2000
"""Rows of the default fit that warms a peer up (JAX warms up at full size:
it compiles for each shape)."""
MAX_PAIRS = 30
"""At most this many (short, long) pairs of fits per process."""


def kmeans_start(X, n_components, seed=0, reg_covar=1e-6):
    """scikit-learn's k-means start, as initial parameters for every peer.

    ``KMeans(n_clusters=K, n_init=1, random_state=seed)`` labels, then the
    M-step scikit-learn runs on one-hot responsibilities (``reg_covar`` on the
    diagonal).

    Returns
    -------
    init : dict
        ``weights`` (K,), ``means`` (K, d), ``covariances`` and ``precisions``
        (K, d, d), float64.
    """
    from sklearn.cluster import KMeans

    labels = KMeans(n_clusters=n_components, n_init=1, random_state=seed).fit(X).labels_
    n, d = X.shape
    nk = np.bincount(labels, minlength=n_components) + 10 * np.finfo(float).eps
    means = np.array([X[labels == j].sum(axis=0) for j in range(n_components)])
    means /= nk[:, None]
    covs = np.empty((n_components, d, d))
    for j in range(n_components):
        diff = X[labels == j] - means[j]
        covs[j] = diff.T @ diff / nk[j]
        covs[j].flat[:: d + 1] += reg_covar
    precs = np.linalg.inv(covs)
    precs = 0.5 * (precs + np.swapaxes(precs, 1, 2))
    return {"weights": nk / n, "means": means, "covariances": covs, "precisions": precs}


def mean_log_likelihood(X, weights, means, covariances, chunk=65536):
    """Mean over the rows of ``log sum_k w_k N(x | mu_k, Sigma_k)``.

    The same formula for every peer's result, whatever the peer reports;
    NaN if a covariance is not positive definite.
    """
    n, d = X.shape
    try:
        chol = np.linalg.cholesky(covariances)
    except np.linalg.LinAlgError:
        return float("nan")
    log_det = 2 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    inv_chol = np.linalg.inv(chol)  # L^-1: |L^-1 (x - mu)|^2 is the distance
    const = np.log(weights) - 0.5 * (d * np.log(2 * np.pi) + log_det)
    total = 0.0
    for start in range(0, n, chunk):
        x = X[start : start + chunk]
        log_p = np.empty((len(x), len(weights)))
        for j, (mu, a) in enumerate(zip(means, inv_chol, strict=True)):
            y = (x - mu) @ a.T
            log_p[:, j] = const[j] - 0.5 * np.einsum("ij,ij->i", y, y)
        top = log_p.max(axis=1)
        total += np.sum(top + np.log(np.exp(log_p - top[:, None]).sum(axis=1)))
    return total / n


def _tree(pid):
    """``pid`` and its descendants (``/proc/<pid>/task/*/children``)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return pids


def _status(pid, key):
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


class peak_extra_memory:
    """Context: ``.peak`` bytes over this process and its descendants."""

    def __enter__(self):
        import gc

        gc.collect()
        malloc_trim()  # what earlier fits freed is returned, not reused
        self.pids = _tree(os.getpid())
        self.before = sum(_status(p, "VmRSS") for p in self.pids)
        for p in self.pids:
            try:
                Path(f"/proc/{p}/clear_refs").write_text("5")
            except OSError:
                pass
        return self

    def __exit__(self, *exc):
        pids = set(self.pids) | set(_tree(os.getpid()))
        self.peak = sum(_status(p, "VmHWM") for p in pids) - self.before


def _per_iteration(shorts, longs, n_short, n_long):
    """Median over pairs of ``(t_long - t_short) / (n_long - n_short)``.

    ``n_short`` and ``n_long`` are the iterations the two fits did: oneDAL,
    mclust and Spark take no negative tolerance, so with tolerance 0 they
    stop where an iteration leaves the log-likelihood exactly unchanged
    (well-separated data, a few iterations).  NaN if both fits did as many.
    """
    iterations = n_long - n_short
    per_pair = [(b - a) / iterations for a, b in zip(shorts, longs, strict=True)]
    return {
        "s_per_iter": float(np.median(per_pair)) if iterations > 0 else np.nan,
        "iterations_timed": iterations,
        "one_iter_fit_s": float(np.median(shorts)),
        "pairs": len(per_pair),
        "t_short": shorts,
        "t_long": longs,
    }


def _timed(fit, *args):
    start = time.perf_counter()
    result = fit(*args)
    return time.perf_counter() - start, result


def _scores(X, result):
    weights, means, covs, n_iter = result
    return mean_log_likelihood(X, weights, means, covs), n_iter


def _one_line(err):
    """``err`` on one line (oneDAL's messages run over several)."""
    return f"{type(err).__name__}: {' '.join(str(err).split())}"


def _attempt(fit, *args):
    """``(fit(*args), None)``, or ``(None, reason)`` if the peer raised."""
    try:
        return fit(*args), None
    except Exception as err:  # the peer's own failure: its row says why
        return None, f"failed: {_one_line(err)[:160]}"


def measure(peer, spec):
    """The ``case`` mode for a Python peer (see the module docstring)."""
    X = np.load(spec["data"])
    with np.load(spec["init"]) as f:
        init = {key: f[key] for key in f.files}
    n_iter = spec["n_iter"]
    # a default fit that fails (oneDAL's start at 1,000 rows, d = 64) leaves
    # the same-start figures: the row says why in ``default_status``
    default_status = None if spec.get("default_fit", True) else "not run"
    peer.same_start(X, init, 1)  # warm-up: compilation, caches
    if peer.compiles_per_call:
        peer.same_start(X, init, 1 + n_iter)
        if default_status is None:
            _, default_status = _attempt(peer.default_fit, X, spec["k"], spec["seed"])
    elif default_status is None:  # loads what the default fit alone uses
        warm = X[: max(WARM_UP_ROWS, 10 * spec["k"])]
        _, default_status = _attempt(peer.default_fit, warm, spec["k"], 0)
    shorts, longs, peak, spent = [], [], 0.0, 0.0
    while not longs or (spent < spec["min_time"] and len(longs) < MAX_PAIRS):
        # the short fit under the probe too: it returns free memory to the
        # system first, so both fits fault their first pages in alike and
        # that cost cancels in the difference (as in bench.engine)
        with peak_extra_memory():
            t_short, short = _timed(peer.same_start, X, init, 1)
        with peak_extra_memory() as mem:
            t_long, result = _timed(peer.same_start, X, init, 1 + n_iter)
        shorts.append(t_short)
        longs.append(t_long)
        peak, spent = max(peak, mem.peak), spent + t_short + t_long
    if default_status is None:
        # timed before any scoring: the scores' products wake OpenBLAS's
        # threads, which spin for about 0.1 s on the cores the next fit needs
        # (emgmm's default fit at (1e5, 16, 8) on 2 threads: 118-120 ms right
        # after them, 67-70 ms after a pause)
        timed, default_status = _attempt(
            _timed, peer.default_fit, X, spec["k"], spec["seed"]
        )
    loglik, done = _scores(X, result)
    n_short = 1 if short[3] is None else short[3]
    n_long = 1 + n_iter if done is None else done
    out = {
        **_per_iteration(shorts, longs, n_short, n_long),
        "same_n_iter": done,
        "same_loglik": loglik,
        "peak_mib": peak / 2**20,
        **dict.fromkeys(("default_fit_s", "default_n_iter", "default_loglik")),
    }
    if default_status is None:
        out["default_fit_s"], default = timed
        out["default_loglik"], out["default_n_iter"] = _scores(X, default)
    out["default_status"] = default_status
    return out


def _r_values(stdout):
    """``key value...`` lines: arrays (R's NA as NaN); ``*_warning`` text."""
    values = {}
    for line in stdout.splitlines():
        key, *words = line.split()
        if key.endswith("_warning"):
            values[key] = " ".join(words)
        else:
            values[key] = np.array([np.nan if v == "NA" else float(v) for v in words])
    return values


def _r_fit(values, prefix, k, d):
    return (
        values[prefix + "_pro"],
        values[prefix + "_mean"].reshape(k, d),
        values[prefix + "_sigma"].reshape(k, d, d).transpose(0, 2, 1),
        None,
    )


def _rscript(mode, spec, *extra):
    n, d, k = spec["n"], spec["d"], spec["k"]
    cmd = ["Rscript", str(HERE / "case.R"), mode, spec["data_bin"], str(n), str(d)]
    out = subprocess.run(
        [*cmd, str(k), *extra], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"Rscript failed:\n{out.stderr}")
    return _r_values(out.stdout)


def measure_mclust(spec):
    """The ``case`` mode for R's mclust (``case.R`` measures itself)."""
    d, k = spec["d"], spec["k"]
    with np.load(spec["init"]) as f:
        init_txt = Path(spec["init"]).with_suffix(".txt")
        np.savetxt(
            init_txt,
            np.concatenate(
                [f["weights"], f["means"].ravel(), f["covariances"].ravel()]
            ),
            fmt="%.17g",
        )
    v = _rscript(
        "case",
        spec,
        str(init_txt),
        str(spec["n_iter"]),
        str(spec["seed"]),
        str(spec["min_time"]),
        str(MAX_PAIRS),
        str(int(spec.get("default_fit", True))),
    )
    X = np.load(spec["data"])
    same = _r_fit(v, "same", k, d)
    if not all(np.isfinite(a).all() for a in same[:3]):
        # me() adds nothing to the covariances' diagonals: at (1e3, 64, 16)
        # a component has about 62 rows, fewer than d + 1 = 65, and its
        # covariance is singular (me()'s warning: "singular covariance")
        why = v.get("same_warning", "no warning")
        raise RuntimeError(f"mclust's me() returned NA parameters: {why}")
    loglik, _ = _scores(X, same)
    default_loglik = None
    if "default_s" in v:
        default_loglik, _ = _scores(X, _r_fit(v, "default", k, d))
    # mclust reports -iterations when it stopped at its limit
    n_short, n_long = (abs(int(v[k][0])) for k in ("short_n_iter", "same_n_iter"))
    return {
        **_per_iteration(
            list(v["same_short_s"]), list(v["same_long_s"]), n_short, n_long
        ),
        "same_n_iter": n_long,
        "same_loglik": loglik,
        "peak_mib": float(v["same_peak_bytes"][0]) / 2**20,
        "default_fit_s": float(v["default_s"][0]) if "default_s" in v else None,
        "default_status": None if "default_s" in v else "not run",
        "default_n_iter": None,
        "default_loglik": default_loglik,
    }


def first_call(peer, spec):
    """The ``first`` mode: import, thread set-up and the first default fit."""
    start = time.perf_counter()
    peer.load(spec["threads"])
    X = np.load(spec["data"])
    t_fit, _ = _timed(peer.default_fit, X, spec["k"], spec["seed"])
    return {"first_call_s": time.perf_counter() - start, "first_fit_s": t_fit}


def main(argv=None):
    """Run the spec in ``argv[0]`` and print the result as one JSON line.

    A peer's error ends the process with its traceback on stderr, then the
    error on one line, which the parent reports.
    """
    try:
        result = _run(argv)
    except Exception as err:
        traceback.print_exc()
        print(_one_line(err), file=sys.stderr)
        sys.exit(1)
    print(json.dumps(result), flush=True)


def _run(argv):
    from bench.peers.adapters import PEERS

    argv = sys.argv[1:] if argv is None else argv
    spec = json.loads(Path(argv[0]).read_text())
    peer = PEERS[spec["peer"]]
    if peer.name == "R mclust":
        if spec["mode"] == "first":
            start = time.perf_counter()
            v = _rscript("first", spec)
            result = {
                "first_call_s": float(v["first_call_s"][0]),
                "rscript_wall_s": time.perf_counter() - start,
            }
        else:
            result = measure_mclust(spec)
    elif spec["mode"] == "first":
        try:
            result = first_call(peer, spec)
        finally:
            peer.close()
    else:
        peer.load(spec["threads"])
        try:
            result = measure(peer, spec)
        finally:
            peer.close()
    return result


if __name__ == "__main__":
    main()
