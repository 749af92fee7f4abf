"""scikit-learn's own GaussianMixture tests, run on emgmm.GaussianMixture.

The test module ships in scikit-learn's wheel
(``sklearn/mixture/tests/test_gaussian_mixture.py``).  It is imported as a
module, its ``test_*`` functions are collected here (with their own
parametrisations and marks), and ``GaussianMixture`` in *its* namespace is
replaced by :class:`emgmm.GaussianMixture` for every test, so each test body
runs unchanged against emgmm.  Importing instead of copying keeps whatever
the installed scikit-learn version ships (1.8, 1.9, ...), with no copy to go
stale.

scikit-learn's ``conftest.py`` is not loaded from here, so its two global
fixtures are replayed: ``global_random_seed`` = 42 (or
``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``, read as scikit-learn reads it; ``all``
runs seeds 0..99) and ``global_dtype`` = float32 and float64.  scikit-learn
skips float32 unless ``SKLEARN_RUN_FLOAT32_TESTS=1``; emgmm claims float32
support, so both always run here.

Deselected (not collected), and only these, because they exercise
scikit-learn's private machinery rather than public behaviour:

* ``test_gaussian_mixture_precisions_init[*]`` -- calls the private
  ``GaussianMixture._initialize(X, resp)`` (and ``_set_parameters``) to
  inspect the state before any EM step;
* ``test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters`` --
  mocks ``sklearn.mixture._gaussian_mixture._estimate_gaussian_parameters``
  and counts its calls, which only scikit-learn's engine makes.

Some collected tests only exercise scikit-learn's private functions
(``test_suffstat_sk_*``, ``test_compute_log_det_cholesky``,
``test_gaussian_mixture_log_probabilities``) and never touch the estimator;
they are kept (the brief deselects exactly the five above) and pass
regardless of emgmm.  The array-API tests skip themselves unless
``array_api_compat`` is installed and ``SCIPY_ARRAY_API=1`` is set, as in
scikit-learn's own runs.
"""

import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import emgmm

try:
    from sklearn.mixture.tests import test_gaussian_mixture as _suite
except ImportError as err:  # pragma: no cover - a wheel without its tests
    _suite = None
    _IMPORT_ERROR = err

DESELECTED = {
    "test_gaussian_mixture_precisions_init": (
        "calls the private GaussianMixture._initialize(X, resp)"
    ),
    "test_gaussian_mixture_all_init_does_not_estimate_gaussian_parameters": (
        "mocks sklearn.mixture._gaussian_mixture._estimate_gaussian_parameters"
    ),
}


def _is_fixture(obj):
    # pytest >= 8.4 wraps fixtures in FixtureFunctionDefinition; older
    # versions mark the function
    return type(obj).__name__ == "FixtureFunctionDefinition" or hasattr(
        obj, "_pytestfixturefunction"
    )


def _suite_tests():
    """The suite's test functions and ``Test*`` classes, minus DESELECTED."""
    if _suite is None:
        return {}
    return {
        name: obj
        for name, obj in vars(_suite).items()
        if (name.startswith("test_") and callable(obj))
        or (name.startswith("Test") and isinstance(obj, type))
        if name not in DESELECTED
    }


def _suite_fixtures():
    """Fixtures the suite module defines itself (none in 1.8/1.9)."""
    if _suite is None:
        return {}
    return {name: obj for name, obj in vars(_suite).items() if _is_fixture(obj)}


# scikit-learn's tests (and any module-level fixtures), collected as if
# defined here; their globals stay scikit-learn's module, which the autouse
# fixture below patches
globals().update(_suite_fixtures())
globals().update(_suite_tests())


def test_suite_is_importable_and_deselection_is_current():
    """The shipped test file exists and the deselected tests still exist in it."""
    if _suite is None:
        pytest.fail(
            "scikit-learn's test module sklearn.mixture.tests.test_gaussian_mixture "
            f"could not be imported ({_IMPORT_ERROR}); install a scikit-learn "
            "wheel that ships its tests"
        )
    names = {n for n in vars(_suite) if n.startswith("test_")}
    assert set(DESELECTED) <= names, sorted(set(DESELECTED) - names)
    # the public-API part is the bulk of the file (39 functions in 1.9.1)
    assert len(_suite_tests()) >= 30


def test_suite_runs_on_emgmm(monkeypatch):
    """The suite's tests fit emgmm, never scikit-learn's estimator."""
    from sklearn.mixture._base import BaseMixture

    def refuse(*args, **kwargs):
        raise AssertionError("scikit-learn's GaussianMixture ran in the suite")

    monkeypatch.setattr(BaseMixture, "fit_predict", refuse)
    assert _suite.GaussianMixture is emgmm.GaussianMixture
    assert not issubclass(emgmm.GaussianMixture, BaseMixture)
    _suite.test_gaussian_mixture_fit_predict_n_init()
    _suite.test_score_samples()


@pytest.fixture(autouse=True)
def _emgmm_in_suite(monkeypatch):
    """Every suite test sees emgmm.GaussianMixture as ``GaussianMixture``.

    One BLAS/OpenMP thread: KMeans' OpenMP threads spin badly on a shared
    machine, and emgmm's results do not depend on the thread count.
    """
    if _suite is not None:
        monkeypatch.setattr(_suite, "GaussianMixture", emgmm.GaussianMixture)
    with threadpool_limits(1):
        yield


def _random_seeds():
    # scikit-learn's conftest.pytest_generate_tests, default 42
    var = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if var is None:
        return [42]
    if var == "all":
        return list(range(100))
    if "-" in var:
        start, stop = var.split("-")
        return list(range(int(start), int(stop) + 1))
    return [int(var)]


def pytest_generate_tests(metafunc):
    if "global_random_seed" in metafunc.fixturenames:
        metafunc.parametrize("global_random_seed", _random_seeds())


@pytest.fixture(params=[np.float32, np.float64])
def global_dtype(request):
    return request.param
