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
        Largest allowed overlap. An overlap never exceeds 1 (a box inside
        the picked one has exactly 1), so at 1.0 nothing is suppressed and
        the function only sorts by score.
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
    y2 = boxes[:, 3] + y1
    idxs = np.argsort(np.asarray(scores)) if scores is not None else np.argsort(y2)
    order = idxs[::-1].tolist()  # pick order if nothing is suppressed
    if max_bbox_overlap >= 1 and (boxes[:, 2:] >= 0).all():
        # The intersection never exceeds the other box's area (both use the
        # same rounded operations, which are monotone), so no overlap is > 1.
        return order
    x2 = boxes[:, 2] + x1
    area = (x2 - x1 + 1) * (y2 - y1 + 1)

    # overlap[i, j]: share of box j covered by box i, the same operations as
    # the reference's per-pick computation, for all pairs at once.
    w = np.maximum(0, np.minimum(x2[:, None], x2[None, :]) - np.maximum(x1[:, None], x1[None, :]) + 1)
    h = np.maximum(0, np.minimum(y2[:, None], y2[None, :]) - np.maximum(y1[:, None], y1[None, :]) + 1)
    suppresses = (w * h) / area[None, :] > max_bbox_overlap
    np.fill_diagonal(suppresses, False)
    if not suppresses.any():
        return order

    # Greedy: the highest-scoring box left is kept and removes every box it
    # overlaps too much (boxes already removed or kept are not looked at again).
    removed = np.zeros(len(boxes), dtype=bool)
    pick = []
    for i in order:
        if removed[i]:
            continue
        pick.append(i)
        removed |= suppresses[i]
    return pick
