"""Tracker rules, one scenario per rule (SPEC.md sections 4-5).

Each test sets up the smallest situation in which one rule decides the
outcome, so that the test fails when that rule alone changes: which tracks
the IoU stage considers, the Kalman gate and its threshold, INFTY_COST,
which descriptors join the galleries, the order of new ids.
"""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.boxes import tlwh_to_xyah
from deep_sort.detection import Detection, Detections
from deep_sort.kalman_filter import CHI2INV95
from deep_sort.nn_matching import NearestNeighborDistanceMetric, normalize_rows
from deep_sort.tracker import Tracker

pytestmark = pytest.mark.usefixtures("assignment_path")

#: Orthogonal descriptors: cosine distance 1 between different rows, 0 to themselves.
E = np.eye(4, dtype=np.float32)


def make_tracker(max_cosine_distance=0.2, budget=None, **kwargs) -> Tracker:
    return Tracker(NearestNeighborDistanceMetric("cosine", max_cosine_distance, budget=budget), **kwargs)


def person(left, feature=E[0], top=100.0):
    """A 50 x 100 box."""
    return Detection([left, top, 50, 100], 0.9, feature)


def step(tracker, detections) -> list[tuple[int, int]]:
    tracker.predict()
    return tracker.update(detections)


def ids(tracker) -> list[int]:
    return [t.track_id for t in tracker.tracks]


def output_ids(tracker) -> list[int]:
    """Ids the app writes this frame: confirmed and updated in this or the previous frame."""
    return sorted(t.track_id for t in tracker.tracks if t.is_confirmed() and t.time_since_update <= 1)


def confirmed_track(tracker, feature=E[0]) -> None:
    """Frames 1 and 2 of a person moving 2 px / frame; with n_init=2 its track (id 1) is confirmed."""
    assert tracker.n_init == 2
    step(tracker, [person(100, feature)])
    step(tracker, [person(102, feature)])
    assert [(t.track_id, t.is_confirmed()) for t in tracker.tracks] == [(1, True)]


def at_predicted_box(tracker, feature) -> Detection:
    """A detection exactly on track 0's predicted box; call after ``tracker.predict()``."""
    return Detection(tracker.to_tlwh()[0], 0.9, feature)


# ----------------------------------------------------------------------------- life cycle, end to end


def test_birth_confirmation_miss_and_reassociation():
    tracker = make_tracker(max_age=30, n_init=3)
    assert step(tracker, [person(102)]) == [(1, 0)]  # frame 1: birth, tentative
    assert tracker.tracks[0].is_tentative() and output_ids(tracker) == []
    step(tracker, [person(104)])  # frame 2: IoU stage match, still tentative
    step(tracker, [person(106)])  # frame 3: third hit confirms
    assert tracker.tracks[0].is_confirmed() and output_ids(tracker) == [1]
    assert len(tracker.metric.samples(1)) == 3
    step(tracker, [])  # frame 4: missed once: still output
    assert output_ids(tracker) == [1]
    step(tracker, [])  # frame 5: missed twice: not output, still alive
    assert output_ids(tracker) == [] and ids(tracker) == [1]
    assert step(tracker, [person(112)]) == [(1, 0)]  # frame 6: found again by appearance (cascade level 2)
    assert tracker.tracks[0].time_since_update == 0 and output_ids(tracker) == [1]


def test_motion_only_tracks_through_a_gap():
    tracker = Tracker(None, max_age=30, n_init=3)
    for frame in range(1, 5):
        step(tracker, [Detection([100 + 2 * frame, 100, 50, 100], 0.9)])
    step(tracker, [])
    # Frame 6: missed last frame, so only the cascade (gated 1 - IoU) can match it.
    assert step(tracker, [Detection([112, 100, 50, 100], 0.9)]) == [(1, 0)]
    assert tracker.tracks[0].is_confirmed() and tracker.metric is None


# ----------------------------------------------------------------------------- ids


def test_ids_start_at_1_and_follow_detection_order():
    tracker = make_tracker()
    assert step(tracker, [person(100), person(400, E[1]), person(700, E[2])]) == [(1, 0), (2, 1), (3, 2)]


def test_new_ids_follow_the_unmatched_detection_order():
    tracker = make_tracker()
    step(tracker, [person(100)])
    # The tentative track overlaps neither detection. The IoU stage still
    # assigns it detection 0 (the solver's pick among equal costs), a pair it
    # then rejects: the unmatched detections are [1, 0] (unassigned columns
    # first, then rejected ones), so detection 1 gets the next id.
    assert step(tracker, [person(500), person(800)]) == [(2, 1), (3, 0)]
    assert ids(tracker) == [2, 3]  # the tentative track 1 missed: deleted


def test_ids_are_not_reused():
    tracker = make_tracker()
    step(tracker, [person(100)])
    step(tracker, [])  # track 1 dies
    assert step(tracker, [person(100)]) == [(2, 0)]
    tracker.reset()
    assert step(tracker, [person(100)]) == [(1, 0)]


def test_matches_come_before_new_tracks():
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    assert step(tracker, [person(600, E[1]), person(104)]) == [(1, 1), (2, 0)]


# ----------------------------------------------------------------------------- IoU stage


@pytest.mark.parametrize("missed, expected", [
    (0, [(1, 0)]),  # updated last frame: an IoU candidate, matched by overlap
    (1, [(2, 0)]),  # missed one frame: not a candidate, a new track starts
    (2, [(2, 0)]),  # missed two frames
], ids=["updated-last-frame", "missed-once", "missed-twice"])
def test_iou_stage_takes_confirmed_tracks_updated_last_frame_only(missed, expected):
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    for _ in range(missed):
        step(tracker, [])
    tracker.predict()
    # Exactly on the predicted box, but another appearance: the cascade rejects it.
    assert tracker.update([at_predicted_box(tracker, E[1])]) == expected


@pytest.mark.parametrize("missed", [1, 2])
def test_tracks_missed_last_frame_are_no_iou_candidates(missed):
    # Two new people far from the lost track. Its cascade level assigns it
    # detection 0 and rejects the pair (gated out): the unmatched detections
    # leave the cascade as [1, 0]. Without IoU candidates that order stays and
    # decides the new ids; a candidate would be assigned detection 1 (the first
    # left) and reject it, turning the order back to [0, 1].
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    for _ in range(missed):
        step(tracker, [])
    assert step(tracker, [person(500, E[1]), person(800, E[2])]) == [(2, 1), (3, 0)]


def test_a_track_updated_last_frame_is_an_iou_candidate_even_without_overlap():
    # The control of the test above: the same frame one frame earlier. The
    # track is a candidate, takes detection 1 in the IoU stage and rejects it.
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    assert step(tracker, [person(500, E[1]), person(800, E[2])]) == [(2, 0), (3, 1)]


def test_iou_stage_takes_tentative_tracks():
    tracker = make_tracker(n_init=3)
    step(tracker, [person(100, E[0])])
    tracker.predict()
    assert tracker.update([at_predicted_box(tracker, E[1])]) == [(1, 0)]
    assert tracker.tracks[0].hits == 2 and tracker.tracks[0].is_tentative()


def test_iou_stage_threshold_is_max_iou_distance():
    # IoU 0.5 (1 - IoU = 0.5): matched at max_iou_distance 0.5, not at 0.49.
    for max_iou_distance, expected in ((0.5, [(1, 0)]), (0.49, [(2, 0)])):
        tracker = make_tracker(n_init=3, max_iou_distance=max_iou_distance)
        step(tracker, [person(100, E[0])])
        tracker.predict()
        box = tracker.to_tlwh()[0]
        shifted = box + [box[2] / 3, 0, 0, 0]  # overlap 2/3 of the width: IoU = (2/3) / (4/3) = 0.5
        assert tracker.update([Detection(shifted, 0.9, E[1])]) == expected


# ----------------------------------------------------------------------------- gate and INFTY_COST


def exact_gate_boundary(tracker) -> tuple[np.ndarray, np.ndarray]:
    """Boxes on track 0's gate: squared Mahalanobis distance exactly CHI2INV95[4], and just above.

    Searches consecutive floats of the left edge (and tiny vertical offsets)
    for a box whose gating distance, as the tracker computes it, is the
    threshold itself. Call after ``tracker.predict()``.
    """
    threshold = CHI2INV95[4]
    predicted = tracker.to_tlwh()[0]
    variance = tracker.kf.project(tracker.mean, tracker.covariance)[1][:, 0]
    left = predicted[0] + np.sqrt(threshold * variance[0])
    lefts = left + np.arange(-3000, 3001) * np.spacing(left)
    for dy in np.concatenate([[0.0], np.linspace(1e-7, 1e-3, 200)]):
        boxes = np.tile(predicted, (len(lefts), 1))
        boxes[:, 0], boxes[:, 1] = lefts, predicted[1] + dy
        distances = tracker.kf.gating_distance(tracker.mean, tracker.covariance, tlwh_to_xyah(boxes))[0]
        on_threshold = np.flatnonzero(distances == threshold)
        if len(on_threshold) and on_threshold[-1] + 1 < len(lefts):
            inside = on_threshold[-1]
            assert distances[inside + 1] > threshold
            return boxes[inside], boxes[inside + 1]
    pytest.fail("no box at exactly the gate threshold found")


@pytest.mark.parametrize("side, expected", [
    ("inside", [(1, 0)]),  # gating distance == CHI2INV95[4]: inside the gate, matched by appearance
    ("outside", [(2, 0)]),  # the next float above: gated out, a new track
])
def test_gate_is_inclusive_at_chi2inv95(side, expected):
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    step(tracker, [])  # missed once: the IoU stage will not look at it
    tracker.predict()
    inside, outside = exact_gate_boundary(tracker)
    box = inside if side == "inside" else outside
    assert tracker.update([Detection(box, 0.9, E[0])]) == expected


def test_gated_out_pair_with_a_perfect_appearance_never_matches():
    # max_cosine_distance 2 accepts every appearance distance, so only
    # INFTY_COST (above every threshold) keeps a gated-out pair apart.
    tracker = make_tracker(max_cosine_distance=2.0, n_init=2)
    confirmed_track(tracker)
    step(tracker, [])  # missed once: only the cascade can match it
    assert step(tracker, [person(400, E[0])]) == [(2, 0)]  # 300 px away, same descriptor


def test_loose_appearance_threshold_matches_inside_the_gate():
    # The control of the test above: inside the gate any descriptor matches at 2.
    tracker = make_tracker(max_cosine_distance=2.0, n_init=2)
    confirmed_track(tracker)
    step(tracker, [])
    tracker.predict()
    assert tracker.update([at_predicted_box(tracker, -E[0])]) == [(1, 0)]  # cosine distance 2


def test_appearance_threshold_is_inclusive():
    # Cosine distance exactly 0.5 (60 degrees, exact in float32 for these vectors).
    a = np.array([1.0, 0.0], dtype=np.float32)
    b = np.array([0.5, np.sqrt(0.75)], dtype=np.float32)
    distance = NearestNeighborDistanceMetric("cosine", 0.5).prepare(a[None]) @ \
        NearestNeighborDistanceMetric("cosine", 0.5).prepare(b[None]).T
    for threshold, expected in ((float(1.0 - distance[0, 0]), [(1, 0)]), (0.49, [(2, 0)])):
        tracker = make_tracker(max_cosine_distance=threshold, n_init=2)
        confirmed_track(tracker, a)
        step(tracker, [])
        tracker.predict()
        assert tracker.update([at_predicted_box(tracker, b)]) == expected


# ----------------------------------------------------------------------------- galleries


def test_matched_and_new_tracks_add_their_descriptors():
    tracker = make_tracker(n_init=2)
    step(tracker, [person(100, E[0]), person(600, E[1])])
    assert tracker.metric.samples(1).tolist() == [E[0].tolist()]
    # Track 1 matched with a longer descriptor (stored normalised), track 2
    # missed (deleted: tentative), detection 1 starts track 3.
    step(tracker, [person(102, 3 * E[0] + E[2]), person(300, E[3])])
    np.testing.assert_array_equal(tracker.metric.samples(1), normalize_rows(np.array([E[0], 3 * E[0] + E[2]])))
    assert tracker.metric.samples(3).tolist() == [E[3].tolist()]


def test_missed_tracks_add_nothing():
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    step(tracker, [])
    assert len(tracker.metric.samples(1)) == 2


def test_budget_keeps_the_last_n_descriptors():
    tracker = make_tracker(budget=2, n_init=2)
    features = np.array([[1, 0.1 * k, 0, 0] for k in range(5)], dtype=np.float32)
    for k, feature in enumerate(features):
        assert step(tracker, [person(100 + 2 * k, feature)]) == [(1, 0)]
    np.testing.assert_array_equal(tracker.metric.samples(1), normalize_rows(features[-2:]))


@pytest.mark.parametrize("feature, expected", [
    (E[0], [(1, 0)]),  # seen while the track was tentative (frame 1): in the gallery
    (E[3], [(2, 0)]),  # never seen: no match
], ids=["tentative-descriptor", "unseen-descriptor"])
def test_descriptors_of_the_tentative_phase_count_once_confirmed(feature, expected):
    tracker = make_tracker(n_init=3)
    for frame, descriptor in enumerate((E[0], E[1], E[2]), start=1):  # frames 2 and 3 match by IoU
        step(tracker, [person(100 + 2 * frame, descriptor)])
    assert tracker.tracks[0].is_confirmed()
    step(tracker, [])  # missed once: only the cascade (appearance) can match it
    tracker.predict()
    assert tracker.update([at_predicted_box(tracker, feature)]) == expected


def test_galleries_of_deleted_tracks_go():
    tracker = make_tracker(n_init=2, max_age=2)
    confirmed_track(tracker)
    step(tracker, [person(600, E[1])])  # track 2, tentative; track 1 missed once
    assert sorted(tracker.metric.targets()) == [1, 2]
    step(tracker, [])  # track 2 dies (tentative miss); track 1 missed twice
    assert tracker.metric.targets() == [1]
    step(tracker, [])  # time_since_update 3 > max_age 2: track 1 dies
    assert ids(tracker) == [] and tracker.metric.targets() == []


def test_reset_forgets_tracks_and_galleries():
    tracker = make_tracker(n_init=2)
    confirmed_track(tracker)
    tracker.reset()
    assert tracker.tracks == [] and tracker.metric.targets() == []
    assert tracker.mean.shape == (8, 0)
    assert step(tracker, [person(100)]) == [(1, 0)]


# ----------------------------------------------------------------------------- input and parameters


def test_update_takes_detections_as_arrays_or_objects():
    as_objects, as_arrays = make_tracker(), make_tracker()
    frames = [[person(100), person(400, E[1])], [], [person(104), person(404, E[1])]]
    for frame in frames:
        assert step(as_objects, frame) == step(as_arrays, Detections.from_list(frame))
    assert [repr(t) for t in as_objects.tracks] == [repr(t) for t in as_arrays.tracks]


def test_update_without_detections_returns_nothing():
    tracker = make_tracker()
    assert step(tracker, []) == []
    assert step(tracker, Detections(np.zeros((0, 4)), np.zeros(0))) == []


@pytest.mark.parametrize("kwargs", [
    {"max_iou_distance": 1.5},  # above 1
    {"max_iou_distance": -0.1},  # below 0
    {"max_age": 0},  # no age
    {"n_init": 0},  # never confirmed
    {"max_age": 2.5},  # not a whole number
])
def test_invalid_parameters(kwargs):
    with pytest.raises(ValueError):
        make_tracker(**kwargs)
