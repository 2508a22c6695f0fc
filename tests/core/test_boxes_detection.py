"""Box format converters, and the detections the tracker takes (single and per frame)."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.boxes import tlbr_to_tlwh, tlwh_to_tlbr, tlwh_to_xyah, xyah_to_tlwh
from deep_sort.detection import Detection, Detections


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


# ----------------------------------------------------------------------------- Detections (one frame as arrays)


def test_detections_hold_a_frame_as_arrays():
    detections = Detections([[10, 20, 30, 40], [0, 0, 5, 10]], [0.9, 0.5], np.ones((2, 3)))
    assert len(detections) == 2
    assert detections.tlwh.dtype == np.float64 and detections.tlwh.shape == (2, 4)
    assert detections.feature.dtype == np.float32 and detections.feature.shape == (2, 3)
    np.testing.assert_array_equal(detections.to_xyah(), [[25, 40, 0.75, 40], [2.5, 5, 0.5, 10]])
    np.testing.assert_array_equal(detections.to_tlbr(), [[10, 20, 40, 60], [0, 0, 5, 10]])


def test_detections_without_descriptors_have_length_zero_descriptors():
    detections = Detections([[10, 20, 30, 40]], [0.9])
    assert detections.feature.shape == (1, 0)


def test_detections_select_rows_in_the_given_order():
    detections = Detections([[0, 0, 1, 1], [1, 0, 1, 1], [2, 0, 1, 1]], [0.1, 0.2, 0.3], np.eye(3))
    picked = detections[[2, 0]]
    assert picked.tlwh[:, 0].tolist() == [2, 0] and picked.confidence.tolist() == [0.3, 0.1]
    assert picked.feature.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert len(detections[detections.confidence > 0.15]) == 2
    assert [d.tlwh[0] for d in detections] == [0, 1, 2]  # iteration: single Detection objects


def test_detections_from_a_list_equal_the_arrays():
    singles = [Detection([10, 20, 30, 40], 0.9, [1, 0]), Detection([0, 0, 5, 10], 0.5, [0, 1])]
    detections = Detections.from_list(singles)
    np.testing.assert_array_equal(detections.tlwh, [[10, 20, 30, 40], [0, 0, 5, 10]])
    assert detections.confidence.tolist() == [0.9, 0.5]
    assert detections.feature.tolist() == [[1, 0], [0, 1]] and detections.feature.dtype == np.float32
    assert len(Detections.from_list([])) == 0


def test_detections_reject_mismatched_lengths_and_bad_boxes():
    with pytest.raises(ValueError, match="expected 2 scores"):
        Detections([[0, 0, 1, 1], [1, 1, 1, 1]], [0.9])
    with pytest.raises(ValueError, match="row 1"):
        Detections([[0, 0, 1, 1], [1, 1, np.inf, 1]], [0.9, 0.9])
    with pytest.raises(ValueError):
        Detections([[0, 0, 1, 1], [1, 1, 1, 1]], [0.9, 0.9], np.ones((3, 3)))  # 9 values for 2 rows


def test_detections_reject_a_descriptor_count_other_than_the_box_count():
    # Two 3-d descriptors for one box are not one 6-d descriptor.
    with pytest.raises(ValueError, match=r"feature: expected shape \(1, D\)"):
        Detections([[0, 0, 1, 1]], [0.9], np.ones((2, 3)))


def test_empty_frame_keeps_its_descriptor_length():
    detections = Detections(np.zeros((0, 4)), np.zeros(0), np.zeros((0, 128), dtype=np.float32))
    assert len(detections) == 0 and detections.feature.shape == (0, 128)
