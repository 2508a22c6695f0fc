"""Intersection over union and the IoU association cost (SPEC.md section 5, IoU stage)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .detection import Detection
from .linear_assignment import INFTY_COST
from .track import Track


def iou(bbox: npt.ArrayLike, candidates: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of one box with each candidate.

    Parameters
    ----------
    bbox : array-like of shape (4,)
        Box (left, top, w, h), pixels.
    candidates : array-like of shape (N, 4)
        Boxes (left, top, w, h).

    Returns
    -------
    ndarray of shape (N,)
        IoU in [0, 1]; continuous coordinates (no +1 pixel convention).

    Examples
    --------
    >>> iou([0, 0, 10, 10], [[5, 0, 10, 10], [20, 20, 5, 5]]).round(4).tolist()
    [0.3333, 0.0]
    """
    bbox = np.asarray(bbox, dtype=np.float64)
    candidates = np.asarray(candidates, dtype=np.float64).reshape(-1, 4)
    bbox_tl, bbox_br = bbox[:2], bbox[:2] + bbox[2:]
    candidates_tl = candidates[:, :2]
    candidates_br = candidates[:, :2] + candidates[:, 2:]
    tl = np.maximum(bbox_tl, candidates_tl)
    br = np.minimum(bbox_br, candidates_br)
    wh = np.maximum(0.0, br - tl)
    area_intersection = wh.prod(axis=1)
    area_bbox = bbox[2:].prod()
    area_candidates = candidates[:, 2:].prod(axis=1)
    return area_intersection / (area_bbox + area_candidates - area_intersection)


def iou_matrix(bboxes: npt.ArrayLike, candidates: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of every box with every candidate.

    Row i equals ``iou(bboxes[i], candidates)`` bit for bit (the same
    operations, broadcast).

    Parameters
    ----------
    bboxes : array-like of shape (N, 4)
        Boxes (left, top, w, h), pixels.
    candidates : array-like of shape (M, 4)
        Boxes (left, top, w, h).

    Returns
    -------
    ndarray of shape (N, M)
        Entry (i, j): IoU of ``bboxes[i]`` and ``candidates[j]``.

    Examples
    --------
    >>> iou_matrix([[0, 0, 10, 10]], [[5, 0, 10, 10], [20, 20, 5, 5]]).round(4).tolist()
    [[0.3333, 0.0]]
    """
    # Column vectors (N, 1) against rows (M,): every operation runs over
    # (N, M) with the long axis innermost.
    bboxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4).T[:, :, None]
    candidates = np.asarray(candidates, dtype=np.float64).reshape(-1, 4).T
    w = np.maximum(0.0, np.minimum(bboxes[0] + bboxes[2], candidates[0] + candidates[2])
                   - np.maximum(bboxes[0], candidates[0]))
    h = np.maximum(0.0, np.minimum(bboxes[1] + bboxes[3], candidates[1] + candidates[3])
                   - np.maximum(bboxes[1], candidates[1]))
    area_intersection = w * h
    area_bbox = bboxes[2] * bboxes[3]
    area_candidates = candidates[2] * candidates[3]
    return area_intersection / (area_bbox + area_candidates - area_intersection)


def iou_cost_matrix(
    track_tlwh: npt.ArrayLike,
    time_since_update: npt.ArrayLike,
    detection_tlwh: npt.ArrayLike,
) -> npt.NDArray[np.float64]:
    """``1 - IoU`` between predicted track boxes and detections, from arrays.

    Parameters
    ----------
    track_tlwh : array-like of shape (N, 4)
        Predicted track boxes (left, top, w, h).
    time_since_update : array-like of shape (N,), int
        A track with a value above 1 gets a whole row of ``INFTY_COST``.
    detection_tlwh : array-like of shape (M, 4)

    Returns
    -------
    ndarray of shape (N, M)
        As :func:`iou_cost`.
    """
    cost_matrix = 1.0 - iou_matrix(track_tlwh, detection_tlwh)
    cost_matrix[np.asarray(time_since_update) > 1, :] = INFTY_COST
    return cost_matrix


def iou_cost(
    tracks: Sequence[Track],
    detections: Sequence[Detection],
    track_indices: list[int] | None = None,
    detection_indices: list[int] | None = None,
) -> npt.NDArray[np.float64]:
    """Association cost ``1 - IoU`` between predicted track boxes and detections.

    Returns
    -------
    ndarray of shape (len(track_indices), len(detection_indices))
        Row i is track ``track_indices[i]``, column j detection
        ``detection_indices[j]``. A track not updated in the last frame
        (``time_since_update > 1``) gets a whole row of ``INFTY_COST``.
    """
    if track_indices is None:
        track_indices = list(range(len(tracks)))
    if detection_indices is None:
        detection_indices = list(range(len(detections)))
    track_tlwh = np.array([tracks[i].to_tlwh() for i in track_indices]).reshape(-1, 4)
    time_since_update = np.array([tracks[i].time_since_update for i in track_indices], dtype=int)
    detection_tlwh = np.array([detections[i].tlwh for i in detection_indices]).reshape(-1, 4)
    return iou_cost_matrix(track_tlwh, time_since_update, detection_tlwh)
