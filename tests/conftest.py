"""Shared fixtures: a seeded RNG and both assignment solvers (compiled and scipy)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

_TESTS = Path(__file__).resolve().parent
for path in (_TESTS.parent, _TESTS):  # the project (deep_sort) and tests/support.py
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(params=["compiled", "scipy"])
def assignment_path(request, monkeypatch) -> str:
    """Run a test with the compiled assignment solver (deep_sort._lsap) and again with scipy's."""
    from deep_sort import linear_assignment

    if request.param == "compiled":
        if linear_assignment.compiled_solver is None:
            pytest.skip("deep_sort._lsap is not built (tests/core/test_lsap.py says why)")
    else:
        monkeypatch.setattr(linear_assignment, "compiled_solver", None)
    return request.param
