"""Deterministic synthetic MOTChallenge sequences: pedestrians on a ground plane.

- :mod:`.scene`: the simulation (people, occlusion, detections, descriptors), numpy only;
- :mod:`.render`: BGR frames (OpenCV, imported lazily);
- :mod:`.write`: sequence directories (seqinfo.ini, img1/, det/, gt/) and ``.npy`` files.
"""
from .render import render_frame
from .scene import (
    PRESETS,
    SceneConfig,
    SyntheticScene,
    generate_scene,
    scene_statistics,
)
from .write import (
    format_detection_rows,
    format_groundtruth_rows,
    generate_split,
    sequence_name,
    sequence_seed,
    write_detection_npy,
    write_sequence,
)

__all__ = [
    "PRESETS",
    "SceneConfig",
    "SyntheticScene",
    "format_detection_rows",
    "format_groundtruth_rows",
    "generate_scene",
    "generate_split",
    "render_frame",
    "scene_statistics",
    "sequence_name",
    "sequence_seed",
    "write_detection_npy",
    "write_sequence",
]
