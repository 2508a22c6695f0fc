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
    gt_tlbr, gt_area = box_corners(gt_tlwh)
    tracker_tlbr, tracker_area = box_corners(tracker_tlwh)
    return iou_of_corners(gt_tlbr[:, np.newaxis, :], gt_area[:, np.newaxis],
                          tracker_tlbr[np.newaxis, :, :], tracker_area[np.newaxis, :])


def box_corners(tlwh: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Convert boxes to corners and areas the way the MOTChallenge kit does.

    Parameters
    ----------
    tlwh : array-like of shape (N, 4), float
        Boxes (left, top, width, height), pixels.

    Returns
    -------
    tlbr : ndarray of shape (N, 4), float64
        (left, top, left + width, top + height).
    area : ndarray of shape (N,), float64
        Area computed from the corners.

    Examples
    --------
    >>> box_corners([[1, 2, 3, 4]])
    (array([[1., 2., 4., 6.]]), array([12.]))
    """
    tlbr = _tlwh_to_tlbr(tlwh)
    return tlbr, (tlbr[:, 2] - tlbr[:, 0]) * (tlbr[:, 3] - tlbr[:, 1])


def iou_of_corners(
    gt_tlbr: npt.NDArray[np.float64],
    gt_area: npt.NDArray[np.float64],
    tracker_tlbr: npt.NDArray[np.float64],
    tracker_area: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Compute IoUs from :func:`box_corners` output, elementwise with broadcasting.

    :func:`iou_matrix` broadcasts ground truth against tracker boxes; the
    sweep's scorer passes aligned lists of pairs. Both get the same values
    for the same pair.

    Parameters
    ----------
    gt_tlbr, tracker_tlbr : ndarray of shape (..., 4), float64
        Corners, broadcastable against each other.
    gt_area, tracker_area : ndarray of shape (...), float64
        Areas, broadcastable like the corners without their last axis.

    Returns
    -------
    ndarray, float64
        IoU in [0, 1] of the broadcast shape.
    """
    width = np.minimum(gt_tlbr[..., 2], tracker_tlbr[..., 2]) - np.maximum(gt_tlbr[..., 0], tracker_tlbr[..., 0])
    height = np.minimum(gt_tlbr[..., 3], tracker_tlbr[..., 3]) - np.maximum(gt_tlbr[..., 1], tracker_tlbr[..., 1])
    intersection = np.maximum(width, 0) * np.maximum(height, 0)
    union = gt_area + tracker_area - intersection
    degenerate = union <= _EPS
    empty = (gt_area <= _EPS) | (tracker_area <= _EPS) | degenerate
    return np.where(empty, 0.0, intersection) / np.where(degenerate, 1.0, union)


def _tlwh_to_tlbr(tlwh: npt.ArrayLike) -> npt.NDArray[np.float64]:
    boxes = np.array(tlwh, dtype=np.float64)
    if boxes.size == 0:
        return np.zeros((0, 4))
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"expected boxes of shape (N, 4), got {boxes.shape}")
    boxes[:, 2:] += boxes[:, :2]
    return boxes
