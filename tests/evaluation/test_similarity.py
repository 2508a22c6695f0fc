"""IoU of ground-truth and tracker boxes, as the official kit computes it."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.evaluation.similarity import iou_matrix


@pytest.mark.parametrize(
    "gt, tracker, expected",
    [
        ([[0, 0, 10, 10]], [[0, 0, 10, 10]], [[1.0]]),  # identical
        ([[0, 0, 10, 10]], [[5, 0, 10, 10]], [[50 / 150]]),  # half shifted
        ([[0, 0, 10, 10]], [[10, 0, 10, 10]], [[0.0]]),  # touching edges: no +1 pixel convention
        ([[0, 0, 10, 10]], [[2, 2, 5, 5]], [[25 / 100]]),  # contained
        ([[0, 0, 10, 10]], [[0, 0, 0, 10]], [[0.0]]),  # zero-width tracker box
        ([[0, 0, 0, 0]], [[0, 0, 0, 0]], [[0.0]]),  # both degenerate: no division by zero
    ],
)
def test_iou_values(gt, tracker, expected):
    np.testing.assert_allclose(iou_matrix(gt, tracker), expected)


@pytest.mark.parametrize("n_gt, n_tracker", [(0, 3), (2, 0), (0, 0)])  # empty sides
def test_empty_inputs_give_empty_matrix(n_gt, n_tracker):
    gt = np.ones((n_gt, 4))
    tracker = np.ones((n_tracker, 4))
    assert iou_matrix(gt, tracker).shape == (n_gt, n_tracker)


def test_rows_index_gt_and_columns_index_tracker():
    gt = [[0, 0, 10, 10], [100, 100, 10, 10]]
    tracker = [[100, 100, 10, 10], [0, 0, 10, 10], [50, 50, 1, 1]]
    np.testing.assert_array_equal(iou_matrix(gt, tracker), [[0, 1, 0], [1, 0, 0]])


def test_bad_shape_is_rejected():
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        iou_matrix([[0, 0, 10]], [[0, 0, 10, 10]])


def test_bit_identical_to_trackeval(rng):
    from trackeval.datasets._base_dataset import _BaseDataset

    gt = np.column_stack([rng.uniform(0, 100, (50, 2)), rng.uniform(0, 30, (50, 2))])
    tracker = gt[rng.permutation(50)[:40]] + rng.normal(0, 3, (40, 4))
    expected = _BaseDataset._calculate_box_ious(gt, tracker, box_format="xywh")
    np.testing.assert_array_equal(iou_matrix(gt, tracker), expected)
