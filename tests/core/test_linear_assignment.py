"""Min-cost matching, the matching cascade and gating (SPEC.md section 5)."""
from __future__ import annotations

import numpy as np
import pytest

from scipy.optimize import linear_sum_assignment

from deep_sort import linear_assignment
from deep_sort.detection import Detection
from deep_sort.iou_matching import iou, iou_cost
from deep_sort.kalman_filter import KalmanFilter
from deep_sort.linear_assignment import INFTY_COST, gate_cost_matrix, matching_cascade, min_cost_matching
from deep_sort.track import Track


def matrix_metric(cost_matrix):
    """A distance metric that reads a fixed (all tracks x all detections) matrix."""
    cost_matrix = np.asarray(cost_matrix, dtype=float)

    def metric(tracks, detections, track_indices, detection_indices):
        return cost_matrix[np.ix_(track_indices, detection_indices)].copy()

    return metric


def make_track(track_id, tlwh=(0, 0, 10, 20), time_since_update=1):
    kf = KalmanFilter()
    mean, cov = kf.initiate(Detection(tlwh, 1.0).to_xyah())
    track = Track(mean, cov, track_id, n_init=3, max_age=30)
    track.time_since_update = time_since_update
    return track


def test_min_cost_matching_assigns_cheapest():
    metric = matrix_metric([[0.1, 0.9], [0.8, 0.2]])
    matches, unmatched_tracks, unmatched_dets = min_cost_matching(metric, 0.5, [None] * 2, [None] * 2)
    assert matches == [(0, 0), (1, 1)]
    assert unmatched_tracks == [] and unmatched_dets == []


def test_min_cost_matching_unmatched_order():
    # 2 tracks x 4 detections. Track 0 gets det 2 (cost 0.1); every cost of
    # track 1 is above the threshold, so its assigned pair is rejected.
    costs = np.array([[0.9, 0.9, 0.1, 0.9], [0.95, 0.95, 0.95, 0.95]])
    matches, unmatched_tracks, unmatched_dets = min_cost_matching(matrix_metric(costs), 0.5, [None] * 2, [None] * 4)
    assert matches == [(0, 2)]
    assert unmatched_tracks == [1]
    clipped = np.minimum(costs, 0.5 + 1e-5)
    clipped[0, 2] = 0.1
    rows, cols = linear_sum_assignment(clipped)
    rejected_col = int(cols[list(rows).index(1)])
    # Unassigned columns in column order first, then the rejected pair's column.
    assert unmatched_dets == [d for d in (0, 1, 3) if d != rejected_col] + [rejected_col]


def test_min_cost_matching_maps_indices():
    metric = matrix_metric(np.full((5, 5), 0.9) - np.eye(5) * 0.8)
    matches, _, unmatched_dets = min_cost_matching(metric, 0.5, [None] * 5, [None] * 5, [3, 1], [1, 4, 3])
    assert sorted(matches) == [(1, 1), (3, 3)]
    assert unmatched_dets == [4]


def test_min_cost_matching_empty():
    assert min_cost_matching(matrix_metric(np.zeros((1, 1))), 0.5, [None], [], [0], []) == ([], [0], [])


def test_cascade_prefers_recently_updated_tracks():
    # Track 0 missed 2 frames, track 1 was seen last frame; both want detection 0,
    # track 0 even more. The cascade gives it to track 1 (level 0) first.
    tracks = [make_track(1, time_since_update=2), make_track(2, time_since_update=1)]
    metric = matrix_metric([[0.01], [0.1]])
    matches, unmatched_tracks, unmatched_dets = matching_cascade(metric, 0.2, 30, tracks, [None])
    assert matches == [(1, 0)]
    assert unmatched_tracks == [0]
    assert unmatched_dets == []


def test_cascade_skips_levels_and_stops_without_detections():
    calls = []

    def metric(tracks, detections, track_indices, detection_indices):
        calls.append(list(track_indices))
        return np.zeros((len(track_indices), len(detection_indices)))

    tracks = [make_track(1, time_since_update=3), make_track(2, time_since_update=1), make_track(3, time_since_update=5)]
    matches, _, _ = matching_cascade(metric, 0.2, 30, tracks, [None])
    assert calls == [[1]]  # one level solved; the detection is gone afterwards
    assert matches == [(1, 0)]


def test_cascade_unmatched_tracks_in_set_order():
    tracks = [make_track(i + 1, time_since_update=1) for i in range(12)]
    metric = matrix_metric(np.full((12, 1), 0.9))
    _, unmatched_tracks, _ = matching_cascade(metric, 0.2, 30, tracks, [None], track_indices=[11, 3, 9, 0])
    # The published code returns list(set(track_indices) - set(matched)).
    assert unmatched_tracks == list(set([11, 3, 9, 0]) - set())


def test_gate_cost_matrix_uses_chi2_threshold():
    track = make_track(1, tlwh=(100, 100, 50, 100))
    track.predict(KalmanFilter())
    near = Detection((102, 101, 50, 100), 1.0)
    far = Detection((300, 100, 50, 100), 1.0)
    cost = gate_cost_matrix(KalmanFilter(), np.zeros((1, 2)), [track], [near, far], [0], [0, 1])
    assert cost[0, 0] == 0.0
    assert cost[0, 1] == INFTY_COST


def test_gate_boundary():
    kf = KalmanFilter()
    track = make_track(1, tlwh=(100, 100, 50, 100))
    _, covariance = kf.project(track.mean, track.covariance)
    # Shift cx so that the squared Mahalanobis distance is just above / below 9.4877.
    sigma = np.sqrt(covariance[0, 0])
    inside = Detection((100 + 0.99 * sigma * np.sqrt(9.4877), 100, 50, 100), 1.0)
    outside = Detection((100 + 1.01 * sigma * np.sqrt(9.4877), 100, 50, 100), 1.0)
    cost = gate_cost_matrix(kf, np.zeros((1, 2)), [track], [inside, outside], [0], [0, 1])
    assert cost.tolist() == [[0.0, INFTY_COST]]


def test_iou_values():
    np.testing.assert_allclose(iou([0, 0, 10, 10], [[0, 0, 10, 10], [5, 0, 10, 10], [10, 10, 5, 5]]), [1, 1 / 3, 0])


def test_iou_cost_rows_for_old_tracks_are_infinite():
    fresh, old = make_track(1, (0, 0, 10, 20), 1), make_track(2, (0, 0, 10, 20), 2)
    cost = iou_cost([fresh, old], [Detection((0, 0, 10, 20), 1.0)])
    assert cost[0, 0] == pytest.approx(0.0)
    assert cost[1, 0] == INFTY_COST


def test_module_constant():
    assert linear_assignment.INFTY_COST == 1e5
