"""Constant-velocity Kalman filter in image space (SPEC.md section 3).

The state is the 8-vector (cx, cy, a, h, vcx, vcy, va, vh): box centre,
aspect ratio w / h and height in pixels, and their velocities in pixels per
frame. Measurements are the first four components (``xyah``). The filter is
stateless: every method takes and returns ``(mean, covariance)`` so each track
owns its own state.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.linalg

FloatArray = npt.NDArray[np.float64]

#: 0.95 quantile of the chi-square distribution for 1..9 degrees of freedom,
#: the gating thresholds of the squared Mahalanobis distance.
CHI2INV95 = {
    1: 3.8415,
    2: 5.9915,
    3: 7.8147,
    4: 9.4877,
    5: 11.070,
    6: 12.592,
    7: 14.067,
    8: 15.507,
    9: 16.919,
}


class KalmanFilter:
    """Kalman filter for boxes moving at constant velocity (dt = 1 frame).

    Process and measurement noise scale with the box height, so that a
    50-pixel and a 500-pixel person get the same relative uncertainty.

    Parameters
    ----------
    std_weight_position : float
        Standard deviation of position noise per pixel of height (1/20).
    std_weight_velocity : float
        Standard deviation of velocity noise per pixel of height (1/160).
    """

    ndim = 4

    def __init__(self, std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160) -> None:
        if std_weight_position <= 0 or std_weight_velocity <= 0:
            raise ValueError("noise weights must be positive")
        ndim = self.ndim
        self._motion_mat = np.eye(2 * ndim)
        self._motion_mat[:ndim, ndim:] = np.eye(ndim)  # x += v * dt, dt = 1
        self._update_mat = np.eye(ndim, 2 * ndim)
        self._std_weight_position = std_weight_position
        self._std_weight_velocity = std_weight_velocity

    def initiate(self, measurement: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Create a track state from an unassociated measurement.

        Parameters
        ----------
        measurement : array-like of shape (4,)
            Box (cx, cy, a, h).

        Returns
        -------
        mean : ndarray of shape (8,)
            Position = measurement, velocity = 0.
        covariance : ndarray of shape (8, 8)
            Diagonal, ``std = [2p h, 2p h, 1e-2, 2p h, 10v h, 10v h, 1e-5, 10v h]``.
        """
        mean_pos = np.asarray(measurement, dtype=np.float64)
        mean = np.r_[mean_pos, np.zeros_like(mean_pos)]
        h = mean_pos[3]
        p, v = self._std_weight_position, self._std_weight_velocity
        std = [2 * p * h, 2 * p * h, 1e-2, 2 * p * h, 10 * v * h, 10 * v * h, 1e-5, 10 * v * h]
        return mean, np.diag(np.square(std))

    def predict(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Run the prediction step: ``x = F x``, ``P = F P F^T + Q``.

        Parameters
        ----------
        mean : ndarray of shape (8,)
        covariance : ndarray of shape (8, 8)

        Returns
        -------
        mean, covariance : ndarray of shape (8,), ndarray of shape (8, 8)
            The predicted state; ``Q`` scales with the current height ``mean[3]``.
        """
        h = mean[3]
        p, v = self._std_weight_position, self._std_weight_velocity
        std = [p * h, p * h, 1e-2, p * h, v * h, v * h, 1e-5, v * h]
        motion_cov = np.diag(np.square(std))
        mean = np.dot(self._motion_mat, mean)
        covariance = np.linalg.multi_dot((self._motion_mat, covariance, self._motion_mat.T)) + motion_cov
        return mean, covariance

    def project(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project the state to measurement space: ``H x``, ``S = H P H^T + R``.

        Returns
        -------
        mean : ndarray of shape (4,)
        covariance : ndarray of shape (4, 4)
        """
        h = mean[3]
        p = self._std_weight_position
        innovation_cov = np.diag(np.square([p * h, p * h, 1e-1, p * h]))
        mean = np.dot(self._update_mat, mean)
        covariance = np.linalg.multi_dot((self._update_mat, covariance, self._update_mat.T))
        return mean, covariance + innovation_cov

    def update(
        self, mean: FloatArray, covariance: FloatArray, measurement: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Run the correction step with a measurement (cx, cy, a, h).

        The Kalman gain ``K = P H^T S^-1`` is computed by a Cholesky solve.

        Returns
        -------
        mean, covariance : ndarray of shape (8,), ndarray of shape (8, 8)
        """
        projected_mean, projected_cov = self.project(mean, covariance)
        chol_factor, lower = scipy.linalg.cho_factor(projected_cov, lower=True, check_finite=False)
        kalman_gain = scipy.linalg.cho_solve(
            (chol_factor, lower), np.dot(covariance, self._update_mat.T).T, check_finite=False
        ).T
        innovation = np.asarray(measurement, dtype=np.float64) - projected_mean
        new_mean = mean + np.dot(innovation, kalman_gain.T)
        new_covariance = covariance - np.linalg.multi_dot((kalman_gain, projected_cov, kalman_gain.T))
        return new_mean, new_covariance

    def gating_distance(
        self,
        mean: FloatArray,
        covariance: FloatArray,
        measurements: npt.ArrayLike,
        only_position: bool = False,
    ) -> FloatArray:
        """Squared Mahalanobis distance between the state and measurements.

        Parameters
        ----------
        mean : ndarray of shape (8,)
        covariance : ndarray of shape (8, 8)
        measurements : array-like of shape (N, 4)
            Boxes (cx, cy, a, h).
        only_position : bool
            Use only (cx, cy); compare against ``CHI2INV95[2]`` instead of ``[4]``.

        Returns
        -------
        ndarray of shape (N,)
            Squared Mahalanobis distances, chi-square distributed with 4 (or 2)
            degrees of freedom under the filter's model.
        """
        mean, covariance = self.project(mean, covariance)
        measurements = np.asarray(measurements, dtype=np.float64)
        if only_position:
            mean, covariance = mean[:2], covariance[:2, :2]
            measurements = measurements[:, :2]
        cholesky_factor = np.linalg.cholesky(covariance)
        d = measurements - mean
        z = scipy.linalg.solve_triangular(cholesky_factor, d.T, lower=True, check_finite=False, overwrite_b=True)
        return np.sum(z * z, axis=0)
