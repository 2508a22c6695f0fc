"""All-zero descriptors (boxes without pixels, see tools/generate_detections.py) never match by appearance."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.detection import Detection
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.tracker import Tracker

ZERO = np.zeros(4, dtype=np.float32)
FEATURE = np.array([1, 0, 0, 0], dtype=np.float32)

pytestmark = pytest.mark.usefixtures("assignment_path")


def test_cosine_distance_to_a_zero_vector_is_one_not_nan():
    metric = NearestNeighborDistanceMetric("cosine", 0.2)
    metric.partial_fit(np.array([FEATURE, ZERO]), [1, 2], [1, 2])
    distances = metric.distance(np.array([ZERO, FEATURE]), [1, 2])
    assert distances.tolist() == [[1.0, 0.0], [1.0, 1.0]]
    assert metric.samples(2).tolist() == [ZERO.tolist()]  # stored as zeros, not NaN


def step(tracker, left, feature):
    tracker.predict()
    return tracker.update([Detection([left, 100, 50, 100], 0.9, feature)])


def test_tracker_runs_through_zero_descriptors_by_overlap():
    tracker = Tracker(NearestNeighborDistanceMetric("cosine", 0.2), n_init=1)
    for frame in range(1, 6):
        # One person with a zero descriptor from frame 3 on, e.g. walking out of the image.
        assert step(tracker, 100 + 2 * frame, FEATURE if frame < 3 else ZERO) == [(1, 0)]


def test_zero_descriptor_is_not_found_again_by_appearance():
    tracker = Tracker(NearestNeighborDistanceMetric("cosine", 0.2), n_init=1)
    step(tracker, 100, ZERO)
    step(tracker, 102, ZERO)
    tracker.predict()
    tracker.update([])  # missed once: only the cascade could match it next frame
    # Same place, zero descriptor again: distance 1 to the zero gallery, a new track.
    assert step(tracker, 106, ZERO) == [(2, 0)]
