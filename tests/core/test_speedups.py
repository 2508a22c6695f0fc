"""The compiled helpers (deep_sort._speedups) give exactly the Python path's results.

``deep_sort/_speedups.c`` re-implements scipy's assignment solver, the
tracker's assignment steps and the stacked Kalman steps; these tests compare
it with scipy and with the pure Python functions, on random matrices full of
ties (where a different search order would show) and on filter states bit
for bit.
"""
from __future__ import annotations

import shutil
import sysconfig

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_solver

from deep_sort import compiled as compiled_module
from deep_sort import linear_assignment
from deep_sort._blas import single_blas_thread
from deep_sort.gallery import FeatureGallery
from deep_sort.kalman_filter import CHI2INV95, KalmanFilter
from deep_sort.linear_assignment import INFTY_COST
from deep_sort.tracker import Tracker

compiled = compiled_module.speedups
needs_compiled = pytest.mark.skipif(compiled is None, reason="deep_sort._speedups is not built")


def test_compiled_module_is_built_where_a_compiler_exists():
    # run.py builds it; CI machines have gcc, so a broken build must fail here
    # rather than silently testing only the Python path.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) on this machine")
    assert compiled is not None, "deep_sort._speedups is not built: run `python3 run.py python -c pass`"


def _tie_heavy_matrix(rng, n_rows, n_cols):
    kind = rng.integers(4)
    if kind == 0:
        return rng.integers(0, 3, size=(n_rows, n_cols)).astype(np.float64)
    if kind == 1:
        return rng.random((n_rows, n_cols))
    if kind == 2:  # a cascade level after thresholding: mostly the capped cost
        few = rng.random((n_rows, n_cols)) < 0.2
        return np.where(few, rng.choice([0.05, 0.1, 0.2], size=(n_rows, n_cols)), 0.2 + 1e-5)
    return np.full((n_rows, n_cols), float(rng.choice([0.0, 1.0, 0.2 + 1e-5])))


@needs_compiled
def test_solver_returns_scipys_assignment(rng):
    for trial in range(20000):
        n_rows, n_cols = (int(v) for v in rng.integers(0, 9, size=2))
        if trial % 500 == 0:
            n_rows, n_cols = (int(v) for v in rng.integers(40, 160, size=2))
        cost_matrix = _tie_heavy_matrix(rng, n_rows, n_cols)
        rows, cols = scipy_solver(cost_matrix)
        assert compiled.linear_sum_assignment(cost_matrix) == (rows.tolist(), cols.tolist()), trial


@needs_compiled
def test_solver_errors_are_scipys():
    for value in (np.nan, -np.inf):
        cost_matrix = np.zeros((3, 3))
        cost_matrix[1, 1] = value
        with pytest.raises(ValueError, match="invalid numeric entries"):
            compiled.linear_sum_assignment(cost_matrix)
    with pytest.raises(ValueError, match="infeasible"):
        compiled.linear_sum_assignment(np.full((2, 2), np.inf))
    assert compiled.linear_sum_assignment(np.array([[np.inf, 1.0], [2.0, np.inf]])) == ([0, 1], [1, 0])
    with pytest.raises(TypeError, match="float64"):
        compiled.linear_sum_assignment(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        compiled.linear_sum_assignment(np.zeros((3, 4))[:, ::2])


@needs_compiled
def test_assign_equals_the_python_assign(rng, monkeypatch):
    for trial in range(3000):
        n_rows, n_cols = (int(v) for v in rng.integers(1, 9, size=2))
        cost_matrix = rng.choice([0.05, 0.1, 0.2, 0.3, INFTY_COST], size=(n_rows, n_cols))
        track_indices = rng.permutation(30)[:n_rows].tolist()
        detection_indices = rng.permutation(30)[:n_cols].tolist()
        compiled_matrix = cost_matrix.copy()
        actual = linear_assignment.assign(compiled_matrix, 0.2, track_indices, detection_indices)
        with monkeypatch.context() as patch:
            patch.setattr(compiled_module, "speedups", None)
            python_matrix = cost_matrix.copy()
            expected = linear_assignment.assign(python_matrix, 0.2, track_indices, detection_indices)
        assert actual == expected, trial
        np.testing.assert_array_equal(compiled_matrix, python_matrix)  # thresholded in place alike


@needs_compiled
def test_assign_leaves_nan_to_the_solver_error():
    cost_matrix = np.array([[0.1, np.nan]])
    assert compiled.assign(cost_matrix.copy(), 0.2, [0], [0, 1]) is None
    with pytest.raises(ValueError, match="invalid numeric entries"):
        linear_assignment.assign(cost_matrix, 0.2, [0], [0, 1])


def _random_cascade(rng):
    n_confirmed, n_detections = int(rng.integers(1, 12)), int(rng.integers(1, 10))
    confirmed_tracks = sorted(rng.permutation(20)[:n_confirmed].tolist())
    rows, detection_indices = np.nonzero(rng.random((n_confirmed, n_detections)) < 0.4)
    costs = rng.choice([0.05, 0.1, 0.1, 0.2, 0.3], size=len(rows)).astype(rng.choice([np.float32, np.float64]))
    levels = rng.integers(0, 4, size=n_confirmed)
    level_rows = [np.flatnonzero(levels == level).tolist() for level in range(4)]
    level_rows = [rows_l for rows_l in level_rows if rows_l]
    return (rows, detection_indices, costs), level_rows, confirmed_tracks, n_detections


@needs_compiled
def test_compiled_cascade_equals_the_python_levels(rng):
    for trial in range(3000):
        gated, level_rows, confirmed_tracks, n_detections = _random_cascade(rng)
        threshold = float(rng.choice([0.1, 0.2, 0.25]))
        expected = Tracker._solve_cascade_levels(gated, level_rows, confirmed_tracks, n_detections, threshold)
        actual = Tracker._solve_cascade_compiled(gated, level_rows, confirmed_tracks, n_detections, threshold)
        assert actual == expected, trial


@needs_compiled
def test_compiled_cascade_leaves_nan_to_the_python_path():
    gated = (np.array([0, 1]), np.array([0, 0]), np.array([np.nan, 0.1], dtype=np.float32))
    assert Tracker._solve_cascade_compiled(gated, [[0, 1]], [3, 5], 2, 0.2) is None
    # ... which raises the solver's error, as the published code does.
    with pytest.raises(ValueError, match="invalid numeric entries"):
        Tracker._solve_cascade_levels(gated, [[0, 1]], [3, 5], 2, 0.2)
    # A NaN in a detection an earlier level took is never looked at.
    gated = (np.array([0, 1]), np.array([0, 0]), np.array([0.1, np.nan]))
    assert Tracker._solve_cascade_compiled(gated, [[0], [1]], [3, 5], 1, 0.2) == ([(3, 0)], [])


@needs_compiled
def test_cascade_argument_errors():
    with pytest.raises(ValueError, match="row_tracks"):
        compiled.matching_cascade(np.zeros((2, 2)), [[0]], [1], 0.2)
    with pytest.raises(ValueError, match="level_rows"):
        compiled.matching_cascade(np.zeros((2, 2)), [[0, 2]], [1, 2], 0.2)
    with pytest.raises(ValueError, match="level_rows"):
        compiled.matching_cascade(np.zeros((2, 2)), [[]], [1, 2], 0.2)


def _stacked_filter_states(rng, n_states):
    """Kalman states as the tracker has them: initiated, predicted and updated a few times."""
    kf = KalmanFilter()
    measurements = np.column_stack([
        rng.uniform(0, 1900, n_states), rng.uniform(0, 1000, n_states),
        rng.uniform(0.3, 0.5, n_states), rng.uniform(20, 400, n_states),
    ])
    mean, covariance = kf.initiate_stacked(measurements)
    for _ in range(int(rng.integers(0, 6))):
        mean, covariance = kf.predict_stacked(mean, covariance)
        mean, covariance = kf.update_stacked(mean, covariance, measurements + rng.normal(0, 5, measurements.shape))
    return kf, mean, covariance


@needs_compiled
def test_gate_selects_the_pairs_of_the_gating_distance(rng):
    for trial in range(300):
        n_states, n_measurements = int(rng.integers(1, 30)), int(rng.integers(0, 30))
        kf, mean, covariance = _stacked_filter_states(rng, n_states)
        columns = sorted(rng.permutation(n_states)[: int(rng.integers(0, n_states + 1))].tolist())
        # Measurements near some states (inside the gate), and random ones.
        near = mean[:4, rng.integers(0, n_states, n_measurements)].T
        xyah = np.ascontiguousarray(near + rng.normal(0, 1, near.shape) * rng.choice([0.1, 3, 30], (n_measurements, 1)))
        distance = kf.gating_distance_stacked(mean.take(columns, axis=1), covariance.take(columns, axis=2), xyah)
        rows, detection_indices = np.nonzero(~(distance > CHI2INV95[4]))
        expected = (rows.tolist(), detection_indices.tolist())
        assert compiled.gate(mean, covariance, columns, xyah, kf._std_weight_position, CHI2INV95[4]) == expected
        # The distances themselves, bit for bit: thresholds at each computed
        # value and just below it.
        for row, column in enumerate(columns[:3]):
            for value in distance[row, :3]:
                for threshold in (float(value), float(np.nextafter(value, -np.inf))):
                    inside = compiled.gate(mean, covariance, [column], xyah, kf._std_weight_position, threshold)
                    assert inside[1] == np.flatnonzero(~(distance[row] > threshold)).tolist()


@needs_compiled
def test_gate_leaves_coupled_covariances_to_the_python_path(rng):
    kf, mean, covariance = _stacked_filter_states(rng, 3)
    xyah = np.ascontiguousarray(mean[:4].T)
    covariance[0, 1, 2] = covariance[1, 0, 2] = 1.0  # couples x and y of state 2
    assert compiled.gate(mean, covariance, [0, 1], xyah, kf._std_weight_position, CHI2INV95[4]) is not None
    assert compiled.gate(mean, covariance, [0, 2], xyah, kf._std_weight_position, CHI2INV95[4]) is None
    with pytest.raises(ValueError, match="mean"):
        compiled.gate(mean[:4].copy(), covariance, [0], xyah, 0.05, 9.4877)
    with pytest.raises(IndexError):
        compiled.gate(mean, covariance, [3], xyah, 0.05, 9.4877)


def _python_path(monkeypatch, function, *args):
    with monkeypatch.context() as patch:
        patch.setattr(compiled_module, "speedups", None)
        return function(*args)


@needs_compiled
def test_kalman_steps_are_bitwise_the_numpy_steps(rng, monkeypatch):
    for trial in range(200):
        n_states = int(rng.integers(0, 40))
        kf, mean, covariance = _stacked_filter_states(rng, n_states)
        expected = _python_path(monkeypatch, kf.predict_stacked, mean, covariance)
        actual = kf.predict_stacked(mean, covariance)
        for a, e in zip(actual, expected):
            assert a.flags.c_contiguous and np.array_equal(a, e), trial
        measurements = mean[:4].T + rng.normal(0, 5, (n_states, 4))
        expected = _python_path(monkeypatch, kf.update_stacked, mean, covariance, measurements)
        mean_before, covariance_before = mean.copy(), covariance.copy()
        actual = kf.update_stacked(mean, covariance, measurements)
        for a, e in zip(actual, expected):
            assert np.array_equal(a, e), trial
        # New arrays; the inputs are left alone.
        assert np.array_equal(mean, mean_before) and np.array_equal(covariance, covariance_before)


@needs_compiled
def test_kalman_update_leaves_coupled_covariances_to_the_python_path(rng, monkeypatch):
    kf, mean, covariance = _stacked_filter_states(rng, 3)
    covariance[0, 5, 1] = covariance[5, 0, 1] = 0.5
    written_mean, written_covariance = mean.copy(), covariance.copy()
    assert compiled.kalman_update(written_mean, written_covariance, np.ascontiguousarray(mean[:4].T), 0.05) is False
    assert np.array_equal(written_mean, mean) and np.array_equal(written_covariance, covariance)
    expected = _python_path(monkeypatch, kf.update_stacked, mean, covariance, mean[:4].T + 1)
    actual = kf.update_stacked(mean, covariance, mean[:4].T + 1)
    for a, e in zip(actual, expected):
        assert np.array_equal(a, e)


@needs_compiled
def test_kalman_steps_check_their_arguments():
    with pytest.raises(ValueError, match="mean"):
        compiled.kalman_predict(np.zeros((4, 2)), np.zeros((8, 8, 2)), 0.05, 0.00625)
    with pytest.raises(TypeError, match="float64"):
        compiled.kalman_predict(np.zeros((8, 2), dtype=np.float32), np.zeros((8, 8, 2)), 0.05, 0.00625)
    with pytest.raises(ValueError, match="measurements"):
        compiled.kalman_update(np.zeros((8, 2)), np.zeros((8, 8, 2)), np.zeros((3, 4)), 0.05)
    # float32 stacks take the numpy path.
    kf = KalmanFilter()
    mean, covariance = kf.initiate_stacked(np.array([[10.0, 20.0, 0.5, 100.0]]))
    predicted = kf.predict_stacked(mean.astype(np.float32), covariance.astype(np.float32))
    assert predicted[0].dtype == np.float32


@needs_compiled
def test_float32_products_are_numpys(rng):
    assert compiled_module.float32_products_ready()  # numpy's wheels bundle OpenBLAS
    with single_blas_thread():
        for n in [1, 2, 3, 5, 8, 13, 64, 100, 257]:
            samples = rng.standard_normal((n, 128)).astype(np.float32)
            queries = rng.standard_normal((3, 128)).astype(np.float32)
            out = np.empty(n, dtype=np.float32)
            compiled.matrix_vector(samples, queries, 2, out)
            assert np.array_equal(out, samples.dot(queries[2])), n


@needs_compiled
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cosine_pair_distances_equal_the_python_products(rng, monkeypatch, dtype):
    gallery = FeatureGallery("cosine", budget=int(rng.integers(1, 6)) if dtype == np.float64 else 100)
    for target in range(1, 9):
        n_samples = [1, 2, 3, 7, 40, 100, 150, 5][target - 1]
        features = rng.standard_normal((n_samples, 128)).astype(dtype)
        if target == 8:
            features[2, 5] = np.nan  # a NaN product makes the distance NaN, as np.maximum does
        gallery.add(features, [target] * n_samples)
    features = rng.standard_normal((6, 128)).astype(dtype)
    features[4] = 0  # an all-zero descriptor: distance 1
    queries = gallery.prepare(features)
    targets = sorted(rng.integers(1, 9, 40).tolist())
    query_indices = rng.integers(0, 6, 40).tolist()
    with single_blas_thread():
        actual = gallery.pair_distances(queries, targets, query_indices)
        expected = _python_path(monkeypatch, gallery.pair_distances, queries, targets, query_indices)
    assert actual.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(actual, expected)
    assert np.isnan(actual[np.asarray(targets) == 8]).all()


@needs_compiled
def test_cosine_pair_distances_check_their_arguments():
    compiled_module.float32_products_ready()
    queries = np.zeros((2, 4), dtype=np.float32)
    out = np.empty(1, dtype=np.float32)
    assert compiled.cosine_pair_distances([np.zeros((3, 4))], queries, [0], out) is False  # float64 samples
    with pytest.raises(ValueError, match="one entry per pair"):
        compiled.cosine_pair_distances([np.zeros((3, 4), dtype=np.float32)] * 2, queries, [0], out)
    with pytest.raises(ValueError, match="like the queries"):
        compiled.cosine_pair_distances([np.zeros((3, 5), dtype=np.float32)], queries, [0], out)
    with pytest.raises(IndexError):
        compiled.cosine_pair_distances([np.zeros((3, 4), dtype=np.float32)], queries, [2], out)


@needs_compiled
def test_iou_cost_is_bitwise_iou_cost_matrix(rng):
    from deep_sort.iou_matching import iou_cost_matrix
    from deep_sort.boxes import xyah_to_tlwh

    for trial in range(200):
        kf, mean, covariance = _stacked_filter_states(rng, int(rng.integers(1, 20)))
        n_states = mean.shape[1]
        columns = rng.permutation(n_states)[: int(rng.integers(0, n_states + 1))].tolist()
        ages = rng.integers(0, 4, len(columns)).tolist()
        # Detections on the tracks (overlapping), beside them and far away.
        tlwh = xyah_to_tlwh(mean[:4].T)[rng.integers(0, n_states, 25)]
        tlwh[:, :2] += rng.normal(0, 1, (25, 2)) * rng.choice([0.0, 5.0, 50.0, 5000.0], (25, 1))
        tlwh = np.ascontiguousarray(tlwh)
        detection_indices = rng.permutation(25)[: int(rng.integers(0, 26))].tolist()
        expected = iou_cost_matrix(
            xyah_to_tlwh(mean[:4].T[columns]).reshape(-1, 4), ages, tlwh[detection_indices].reshape(-1, 4))
        actual = np.empty((len(columns), len(detection_indices)))
        compiled.iou_cost(mean, columns, ages, tlwh, detection_indices, actual, INFTY_COST)
        np.testing.assert_array_equal(actual, expected)
