"""Pure converters between box formats.

- ``tlwh``: (top-left x, top-left y, width, height), the MOT file format.
- ``tlbr``: (top-left x, top-left y, bottom-right x, bottom-right y).
- ``xyah``: (centre x, centre y, aspect ratio width/height, height), the
  Kalman filter's measurement space.

All units are pixels. Every function takes one box of shape (4,) or a stack of
shape (N, 4) (N may be 0) and returns a new float64 array of the same shape.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def tlwh_to_tlbr(tlwh: npt.ArrayLike) -> FloatArray:
    """Convert (left, top, w, h) to (x1, y1, x2, y2).

    Examples
    --------
    >>> tlwh_to_tlbr([10, 20, 30, 40]).tolist()
    [10.0, 20.0, 40.0, 60.0]
    """
    boxes = np.array(tlwh, dtype=np.float64)
    boxes[..., 2:] += boxes[..., :2]
    return boxes


def tlbr_to_tlwh(tlbr: npt.ArrayLike) -> FloatArray:
    """Convert (x1, y1, x2, y2) to (left, top, w, h).

    Examples
    --------
    >>> tlbr_to_tlwh([10, 20, 40, 60]).tolist()
    [10.0, 20.0, 30.0, 40.0]
    """
    boxes = np.array(tlbr, dtype=np.float64)
    boxes[..., 2:] -= boxes[..., :2]
    return boxes


def tlwh_to_xyah(tlwh: npt.ArrayLike) -> FloatArray:
    """Convert (left, top, w, h) to (centre x, centre y, w / h, h).

    The height must be positive (a zero height has no aspect ratio).

    Examples
    --------
    >>> tlwh_to_xyah([10, 20, 30, 40]).tolist()
    [25.0, 40.0, 0.75, 40.0]
    """
    boxes = np.array(tlwh, dtype=np.float64)
    boxes[..., :2] += boxes[..., 2:] / 2
    boxes[..., 2] /= boxes[..., 3]
    return boxes


def xyah_to_tlwh(xyah: npt.ArrayLike) -> FloatArray:
    """Convert (centre x, centre y, w / h, h) to (left, top, w, h).

    Examples
    --------
    >>> xyah_to_tlwh([25, 40, 0.75, 40]).tolist()
    [10.0, 20.0, 30.0, 40.0]
    """
    boxes = np.array(xyah, dtype=np.float64)
    boxes[..., 2] *= boxes[..., 3]
    boxes[..., :2] -= boxes[..., 2:] / 2
    return boxes
