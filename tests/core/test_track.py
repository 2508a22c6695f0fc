"""Track life cycle (SPEC.md section 4)."""
from __future__ import annotations

import numpy as np

from deep_sort.detection import Detection
from deep_sort.kalman_filter import KalmanFilter
from deep_sort.track import Track, TrackState

KF = KalmanFilter()
DET = Detection([10, 20, 30, 60], 1.0, np.ones(3))


def new_track(n_init=3, max_age=2):
    mean, cov = KF.initiate(DET.to_xyah())
    return Track(mean, cov, 1, n_init, max_age, DET.feature)


def test_new_track_counters():
    track = new_track()
    assert (track.hits, track.age, track.time_since_update) == (1, 1, 0)
    assert track.state == TrackState.Tentative and track.is_tentative()
    assert len(track.features) == 1
    np.testing.assert_allclose(track.to_tlwh(), DET.tlwh)
    np.testing.assert_allclose(track.to_tlbr(), [10, 20, 40, 80])


def test_confirmed_after_n_init_hits():
    track = new_track(n_init=3)
    for expected_state in (TrackState.Tentative, TrackState.Confirmed):
        track.predict(KF)
        track.update(KF, DET)
        assert track.state == expected_state
    assert (track.hits, track.age, track.time_since_update) == (3, 3, 0)
    assert len(track.features) == 3


def test_tentative_track_deleted_on_first_miss():
    track = new_track()
    track.predict(KF)
    track.mark_missed()
    assert track.is_deleted()


def test_confirmed_track_deleted_after_max_age():
    track = new_track(n_init=1, max_age=2)
    track.predict(KF)
    track.update(KF, DET)
    assert track.is_confirmed()
    for _ in range(2):  # time_since_update 1, 2: still alive
        track.predict(KF)
        track.mark_missed()
        assert track.is_confirmed()
    track.predict(KF)  # time_since_update 3 > max_age
    track.mark_missed()
    assert track.is_deleted()
