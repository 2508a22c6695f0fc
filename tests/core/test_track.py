"""Track life cycle (SPEC.md section 4) and the read-only Track snapshot of a tracker's row."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.detection import Detection
from deep_sort.kalman_filter import KalmanFilter, covariance_matrices
from deep_sort.track import Track, TrackState
from deep_sort.tracker import Tracker

DETECTION = Detection([10, 20, 30, 60], 1.0)


def step(tracker: Tracker, detections) -> None:
    tracker.predict()
    tracker.update(detections)


def states(tracker: Tracker) -> list[tuple[int, TrackState, int, int, int]]:
    return [(t.track_id, t.state, t.hits, t.age, t.time_since_update) for t in tracker.tracks]


def test_state_values_are_the_published_ones():
    assert [(s.name, int(s)) for s in TrackState] == [("Tentative", 1), ("Confirmed", 2), ("Deleted", 3)]


def test_new_track_counters():
    tracker = Tracker(None)
    step(tracker, [DETECTION])
    assert states(tracker) == [(1, TrackState.Tentative, 1, 1, 0)]
    track = tracker.tracks[0]
    assert track.is_tentative() and not track.is_confirmed() and not track.is_deleted()
    np.testing.assert_allclose(track.to_tlwh(), DETECTION.tlwh)
    np.testing.assert_allclose(track.to_tlbr(), [10, 20, 40, 80])


@pytest.mark.parametrize("n_init", [1, 2, 3, 5])
def test_confirmed_at_n_init_hits(n_init):
    tracker = Tracker(None, n_init=n_init)
    step(tracker, [DETECTION])  # hit 1: a new track is tentative, even with n_init = 1
    assert tracker.tracks[0].is_tentative()
    for hits in range(2, max(n_init, 2) + 1):
        step(tracker, [DETECTION])
        expected = TrackState.Confirmed if hits >= n_init else TrackState.Tentative
        assert states(tracker) == [(1, expected, hits, hits, 0)]


def test_tentative_track_deleted_on_first_miss():
    tracker = Tracker(None, n_init=3)
    step(tracker, [DETECTION])
    step(tracker, [DETECTION])
    step(tracker, [])  # hits 2 of 3: one miss ends it
    assert tracker.tracks == []


@pytest.mark.parametrize("max_age", [1, 3])
def test_confirmed_track_deleted_when_time_since_update_exceeds_max_age(max_age):
    tracker = Tracker(None, n_init=1, max_age=max_age)
    step(tracker, [DETECTION])
    step(tracker, [DETECTION])
    for missed in range(1, max_age + 1):  # time_since_update 1 .. max_age: alive
        step(tracker, [])
        assert states(tracker) == [(1, TrackState.Confirmed, 2, 2 + missed, missed)]
    step(tracker, [])  # time_since_update max_age + 1
    assert tracker.tracks == [] and tracker.track_id.tolist() == []


def test_a_miss_does_not_reset_hits_and_an_update_resets_time_since_update():
    tracker = Tracker(None, n_init=2)
    for detections in ([DETECTION], [DETECTION], [], [], [DETECTION]):
        step(tracker, detections)
    assert states(tracker) == [(1, TrackState.Confirmed, 3, 5, 0)]


def test_snapshot_is_the_trackers_row():
    tracker = Tracker(None, n_init=1)
    step(tracker, [DETECTION, Detection([300, 20, 30, 60], 1.0)])
    step(tracker, [Detection([12, 20, 30, 60], 1.0)])
    track = tracker.tracks[0]
    assert isinstance(track, Track)
    np.testing.assert_array_equal(track.mean, tracker.mean[:, 0])
    np.testing.assert_array_equal(track.covariance, covariance_matrices(tracker.covariance)[0])
    assert track.mean.shape == (8,) and track.covariance.shape == (8, 8)
    np.testing.assert_array_equal(track.to_tlwh(), tracker.to_tlwh()[0])
    assert repr(track) == "Track(id=1, state=Confirmed, hits=2, age=2, time_since_update=0)"


def test_snapshot_does_not_change_with_the_tracker():
    tracker = Tracker(None)
    step(tracker, [DETECTION])
    track = tracker.tracks[0]
    mean = track.mean.copy()
    step(tracker, [Detection([14, 20, 30, 60], 1.0)])
    np.testing.assert_array_equal(track.mean, mean)
    assert (track.hits, track.age) == (1, 1)
    # ... and writing into it does not change the tracker.
    track.mean[:] = 0
    assert tracker.mean[0, 0] != 0


def test_tracker_state_arrays_are_per_track():
    kf = KalmanFilter()
    tracker = Tracker(None)
    step(tracker, [DETECTION, Detection([300, 20, 30, 60], 1.0)])
    assert tracker.track_id.tolist() == [1, 2]
    assert tracker.state.tolist() == [TrackState.Tentative] * 2
    assert tracker.hits.tolist() == [1, 1] and tracker.age.tolist() == [1, 1]
    assert tracker.time_since_update.tolist() == [0, 0]
    expected_mean, expected_covariance = kf.initiate([DETECTION.to_xyah(), [315, 50, 0.5, 60]])
    np.testing.assert_array_equal(tracker.mean, expected_mean)
    np.testing.assert_array_equal(tracker.covariance, expected_covariance)
