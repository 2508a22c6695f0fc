"""The tracker's fast paths equal the simple per-track reading (SPEC.md sections 2-5).

Each batched or vectorised piece is compared with the straightforward
computation it replaces, on random inputs: Kalman stacks vs per-track
KalmanFilter methods, the gallery ring buffers vs list + budget, masked
appearance costs vs NearestNeighborDistanceMetric.distance, sparse assignment
vs the dense min-cost matching, vectorised NMS vs the published loop, and the
whole Tracker vs a reference tracker assembled from the per-track functions.
"""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort import linear_assignment
from deep_sort.app.pipeline import frame_detections
from deep_sort.config import TrackingConfig, create_tracker
from deep_sort.detection import Detection
from deep_sort.gallery import FeatureGallery, normalize_rows
from deep_sort.iou_matching import iou, iou_cost, iou_matrix
from deep_sort.kalman_filter import KalmanFilter, is_axis_decoupled
from deep_sort.linear_assignment import INFTY_COST, gate_cost_matrix, min_cost_matching
from deep_sort.preprocessing import non_max_suppression
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.synthetic import SceneConfig, generate_scene
from deep_sort.track import Track
from deep_sort.tracker import Tracker

# Batched Kalman steps run the same float operations as the per-track
# methods; update and gating only differ if the LAPACK in use solves
# triangular systems differently (OpenBLAS multiplies by 1 / diagonal).
RTOL = 1e-12


def _random_measurements(rng, n):
    return np.column_stack([
        rng.uniform(0, 1900, n), rng.uniform(0, 1000, n), rng.uniform(0.3, 0.5, n), rng.uniform(20, 400, n),
    ])


def _evolved_states(rng, n, n_steps=25):
    """States the filter itself produces: initiate, then random predict/update steps."""
    kf = KalmanFilter()
    states = [kf.initiate(z) for z in _random_measurements(rng, n)]
    for _ in range(n_steps):
        states = [kf.predict(*state) for state in states]
        states = [
            kf.update(*state, state[0][:4] + rng.normal(0, 1, 4) * [3, 3, 0.01, 3]) if rng.random() < 0.7 else state
            for state in states
        ]
    return np.array([m for m, _ in states]), np.array([c for _, c in states])


def _random_spd(rng, n):
    a = rng.normal(size=(n, 8, 8))
    return a @ a.transpose(0, 2, 1) + 5 * np.eye(8)


# ---------------------------------------------------------------------------- Kalman filter


def test_batch_initiate_predict_project_are_bitwise_per_track(rng):
    kf = KalmanFilter()
    measurements = _random_measurements(rng, 20)
    mean, covariance = kf.batch_initiate(measurements)
    for i, z in enumerate(measurements):
        expected_mean, expected_covariance = kf.initiate(z)
        assert np.array_equal(mean[i], expected_mean) and np.array_equal(covariance[i], expected_covariance)

    for mean, covariance in [_evolved_states(rng, 20), (mean, _random_spd(rng, 20))]:
        predicted_mean, predicted_covariance = kf.batch_predict(mean, covariance)
        projected_mean, projected_covariance = kf.batch_project(mean, covariance)
        for i in range(len(mean)):
            expected = kf.predict(mean[i], covariance[i])
            assert np.array_equal(predicted_mean[i], expected[0])
            assert np.array_equal(predicted_covariance[i], expected[1])
            expected = kf.project(mean[i], covariance[i])
            assert np.array_equal(projected_mean[i], expected[0])
            assert np.array_equal(projected_covariance[i], expected[1])


@pytest.mark.parametrize("decoupled", [True, False], ids=["filter-states", "arbitrary-covariance"])
def test_batch_update_and_gating_match_per_track(rng, decoupled):
    kf = KalmanFilter()
    mean, covariance = _evolved_states(rng, 30)
    if not decoupled:
        covariance = _random_spd(rng, 30)
    assert is_axis_decoupled(covariance) == decoupled
    measurements = mean[:, :4] + rng.normal(0, 1, (30, 4)) * [5, 5, 0.01, 5]

    new_mean, new_covariance = kf.batch_update(mean, covariance, measurements)
    for i in range(30):
        expected_mean, expected_covariance = kf.update(mean[i], covariance[i], measurements[i])
        np.testing.assert_allclose(new_mean[i], expected_mean, rtol=RTOL)
        np.testing.assert_allclose(new_covariance[i], expected_covariance, rtol=RTOL, atol=1e-12)

    for only_position in (False, True):
        distances = kf.batch_gating_distance(mean, covariance, measurements[:17], only_position)
        assert distances.shape == (30, 17)
        for i in range(30):
            expected = kf.gating_distance(mean[i], covariance[i], measurements[:17], only_position)
            np.testing.assert_allclose(distances[i], expected, rtol=RTOL)


def test_batch_methods_accept_empty_stacks():
    kf = KalmanFilter()
    mean, covariance = kf.batch_initiate(np.zeros((0, 4)))
    assert mean.shape == (0, 8) and covariance.shape == (0, 8, 8)
    assert kf.batch_predict(mean, covariance)[1].shape == (0, 8, 8)
    assert kf.batch_gating_distance(mean, covariance, np.ones((3, 4))).shape == (0, 3)


# ---------------------------------------------------------------------------- gallery and metric


def _reference_gallery(samples, budget):
    """The last ``budget`` samples, normalised, as a sorted set of rows."""
    rows = np.asarray(samples if budget is None else samples[-budget:])
    return sorted(map(tuple, normalize_rows(rows).tolist()))


@pytest.mark.parametrize("budget", [None, 1, 3, 10], ids=["unbounded", "budget1", "budget3", "budget10"])
def test_ring_buffers_hold_the_last_budget_samples(rng, budget):
    metric = NearestNeighborDistanceMetric("cosine", 0.2, budget)
    history: dict[int, list[np.ndarray]] = {}
    active = [1, 2, 3]
    for step in range(60):
        # Some steps add several samples to one target (more than a small budget).
        n = int(rng.integers(0, 8))
        targets = rng.choice(active, size=n).tolist()
        features = rng.normal(size=(n, 6)).astype(np.float32)
        if step % 15 == 14:  # a target leaves, another arrives
            history.pop(active[0], None)
            active = active[1:] + [max(active) + 1]
        for feature, target in zip(features, targets):
            history.setdefault(target, []).append(feature)
        # Active targets are those with samples (as the tracker's confirmed tracks).
        metric.partial_fit(list(features), targets, [t for t in active if t in history])
        for target in active:
            if target not in history:
                assert metric.gallery.count(target) == 0
                continue
            kept = history[target] if budget is None else history[target][-budget:]
            assert [sample.tolist() for sample in metric.samples[target]] == [sample.tolist() for sample in kept]
            stored = sorted(map(tuple, metric.gallery.rows(target).tolist()))
            assert stored == _reference_gallery(history[target], budget)
        assert set(metric.gallery.targets()) == set(metric.samples) <= set(active)


def test_galleries_of_mixed_dtypes_are_stacked_as_the_published_lists(rng):
    # The published metric keeps lists and stacks each one when it measures:
    # a gallery holding float32 and float64 samples is float64, and float32
    # again once the float64 ones have left it.
    metric = NearestNeighborDistanceMetric("cosine", 0.2, budget=3)
    lists: dict[int, list[np.ndarray]] = {}
    dtypes = [np.float32] * 4 + [np.float64, np.float32] + [np.float32] * 6
    for dtype in dtypes:
        features = [rng.normal(size=5).astype(dtype), rng.normal(size=5).astype(np.float32)]
        targets = [1, 2]
        for feature, target in zip(features, targets):
            lists[target] = (lists.get(target, []) + [feature])[-3:]
        metric.partial_fit(features, targets, targets)
        for target in targets:
            expected = np.asarray(lists[target])
            assert metric.gallery.rows(target).dtype == expected.dtype
            assert [sample.dtype for sample in metric.samples[target]] == [f.dtype for f in lists[target]]
            assert sorted(map(tuple, metric.gallery.rows(target).tolist())) == _reference_gallery(expected, None)
    assert metric.gallery.rows(1).dtype == np.float32


@pytest.mark.parametrize("metric_name", ["cosine", "euclidean"])
def test_masked_distance_equals_reference_distance(rng, metric_name):
    metric = NearestNeighborDistanceMetric(metric_name, 0.2, budget=20)
    targets = [1, 2, 3, 4, 5]
    for _ in range(30):
        metric.partial_fit(list(rng.normal(size=(5, 16)).astype(np.float32)), targets, targets)
    queries = rng.normal(size=(9, 16)).astype(np.float32)
    queries[2] = metric.samples[3][-1]  # an exact repeat: distance 0
    mask = rng.random((5, 9)) < 0.5
    expected = metric.distance(queries, targets)
    actual = metric.masked_distance(queries, targets, mask, fill=INFTY_COST)
    assert (actual[~mask] == INFTY_COST).all()
    # One matrix-vector product per entry instead of one matrix product per
    # target: float32 results may differ in the last bit.
    np.testing.assert_allclose(actual[mask], expected[mask], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(metric.masked_distance(queries, targets), expected, rtol=1e-6, atol=1e-6)


def test_zero_descriptor_is_at_distance_one():
    gallery = FeatureGallery("cosine", budget=5)
    gallery.add(np.array([[1, 0], [0, 0]], dtype=np.float32), [1, 2])
    distances = gallery.distance(np.array([[0, 0], [1, 0]], dtype=np.float32), [1, 2])
    assert distances.tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_replacing_samples_rebuilds_the_gallery(rng):
    metric = NearestNeighborDistanceMetric("cosine", 0.2, budget=2)
    features = list(rng.normal(size=(3, 4)).astype(np.float32))
    metric.samples = {7: features}
    assert metric.gallery.count(7) == 2
    assert sorted(map(tuple, metric.gallery.rows(7).tolist())) == _reference_gallery(features, 2)
    metric.samples = {}
    assert len(metric.gallery) == 0


# ---------------------------------------------------------------------------- IoU, NMS, assignment


def test_iou_matrix_rows_are_bitwise_iou(rng):
    boxes = rng.uniform(0, 100, (12, 4)) + [0, 0, 1, 1]
    candidates = np.vstack([boxes[:3], rng.uniform(0, 100, (9, 4)) + [0, 0, 1, 1]])
    matrix = iou_matrix(boxes, candidates)
    for i, box in enumerate(boxes):
        assert np.array_equal(matrix[i], iou(box, candidates))


def _published_nms(boxes, max_bbox_overlap, scores):
    """The published loop (SPEC.md section 2, step 2), for comparison."""
    boxes = np.asarray(boxes, dtype=np.float64)
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = boxes[:, 2] + x1, boxes[:, 3] + y1
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    idxs = np.argsort(scores)
    pick = []
    while len(idxs) > 0:
        last = len(idxs) - 1
        i = idxs[last]
        pick.append(int(i))
        xx1, yy1 = np.maximum(x1[i], x1[idxs[:last]]), np.maximum(y1[i], y1[idxs[:last]])
        xx2, yy2 = np.minimum(x2[i], x2[idxs[:last]]), np.minimum(y2[i], y2[idxs[:last]])
        w, h = np.maximum(0, xx2 - xx1 + 1), np.maximum(0, yy2 - yy1 + 1)
        overlap = (w * h) / area[idxs[:last]]
        idxs = np.delete(idxs, np.concatenate(([last], np.where(overlap > max_bbox_overlap)[0])))
    return pick


@pytest.mark.parametrize("max_bbox_overlap", [0.0, 0.3, 0.7, 1.0])
def test_nms_equals_the_published_loop(rng, max_bbox_overlap):
    for _ in range(40):
        n = int(rng.integers(1, 30))
        boxes = np.round(rng.uniform(0, 200, (n, 4)), 1) + [0, 0, 5, 10]
        boxes[n // 2:] = boxes[: n - n // 2] + np.round(rng.normal(0, 3, (n - n // 2, 4)).clip(-2, 2), 1)
        scores = np.round(rng.uniform(0, 1, n), 1).astype(np.float32)  # many ties
        assert non_max_suppression(boxes, max_bbox_overlap, scores) == _published_nms(boxes, max_bbox_overlap, scores)


def test_assign_sparse_equals_dense_assignment(rng):
    for trial in range(300):
        n_rows, n_cols = int(rng.integers(1, 7)), int(rng.integers(1, 9))
        threshold = 0.2
        entries = {}
        for _ in range(int(rng.integers(0, n_rows * n_cols + 1))):
            row, col = int(rng.integers(n_rows)), int(rng.integers(n_cols))
            # Coarse values: ties, entries at the threshold and above it.
            entries[row, col] = float(rng.choice([0.05, 0.1, 0.1, 0.2, 0.3]))
        cost_matrix = np.full((n_rows, n_cols), INFTY_COST)
        for (row, col), cost in entries.items():
            cost_matrix[row, col] = cost
        track_indices = rng.permutation(20)[:n_rows].tolist()
        detection_indices = rng.permutation(20)[:n_cols].tolist()
        expected = linear_assignment.assign(cost_matrix, threshold, track_indices, detection_indices)
        actual = linear_assignment.assign_sparse(entries, INFTY_COST, threshold, track_indices, detection_indices)
        assert actual == expected, trial


def test_assign_sparse_rejects_nan_like_the_solver():
    with pytest.raises(ValueError):
        linear_assignment.assign_sparse({(0, 0): float("nan")}, INFTY_COST, 0.2, [0], [0, 1])


def _published_cascade(distance_metric, max_distance, cascade_depth, tracks, detections, track_indices):
    """The published loop over every level (SPEC.md section 5, step 2)."""
    unmatched_detections = list(range(len(detections)))
    matches = []
    for level in range(cascade_depth):
        if not unmatched_detections:
            break
        track_indices_l = [k for k in track_indices if tracks[k].time_since_update == 1 + level]
        if not track_indices_l:
            continue
        matches_l, _, unmatched_detections = min_cost_matching(
            distance_metric, max_distance, tracks, detections, track_indices_l, unmatched_detections
        )
        matches += matches_l
    return matches, list(set(track_indices) - set(k for k, _ in matches)), unmatched_detections


def test_matching_cascade_equals_the_published_loop(rng):
    kf = KalmanFilter()
    for _ in range(30):
        tracks = []
        for i, z in enumerate(_random_measurements(rng, int(rng.integers(1, 15)))):
            track = Track(*kf.initiate(z), i + 1, 3, 30)
            track.time_since_update = int(rng.integers(0, 6))
            tracks.append(track)
        detections = [Detection(tlwh, 1.0) for tlwh in rng.uniform(0, 300, (int(rng.integers(0, 10)), 4)) + 5]
        cost = rng.choice([0.1, 0.3, 0.5, 0.9], size=(len(tracks), len(detections)))

        def distance_metric(tracks, detections, track_indices, detection_indices):
            return cost[np.ix_(track_indices, detection_indices)]

        track_indices = rng.permutation(len(tracks))[: int(rng.integers(0, len(tracks) + 1))].tolist()
        expected = _published_cascade(distance_metric, 0.6, 4, tracks, detections, track_indices)
        actual = linear_assignment.matching_cascade(distance_metric, 0.6, 4, tracks, detections, track_indices)
        assert actual == expected


def test_solver_is_scipys_linear_sum_assignment(rng):
    from scipy.optimize import linear_sum_assignment as scipy_solver

    for shape in [(1, 1), (3, 5), (5, 3), (8, 8)]:
        cost_matrix = rng.choice([0.1, 0.2, 1.0], size=shape)  # ties decide the answer
        expected = scipy_solver(cost_matrix)
        actual = linear_assignment.linear_sum_assignment(cost_matrix)
        assert all(np.array_equal(a, e) for a, e in zip(actual, expected))


# ---------------------------------------------------------------------------- pipeline and tracker


def test_detections_from_arrays_equal_one_by_one(rng):
    rows = rng.uniform(1, 100, (6, 10 + 8)).astype(np.float32)
    detections = Detection.from_arrays(rows[:, 2:6], rows[:, 6], rows[:, 10:])
    for row, detection in zip(rows, detections):
        expected = Detection(row[2:6], row[6], row[10:])
        assert np.array_equal(detection.tlwh, expected.tlwh) and detection.tlwh.dtype == np.float64
        assert np.array_equal(detection.feature, expected.feature) and detection.feature.dtype == np.float32
        assert detection.confidence == expected.confidence and type(detection.confidence) is type(expected.confidence)
    rows[3, 4] = 0.0
    with pytest.raises(ValueError, match="positive"):
        Detection.from_arrays(rows[:, 2:6], rows[:, 6], rows[:, 10:])


def _reference_frame_detections(rows, config):
    rows = rows[(rows[:, 5] >= config.min_detection_height) & (rows[:, 6] >= config.min_confidence)]
    detections = [Detection(row[2:6], row[6], row[10:]) for row in rows]
    if not detections:
        return []
    return [detections[i] for i in _published_nms(rows[:, 2:6], config.nms_max_overlap, rows[:, 6])]


class ReferenceTracker:
    """SPEC.md sections 4-5 read track by track: the per-track public functions, no batching."""

    def __init__(self, metric, max_iou_distance=0.7, max_age=30, n_init=3):
        self.metric, self.max_iou_distance, self.max_age, self.n_init = metric, max_iou_distance, max_age, n_init
        self.kf = KalmanFilter()
        self.tracks: list[Track] = []
        self.next_id = 1

    def predict(self):
        for track in self.tracks:
            track.predict(self.kf)

    def _gated_cost(self, tracks, detections, track_indices, detection_indices):
        if self.metric is not None:
            features = np.array([detections[i].feature for i in detection_indices])
            cost_matrix = self.metric.distance(features, [tracks[i].track_id for i in track_indices])
        else:
            candidates = np.array([detections[i].tlwh for i in detection_indices])
            cost_matrix = np.array([1.0 - iou(tracks[i].to_tlwh(), candidates) for i in track_indices])
        return gate_cost_matrix(self.kf, cost_matrix, tracks, detections, track_indices, detection_indices)

    def update(self, detections):
        tracks = self.tracks
        confirmed = [i for i, t in enumerate(tracks) if t.is_confirmed()]
        unconfirmed = [i for i, t in enumerate(tracks) if not t.is_confirmed()]
        threshold = self.metric.matching_threshold if self.metric is not None else self.max_iou_distance
        matches_a, unmatched_a, unmatched_detections = _published_cascade(
            self._gated_cost, threshold, self.max_age, tracks, detections, confirmed
        )
        candidates = unconfirmed + [k for k in unmatched_a if tracks[k].time_since_update == 1]
        unmatched_a = [k for k in unmatched_a if tracks[k].time_since_update != 1]
        matches_b, unmatched_b, unmatched_detections = min_cost_matching(
            iou_cost, self.max_iou_distance, tracks, detections, candidates, unmatched_detections
        )
        associations = []
        for track_idx, detection_idx in matches_a + matches_b:
            tracks[track_idx].update(self.kf, detections[detection_idx])
            associations.append((tracks[track_idx].track_id, detection_idx))
        for track_idx in set(unmatched_a + unmatched_b):
            tracks[track_idx].mark_missed()
        for detection_idx in unmatched_detections:
            feature = detections[detection_idx].feature
            tracks.append(Track(*self.kf.initiate(detections[detection_idx].to_xyah()), self.next_id,
                                self.n_init, self.max_age, feature if feature.size else None))
            associations.append((self.next_id, detection_idx))
            self.next_id += 1
        self.tracks = [t for t in tracks if not t.is_deleted()]
        if self.metric is None:
            return associations
        features, targets = [], []
        for track in self.tracks:
            if track.is_confirmed():
                features += track.features
                targets += [track.track_id] * len(track.features)
                track.features = []
        self.metric.partial_fit(features, targets, [t.track_id for t in self.tracks if t.is_confirmed()])
        return associations


def _scene_rows(seed, n_frames, motion_only):
    scene = generate_scene(SceneConfig.small(n_frames=n_frames, seed=seed))
    rows = scene.detection_array()
    return rows[:, :10] if motion_only else rows


@pytest.mark.parametrize("config,motion_only", [
    (TrackingConfig.paper(), False),  # paper settings, nn_budget 100
    (TrackingConfig(min_confidence=0.3), False),  # unbounded galleries
    (TrackingConfig(min_confidence=0.0, nn_budget=2, max_age=3, n_init=1, nms_max_overlap=0.6), False),  # small everything
    (TrackingConfig(min_confidence=0.3, max_cosine_distance=1.2, max_iou_distance=0.4), False),  # loose appearance
    (TrackingConfig(min_confidence=0.3, max_age=5), True),  # motion-only: gated IoU cascade
], ids=["paper", "unbounded", "small", "loose", "motion-only"])
def test_tracker_equals_the_per_track_reading(config, motion_only, assignment_path):
    rows = _scene_rows(seed=3, n_frames=150, motion_only=motion_only)
    fast = create_tracker(config, with_appearance=not motion_only)
    metric = None if motion_only else NearestNeighborDistanceMetric("cosine", config.max_cosine_distance, config.nn_budget)
    reference = ReferenceTracker(metric, config.max_iou_distance, config.max_age, config.n_init)
    for frame_idx in range(1, 151):
        frame_rows = rows[rows[:, 0] == frame_idx]
        detections = frame_detections(frame_rows, config)
        expected_detections = _reference_frame_detections(frame_rows, config)
        assert [d.tlwh.tolist() for d in detections] == [d.tlwh.tolist() for d in expected_detections]
        fast.predict()
        reference.predict()
        assert fast.update(detections) == reference.update(expected_detections), frame_idx
        assert [(t.track_id, t.state, t.hits, t.age, t.time_since_update) for t in fast.tracks] == [
            (t.track_id, t.state, t.hits, t.age, t.time_since_update) for t in reference.tracks
        ], frame_idx
        for track, expected in zip(fast.tracks, reference.tracks):
            np.testing.assert_allclose(track.mean, expected.mean, rtol=RTOL)
            np.testing.assert_allclose(track.covariance, expected.covariance, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(fast.track_tlwh(), [t.to_tlwh() for t in reference.tracks], rtol=RTOL)
        if not motion_only:
            assert {k: len(v) for k, v in fast.metric.samples.items()} == {
                k: len(v) for k, v in reference.metric.samples.items()}


def test_tracker_picks_up_states_changed_from_outside():
    tracker = Tracker(None, n_init=1)
    detection = Detection([100, 100, 50, 100], 0.9)
    tracker.predict()
    tracker.update([detection])
    track = tracker.tracks[0]
    held_mean = track.mean
    tracker.predict()
    # Arrays handed out earlier are never written into (as Track.predict replaces them).
    assert held_mean[0] == 125.0 and track.mean is not held_mean
    # A new state assigned to a track is what the next step starts from.
    mean, covariance = KalmanFilter().initiate([500.0, 150.0, 0.5, 100.0])
    track.mean, track.covariance = mean, covariance
    tracker.predict()
    np.testing.assert_array_equal(track.mean, KalmanFilter().predict(mean, covariance)[0])
    # Tracks removed from the list keep their last state and leave the stack.
    tracker.tracks = []
    tracker.predict()
    np.testing.assert_array_equal(track.mean, KalmanFilter().predict(mean, covariance)[0])
    assert tracker.track_tlwh().shape == (0, 4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_rows_divides_by_numpys_norm_bit_for_bit(rng, dtype):
    features = (rng.normal(size=(50, 128)) * rng.uniform(1e-3, 1e3, size=(50, 1))).astype(dtype)
    features[7] = 0
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    norms[norms == 0] = 1
    normalized = normalize_rows(features)
    assert normalized.dtype == dtype
    assert np.array_equal(normalized, features / norms)
    assert not normalized[7].any()
    # A row's result does not depend on the rest of the stack (the tracker
    # reuses its prepared queries as gallery samples).
    rows = [31, 7, 2, 2, 49]
    assert np.array_equal(normalize_rows(features[rows]), normalized[rows])
