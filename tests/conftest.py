"""Shared fixtures: a seeded RNG and both tracker paths (compiled and pure Python)."""
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


@pytest.fixture(params=["compiled", "python"])
def assignment_path(request, monkeypatch) -> str:
    """Run a test with the compiled helpers (deep_sort._speedups) and again with the pure Python path."""
    from deep_sort import compiled

    if request.param == "compiled":
        if compiled.speedups is None:
            pytest.skip("deep_sort._speedups is not built (tests/core/test_speedups.py says why)")
    else:
        monkeypatch.setattr(compiled, "speedups", None)
    return request.param


@pytest.fixture(scope="session")
def local_ray():
    """A real local Ray with 2 CPUs for the whole session (the sweep's and descriptor generation's tests)."""
    ray = pytest.importorskip("ray")
    from deep_sort.distributed import package_runtime_env

    ray.init(num_cpus=2, include_dashboard=False, runtime_env=package_runtime_env())
    yield ray
    ray.shutdown()
