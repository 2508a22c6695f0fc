"""Appearance descriptors: crop detection patches, run the mars-small128 network.

- :mod:`.patches`: crop + resize: the published tool's rule, and the box rule (OpenCV).
- :mod:`.encoder`: TensorFlow / OpenVINO / onnxruntime backends, :func:`create_box_encoder`.
- :mod:`.extractor`: :class:`DeepSORTFeatureExtractor` (``supervision`` detections in).
- :mod:`.timm_export`: timm models exported once to ONNX (``from_timm``; torch, timm).
- :mod:`.mars_small128`: the network rebuilt without tf_slim (frozen-graph writer).
- :mod:`.generate`: descriptors for every detection of a split (the library of
  ``tools/generate_detections.py``, whose command line is in :mod:`deep_sort.app`).

Names are loaded on first use, so importing this package imports neither
OpenCV nor a deep-learning framework.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "BoxEncoder": "encoder",
    "DeepSORTFeatureExtractor": "extractor",
    "ImageEncoder": "encoder",
    "OnnxRuntimeEncoder": "encoder",
    "OpenVINOEncoder": "encoder",
    "TensorFlowEncoder": "encoder",
    "create_box_encoder": "encoder",
    "load_image_encoder": "encoder",
    "available_backends": "encoder",
    "box_regions": "patches",
    "extract_box_patches": "patches",
    "extract_image_patch": "patches",
    "extract_image_patches": "patches",
    "patch_regions": "patches",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
