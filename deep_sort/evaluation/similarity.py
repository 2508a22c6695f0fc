"""Box similarity used to match tracker output to ground truth (MOTChallenge scoring)."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

_EPS = np.finfo(float).eps


def iou_matrix(gt_tlwh: npt.ArrayLike, tracker_tlwh: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Compute the intersection over union of every ground-truth / tracker box pair.

    The arithmetic follows the official MOTChallenge kit (TrackEval) operation
    for operation: corners are ``left + width`` / ``top + height`` without the
    +1 pixel convention, areas come from the corners, and boxes of zero area
    (or pairs of zero union) have IoU 0. Matching thresholds are compared with
    these values, so reproducing them bit for bit keeps borderline matches
    identical to the kit's.

    Parameters
    ----------
    gt_tlwh : array-like of shape (M, 4), float
        Ground-truth boxes (left, top, width, height), pixels.
    tracker_tlwh : array-like of shape (N, 4), float
        Tracker boxes, same format.

    Returns
    -------
    ndarray of shape (M, N), float64
        Entry [i, j] is the IoU of ground-truth box i and tracker box j, in [0, 1].

    Examples
    --------
    >>> iou_matrix([[0, 0, 10, 10]], [[5, 0, 10, 10], [20, 20, 5, 5]])
    array([[0.33333333, 0.        ]])
    """
    gt_tlbr = _tlwh_to_tlbr(gt_tlwh)
    tracker_tlbr = _tlwh_to_tlbr(tracker_tlwh)
    lower = np.maximum(gt_tlbr[:, np.newaxis, :], tracker_tlbr[np.newaxis, :, :])
    upper = np.minimum(gt_tlbr[:, np.newaxis, :], tracker_tlbr[np.newaxis, :, :])
    intersection = np.maximum(upper[..., 2] - lower[..., 0], 0) * np.maximum(upper[..., 3] - lower[..., 1], 0)
    gt_area = (gt_tlbr[:, 2] - gt_tlbr[:, 0]) * (gt_tlbr[:, 3] - gt_tlbr[:, 1])
    tracker_area = (tracker_tlbr[:, 2] - tracker_tlbr[:, 0]) * (tracker_tlbr[:, 3] - tracker_tlbr[:, 1])
    union = gt_area[:, np.newaxis] + tracker_area[np.newaxis, :] - intersection
    intersection[gt_area <= _EPS, :] = 0
    intersection[:, tracker_area <= _EPS] = 0
    degenerate = union <= _EPS
    intersection[degenerate] = 0
    union[degenerate] = 1
    return intersection / union


def _tlwh_to_tlbr(tlwh: npt.ArrayLike) -> npt.NDArray[np.float64]:
    boxes = np.array(tlwh, dtype=np.float64)
    if boxes.size == 0:
        return np.zeros((0, 4))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"expected boxes of shape (N, 4), got {boxes.shape}")
    boxes[:, 2:] += boxes[:, :2]
    return boxes
