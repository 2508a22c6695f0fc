"""Non-maximum suppression as the published tracking app runs it (SPEC.md section 2, step 2)."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt


def non_max_suppression(
    tlwh: npt.ArrayLike, max_bbox_overlap: float, scores: npt.ArrayLike | None = None
) -> list[int]:
    """Suppress boxes that overlap a higher-scoring box too much.

    Boxes are taken in descending score: ``idxs = numpy.argsort(scores)`` with
    the default sort kind (the order of tied scores follows numpy's sort, as in
    the published code), the last index is picked, and every remaining box
    whose overlap with it, ``intersection / area[other]`` with the +1 pixel
    convention, is greater than ``max_bbox_overlap`` is dropped.

    Parameters
    ----------
    tlwh : array-like of shape (N, 4)
        Boxes (left, top, w, h), pixels.
    max_bbox_overlap : float
        Largest allowed overlap; at 1.0 only exact containment suppresses.
    scores : array-like of shape (N,), optional
        Detector confidences; without them boxes are ranked by bottom edge.
        Pass them in the detection file's dtype: the tie order depends on it.

    Returns
    -------
    list of int
        Indices of the kept boxes in pick order (descending score).

    Examples
    --------
    >>> non_max_suppression([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5]], 0.5, [0.9, 0.8, 0.7])
    [0, 2]
    """
    boxes = np.asarray(tlwh, dtype=np.float64).reshape(-1, 4)
    if len(boxes) == 0:
        return []
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = boxes[:, 2] + x1, boxes[:, 3] + y1
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    idxs = np.argsort(np.asarray(scores)) if scores is not None else np.argsort(y2)

    pick = []
    while len(idxs) > 0:
        last = len(idxs) - 1
        i = idxs[last]
        pick.append(int(i))
        others = idxs[:last]
        xx1 = np.maximum(x1[i], x1[others])
        yy1 = np.maximum(y1[i], y1[others])
        xx2 = np.minimum(x2[i], x2[others])
        yy2 = np.minimum(y2[i], y2[others])
        w = np.maximum(0, xx2 - xx1 + 1)
        h = np.maximum(0, yy2 - yy1 + 1)
        overlap = (w * h) / area[others]
        idxs = np.delete(idxs, np.concatenate(([last], np.where(overlap > max_bbox_overlap)[0])))
    return pick
