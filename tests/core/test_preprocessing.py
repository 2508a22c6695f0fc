from __future__ import annotations

import numpy as np

from deep_sort.preprocessing import non_max_suppression


def test_keeps_highest_score_and_drops_overlaps():
    boxes = [[0, 0, 10, 10], [1, 1, 10, 10], [50, 50, 5, 5]]
    assert non_max_suppression(boxes, 0.5, [0.8, 0.9, 0.7]) == [1, 2]


def test_pick_order_is_descending_score():
    boxes = [[0, 0, 5, 5], [100, 0, 5, 5], [200, 0, 5, 5]]
    assert non_max_suppression(boxes, 1.0, [0.2, 0.9, 0.5]) == [1, 2, 0]


def test_ties_follow_numpy_argsort():
    # Equal scores: argsort of a short array keeps index order, so the last
    # index is picked first (the published code's behaviour).
    boxes = [[0, 0, 5, 5], [100, 0, 5, 5], [200, 0, 5, 5]]
    scores = np.array([1.0, 1.0, 1.0], dtype=np.float32)
    assert non_max_suppression(boxes, 1.0, scores) == list(np.argsort(scores)[::-1])
    assert non_max_suppression(boxes, 1.0, scores) == [2, 1, 0]


def test_overlap_uses_plus_one_pixel_convention_and_other_area():
    # A 10x10 box inside a 20x20 one: intersection / area[other].
    outer, inner = [0, 0, 20, 20], [0, 0, 10, 10]
    # Outer picked first; inner's overlap = 11*11 / (11*11) = 1.0: not > 1.0, kept.
    assert non_max_suppression([outer, inner], 1.0, [0.9, 0.8]) == [0, 1]
    # At 0.99 the contained box goes.
    assert non_max_suppression([outer, inner], 0.99, [0.9, 0.8]) == [0]
    # Inner picked first: outer's overlap = 121 / 441 < 0.5, kept.
    assert non_max_suppression([outer, inner], 0.5, [0.8, 0.9]) == [1, 0]


def test_empty_input():
    assert non_max_suppression(np.zeros((0, 4)), 0.5, np.zeros(0)) == []
