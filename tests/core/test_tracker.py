"""Tracker scenarios, one frame per behaviour (SPEC.md sections 4-5)."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.detection import Detection
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.tracker import Tracker

APPEARANCE_A = np.array([1.0, 0.0, 0.0], dtype=np.float32)
APPEARANCE_B = np.array([0.0, 1.0, 0.0], dtype=np.float32)


def person_a(frame, feature=APPEARANCE_A):
    """A 50x100 box moving right by 2 px per frame."""
    return Detection([100 + 2 * frame, 100, 50, 100], 0.9, feature)


def step(tracker, detections):
    tracker.predict()
    tracker.update(detections)
    return {t.track_id: t for t in tracker.tracks}


def output_ids(tracker):
    return sorted(t.track_id for t in tracker.tracks if t.is_confirmed() and t.time_since_update <= 1)


def make_tracker(**kwargs):
    metric = NearestNeighborDistanceMetric("cosine", 0.2, budget=kwargs.pop("budget", None))
    return Tracker(metric, **kwargs)


def test_birth_confirmation_miss_and_reassociation():
    tracker = make_tracker(max_age=30, n_init=3)
    tracks = step(tracker, [person_a(1)])  # frame 1: birth, tentative
    assert list(tracks) == [1] and tracks[1].is_tentative() and output_ids(tracker) == []
    step(tracker, [person_a(2)])  # frame 2: IoU stage match, still tentative
    tracks = step(tracker, [person_a(3)])  # frame 3: third hit confirms
    assert tracks[1].is_confirmed() and output_ids(tracker) == [1]
    assert 1 in tracker.metric.samples and len(tracker.metric.samples[1]) == 3
    step(tracker, [])  # frame 4: empty frame, missed once: still output
    assert output_ids(tracker) == [1]
    step(tracker, [])  # frame 5: missed twice: not output, still alive
    assert output_ids(tracker) == [] and [t.track_id for t in tracker.tracks] == [1]
    tracks = step(tracker, [person_a(6)])  # frame 6: re-associated by appearance (cascade level 1)
    assert list(tracks) == [1] and tracks[1].time_since_update == 0 and output_ids(tracker) == [1]


def test_second_identity_gets_next_id():
    tracker = make_tracker()
    step(tracker, [person_a(1)])
    tracks = step(tracker, [person_a(2), Detection([600, 100, 50, 100], 0.9, APPEARANCE_B)])
    assert sorted(tracks) == [1, 2]


def test_appearance_mismatch_is_not_associated():
    tracker = make_tracker(n_init=1)
    step(tracker, [person_a(1)])
    step(tracker, [person_a(2)])  # confirmed at its first update (n_init=1)
    step(tracker, [])
    # Frame 4: same place, different appearance: the cascade rejects it, the
    # IoU stage does not consider a track missed in the last frame -> new track.
    tracks = step(tracker, [person_a(4, APPEARANCE_B)])
    assert sorted(tracks) == [1, 2]


def test_deletion_after_max_age():
    tracker = make_tracker(max_age=3, n_init=1)
    step(tracker, [person_a(1)])
    step(tracker, [person_a(2)])
    for _ in range(3):
        step(tracker, [])
        assert [t.track_id for t in tracker.tracks] == [1]
    step(tracker, [])  # time_since_update 4 > max_age 3
    assert tracker.tracks == [] and tracker.metric.samples == {}


def test_tentative_track_dies_on_first_miss():
    tracker = make_tracker()
    step(tracker, [person_a(1)])
    step(tracker, [])
    assert tracker.tracks == []


def test_reset_restarts_ids():
    tracker = make_tracker()
    step(tracker, [person_a(1)])
    tracker.reset()
    assert tracker.tracks == [] and tracker.metric.samples == {}
    assert list(step(tracker, [person_a(1)])) == [1]


def test_motion_only_mode_tracks_through_a_gap():
    tracker = Tracker(None, max_age=30, n_init=3)
    for frame in range(1, 5):
        step(tracker, [Detection([100 + 2 * frame, 100, 50, 100], 0.9)])
    step(tracker, [])
    tracks = step(tracker, [Detection([112, 100, 50, 100], 0.9)])  # frame 6, overlapping the prediction
    assert list(tracks) == [1] and tracks[1].is_confirmed()
    assert tracks[1].features == []


@pytest.mark.parametrize("kwargs", [
    {"max_iou_distance": 1.5},  # above 1
    {"max_age": 0},  # no age
    {"n_init": 0},  # never confirmed
    {"max_age": 2.5},  # not a whole number
])
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        make_tracker(**kwargs)
