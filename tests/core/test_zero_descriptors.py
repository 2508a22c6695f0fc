"""All-zero descriptors (boxes without pixels, see tools/generate_detections.py) never match by appearance."""
from __future__ import annotations

import numpy as np

from deep_sort.detection import Detection
from deep_sort.nn_matching import NearestNeighborDistanceMetric, nn_cosine_distance
from deep_sort.tracker import Tracker

ZERO = np.zeros(4, dtype=np.float32)
FEATURE = np.array([1, 0, 0, 0], dtype=np.float32)


def test_cosine_distance_to_a_zero_vector_is_one_not_nan():
    distances = nn_cosine_distance(np.array([FEATURE, ZERO]), np.array([ZERO, FEATURE]))
    assert np.isfinite(distances).all()
    np.testing.assert_allclose(distances, [1.0, 0.0], atol=1e-6)


def test_tracker_runs_through_zero_descriptors():
    tracker = Tracker(NearestNeighborDistanceMetric("cosine", 0.2), n_init=1)
    for frame in range(1, 6):
        # One person with a zero descriptor from frame 3 on, e.g. walking out of the image.
        feature = FEATURE if frame < 3 else ZERO
        tracker.predict()
        tracker.update([Detection([100 + 2 * frame, 100, 50, 100], 0.9, feature)])
    # Frames 3-5 still associate through the IoU stage (track seen in the previous frame).
    assert [t.track_id for t in tracker.tracks] == [1]
