"""KalmanFilter against values computed by hand from SPEC.md section 3.

States are stacks with the track axis last (mean (8, N), covariance blocks
(2, 2, 4, N)); ``covariance_matrices`` assembles the 8 x 8 matrices the
formulas are written for.
"""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.kalman_filter import CHI2INV95, KalmanFilter, covariance_matrices

# A 100 px tall box: std_pos = h/20 = 5 px, std_vel = h/160 = 0.625 px/frame.
MEASUREMENT = np.array([100.0, 200.0, 0.5, 100.0])
KF = KalmanFilter()


def one_state(mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Track 0 of a stack as (mean (8,), covariance (8, 8))."""
    return mean[:, 0], covariance_matrices(covariance)[0]


def test_initiate_mean_and_covariance():
    mean, covariance = one_state(*KF.initiate(MEASUREMENT[None]))
    np.testing.assert_array_equal(mean, [100, 200, 0.5, 100, 0, 0, 0, 0])
    # std = [2p h, 2p h, 1e-2, 2p h, 10v h, 10v h, 1e-5, 10v h] = [10, 10, .01, 10, 6.25, 6.25, 1e-5, 6.25]
    np.testing.assert_allclose(covariance, np.diag(np.square([10, 10, 1e-2, 10, 6.25, 6.25, 1e-5, 6.25])),
                               rtol=1e-15)


def test_initiate_takes_many_boxes_in_order():
    measurements = np.array([MEASUREMENT, MEASUREMENT * 2])
    mean, covariance = KF.initiate(measurements)
    assert mean.shape == (8, 2) and covariance.shape == (2, 2, 4, 2)
    np.testing.assert_array_equal(mean[:4].T, measurements)
    # Noise scales with each box's own height.
    np.testing.assert_allclose(covariance[0, 0, 0], [100, 400])


def test_predict_by_hand():
    mean, covariance = KF.initiate(MEASUREMENT[None])
    mean[4] = 3.0  # moving right 3 px / frame
    mean, covariance = one_state(*KF.predict(mean, covariance))
    assert mean[0] == pytest.approx(103.0)
    # P00 = 100 (position) + 39.0625 (velocity carried over) + 25 (Q, (h/20)^2)
    assert covariance[0, 0] == pytest.approx(164.0625)
    assert covariance[0, 4] == covariance[4, 0] == pytest.approx(39.0625)
    # P44 = 39.0625 + (h/160)^2
    assert covariance[4, 4] == pytest.approx(39.0625 + 0.390625)
    assert covariance[2, 2] == pytest.approx(1e-4 + 1e-4)
    assert covariance[6, 6] == pytest.approx(2e-10)
    # The axes never correlate.
    assert covariance[0, 1] == covariance[0, 5] == covariance[1, 4] == 0


def test_predict_noise_uses_the_height_before_the_step():
    mean, covariance = KF.initiate(MEASUREMENT[None])
    mean[7] = 50.0  # growing fast: h = 150 after the step
    _, predicted = one_state(*KF.predict(mean, covariance))
    assert predicted[0, 0] == pytest.approx(100 + 39.0625 + 25)  # (100 / 20)^2, not (150 / 20)^2


def test_predict_and_update_return_new_arrays():
    mean, covariance = KF.initiate(MEASUREMENT[None])
    before = mean.copy(), covariance.copy()
    KF.predict(mean, covariance)
    KF.update(mean, covariance, MEASUREMENT[None] + 1)
    np.testing.assert_array_equal(mean, before[0])
    np.testing.assert_array_equal(covariance, before[1])


def test_project_adds_measurement_noise():
    projected_mean, projected_variance = KF.project(*KF.initiate(MEASUREMENT[None]))
    np.testing.assert_array_equal(projected_mean[:, 0], MEASUREMENT)
    np.testing.assert_allclose(projected_variance[:, 0], [100 + 25, 100 + 25, 1e-4 + 1e-2, 100 + 25])


def test_update_by_hand():
    mean, covariance = KF.predict(*KF.initiate(MEASUREMENT[None]))
    new_mean, new_covariance = one_state(*KF.update(mean, covariance, (MEASUREMENT + [10.0, 0, 0, 0])[None]))
    s00 = 164.0625 + 25.0  # innovation variance of cx
    assert new_mean[0] == pytest.approx(100 + 10 * 164.0625 / s00)
    assert new_mean[4] == pytest.approx(10 * 39.0625 / s00)
    assert new_mean[1] == 200.0
    assert new_covariance[0, 0] == pytest.approx(164.0625 - 164.0625**2 / s00)
    assert new_covariance[4, 4] == pytest.approx(39.0625 + 0.390625 - 39.0625**2 / s00)
    np.testing.assert_allclose(new_covariance, new_covariance.T, atol=1e-12)


def test_update_row_i_corrects_state_i():
    mean, covariance = KF.predict(*KF.initiate(np.array([MEASUREMENT, MEASUREMENT + 500])))
    new_mean, _ = KF.update(mean, covariance, np.array([MEASUREMENT + [10, 0, 0, 0], MEASUREMENT + 500]))
    assert new_mean[0, 0] > 100 and new_mean[0, 1] == 600


def test_gating_distance_by_hand():
    mean, covariance = KF.predict(*KF.initiate(MEASUREMENT[None]))
    measurements = np.array([MEASUREMENT, MEASUREMENT + [10.0, 0, 0, 0], MEASUREMENT + [0, 0, 0.1, 0]])
    distances = KF.gating_distance(mean, covariance, measurements)
    s00 = 164.0625 + 25.0
    s22 = 2e-4 + 1e-2
    assert distances.shape == (1, 3)
    np.testing.assert_allclose(distances[0], [0.0, 100.0 / s00, 0.01 / s22])
    only_position = KF.gating_distance(mean, covariance, measurements, only_position=True)
    np.testing.assert_allclose(only_position[0], [0.0, 100.0 / s00, 0.0], atol=1e-12)


def test_gating_distance_rows_are_states_columns_measurements():
    mean, covariance = KF.initiate(np.array([MEASUREMENT, MEASUREMENT + [300, 0, 0, 0]]))
    distances = KF.gating_distance(mean, covariance, np.array([MEASUREMENT + [300, 0, 0, 0]]))
    assert distances.shape == (2, 1)
    assert distances[0, 0] > CHI2INV95[4] and distances[1, 0] == 0


def test_chi2_thresholds():
    assert CHI2INV95[4] == 9.4877
    assert CHI2INV95[2] == 5.9915


def test_noise_weights_are_parameters():
    _, covariance = one_state(*KalmanFilter(std_weight_position=0.1).initiate(MEASUREMENT[None]))
    assert covariance[0, 0] == pytest.approx((2 * 0.1 * 100) ** 2)
    _, covariance = one_state(*KalmanFilter(std_weight_velocity=0.01).initiate(MEASUREMENT[None]))
    assert covariance[4, 4] == pytest.approx((10 * 0.01 * 100) ** 2)
    for weights in ({"std_weight_position": 0}, {"std_weight_velocity": -1.0}):
        with pytest.raises(ValueError, match="positive"):
            KalmanFilter(**weights)


def test_covariance_matrices_place_the_blocks():
    blocks = np.arange(2 * 2 * 4 * 1, dtype=float).reshape(2, 2, 4, 1) + 1
    matrix = covariance_matrices(blocks)[0]
    for a in range(2):
        for b in range(2):
            for k in range(4):
                assert matrix[k + 4 * a, k + 4 * b] == blocks[a, b, k, 0]
    assert np.count_nonzero(matrix) == 16
