"""Detection selection (SPEC.md section 2): height and confidence filters, non-maximum suppression.

Expected orders are written by hand; tests/core/test_lockstep.py compares
the suppression with the published loop (tests/oracle.py) on random boxes.
"""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.config import TrackingConfig
from deep_sort.preprocessing import non_max_suppression, passes_filters, select_detections


def nms(boxes, max_bbox_overlap, scores=None) -> list[int]:
    return non_max_suppression(boxes, max_bbox_overlap, scores).tolist()


def test_keeps_highest_score_and_drops_overlaps():
    boxes = [[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5]]
    assert nms(boxes, 0.5, [0.8, 0.9, 0.7]) == [1, 2]


def test_pick_order_is_descending_score():
    boxes = [[0, 0, 5, 5], [100, 0, 5, 5], [200, 0, 5, 5]]
    assert nms(boxes, 1.0, [0.2, 0.9, 0.5]) == [1, 2, 0]
    assert nms(boxes, 0.5, [0.2, 0.9, 0.5]) == [1, 2, 0]  # the same without overlaps


def test_without_scores_boxes_are_ranked_by_bottom_edge():
    boxes = [[0, 50, 5, 5], [100, 0, 5, 80], [200, 0, 5, 10]]  # bottoms 55, 80, 10
    assert nms(boxes, 1.0) == [1, 0, 2]


def test_ties_are_taken_last_index_first():
    # numpy's default argsort keeps equal scores of a short array in index
    # order; the published code reads it backwards: the last index first.
    boxes = [[0, 0, 5, 5], [100, 0, 5, 5], [200, 0, 5, 5]]
    assert nms(boxes, 1.0, np.array([1.0, 1.0, 1.0], dtype=np.float32)) == [2, 1, 0]
    assert nms(boxes, 1.0, np.array([0.5, 0.7, 0.5])) == [1, 2, 0]


def test_ties_depend_on_the_scores_dtype():
    # 0.1 and 0.1 + 1e-12 differ in float64 but are equal in float32: the
    # detection file's dtype decides the order (the published code sorts the
    # file's scores as they are).
    boxes = [[0, 0, 5, 5], [100, 0, 5, 5]]
    scores = np.array([0.1 + 1e-12, 0.1])
    assert nms(boxes, 1.0, scores) == [0, 1]
    assert nms(boxes, 1.0, scores.astype(np.float32)) == [1, 0]


def test_a_suppressed_box_does_not_suppress_others():
    # Box 0 (best) suppresses box 1; box 1 would suppress box 2, but it is
    # gone, so box 2 stays (box 0 overlaps box 2 less than the threshold).
    boxes = [[0, 0, 10, 10], [5, 0, 10, 10], [10, 0, 10, 10]]
    assert nms(boxes, 0.4, [0.9, 0.8, 0.7]) == [0, 2]


def test_overlap_uses_plus_one_pixel_convention_and_other_area():
    # A 10x10 box inside a 20x20 one: intersection / area[other].
    outer, inner = [0, 0, 20, 20], [0, 0, 10, 10]
    # Outer picked first; inner's overlap = 11*11 / (11*11) = 1.0: not > 1.0, kept.
    assert nms([outer, inner], 1.0, [0.9, 0.8]) == [0, 1]
    # At 0.99 the contained box goes.
    assert nms([outer, inner], 0.99, [0.9, 0.8]) == [0]
    # Inner picked first: outer's overlap = 121 / 441 = 0.274 (without the +1: 100 / 400 = 0.25).
    assert nms([outer, inner], 0.27, [0.8, 0.9]) == [1]
    assert nms([outer, inner], 0.275, [0.8, 0.9]) == [1, 0]


def test_overlap_exactly_at_the_threshold_is_kept():
    # Two 10x10 boxes shifted by 5.5 px: overlap 5.5 * 11 / 121 = 0.5 exactly.
    boxes = [[0, 0, 10, 10], [5.5, 0, 10, 10]]
    assert nms(boxes, 0.5, [0.9, 0.8]) == [0, 1]
    assert nms(boxes, np.nextafter(0.5, 0), [0.9, 0.8]) == [0]


def test_empty_input():
    assert nms(np.zeros((0, 4)), 0.5, np.zeros(0)) == []
    assert nms(np.zeros((0, 4)), 1.0, np.zeros(0)) == []


def config(**kwargs) -> TrackingConfig:
    return TrackingConfig(**{"min_confidence": 0.0, **kwargs})


def test_filters_keep_scores_and_heights_at_the_limits():
    tlwh = np.array([[0, 0, 10, 40], [0, 0, 10, 39.9], [0, 0, 10, 50], [0, 0, 10, 50]])
    scores = np.array([0.9, 0.9, 0.5, 0.49])
    kept = passes_filters(tlwh, scores, config(min_confidence=0.5, min_detection_height=40))
    assert kept.tolist() == [True, False, True, False]


def test_select_detections_filters_then_suppresses_in_score_order():
    tlwh = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 10], [80, 0, 5, 10], [0, 0, 12, 9.0]])
    scores = np.array([0.8, 0.9, 0.7, 0.1, 0.95])
    # Row 3 fails the confidence filter, row 4 (9 px tall) the height filter:
    # filtered out first, row 4 cannot suppress rows 0 and 1. Row 1 suppresses row 0.
    selected = select_detections(tlwh, scores, config(min_confidence=0.5, min_detection_height=10,
                                                      nms_max_overlap=0.5))
    assert selected.tolist() == [1, 2] and selected.dtype == np.intp
    # Without the height filter, row 4 is picked first and suppresses rows 0 and 1.
    assert select_detections(tlwh, scores, config(min_confidence=0.5, nms_max_overlap=0.5)).tolist() == [4, 2]


@pytest.mark.parametrize("nms_max_overlap", [1.0, 0.5])
def test_select_detections_without_any_row_left(nms_max_overlap):
    tlwh = np.array([[0, 0, 10, 10]])
    assert select_detections(tlwh, np.array([0.1]), config(min_confidence=0.5,
                                                          nms_max_overlap=nms_max_overlap)).tolist() == []
