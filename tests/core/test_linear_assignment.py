"""Min-cost matching and the matching cascade: one test per rule (SPEC.md section 5).

Expected results are written by hand. Where several assignments cost the
same, the comment names the one scipy's solver picks (the compiled solver
returns the same; tests/core/test_compiled.py checks that on thousands of
matrices). Every test runs with the compiled steps and with the Python forms.
"""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort import linear_assignment
from deep_sort.iou_matching import iou, iou_cost
from deep_sort.linear_assignment import INFTY_COST, matching_cascade, min_cost_matching

pytestmark = pytest.mark.usefixtures("assignment_path")

#: What min_cost_matching turns an infeasible entry into, for max_distance 0.5.
CAPPED = 0.5 + 1e-5


def matrix_metric(cost_matrix):
    """A distance metric reading a fixed matrix indexed by (track index, detection index)."""
    cost_matrix = np.asarray(cost_matrix, dtype=float)

    def metric(track_indices, detection_indices):
        return cost_matrix[np.ix_(track_indices, detection_indices)].copy()

    return metric


class RecordingMetric:
    """A metric that records the track indices of every call and answers a fixed matrix."""

    def __init__(self, cost_matrix):
        self.metric = matrix_metric(cost_matrix)
        self.calls: list[list[int]] = []

    def __call__(self, track_indices, detection_indices):
        self.calls.append(list(track_indices))
        return self.metric(track_indices, detection_indices)


# ----------------------------------------------------------------------------- min_cost_matching


def test_assigns_the_cheapest_total():
    # Greedy would give track 0 detection 0 (0.1) and track 1 detection 1 (0.45):
    # total 0.55; the optimum crosses over: 0.2 + 0.15 = 0.35.
    metric = matrix_metric([[0.1, 0.2], [0.15, 0.45]])
    assert min_cost_matching(metric, 0.5, [0, 1], [0, 1]) == ([(0, 1), (1, 0)], [], [])


def test_a_pair_at_exactly_max_distance_matches():
    assert min_cost_matching(matrix_metric([[0.5]]), 0.5, [0], [0]) == ([(0, 0)], [], [])


def test_a_pair_just_above_max_distance_is_rejected():
    above = np.nextafter(0.5, 1.0)
    assert min_cost_matching(matrix_metric([[above]]), 0.5, [0], [0]) == ([], [0], [0])


def test_entries_above_max_distance_are_capped_before_solving():
    # Uncapped, the crossed assignment is cheaper (0.3 + 0.45 < 0.1 + 0.9)
    # and both its pairs would match. Capped at 0.50001, the straight one is
    # (0.1 + 0.50001 < 0.75): track 0 takes detection 0, the other pair is rejected.
    metric = matrix_metric([[0.1, 0.3], [0.45, 0.9]])
    assert min_cost_matching(metric, 0.5, [0, 1], [0, 1]) == ([(0, 0)], [1], [1])


@pytest.mark.parametrize("margin, expected", [
    (2e-6, ([(0, 0)], [1], [1])),  # crossed costs a little more than 0.1 + cap: straight
    (-2e-6, ([(0, 1), (1, 0)], [], [])),  # a little less: crossed, both match
], ids=["cap-cheaper", "cap-dearer"])
def test_the_cap_is_max_distance_plus_1e_5(margin, expected):
    # Straight: 0.1 + cap; crossed: two feasible pairs summing to 0.1 + 0.50001 + margin.
    # Any other cap value flips one of the two cases.
    crossed = 0.1 + CAPPED + margin
    metric = matrix_metric([[0.1, crossed / 2], [crossed / 2, 0.9]])
    assert min_cost_matching(metric, 0.5, [0, 1], [0, 1]) == expected


def test_unmatched_detections_unassigned_columns_first_then_rejected_in_row_order():
    # 3 tracks x 5 detections: track 0 matches column 4; tracks 1 and 2 have no
    # feasible pair; scipy assigns them columns 0 and 1 (rejected); columns 2
    # and 3 stay unassigned. Unassigned first (2, 3), then rejected (0, 1).
    cost = np.full((3, 5), 0.9)
    cost[0, 4] = 0.1
    result = min_cost_matching(matrix_metric(cost), 0.5, [0, 1, 2], [0, 1, 2, 3, 4])
    assert result == ([(0, 4)], [1, 2], [2, 3, 0, 1])


def test_rejected_columns_follow_row_order_not_column_order():
    # 4 x 4: track 0 matches column 3, track 3 column 0; scipy gives the
    # infeasible tracks 1 and 2 the columns 2 and 1: unmatched detections in
    # row order [2, 1], not sorted. Indices map back to the caller's.
    cost = np.full((4, 4), 0.9)
    cost[0, 3] = cost[3, 0] = 0.1
    metric = matrix_metric(np.pad(cost, ((5, 0), (20, 0)), constant_values=np.nan))
    result = min_cost_matching(metric, 0.5, [5, 6, 7, 8], [20, 21, 22, 23])
    assert result == ([(5, 23), (8, 20)], [6, 7], [22, 21])


def test_unmatched_tracks_unassigned_rows_first_then_rejected():
    # 4 tracks x 2 detections: track 3 matches column 0; scipy gives column 1
    # to track 0 (rejected); tracks 1 and 2 stay unassigned.
    cost = np.full((4, 2), 0.9)
    cost[3, 0] = 0.1
    metric = matrix_metric(np.pad(cost, ((10, 0), (0, 0)), constant_values=np.nan))
    result = min_cost_matching(metric, 0.5, [10, 11, 12, 13], [0, 1])
    assert result == ([(13, 0)], [11, 12, 10], [1])


def test_matches_come_in_row_order():
    cost = np.array([[0.9, 0.9, 0.1], [0.1, 0.9, 0.9], [0.9, 0.1, 0.9]])
    assert min_cost_matching(matrix_metric(cost), 0.5, [2, 0, 1], [0, 1, 2])[0] == [(2, 1), (0, 2), (1, 0)]


def test_nothing_to_match_returns_the_inputs_without_calling_the_metric():
    metric = RecordingMetric(np.zeros((3, 3)))
    assert min_cost_matching(metric, 0.5, [0, 2], []) == ([], [0, 2], [])
    assert min_cost_matching(metric, 0.5, [], [1]) == ([], [], [1])
    assert metric.calls == []


@pytest.mark.parametrize("n_tracks, n_detections", [(1, 1), (1, 4), (4, 1), (3, 3), (2, 5), (6, 2)])
def test_all_infeasible_none_equals_solving_the_constant_matrix(n_tracks, n_detections):
    track_indices = [7, 3, 9, 1, 0, 5][:n_tracks]
    detection_indices = [4, 8, 2, 6, 0][:n_detections]
    expected = min_cost_matching(lambda rows, cols: np.full((len(rows), len(cols)), 0.9), 0.5,
                                 track_indices, detection_indices)
    assert min_cost_matching(lambda rows, cols: None, 0.5, track_indices, detection_indices) == expected
    assert expected[0] == []  # nothing matches
    assert sorted(expected[1]) == sorted(track_indices) and sorted(expected[2]) == sorted(detection_indices)


def test_invalid_costs_raise_the_solvers_error():
    with pytest.raises(ValueError, match="invalid numeric entries"):
        min_cost_matching(matrix_metric([[0.1, np.nan]]), 0.5, [0], [0, 1])


def test_solver_wrapper_returns_lists_sorted_by_row():
    assert linear_assignment.linear_sum_assignment(np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0]])) == ([0, 1], [1, 0])
    assert linear_assignment.linear_sum_assignment(np.array([[1.0], [0.0], [2.0]])) == ([1], [0])


# ----------------------------------------------------------------------------- matching_cascade


def test_cascade_groups_tracks_by_time_since_update_in_the_given_order():
    time_since_update = [3, 1, 3, 2, 1, 5, 0, 9]
    metric = RecordingMetric(np.full((8, 2), 0.9))  # nothing matches: every level runs
    matching_cascade(metric, 0.5, 4, time_since_update, [4, 2, 0, 3, 1, 5, 6, 7], [0, 1])
    # Level 0: time_since_update 1; level 1: 2; level 2: 3; level 3: none (skipped).
    # Tracks 5 and 7 (time_since_update 5 and 9, beyond the depth 4) and
    # track 6 (0: updated this frame) are in no level.
    assert metric.calls == [[4, 1], [3], [2, 0]]


def test_cascade_prefers_recently_updated_tracks():
    # Track 0 was missed for a frame, track 1 updated last frame; both fit
    # detection 0, track 0 better. Level 0 (track 1) takes it first.
    metric = matrix_metric([[0.01], [0.1]])
    assert matching_cascade(metric, 0.2, 30, [2, 1], [0, 1], [0]) == ([(1, 0)], [0], [])


def test_cascade_stops_when_no_detection_is_left():
    metric = RecordingMetric(np.zeros((3, 1)))
    matches, unmatched_tracks, unmatched_detections = matching_cascade(metric, 0.2, 30, [3, 1, 5], [0, 1, 2], [0])
    assert metric.calls == [[1]]  # level 0 took the detection; levels 2 and 4 are not solved
    assert (matches, sorted(unmatched_tracks), unmatched_detections) == ([(1, 0)], [0, 2], [])


def test_cascade_matches_level_by_level_and_passes_on_unmatched_detections():
    cost = np.array([
        [0.9, 0.1, 0.9],  # track 0, level 1
        [0.9, 0.9, 0.1],  # track 1, level 0
        [0.1, 0.1, 0.1],  # track 2, level 0: takes detection 0 (the only one left for it)
    ])
    result = matching_cascade(matrix_metric(cost), 0.2, 30, [2, 1, 1], [0, 1, 2], [0, 1, 2])
    assert result == ([(1, 2), (2, 0), (0, 1)], [], [])


def test_cascade_returns_unmatched_tracks_in_set_order():
    metric = matrix_metric(np.full((12, 1), 0.9))
    _, unmatched_tracks, _ = matching_cascade(metric, 0.2, 30, [1] * 12, [11, 3, 9, 0], [0])
    # The published code returns list(set(track_indices) - set(matched)):
    # CPython's order of that set, here neither the given order nor sorted.
    assert unmatched_tracks == [3, 9, 11, 0]


def test_cascade_without_tracks_or_detections():
    metric = RecordingMetric(np.zeros((2, 2)))
    assert matching_cascade(metric, 0.2, 30, [1, 1], [], [0, 1]) == ([], [], [0, 1])
    assert matching_cascade(metric, 0.2, 30, [1, 1], [0, 1], []) == ([], [0, 1], [])
    assert metric.calls == []


# ----------------------------------------------------------------------------- IoU cost


def test_iou_values():
    boxes = [[0, 0, 10, 10], [5, 0, 10, 10], [10, 10, 5, 5], [2, 2, 6, 6]]
    np.testing.assert_allclose(iou([[0, 0, 10, 10]], boxes), [[1, 1 / 3, 0, 0.36]])
    assert iou(np.zeros((0, 4)), boxes).shape == (0, 4)
    assert iou([[0, 0, 10, 10]], np.zeros((0, 4))).shape == (1, 0)


def test_iou_cost_is_one_minus_iou():
    cost = iou_cost([[0, 0, 10, 10], [5, 0, 10, 10]], [1, 1], [[0, 0, 10, 10], [20, 0, 5, 5]])
    np.testing.assert_allclose(cost, [[0, 1], [1 - 1 / 3, 1]])


@pytest.mark.parametrize("time_since_update, infinite", [
    ([1, 1, 1], [False, False, False]),  # all updated in the previous frame
    ([1, 2, 1], [False, True, False]),  # missed one frame: out of the IoU stage
    ([3, 1, 0], [True, False, False]),  # 0 (a new track) is not > 1
])
def test_iou_cost_rows_of_tracks_not_updated_last_frame_are_infty(time_since_update, infinite):
    boxes = [[0, 0, 10, 20]] * 3
    cost = iou_cost(boxes, time_since_update, [[0, 0, 10, 20], [1, 0, 10, 20]])
    assert (cost == INFTY_COST).all(axis=1).tolist() == infinite
    assert (cost[~np.array(infinite)] <= 1).all()


def test_infty_cost_is_above_every_threshold():
    # Thresholds are at most 2 (cosine distance) and 1 (IoU distance);
    # behaviour is pinned in test_tracker.py (a gated-out pair never matches).
    assert INFTY_COST > 2
