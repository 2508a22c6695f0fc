"""Constant-velocity Kalman filter in image space, for many tracks at once.

The state of a track is the 8-vector (cx, cy, a, h, vcx, vcy, va, vh): box
centre, aspect ratio w / h and height in pixels, and their velocities in
pixels per frame; measurements are the first four components (``xyah``).
Process and measurement noise scale with the box height, so that a 50-pixel
and a 500-pixel person get the same relative uncertainty.

Every noise matrix of the model is diagonal and the motion only adds each
velocity to its own position, so the four axes never correlate: the 8 x 8
covariance consists of four independent 2 x 2 blocks, one per axis k,
``[[P[k, k], P[k, k+4]], [P[k+4, k], P[k+4, k+4]]]`` (position variance,
position-velocity covariances, velocity variance). The filter stores exactly
these blocks, and the matrix algebra of the Kalman equations becomes a few
scalar formulas per axis (with the innovation covariance S diagonal, its
Cholesky factor is ``sqrt(S)``). The operations are those of the published
matrix implementation, in the same order, so the results are the same
numbers (``tests/core/test_lockstep.py`` compares them with it).

States are stacks with the track axis last:

- ``mean``: ndarray of shape (8, N), float64; column i is track i's state.
- ``covariance``: ndarray of shape (2, 2, 4, N), float64;
  ``covariance[a, b, k, i] = P_i[k + 4a, k + 4b]`` (:func:`covariance_matrices`
  assembles the 8 x 8 matrices).

The filter itself is stateless: each method takes and returns stacks.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import compiled

FloatArray = npt.NDArray[np.float64]

#: 0.95 quantile of the chi-square distribution for 1..9 degrees of freedom,
#: the gating thresholds of the squared Mahalanobis distance.
CHI2INV95 = {1: 3.8415, 2: 5.9915, 3: 7.8147, 4: 9.4877, 5: 11.070, 6: 12.592, 7: 14.067, 8: 15.507, 9: 16.919}


class KalmanFilter:
    """Kalman filter for boxes moving at constant velocity (dt = 1 frame).

    Parameters
    ----------
    std_weight_position : float
        Standard deviation of position noise per pixel of height (1/20).
    std_weight_velocity : float
        Standard deviation of velocity noise per pixel of height (1/160).

    Examples
    --------
    >>> kf = KalmanFilter()
    >>> mean, covariance = kf.initiate(np.array([[100.0, 200.0, 0.5, 80.0]]))
    >>> mean, covariance = kf.predict(mean, covariance)
    >>> mean, covariance = kf.update(mean, covariance, np.array([[102.0, 200.0, 0.5, 80.0]]))
    >>> mean[:, 0].round(3).tolist()
    [101.736, 200.0, 0.5, 80.0, 0.413, 0.0, 0.0, 0.0]
    >>> kf.gating_distance(mean, covariance, np.array([[102.0, 200.0, 0.5, 80.0]])).round(3).tolist()
    [[0.002]]
    """

    def __init__(self, std_weight_position: float = 1.0 / 20, std_weight_velocity: float = 1.0 / 160) -> None:
        if not std_weight_position > 0 or not std_weight_velocity > 0:
            raise ValueError("noise weights must be positive")
        p, v = std_weight_position, std_weight_velocity
        self._std_weight_position = p
        self._std_weight_velocity = v
        # Standard deviations [position; velocity] x axes, as weight * h +
        # constant: a weight per pixel of height, or (aspect ratio) a constant.
        self._initial_std = (np.array([[2 * p, 2 * p, 0, 2 * p], [10 * v, 10 * v, 0, 10 * v]])[:, :, None],
                             np.array([[0, 0, 1e-2, 0], [0, 0, 1e-5, 0]])[:, :, None])
        self._motion_std = (np.array([[p, p, 0, p], [v, v, 0, v]])[:, :, None],
                            np.array([[0, 0, 1e-2, 0], [0, 0, 1e-5, 0]])[:, :, None])
        self._measurement_std = (np.array([p, p, 0, p])[:, None], np.array([0, 0, 1e-1, 0])[:, None])

    def initiate(self, measurements: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Create track states from unassociated measurements.

        Parameters
        ----------
        measurements : array-like of shape (N, 4)
            Boxes (cx, cy, a, h).

        Returns
        -------
        mean : ndarray of shape (8, N)
            Position = measurement, velocity = 0.
        covariance : ndarray of shape (2, 2, 4, N)
            Diagonal: standard deviations ``2p h`` (position), ``10v h``
            (velocity), 1e-2 and 1e-5 for the aspect ratio.
        """
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        mean = np.zeros((8, len(measurements)))
        mean[:4] = measurements.T
        covariance = np.zeros((2, 2, 4, len(measurements)))
        covariance[0, 0], covariance[1, 1] = self._noise_var(self._initial_std, mean)
        return mean, covariance

    def predict(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Run the prediction step: ``x = F x``, ``P = F P F^T + Q``.

        ``F`` adds each velocity to its position; per axis,
        ``F P F^T = [[pp + pv + vp + vv, pv + vv], [vp + vv, vv]]``. ``Q`` is
        diagonal with standard deviations ``p h`` and ``v h`` (1e-2 and 1e-5
        for the aspect ratio), h the height before the step.

        Parameters
        ----------
        mean : ndarray of shape (8, N)
        covariance : ndarray of shape (2, 2, 4, N)

        Returns
        -------
        mean, covariance
            New arrays of the same shapes.
        """
        if compiled.kernels is not None:
            new_mean, new_covariance = np.array(mean, np.float64, order="C"), np.array(covariance, np.float64, order="C")
            compiled.kernels.kalman_predict(new_mean, new_covariance, self._std_weight_position,
                                            self._std_weight_velocity)
            return new_mean, new_covariance
        noise_var = self._noise_var(self._motion_std, mean)
        new_mean = mean.copy()
        new_mean[:4] += mean[4:]
        (pp, pv), (vp, vv) = covariance
        new_covariance = np.empty_like(covariance)
        new_covariance[0, 0] = (pp + pv) + (vp + vv) + noise_var[0]
        new_covariance[0, 1] = pv + vv
        new_covariance[1, 0] = vp + vv
        new_covariance[1, 1] = vv + noise_var[1]
        return new_mean, new_covariance

    def project(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Project states to measurement space: ``H x`` and ``S = H P H^T + R``.

        Returns
        -------
        mean : ndarray of shape (4, N)
            Projected boxes (cx, cy, a, h).
        variance : ndarray of shape (4, N)
            The diagonal of S (S is diagonal): position variance plus the
            measurement noise, standard deviation ``p h`` (0.1 for the
            aspect ratio).
        """
        return mean[:4], covariance[0, 0] + self._noise_var(self._measurement_std, mean)

    def update(
        self, mean: FloatArray, covariance: FloatArray, measurements: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """Run the correction step; row i of ``measurements`` corrects state i.

        The Kalman gain ``K = P H^T S^-1`` comes from the Cholesky solve with
        ``L = sqrt(S)``: per axis ``K = [pp, vp] / L / L``; then
        ``x += K (z - H x)`` and ``P -= K S K^T``.

        Parameters
        ----------
        mean : ndarray of shape (8, N)
        covariance : ndarray of shape (2, 2, 4, N)
        measurements : array-like of shape (N, 4)
            Boxes (cx, cy, a, h).

        Returns
        -------
        mean, covariance
            New arrays of the same shapes.
        """
        if compiled.kernels is not None:
            new_mean, new_covariance = np.array(mean, np.float64, order="C"), np.array(covariance, np.float64, order="C")
            compiled.kernels.kalman_update(new_mean, new_covariance, np.ascontiguousarray(measurements, np.float64),
                                           self._std_weight_position)
            return new_mean, new_covariance
        projected_mean, projected_var = self.project(mean, covariance)
        inv_sqrt = 1.0 / np.sqrt(projected_var)
        gain = covariance[:, 0] * inv_sqrt * inv_sqrt  # gain[a, k] = K[k + 4a, k]
        innovation = np.asarray(measurements, dtype=np.float64).reshape(-1, 4).T - projected_mean
        new_mean = mean + (innovation * gain).reshape(8, -1)
        new_covariance = covariance - gain[:, None] * (projected_var * gain)[None, :]
        return new_mean, new_covariance

    def gating_distance(
        self, mean: FloatArray, covariance: FloatArray, measurements: npt.ArrayLike, only_position: bool = False
    ) -> FloatArray:
        """Squared Mahalanobis distance between states and measurements.

        Parameters
        ----------
        mean : ndarray of shape (8, N)
        covariance : ndarray of shape (2, 2, 4, N)
        measurements : array-like of shape (M, 4)
            Boxes (cx, cy, a, h).
        only_position : bool
            Use only (cx, cy); compare against ``CHI2INV95[2]`` instead of ``[4]``.

        Returns
        -------
        ndarray of shape (N, M)
            Entry (i, j): squared Mahalanobis distance of measurement j to
            state i, chi-square distributed with 4 (or 2) degrees of freedom
            under the filter's model.
        """
        n_dims = 2 if only_position else 4
        projected_mean, projected_var = self.project(mean, covariance)
        # The triangular solve with L = sqrt(S): z = d / L, as d * (1 / L).
        inv_sqrt = 1.0 / np.sqrt(projected_var[:n_dims])
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        z = measurements.T[:n_dims, None, :] - projected_mean[:n_dims, :, None]
        z *= inv_sqrt[:, :, None]
        z *= z
        return np.add.reduce(z, axis=0)  # z[0] + z[1] + ..., in order

    def gate(
        self, mean: FloatArray, covariance: FloatArray, measurements: npt.ArrayLike, threshold: float = CHI2INV95[4]
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        """The (state, measurement) pairs inside the gate: gating distance at most ``threshold``.

        Parameters
        ----------
        mean : ndarray of shape (8, N)
        covariance : ndarray of shape (2, 2, 4, N)
        measurements : array-like of shape (M, 4)
            Boxes (cx, cy, a, h).
        threshold : float
            Default: ``CHI2INV95[4]``, the tracker's gate.

        Returns
        -------
        rows, cols : ndarray of shape (P,), intp
            State and measurement index of every pair whose
            :meth:`gating_distance` is not above ``threshold`` (NaN counts
            as inside, as in the published code), row by row.
        """
        measurements = np.ascontiguousarray(measurements, dtype=np.float64).reshape(-1, 4)
        if compiled.kernels is not None:
            rows, cols = np.empty((2, mean.shape[1] * len(measurements)), np.intp)
            count = compiled.kernels.gate(np.ascontiguousarray(mean, np.float64),
                                          np.ascontiguousarray(covariance, np.float64), measurements,
                                          self._std_weight_position, threshold, rows, cols)
            return rows[:count], cols[:count]
        return (self.gating_distance(mean, covariance, measurements) > threshold).__invert__().nonzero()

    @staticmethod
    def _noise_var(std: tuple[FloatArray, FloatArray], mean: FloatArray) -> FloatArray:
        """Variances ``(weight * h + constant)^2`` of a noise model, h the height of each state in ``mean``."""
        weight, constant = std
        return np.square(weight * mean[3] + constant)


def covariance_matrices(covariance: FloatArray) -> FloatArray:
    """Assemble 8 x 8 covariance matrices from the per-axis blocks.

    Parameters
    ----------
    covariance : ndarray of shape (2, 2, 4, N)

    Returns
    -------
    ndarray of shape (N, 8, 8)
        Entry ``[i, k + 4a, k + 4b] = covariance[a, b, k, i]``; the rest zero.
    """
    n = covariance.shape[-1]
    matrices = np.zeros((n, 8, 8))
    axes = np.arange(4)
    for a in range(2):
        for b in range(2):
            matrices[:, axes + 4 * a, axes + 4 * b] = covariance[a, b].T
    return matrices
