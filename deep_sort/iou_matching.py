"""Intersection over union and the IoU association cost."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .linear_assignment import INFTY_COST


def iou(bboxes: npt.ArrayLike, candidates: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Intersection over union of every box with every candidate.

    Parameters
    ----------
    bboxes : array-like of shape (N, 4)
        Boxes (left, top, w, h), pixels.
    candidates : array-like of shape (M, 4)
        Boxes (left, top, w, h).

    Returns
    -------
    ndarray of shape (N, M)
        Entry (i, j): IoU of ``bboxes[i]`` and ``candidates[j]``, in [0, 1];
        continuous coordinates (no +1 pixel convention).

    Examples
    --------
    >>> iou([[0, 0, 10, 10]], [[5, 0, 10, 10], [20, 20, 5, 5]]).round(4).tolist()
    [[0.3333, 0.0]]
    """
    # Boxes as columns (N, 1) against candidates as rows (M,).
    bboxes = np.asarray(bboxes, dtype=np.float64).reshape(-1, 4).T[:, :, None]
    candidates = np.asarray(candidates, dtype=np.float64).reshape(-1, 4).T
    w = np.maximum(0.0, np.minimum(bboxes[0] + bboxes[2], candidates[0] + candidates[2])
                   - np.maximum(bboxes[0], candidates[0]))
    h = np.maximum(0.0, np.minimum(bboxes[1] + bboxes[3], candidates[1] + candidates[3])
                   - np.maximum(bboxes[1], candidates[1]))
    area_intersection = w * h
    area_bboxes = bboxes[2] * bboxes[3]
    area_candidates = candidates[2] * candidates[3]
    return area_intersection / (area_bboxes + area_candidates - area_intersection)


def iou_cost(
    track_tlwh: npt.ArrayLike, time_since_update: npt.ArrayLike, detection_tlwh: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """Association cost ``1 - IoU`` of predicted track boxes and detections.

    Parameters
    ----------
    track_tlwh : array-like of shape (N, 4)
        Predicted track boxes (left, top, w, h).
    time_since_update : array-like of shape (N,), int
        A track not updated in the previous frame (value above 1) gets a
        whole row of ``INFTY_COST``.
    detection_tlwh : array-like of shape (M, 4)

    Returns
    -------
    ndarray of shape (N, M)
        Row i is track i, column j detection j.
    """
    cost_matrix = 1.0 - iou(track_tlwh, detection_tlwh)
    cost_matrix[np.asarray(time_since_update) > 1, :] = INFTY_COST
    return cost_matrix
