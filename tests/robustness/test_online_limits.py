"""The online API validates everything that can overflow or go non-finite in the tracker's working
dtypes (float64 boxes, float32 descriptors, int class ids) before any state changes."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort import DeepSort

GOOD_BOXES = [[10.0, 20.0, 30.0, 60.0], [100.0, 20.0, 30.0, 60.0]]


def hostile_cases():
    features = np.eye(2, 8)
    return {
        "feature 1e300 (float32 overflow)": dict(features=[[1e300] + [0.0] * 7, features[1]]),
        "feature 1e30 (squared norm overflow)": dict(features=np.full((2, 8), 1e30)),
        "feature NaN": dict(features=[[np.nan] + [0.0] * 7, features[1]]),
        "feature inf": dict(features=np.array([[np.inf] * 8, features[1]])),
        "box size 1e300": dict(boxes=[[10.0, 20.0, 1e300, 1e300], GOOD_BOXES[1]]),
        "box position 1e300": dict(boxes=[[1e300, 20.0, 30.0, 60.0], GOOD_BOXES[1]]),
        "box size 1e-300": dict(boxes=[[10.0, 20.0, 1e-300, 1e-300], GOOD_BOXES[1]]),
        "box xyxy 1e-300 wide": dict(boxes=[[10.0, 20.0, 10.0 + 1e-300, 80.0], GOOD_BOXES[1]], box_format="xyxy"),
        "class id 1e30": dict(class_ids=[1e30, 1]),
        "class id NaN": dict(class_ids=[np.nan, 1]),
        "score inf": dict(scores=[np.inf, 0.9]),
    }


@pytest.mark.parametrize("case", list(hostile_cases()))
def test_overflowing_input_is_refused_before_the_state_changes(case):
    tracker = DeepSort(n_init=1)
    features = np.eye(2, 8)
    for _ in range(3):
        tracker.update(GOOD_BOXES, [0.9, 0.8], features=features, class_ids=[1, 1])
    before = (tracker.frame_count, tracker.tracks.to_mot_rows(0).tolist(), tracker.tracks.age.tolist())
    arguments = dict(boxes=GOOD_BOXES, scores=[0.9, 0.8], features=features, class_ids=[1, 1])
    arguments.update(hostile_cases()[case])
    with pytest.raises(ValueError, match=r"^(boxes|features|class_ids|scores): row 0 "):
        tracker.update(**arguments)
    assert (tracker.frame_count, tracker.tracks.to_mot_rows(0).tolist(), tracker.tracks.age.tolist()) == before
    # The tracker goes on as if the bad frame had not been given.
    tracks = tracker.update(GOOD_BOXES, [0.9, 0.8], features=features, class_ids=[1, 1])
    assert tracks.track_id.tolist() == [1, 2] and np.isfinite(tracks.tlwh).all()


def test_an_encoder_that_outputs_overflowing_descriptors_is_refused():
    tracker = DeepSort(n_init=1, encoder=lambda frame, boxes: np.full((len(boxes), 8), 1e20))
    frame = np.zeros((120, 160, 3), np.uint8)
    with pytest.raises(ValueError, match="encoder output: row 0 holds 1e\\+20"):
        tracker.update(GOOD_BOXES, [0.9, 0.8], frame=frame)
    assert tracker.frame_count == 0 and len(tracker.tracks) == 0
