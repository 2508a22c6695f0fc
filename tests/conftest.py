"""Shared fixtures: a seeded RNG and both forms of the compiled tracker steps."""
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
    """Run a test with the compiled tracker steps (deep_sort._kernels) and again with their Python forms."""
    from deep_sort import compiled, linear_assignment

    if request.param == "compiled":
        if compiled.kernels is None:
            pytest.skip("deep_sort._kernels is not built (run.py says why)")
    else:
        monkeypatch.setattr(compiled, "kernels", None)
    # Solver results cached by shape must come from the path under test.
    caches = [value for value in vars(linear_assignment).values() if hasattr(value, "cache_clear")]
    for cache in caches:
        cache.cache_clear()
        request.addfinalizer(cache.cache_clear)
    return request.param


@pytest.fixture(scope="session")
def local_ray():
    """A real local Ray with 2 CPUs for the whole session (the sweep's and descriptor generation's tests)."""
    ray = pytest.importorskip("ray")
    from deep_sort.distributed import package_runtime_env

    ray.init(num_cpus=2, include_dashboard=False, runtime_env=package_runtime_env())
    yield ray
    ray.shutdown()
