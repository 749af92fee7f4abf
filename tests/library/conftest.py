"""Fixtures of the library's tests."""

import pytest


@pytest.fixture(params=["kernel", "blas"])
def engine_path(request, monkeypatch):
    """Run a test on both routes of a pass over the data: the fused numba
    kernel (at most ``NUMBA_MAX_FEATURES`` features; forced for tiny passes
    too, which default to NumPy) and the chunked NumPy/BLAS path (forced by
    a limit of 0 features)."""
    if request.param == "blas":
        monkeypatch.setattr("emgmm._engine.NUMBA_MAX_FEATURES", 0)
    else:
        monkeypatch.setattr("emgmm._engine.NUMPY_MAX_WORK", 0)
    return request.param
