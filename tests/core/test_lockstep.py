"""The package's tracker in lockstep with the oracle, the published code read plainly (tests/oracle.py).

Scene tests run the package's ``Tracker`` (arrays, batched Kalman steps,
galleries as buffers, cascade levels grouped once, compiled or scipy solver)
and the oracle's (one object per track, one cost matrix per cascade level)
side by side on synthetic scenes and compare every frame; app tests compare
whole result files. Unit tests compare each step on its own: the Kalman
filter, the assignment steps, NMS, IoU and the appearance metric.

Where the numbers must be equal
-------------------------------
- Detections, associations, track ids, states and counters, gallery sizes:
  identical, always.
- Kalman ``initiate``, ``predict`` and ``project``: bit for bit. The package
  runs the published matrix formulas' operations in the same order (the
  products with the 0/1 motion and observation matrices only add exact
  zeros), so there is nothing for the platform to round differently.
- Kalman ``update`` and ``gating_distance``: ``rtol=1e-12``. The oracle
  divides by the Cholesky factor of the innovation covariance through
  LAPACK (``cho_solve``, ``solve_triangular``). On this project's machines
  (numpy and scipy wheels, OpenBLAS) they are bit for bit too, because
  OpenBLAS's triangular solve multiplies by the reciprocal of the diagonal,
  as the package does; a LAPACK that divides instead (reference LAPACK,
  MKL) puts results one rounding apart. Tracker states and output boxes
  inherit this tolerance once a track has been updated.
- Appearance distances: ``atol=1e-6``. Both compute float32 dot products
  of the same unit vectors, the package one gallery times one query (a
  matrix-vector product), the oracle a matrix product; BLAS accumulates the
  two in different orders, so a distance may differ in its last float32 bit.
- Gallery contents (normalised descriptors): bit for bit.
"""
from __future__ import annotations

import functools
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import oracle
import pytest
from threadpoolctl import threadpool_limits
from deep_sort.app.pipeline import frame_detections, run_sequence, track_detections
from deep_sort.config import TrackingConfig, create_tracker
from deep_sort.io.mot import SequenceInfo
from deep_sort.iou_matching import iou, iou_cost
from deep_sort.kalman_filter import KalmanFilter, covariance_matrices
from deep_sort.linear_assignment import INFTY_COST, matching_cascade, min_cost_matching
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.preprocessing import non_max_suppression
from deep_sort.synthetic import SceneConfig, generate_scene

#: Tolerance of results that pass through LAPACK's triangular solve (see the module docstring).
RTOL = 1e-12
#: Tolerance of float32 appearance distances (see the module docstring).
DISTANCE_ATOL = 1e-6


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    """Run BLAS on one thread, as the app does: the oracle's many tiny LAPACK calls
    are many times slower when OpenBLAS wakes its threads for each (the
    results are the same either way)."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@functools.lru_cache(maxsize=None)
def scene_rows(seed: int, n_frames: int) -> np.ndarray:
    """Detection rows with 128-d descriptors of a small synthetic scene (float32, as the .npy files)."""
    rows = generate_scene(SceneConfig.small(n_frames=n_frames, seed=seed)).detection_array()
    rows.setflags(write=False)
    return rows


# ----------------------------------------------------------------------------- tracker, frame by frame


def assert_same_detections(actual, expected: list[oracle.Detection]) -> None:
    assert actual.tlwh.tolist() == [d.tlwh.tolist() for d in expected]
    assert actual.confidence.tolist() == [d.confidence for d in expected]
    expected_features = np.array([d.feature for d in expected], dtype=np.float32).reshape(len(expected), -1)
    np.testing.assert_array_equal(actual.feature, expected_features)
    assert actual.feature.dtype == np.float32


def assert_same_tracks(tracker, reference: oracle.Tracker) -> None:
    actual = [(t.track_id, int(t.state), t.hits, t.age, t.time_since_update) for t in tracker.tracks]
    expected = [(t.track_id, t.state, t.hits, t.age, t.time_since_update) for t in reference.tracks]
    assert actual == expected
    if not expected:
        assert tracker.mean.shape == (8, 0)
        return
    np.testing.assert_allclose(tracker.mean, np.array([t.mean for t in reference.tracks]).T, rtol=RTOL, atol=0)
    np.testing.assert_allclose(covariance_matrices(tracker.covariance),
                               np.array([t.covariance for t in reference.tracks]), rtol=RTOL, atol=0)


def assert_same_galleries(tracker, reference: oracle.Tracker) -> None:
    live = {t.track_id for t in reference.tracks}
    confirmed = sorted(t.track_id for t in reference.tracks if t.is_confirmed())
    assert sorted(reference.metric.samples) == confirmed
    # The package also keeps the galleries of tentative tracks (the oracle
    # holds those descriptors in the track objects); dead tracks have none.
    assert set(tracker.metric.targets()) <= live
    for track_id in confirmed:
        expected = oracle._normalize(np.asarray(reference.metric.samples[track_id]))
        actual = tracker.metric.samples(track_id)
        assert len(actual) == len(expected), track_id
        np.testing.assert_array_equal(actual, expected)


SCENE_CONFIGS = [
    pytest.param(TrackingConfig.paper(), False, id="paper"),  # nn_budget 100, min_confidence 0.3
    pytest.param(TrackingConfig(min_confidence=0.3), False, id="unbounded"),  # galleries without budget
    pytest.param(TrackingConfig(min_confidence=0.0, nn_budget=2, max_age=3, n_init=1, nms_max_overlap=0.6),
                 False, id="small-nms"),  # small budget, short life, immediate confirmation, NMS
    pytest.param(TrackingConfig(min_confidence=0.3, max_cosine_distance=1.2, max_iou_distance=0.4), False,
                 id="loose"),  # appearance accepts almost anything: the gate decides
    pytest.param(TrackingConfig(min_confidence=0.3, max_age=5), True, id="motion-only"),  # gated IoU cascade
    pytest.param(TrackingConfig.paper(min_detection_height=120), False, id="min-height"),  # drops ~40 %
]


@pytest.mark.parametrize("config, motion_only", SCENE_CONFIGS)
def test_tracker_in_lockstep_with_the_oracle(config, motion_only, assignment_path):
    n_frames = 100
    rows = scene_rows(seed=3, n_frames=n_frames)
    if motion_only:
        rows = rows[:, :10]
    tracker = create_tracker(config, with_appearance=not motion_only)
    options = config.as_dict()
    reference = oracle.create_tracker(
        options["max_cosine_distance"], options["nn_budget"], options["max_iou_distance"], options["max_age"],
        options["n_init"], with_appearance=not motion_only)
    n_associations = 0
    for frame_idx in range(1, n_frames + 1):
        detections = frame_detections(rows[rows[:, 0] == frame_idx], config)
        expected_detections = oracle.frame_detections(
            rows, frame_idx, config.min_confidence, config.min_detection_height, config.nms_max_overlap)
        assert_same_detections(detections, expected_detections)
        tracker.predict()
        reference.predict()
        associations = tracker.update(detections)
        assert associations == reference.update(expected_detections), frame_idx
        n_associations += len(associations)
        assert_same_tracks(tracker, reference)
        if not motion_only:
            assert_same_galleries(tracker, reference)
    assert n_associations > 4 * n_frames  # the scene kept the tracker busy


def test_tracker_accepts_a_list_of_detections_like_the_oracle():
    config = TrackingConfig.paper()
    rows = scene_rows(seed=5, n_frames=40)
    tracker, reference = create_tracker(config), oracle.create_tracker(0.2, 100)
    for frame_idx in range(1, 41):
        expected_detections = oracle.frame_detections(rows, frame_idx, 0.3, 0, 1.0)
        # The published input: a list of single Detection objects.
        detections = [oracle_detection_to_package(d) for d in expected_detections]
        tracker.predict()
        reference.predict()
        assert tracker.update(detections) == reference.update(expected_detections)
        assert_same_tracks(tracker, reference)


def oracle_detection_to_package(detection: oracle.Detection):
    from deep_sort.detection import Detection

    return Detection(detection.tlwh, detection.confidence, detection.feature)


# ----------------------------------------------------------------------------- the whole app


def assert_same_rows(actual: np.ndarray, expected: list) -> None:
    expected = np.array(expected, dtype=np.float64).reshape(-1, 6)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual[:, :2], expected[:, :2])  # frame, track id
    np.testing.assert_allclose(actual[:, 2:], expected[:, 2:], rtol=RTOL, atol=0)


@pytest.mark.parametrize("seed, config, motion_only", [
    (11, TrackingConfig.paper(), False),
    (12, TrackingConfig(min_confidence=0.5, nms_max_overlap=0.7, nn_budget=10), False),
    (13, TrackingConfig.paper(max_age=10), True),
], ids=["paper", "nms-budget", "motion-only"])
def test_app_rows_equal_the_oracle_run(tmp_path, seed, config, motion_only, assignment_path):
    rows = scene_rows(seed=seed, n_frames=60)
    if motion_only:
        rows = rows[:, :10]
    actual = track_detections(SequenceInfo(name="syn", sequence_dir=tmp_path), rows, config)
    frames = range(int(rows[:, 0].min()), int(rows[:, 0].max()) + 1)
    expected = oracle.run(rows, frames, **config.as_dict())
    assert len(expected) > 100
    assert_same_rows(actual, expected)


def test_run_sequence_reads_the_files_the_oracle_reads(tmp_path):
    rows = scene_rows(seed=14, n_frames=50)
    detection_file = tmp_path / "det.npy"
    np.save(detection_file, rows)
    config = TrackingConfig.paper()
    actual = run_sequence(tmp_path, detection_file, config)
    loaded = np.load(detection_file)
    expected = oracle.run(loaded, oracle.frame_indices_of(str(tmp_path), loaded), **config.as_dict())
    assert_same_rows(actual, expected)


# ----------------------------------------------------------------------------- Kalman filter


def random_measurements(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.uniform(0, 1900, n), rng.uniform(0, 1000, n), rng.uniform(0.3, 0.5, n),
                            rng.uniform(20, 400, n)])


def filter_states(rng: np.random.Generator, n: int, n_steps: int):
    """States the filter produces: initiate, then per step predict and update 70 % of the states.

    Yields ``(mean, covariance)`` stacks before every step. Each test hands
    the oracle the same states (:func:`oracle_states`), so a difference shows
    in the step that makes it.
    """
    kf = KalmanFilter()
    mean, covariance = kf.initiate(random_measurements(rng, n))
    for _ in range(n_steps):
        yield mean, covariance
        mean, covariance = kf.predict(mean, covariance)
        updated = np.flatnonzero(rng.random(n) < 0.7)
        measurements = mean[:4, updated].T + rng.normal(0, 1, (len(updated), 4)) * [3, 3, 0.01, 3]
        mean[:, updated], covariance[..., updated] = kf.update(
            mean[:, updated], covariance[..., updated], measurements)


def oracle_states(mean: np.ndarray, covariance: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The stacks as the oracle's per-track states: (mean (8,), covariance (8, 8)) per column."""
    matrices = covariance_matrices(covariance)
    return [(mean[:, i].copy(), matrices[i]) for i in range(mean.shape[1])]


def test_kalman_initiate_is_the_oracles_bit_for_bit(rng):
    measurements = random_measurements(rng, 50)
    mean, covariance = KalmanFilter().initiate(measurements)
    assert mean.shape == (8, 50) and covariance.shape == (2, 2, 4, 50)
    matrices = covariance_matrices(covariance)
    for i, z in enumerate(measurements):
        expected_mean, expected_covariance = oracle.KalmanFilter().initiate(z)
        np.testing.assert_array_equal(mean[:, i], expected_mean)
        np.testing.assert_array_equal(matrices[i], expected_covariance)


def test_kalman_predict_and_project_are_the_oracles_bit_for_bit(rng):
    kf, okf = KalmanFilter(), oracle.KalmanFilter()
    for mean, covariance in filter_states(rng, 30, 20):
        predicted_mean, predicted_covariance = kf.predict(mean, covariance)
        projected_mean, projected_variance = kf.project(mean, covariance)
        predicted_matrices = covariance_matrices(predicted_covariance)
        for i, (state_mean, state_covariance) in enumerate(oracle_states(mean, covariance)):
            expected_mean, expected_covariance = okf.predict(state_mean, state_covariance)
            np.testing.assert_array_equal(predicted_mean[:, i], expected_mean)
            np.testing.assert_array_equal(predicted_matrices[i], expected_covariance)
            expected_mean, expected_covariance = okf.project(state_mean, state_covariance)
            np.testing.assert_array_equal(projected_mean[:, i], expected_mean)
            np.testing.assert_array_equal(np.diag(projected_variance[:, i]), expected_covariance)


def test_kalman_update_and_gating_distance_equal_the_oracles(rng):
    kf, okf = KalmanFilter(), oracle.KalmanFilter()
    for mean, covariance in filter_states(rng, 30, 20):
        mean, covariance = kf.predict(mean, covariance)
        measurements = mean[:4].T + rng.normal(0, 1, (30, 4)) * [5, 5, 0.02, 5]
        new_mean, new_covariance = kf.update(mean, covariance, measurements)
        new_matrices = covariance_matrices(new_covariance)
        distances = kf.gating_distance(mean, covariance, measurements[:17])
        position_distances = kf.gating_distance(mean, covariance, measurements[:17], only_position=True)
        assert distances.shape == position_distances.shape == (30, 17)
        for i, state in enumerate(oracle_states(mean, covariance)):
            expected_mean, expected_covariance = okf.update(*state, measurements[i])
            np.testing.assert_allclose(new_mean[:, i], expected_mean, rtol=RTOL, atol=0)
            np.testing.assert_allclose(new_matrices[i], expected_covariance, rtol=RTOL, atol=0)
            np.testing.assert_allclose(distances[i], okf.gating_distance(*state, measurements[:17]), rtol=RTOL)
            np.testing.assert_allclose(position_distances[i],
                                       okf.gating_distance(*state, measurements[:17], only_position=True),
                                       rtol=RTOL)


def test_kalman_steps_take_empty_stacks():
    kf = KalmanFilter()
    mean, covariance = kf.initiate(np.zeros((0, 4)))
    assert mean.shape == (8, 0) and covariance.shape == (2, 2, 4, 0)
    assert kf.predict(mean, covariance)[1].shape == (2, 2, 4, 0)
    assert kf.gating_distance(mean, covariance, np.ones((3, 4))).shape == (0, 3)
    assert covariance_matrices(covariance).shape == (0, 8, 8)


# ----------------------------------------------------------------------------- association steps


def tie_heavy_costs(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Coarse costs: ties, entries at the threshold 0.2, above it and gated out."""
    return rng.choice([0.05, 0.1, 0.1, 0.2, 0.3, 0.9, INFTY_COST], size=shape)


def test_min_cost_matching_equals_the_oracles(rng, assignment_path):
    for trial in range(1500):
        n_tracks, n_detections = (int(v) for v in rng.integers(0, 9, size=2))
        costs = tie_heavy_costs(rng, (20, 20))
        if trial % 5 == 0:
            costs[:] = rng.choice([0.3, INFTY_COST])  # all infeasible: the None path
        track_indices = rng.permutation(20)[:n_tracks].tolist()
        detection_indices = rng.permutation(20)[:n_detections].tolist()

        def metric(rows, cols):
            matrix = costs[np.ix_(rows, cols)]
            return None if (matrix > 0.2).all() else matrix.copy()

        def oracle_metric(tracks, detections, rows, cols):
            return costs[np.ix_(rows, cols)].copy()

        expected = oracle.min_cost_matching(oracle_metric, 0.2, None, None, track_indices, detection_indices)
        actual = min_cost_matching(metric, 0.2, track_indices, detection_indices)
        assert actual == tuple(list(part) for part in expected), trial


def test_matching_cascade_equals_the_oracles(rng, assignment_path):
    for trial in range(800):
        n_tracks, n_detections = int(rng.integers(1, 15)), int(rng.integers(0, 10))
        time_since_update = rng.integers(0, 7, size=n_tracks).tolist()
        tracks = [SimpleNamespace(time_since_update=t) for t in time_since_update]
        costs = tie_heavy_costs(rng, (n_tracks, n_detections))
        track_indices = rng.permutation(n_tracks)[: int(rng.integers(0, n_tracks + 1))].tolist()
        detection_indices = rng.permutation(n_detections).tolist()

        def metric(rows, cols):
            matrix = costs[np.ix_(rows, cols)]
            return None if (matrix > 0.2).all() else matrix.copy()

        def oracle_metric(tracks, detections, rows, cols):
            return costs[np.ix_(rows, cols)].copy()

        expected = oracle.matching_cascade(oracle_metric, 0.2, 4, tracks, None, track_indices, detection_indices)
        actual = matching_cascade(metric, 0.2, 4, time_since_update, track_indices, detection_indices)
        assert actual == expected, trial


def test_iou_and_iou_cost_equal_the_oracles_bit_for_bit(rng):
    boxes = rng.uniform(0, 100, (12, 4)) + [0, 0, 1, 1]
    candidates = np.vstack([boxes[:3], boxes[3:6] + rng.normal(0, 3, (3, 4)).clip(-0.9, 0.9),
                            rng.uniform(0, 100, (6, 4)) + [0, 0, 1, 1]])
    matrix = iou(boxes, candidates)
    for i, box in enumerate(boxes):
        np.testing.assert_array_equal(matrix[i], oracle.iou(box, candidates))
    time_since_update = rng.integers(1, 4, size=12)
    tracks = [SimpleNamespace(time_since_update=int(t), to_tlwh=lambda box=box: box.copy())
              for t, box in zip(time_since_update, boxes)]
    detections = [oracle.Detection(c, 1.0, np.zeros(0)) for c in candidates]
    expected = oracle.iou_cost(tracks, detections, list(range(12)), list(range(12)))
    np.testing.assert_array_equal(iou_cost(boxes, time_since_update, candidates), expected)
    assert INFTY_COST == oracle.INFTY_COST


# ----------------------------------------------------------------------------- detection selection


@pytest.mark.parametrize("max_bbox_overlap", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nms_equals_the_oracles_loop(rng, max_bbox_overlap, dtype):
    for _ in range(60):
        n = int(rng.integers(1, 40))  # beyond 16 boxes numpy's sort is no longer stable among ties
        boxes = np.round(rng.uniform(0, 200, (n, 4)), 1) + [0, 0, 5, 10]
        boxes[n // 2:] = boxes[: n - n // 2] + np.round(rng.normal(0, 3, (n - n // 2, 4)).clip(-2, 2), 1)
        scores = np.round(rng.uniform(0, 1, n), 1).astype(dtype)  # many ties
        expected = oracle.non_max_suppression(boxes, max_bbox_overlap, scores)
        assert non_max_suppression(boxes, max_bbox_overlap, scores).tolist() == expected


# ----------------------------------------------------------------------------- appearance metric


@pytest.mark.parametrize("metric_name", ["cosine", "euclidean"])
@pytest.mark.parametrize("budget", [None, 1, 3, 20], ids=["unbounded", "budget1", "budget3", "budget20"])
def test_nearest_neighbor_metric_equals_the_oracles(rng, metric_name, budget):
    metric = NearestNeighborDistanceMetric(metric_name, 0.2, budget)
    reference = oracle.NearestNeighborDistanceMetric(metric_name, 0.2, budget)
    next_target = 6
    for step in range(50):
        n = int(rng.integers(0, 9))  # sometimes more samples for one target than the budget
        candidates = sorted(reference.samples) + [next_target]
        targets = rng.choice(candidates, size=n).tolist()
        features = rng.normal(size=(n, 32)).astype(np.float32)
        if n:
            features[0] = 0  # boxes without pixels
        active = sorted(set(reference.samples) | set(targets))
        if step % 7 == 6 and active:
            active.remove(active[0])  # a track dies
        next_target += 1
        metric.partial_fit(features, targets, active)
        reference.partial_fit(list(features), targets, active)
        assert sorted(metric.targets()) == sorted(reference.samples)
        for target, samples in reference.samples.items():
            expected = np.asarray(samples)
            if metric_name == "cosine":
                expected = oracle._normalize(expected)  # the package stores unit rows
            np.testing.assert_array_equal(metric.samples(target), expected)
        queries = rng.normal(size=(6, 32)).astype(np.float32)
        queries[2] = 0
        if reference.samples:
            queries[4] = reference.samples[max(reference.samples)][-1]  # a repeat: distance 0
            query_targets = rng.permutation(sorted(reference.samples)).tolist()
            expected = reference.distance(queries, query_targets)
            actual = metric.distance(queries, query_targets)
            assert actual.shape == expected.shape and actual.dtype == np.float64
            scale = 1.0 if metric_name == "cosine" else float(np.square(queries).sum(axis=1).max())
            np.testing.assert_allclose(actual, expected, rtol=0, atol=DISTANCE_ATOL * scale)
            rows, cols = np.nonzero(rng.random(expected.shape) < 0.5)
            pairs = metric.distance(queries, [query_targets[r] for r in rows], pairs=cols.tolist())
            np.testing.assert_array_equal(pairs, actual[rows, cols])
