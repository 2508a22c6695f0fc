from __future__ import annotations

import numpy as np
import pytest

from deep_sort.boxes import tlbr_to_tlwh, tlwh_to_tlbr, tlwh_to_xyah, xyah_to_tlwh
from deep_sort.detection import Detection


@pytest.mark.parametrize("tlwh", [
    [10, 20, 30, 40],  # ordinary box
    [-5.5, 0, 1, 2],  # partly outside the image
])
def test_round_trips(tlwh):
    np.testing.assert_allclose(xyah_to_tlwh(tlwh_to_xyah(tlwh)), tlwh)
    np.testing.assert_allclose(tlbr_to_tlwh(tlwh_to_tlbr(tlwh)), tlwh)


def test_converters_take_stacks_and_empty_input():
    stack = np.array([[0, 0, 10, 20], [5, 5, 2, 4]], dtype=float)
    np.testing.assert_allclose(tlwh_to_xyah(stack), [[5, 10, 0.5, 20], [6, 7, 0.5, 4]])
    assert tlwh_to_xyah(np.zeros((0, 4))).shape == (0, 4)


def test_converters_do_not_modify_input():
    tlwh = np.array([10.0, 20.0, 30.0, 40.0])
    tlwh_to_xyah(tlwh)
    np.testing.assert_array_equal(tlwh, [10, 20, 30, 40])


def test_detection_stores_feature_as_float32():
    det = Detection([10, 20, 30, 40], 0.9, np.ones(4, dtype=np.float64))
    assert det.feature.dtype == np.float32
    np.testing.assert_allclose(det.to_xyah(), [25, 40, 0.75, 40])
    np.testing.assert_allclose(det.to_tlbr(), [10, 20, 40, 60])
    assert Detection([0, 0, 1, 1], 1.0).feature.size == 0


@pytest.mark.parametrize("tlwh", [
    [0, 0, 0, 10],  # zero width
    [0, 0, 10, -1],  # negative height
    [0, 0, np.nan, 10],  # NaN
    [0, 0, 10],  # wrong length
])
def test_detection_rejects_bad_boxes(tlwh):
    with pytest.raises(ValueError):
        Detection(tlwh, 1.0)
