"""Tracker.update returns which detection each matched or new track took, frame by frame."""
from __future__ import annotations

import pytest

from deep_sort.detection import Detection
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.tracker import Tracker

pytestmark = pytest.mark.usefixtures("assignment_path")


def _detection(left: float, feature: list[float] | None = None) -> Detection:
    return Detection([left, 10.0, 20.0, 40.0], 0.9, feature)


@pytest.mark.parametrize("metric", [
    None,  # motion-only: the cascade uses the gated IoU cost
    NearestNeighborDistanceMetric("cosine", 0.2),  # appearance cascade
], ids=["motion", "appearance"])
def test_update_returns_track_id_and_detection_index(metric):
    def frame(*lefts):
        features = {10.0: [1.0, 0.0], 11.0: [1.0, 0.0], 100.0: [0.0, 1.0], 101.0: [0.0, 1.0], 300.0: [1.0, 1.0]}
        return [_detection(left, features[left] if metric is not None else None) for left in lefts]

    tracker = Tracker(metric, n_init=2)
    tracker.predict()
    # Frame 1: two new tracks, ids in detection order.
    assert tracker.update(frame(10.0, 100.0)) == [(1, 0), (2, 1)]
    tracker.predict()
    # Frame 2: the same objects given in the other order.
    assert sorted(tracker.update(frame(101.0, 11.0))) == [(1, 1), (2, 0)]
    tracker.predict()
    # Frame 3: object 1 missed, a new object appears: matches first, then the new track.
    assert tracker.update(frame(300.0, 101.0)) == [(2, 1), (3, 0)]
    tracker.predict()
    # Frame 4: no detections.
    assert tracker.update([]) == []
