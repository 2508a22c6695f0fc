"""Detection selection of the tracking app (SPEC.md section 2, steps 1-2).

Before tracking, each frame's detections are filtered by height and
confidence and thinned by non-maximum suppression; the kept detections, in
descending score, are what the tracker sees (their order decides new track
ids). As in the published code's ``preprocessing`` module, this sits next to
the tracker and is shared by every way of running it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .config import TrackingConfig


#: Entries of the overlap matrix computed at once (rows x boxes): bounds the
#: memory of a frame with very many boxes to a few tens of megabytes.
_OVERLAP_BLOCK = 1 << 20


def non_max_suppression(
    tlwh: npt.ArrayLike, max_bbox_overlap: float, scores: npt.ArrayLike | None = None
) -> npt.NDArray[np.intp]:
    """Suppress boxes that overlap a higher-scoring box too much.

    Boxes are taken in descending score (``numpy.argsort(scores)`` with the
    default sort kind, read backwards: the order of tied scores follows
    numpy's sort, as in the published code); each box taken is kept, and
    every box not yet taken whose overlap with it, ``intersection /
    area[other]`` with the +1 pixel convention, is greater than
    ``max_bbox_overlap`` is dropped.

    Parameters
    ----------
    tlwh : array-like of shape (N, 4)
        Boxes (left, top, w, h), pixels.
    max_bbox_overlap : float
        Largest allowed overlap. An overlap never exceeds 1 (a box inside
        the picked one has exactly 1), so at 1.0 nothing is suppressed and
        the function only sorts by score.
    scores : array-like of shape (N,), optional
        Detector confidences; without them boxes are ranked by bottom edge.

    Returns
    -------
    ndarray of shape (K,), intp
        Indices of the kept boxes in pick order (descending score).

    Examples
    --------
    >>> non_max_suppression([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5]], 0.5, [0.9, 0.8, 0.7]).tolist()
    [0, 2]
    """
    boxes = np.asarray(tlwh, dtype=np.float64).reshape(-1, 4)
    x1, y1 = boxes[:, 0], boxes[:, 1]
    y2 = boxes[:, 3] + y1
    order = (np.argsort(np.asarray(scores)) if scores is not None else np.argsort(y2))[::-1]
    if max_bbox_overlap >= 1 and (boxes[:, 2:] >= 0).all():
        # The intersection never exceeds the other box's area (both use the
        # same rounded operations, which are monotone), so no overlap is > 1.
        return order
    x2 = boxes[:, 2] + x1
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    removed = np.zeros(len(boxes), dtype=bool)
    pick = []
    block = max(1, _OVERLAP_BLOCK // max(len(boxes), 1))
    for start in range(0, len(order), block):
        rows = order[start:start + block]
        # suppresses[r, j]: box rows[r] covers too much of box j, with the
        # operations of the published per-pick computation.
        w = np.maximum(0, np.minimum(x2[rows, None], x2) - np.maximum(x1[rows, None], x1) + 1)
        h = np.maximum(0, np.minimum(y2[rows, None], y2) - np.maximum(y1[rows, None], y1) + 1)
        suppresses = (w * h) / area > max_bbox_overlap
        for i, row in zip(rows.tolist(), suppresses):
            if not removed[i]:
                pick.append(i)
                removed |= row
    return np.array(pick, dtype=np.intp)


def passes_filters(tlwh: np.ndarray, scores: np.ndarray, config: TrackingConfig) -> npt.NDArray[np.bool_]:
    """Rows that pass the height and confidence filters (step 1).

    Parameters
    ----------
    tlwh : ndarray of shape (N, 4), float
        Boxes (left, top, width, height) in pixels.
    scores : ndarray of shape (N,), float
    config : TrackingConfig

    Returns
    -------
    ndarray of shape (N,), bool
        ``height >= min_detection_height`` and ``score >= min_confidence``.
    """
    return (tlwh[:, 3] >= config.min_detection_height) & (scores >= config.min_confidence)


def select_detections(tlwh: np.ndarray, scores: np.ndarray, config: TrackingConfig) -> npt.NDArray[np.intp]:
    """Pick a frame's detections as the tracking app does (steps 1-2).

    Rows with a height below ``config.min_detection_height`` or a score below
    ``config.min_confidence`` are dropped, then non-maximum suppression
    (always run) keeps the rest in descending score.

    Parameters
    ----------
    tlwh : ndarray of shape (N, 4), float
        Boxes (left, top, width, height) in pixels.
    scores : ndarray of shape (N,), float
        Confidences, in the detector's dtype: the order of tied scores depends on it.
    config : TrackingConfig

    Returns
    -------
    ndarray of shape (M,), intp
        Input rows kept, in the order the tracker receives them (the order
        that decides new track ids).

    Examples
    --------
    >>> from deep_sort.config import TrackingConfig
    >>> config = TrackingConfig(min_confidence=0.5, nms_max_overlap=0.5)
    >>> tlwh = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5], [80, 0, 5, 5.0]])
    >>> select_detections(tlwh, np.array([0.8, 0.9, 0.7, 0.1]), config).tolist()
    [1, 2]
    """
    kept = passes_filters(tlwh, scores, config).nonzero()[0]
    return kept[non_max_suppression(tlwh[kept], config.nms_max_overlap, scores[kept])]
