"""Every Examples section of the package's docstrings runs and shows what it says.

The modules are those of the installed emgmm (not src/), so the test runs
wherever the suite does, the oldest-versions environment included.
"""

import doctest
import importlib
import pkgutil

import pytest

import emgmm

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(emgmm.__path__, prefix="emgmm.")
)


def test_every_module_is_found():
    assert {"emgmm.criteria", "emgmm.mclust._bic", "emgmm.pipeline.data"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(
        module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
