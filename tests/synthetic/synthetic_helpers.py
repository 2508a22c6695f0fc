"""Configs for the deep_sort.synthetic tests (imported by the test modules beside it)."""
from __future__ import annotations

from deep_sort.synthetic import SceneConfig


def tiny_config(**changes: object) -> SceneConfig:
    """A 320x180, 60-frame scene with 6 people: fast, yet with occlusions, FPs, duplicates."""
    params: dict[str, object] = dict(
        n_frames=60, image_size=(320, 180), n_people=6.0, min_person_height=30.0,
        false_positives_per_frame=1.0, duplicate_probability=0.1, feature_dim=32, seed=7,
    )
    params.update(changes)
    return SceneConfig(**params)
