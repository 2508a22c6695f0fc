"""KalmanFilter against values computed by hand from SPEC.md section 3."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.kalman_filter import CHI2INV95, KalmanFilter

# A 100 px tall box: std_pos = h/20 = 5 px, std_vel = h/160 = 0.625 px/frame.
MEASUREMENT = np.array([100.0, 200.0, 0.5, 100.0])


def test_initiate_mean_and_covariance():
    mean, cov = KalmanFilter().initiate(MEASUREMENT)
    np.testing.assert_array_equal(mean, [100, 200, 0.5, 100, 0, 0, 0, 0])
    # std = [2p h, 2p h, 1e-2, 2p h, 10v h, 10v h, 1e-5, 10v h] = [10, 10, .01, 10, 6.25, 6.25, 1e-5, 6.25]
    expected = np.diag(np.square([10, 10, 1e-2, 10, 6.25, 6.25, 1e-5, 6.25]))
    np.testing.assert_allclose(cov, expected)


def test_predict_by_hand():
    kf = KalmanFilter()
    mean, cov = kf.initiate(MEASUREMENT)
    mean = mean.copy()
    mean[4] = 3.0  # moving right 3 px / frame
    mean, cov = kf.predict(mean, cov)
    assert mean[0] == pytest.approx(103.0)
    # P00 = 100 (position) + 39.0625 (velocity carried over) + 25 (Q, (h/20)^2)
    assert cov[0, 0] == pytest.approx(164.0625)
    assert cov[0, 4] == pytest.approx(39.0625)
    # P44 = 39.0625 + (h/160)^2
    assert cov[4, 4] == pytest.approx(39.0625 + 0.390625)
    assert cov[2, 2] == pytest.approx(1e-4 + 1e-4)


def test_project_adds_measurement_noise():
    kf = KalmanFilter()
    mean, cov = kf.initiate(MEASUREMENT)
    projected_mean, projected_cov = kf.project(mean, cov)
    np.testing.assert_array_equal(projected_mean, MEASUREMENT)
    np.testing.assert_allclose(np.diag(projected_cov), [100 + 25, 100 + 25, 1e-4 + 1e-2, 100 + 25])


def test_update_by_hand():
    kf = KalmanFilter()
    mean, cov = kf.predict(*kf.initiate(MEASUREMENT))
    measurement = MEASUREMENT + [10.0, 0.0, 0.0, 0.0]
    new_mean, new_cov = kf.update(mean, cov, measurement)
    s00 = 164.0625 + 25.0  # innovation variance of cx
    assert new_mean[0] == pytest.approx(100 + 10 * 164.0625 / s00)
    assert new_mean[4] == pytest.approx(10 * 39.0625 / s00)
    assert new_mean[1] == pytest.approx(200.0)
    assert new_cov[0, 0] == pytest.approx(164.0625 - 164.0625**2 / s00)
    np.testing.assert_allclose(new_cov, new_cov.T, atol=1e-9)


def test_gating_distance_by_hand():
    kf = KalmanFilter()
    mean, cov = kf.predict(*kf.initiate(MEASUREMENT))
    measurements = np.array([MEASUREMENT, MEASUREMENT + [10.0, 0, 0, 0], MEASUREMENT + [0, 0, 0.1, 0]])
    distances = kf.gating_distance(mean, cov, measurements)
    s00 = 164.0625 + 25.0
    s22 = 2e-4 + 1e-2
    np.testing.assert_allclose(distances, [0.0, 100.0 / s00, 0.01 / s22])
    only_position = kf.gating_distance(mean, cov, measurements, only_position=True)
    np.testing.assert_allclose(only_position, [0.0, 100.0 / s00, 0.0], atol=1e-12)


def test_chi2_thresholds():
    assert CHI2INV95[4] == 9.4877
    assert CHI2INV95[2] == 5.9915


def test_noise_weights_are_parameters():
    mean, cov = KalmanFilter(std_weight_position=0.1).initiate(MEASUREMENT)
    assert cov[0, 0] == pytest.approx((2 * 0.1 * 100) ** 2)
    with pytest.raises(ValueError):
        KalmanFilter(std_weight_position=0)
