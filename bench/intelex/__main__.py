"""Default ``fit()`` of emgmm, scikit-learn and scikit-learn patched by
scikit-learn-intelex, in one process.

    pip install scikit-learn-intelex
    python -m bench.intelex --repeats 7

scikit-learn-intelex does not patch ``GaussianMixture``; its patch replaces
the ``KMeans`` that scikit-learn's k-means start calls.  For each size (the
engine benchmark's end-to-end sizes, seeded data of
:func:`bench.engine.cases.make_data`), each estimator fits
``n_components=K, random_state=0`` with every other setting at its default,
``--repeats`` times after one warm-up fit: first emgmm and scikit-learn,
then, after ``sklearnex.patch_sklearn()``, scikit-learn patched and emgmm
again (whose start does not call the patched ``KMeans`` at these sizes).
Prints the median (min-max) wall time of each and the ratios of medians.
Without scikit-learn-intelex installed it says so and exits with status 2.
"""

import argparse
import statistics
import sys
import time
import warnings

SIZES = [(100_000, 16, 8), (1_000_000, 2, 4)]


def _time(fit, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def _fmt(t):
    return f"{t[0]:.3f} s ({t[1]:.3f}-{t[2]:.3f})"


def _fitter(estimator, X, n_components):
    """A call that fits ``estimator(n_components, random_state=0)`` to ``X``."""
    return lambda: estimator(n_components, random_state=0).fit(X)


def _compare(X, n_components, repeats, patch_sklearn, unpatch_sklearn):
    from sklearn.mixture import GaussianMixture as Sklearn

    from emgmm import GaussianMixture

    ours, theirs = (
        _fitter(GaussianMixture, X, n_components),
        _fitter(Sklearn, X, n_components),
    )
    ours(), theirs()  # warm-up: kernels loaded, caches filled
    times = {"emgmm": _time(ours, repeats), "scikit-learn": _time(theirs, repeats)}
    patch_sklearn(verbose=False)
    try:
        from sklearn.mixture import GaussianMixture as Patched

        patched = _fitter(Patched, X, n_components)
        patched()
        times["scikit-learn patched"] = _time(patched, repeats)
        times["emgmm, patched phase"] = _time(ours, repeats)
    finally:
        unpatch_sklearn()
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.intelex")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    try:
        from sklearnex import patch_sklearn, unpatch_sklearn
    except ImportError:
        parser.exit(
            2,
            "bench.intelex: scikit-learn-intelex is not installed; "
            "pip install scikit-learn-intelex\n",
        )
    from importlib.metadata import version

    from bench.engine.cases import make_data

    warnings.simplefilter("ignore")
    print(
        f"scikit-learn {version('scikit-learn')}, "
        f"scikit-learn-intelex {version('scikit-learn-intelex')}, "
        f"median (min-max) of {args.repeats} fits"
    )
    for n, d, k in SIZES:
        X = make_data(n, d, k)
        t = _compare(X, k, args.repeats, patch_sklearn, unpatch_sklearn)
        print(
            f"({n:.0e}, {d}, {k}): emgmm {_fmt(t['emgmm'])}, scikit-learn "
            f"{_fmt(t['scikit-learn'])} "
            f"({t['scikit-learn'][0] / t['emgmm'][0]:.2f}x); after the patch: "
            f"emgmm {_fmt(t['emgmm, patched phase'])}, scikit-learn patched "
            f"{_fmt(t['scikit-learn patched'])} "
            f"({t['scikit-learn patched'][0] / t['emgmm, patched phase'][0]:.2f}x)",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
