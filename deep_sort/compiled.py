"""The optional compiled hot-path helpers, ``deep_sort._speedups`` (or None).

``deep_sort/_speedups.c`` does a few per-frame steps of the tracker in C
with exactly the results of the Python code they stand in for: the Kalman
predict and update of all tracks and the gate (the same IEEE operations in
the same order, no fused multiply-add), the matching-cascade levels and the
IoU-stage assignment (scipy's assignment algorithm with its tie-breaking).
``setup.py`` builds it (``run.py`` does in a source checkout); without it, or
with the environment variable ``DEEP_SORT_PURE_PYTHON=1``, everything runs in
Python. The tests run the tracker both ways.
"""
from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("DEEP_SORT_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _speedups
    except ImportError:
        return None
    return _speedups


#: ``deep_sort._speedups``, or None when it is not built or disabled.
speedups: ModuleType | None = _load()
