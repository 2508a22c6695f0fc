"""Synthetic scenes shared by the tests of deep_sort.synthetic (generated once per session)."""
from __future__ import annotations

import pytest
from synthetic_helpers import tiny_config

from deep_sort.synthetic import SceneConfig, SyntheticScene, generate_scene


@pytest.fixture(scope="session")
def tiny_scene() -> SyntheticScene:
    return generate_scene(tiny_config())


@pytest.fixture(scope="session")
def small_scene() -> SyntheticScene:
    """The ``small`` preset (960x540, ~10 people), 150 frames."""
    return generate_scene(SceneConfig.small(n_frames=150, seed=3))
