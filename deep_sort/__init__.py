"""DeepSORT: Simple Online and Realtime Tracking with a Deep Association Metric.

The core (this package's top-level modules) needs only numpy and scipy.
``deep_sort.DeepSort`` and ``deep_sort.Tracks`` (the online API of
:mod:`deep_sort.online`), ``deep_sort.DeepSORTTracker`` (the same for
``supervision.Detections``, :mod:`deep_sort.supervision_tracker`) and
``deep_sort.DeepSORTFeatureExtractor`` (:mod:`deep_sort.features.extractor`)
are imported on first use, so ``import deep_sort`` stays cheap: no OpenCV,
supervision, torch or TensorFlow until a name that needs them is used.
"""
from __future__ import annotations

__version__ = "1.0.0"

#: Names exported lazily, and the module that defines them.
_LAZY_EXPORTS = {
    "DeepSort": "online",
    "Tracks": "online",
    "DeepSORTTracker": "supervision_tracker",
    "DeepSORTFeatureExtractor": "features.extractor",
}

__all__ = ["DeepSORTFeatureExtractor", "DeepSORTTracker", "DeepSort", "Tracks", "__version__"]


def __getattr__(name: str):
    if name in _LAZY_EXPORTS:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_EXPORTS))
