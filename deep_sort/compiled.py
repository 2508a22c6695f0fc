"""The compiled leaf steps of the tracker, ``deep_sort._kernels``, or None.

``deep_sort/_kernels.c`` holds compiled forms of the tracker's numeric leaf
steps, each giving the results of its Python form: the assignment solver
(scipy's ``linear_sum_assignment``), the solver step of ``min_cost_matching``
(thresholding, solving, splitting the result), and the Kalman filter's
predict, update and gate (the same floating-point operations in the same
order, so the same numbers). The algorithm around them is written once, in
Python. ``setup.py`` builds it
(``run.py`` does in a source checkout); without it, or with the environment
variable ``DEEP_SORT_PURE_PYTHON=1``, the Python forms run. The tests run
the tracker both ways.
"""
from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("DEEP_SORT_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _kernels
    except ImportError:
        return None
    return _kernels


#: ``deep_sort._kernels``, or None when it is not built or disabled.
kernels: ModuleType | None = _load()
