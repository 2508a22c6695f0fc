"""Constant-velocity Kalman filter in image space (SPEC.md section 3).

The state is the 8-vector (cx, cy, a, h, vcx, vcy, va, vh): box centre,
aspect ratio w / h and height in pixels, and their velocities in pixels per
frame. Measurements are the first four components (``xyah``). The filter is
stateless: every method takes and returns ``(mean, covariance)`` so each track
owns its own state.

The per-track methods (:meth:`KalmanFilter.predict`, ``project``, ``update``,
``gating_distance``) are the readable reference. The ``batch_*`` methods do
the same for a stack of N states at once (the tracker's hot path) and give
bitwise the same numbers for the states the filter itself produces (see
:func:`is_axis_decoupled`); for arbitrary covariances ``batch_update`` and
``batch_gating_distance`` solve the same Cholesky systems with numpy and may
differ in the last bits.

Stacks are passed as (N, 8) and (N, 8, 8) arrays of any memory layout. The
batched methods compute with the batch axis innermost ("structure of
arrays": every operation runs over N contiguous numbers instead of N tiny
8 x 8 blocks) and return views of such arrays, so feeding a result back in
costs no copy.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from . import compiled

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
        # Per-height noise weights of the batched forms (the constant entries,
        # 1e-2 / 1e-5 / 1e-1, are set separately, as the reference has them).
        p, v = std_weight_position, std_weight_velocity
        self._initial_std_weights = np.array([2 * p, 2 * p, 0, 2 * p, 10 * v, 10 * v, 0, 10 * v])
        self._motion_std_weights = np.array([p, p, 0, p, v, v, 0, v])
        self._innovation_std_weights = np.array([p, p, 0, p])

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
        import scipy.linalg  # only the per-track reference needs it (slow to import)

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
        import scipy.linalg  # only the per-track reference needs it (slow to import)

        mean, covariance = self.project(mean, covariance)
        measurements = np.asarray(measurements, dtype=np.float64)
        if only_position:
            mean, covariance = mean[:2], covariance[:2, :2]
            measurements = measurements[:, :2]
        cholesky_factor = np.linalg.cholesky(covariance)
        d = measurements - mean
        z = scipy.linalg.solve_triangular(cholesky_factor, d.T, lower=True, check_finite=False, overwrite_b=True)
        return np.sum(z * z, axis=0)

    # ------------------------------------------------------------------ batched forms

    def batch_initiate(self, measurements: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """:meth:`initiate` for N measurements at once (bitwise identical).

        Parameters
        ----------
        measurements : array-like of shape (N, 4)
            Boxes (cx, cy, a, h).

        Returns
        -------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)
        """
        return _from_stacked(*self.initiate_stacked(measurements))

    def batch_predict(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """:meth:`predict` for N states at once (bitwise identical).

        Parameters
        ----------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)

        Returns
        -------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)
            New arrays; the inputs are not modified.
        """
        return _from_stacked(*self.predict_stacked(*_to_stacked(mean, covariance)))

    def batch_project(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """:meth:`project` for N states at once (bitwise identical).

        Returns
        -------
        mean : ndarray of shape (N, 4)
        covariance : ndarray of shape (N, 4, 4)
        """
        mean, covariance = _to_stacked(mean, covariance)
        n = mean.shape[1]
        projected_cov = covariance[:4, :4].copy()
        projected_cov.reshape(16, n)[::5] += self._innovation_var(mean)
        return mean[:4].T.copy(), projected_cov.transpose(2, 0, 1)

    def batch_update(
        self, mean: FloatArray, covariance: FloatArray, measurements: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`update` for N (state, measurement) pairs at once.

        Parameters
        ----------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)
        measurements : array-like of shape (N, 4)
            Row i corrects state i; boxes (cx, cy, a, h).

        Returns
        -------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)
            New arrays; the inputs are not modified.
        """
        return _from_stacked(*self.update_stacked(*_to_stacked(mean, covariance), measurements))

    def batch_gating_distance(
        self,
        mean: FloatArray,
        covariance: FloatArray,
        measurements: npt.ArrayLike,
        only_position: bool = False,
    ) -> FloatArray:
        """:meth:`gating_distance` of N states to M measurements at once.

        Parameters
        ----------
        mean : ndarray of shape (N, 8)
        covariance : ndarray of shape (N, 8, 8)
        measurements : array-like of shape (M, 4)
            Boxes (cx, cy, a, h).
        only_position : bool
            Use only (cx, cy).

        Returns
        -------
        ndarray of shape (N, M)
            Entry (i, j): squared Mahalanobis distance of measurement j to state i.
        """
        return self.gating_distance_stacked(*_to_stacked(mean, covariance), measurements, only_position)

    # The same in the tracker's layout: mean (8, N), covariance (8, 8, N),
    # C-contiguous float64 (batch axis last); results are new arrays.

    def initiate_stacked(self, measurements: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """:meth:`batch_initiate`, returning mean (8, N) and covariance (8, 8, N)."""
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        n = len(measurements)
        mean = np.zeros((8, n))
        mean[:4] = measurements.T
        std = self._initial_std_weights[:, None] * mean[3]
        std[2], std[6] = 1e-2, 1e-5
        covariance = np.zeros((8, 8, n))
        covariance.reshape(64, n)[::9] = np.square(std)
        return mean, covariance

    def predict_stacked(self, mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
        """:meth:`batch_predict` for mean (8, N) and covariance (8, 8, N).

        ``F`` only adds velocity rows/columns to position rows/columns, so
        ``F P F^T`` is two strided additions, in the order ``multi_dot`` uses
        (``F (P F^T)``).
        """
        if compiled.speedups is not None and _float64_stacks(mean, covariance):
            new_mean, new_covariance = mean.copy(), covariance.copy()
            compiled.speedups.kalman_predict(
                new_mean, new_covariance, self._std_weight_position, self._std_weight_velocity)
            return new_mean, new_covariance
        n = mean.shape[1]
        motion_std = self._motion_std_weights[:, None] * mean[3]
        motion_std[2], motion_std[6] = 1e-2, 1e-5
        new_mean = mean.copy()
        new_mean[:4] += mean[4:]
        new_covariance = covariance.copy()
        new_covariance[:, :4] += covariance[:, 4:]  # P F^T
        new_covariance[:4] += new_covariance[4:]  # F (P F^T)
        new_covariance.reshape(64, n)[::9] += np.square(motion_std)
        return new_mean, new_covariance

    def update_stacked(
        self, mean: FloatArray, covariance: FloatArray, measurements: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`batch_update` for mean (8, N), covariance (8, 8, N) and measurements (N, 4)."""
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        if compiled.speedups is not None and _float64_stacks(mean, covariance):
            new_mean, new_covariance = mean.copy(), covariance.copy()
            if compiled.speedups.kalman_update(
                    new_mean, new_covariance, np.ascontiguousarray(measurements), self._std_weight_position):
                return new_mean, new_covariance
        if not _is_axis_decoupled_stacked(covariance):
            new_mean, new_covariance = self._batch_update_general(
                mean.T, covariance.transpose(2, 0, 1), measurements)
            return _to_stacked(new_mean, new_covariance)
        # S is diagonal, so the Cholesky solve of the reference reduces to
        # two multiplications by 1 / sqrt(S_kk) per row (as LAPACK's
        # triangular solves do), and every product in P H^T, K and K S K^T
        # has a single non-zero term: the results are bitwise those of update().
        blocks = _axis_blocks(covariance)  # blocks[a, b, k] = P[k + 4a, k + 4b]
        s = blocks[0, 0] + self._innovation_var(mean)
        inv_sqrt = 1.0 / np.sqrt(s)
        # gain[a, k] = K[k + 4a, k], from (P H^T)[k + 4a, k] = P[k + 4a, k]
        gain = blocks[:, 0] * inv_sqrt * inv_sqrt
        new_mean = mean.copy()
        new_mean.reshape(2, 4, -1)[:] += (measurements.T - mean[:4]) * gain
        new_covariance = covariance.copy()
        # K S K^T = K (S K^T); (S K^T)[k, k + 4b] = S_kk K[k + 4b, k]
        _axis_blocks(new_covariance)[:] -= gain[:, None] * (s * gain)[None, :]
        return new_mean, new_covariance

    def gating_distance_stacked(
        self,
        mean: FloatArray,
        covariance: FloatArray,
        measurements: npt.ArrayLike,
        only_position: bool = False,
    ) -> FloatArray:
        """:meth:`batch_gating_distance` for mean (8, N) and covariance (8, 8, N); returns (N, M)."""
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        n_dims = 2 if only_position else 4
        if not _is_axis_decoupled_stacked(covariance):
            return self._batch_gating_distance_general(
                mean.T, covariance.transpose(2, 0, 1), measurements, n_dims)
        # Diagonal S: z_k = d_k / sqrt(S_kk) (times the reciprocal, as the
        # reference's triangular solve does); bitwise gating_distance().
        inv_sqrt = 1.0 / np.sqrt(_axis_blocks(covariance)[0, 0] + self._innovation_var(mean))
        z = measurements.T[:n_dims, None, :] - mean[:n_dims, :, None]
        z *= inv_sqrt[:n_dims, :, None]
        z *= z
        # A reduction over the outer axis adds z[0] + z[1] + ... in order, as
        # the reference's np.sum(z * z, axis=0) over 4 rows does.
        return np.add.reduce(z, axis=0)

    def gated_pairs_stacked(
        self,
        mean: FloatArray,
        covariance: FloatArray,
        columns: list[int],
        measurements: npt.ArrayLike,
        threshold: float = CHI2INV95[4],
    ) -> tuple[list[int], list[int]]:
        """The (state, measurement) pairs inside the gate: gating distance at most ``threshold``.

        Parameters
        ----------
        mean, covariance : ndarray of shape (8, N) and (8, 8, N)
            Stacked states; only the columns ``columns`` are gated.
        columns : list of int
            Row r of the result is state ``columns[r]``.
        measurements : array-like of shape (M, 4)
            Boxes (cx, cy, a, h).
        threshold : float
            Default: ``CHI2INV95[4]``, the tracker's gate.

        Returns
        -------
        rows, measurement_indices : list of int
            The pairs with ``not gating_distance > threshold`` (a NaN
            distance counts as inside, as in the published
            ``gate_cost_matrix``), row by row, measurements in order.
        """
        measurements = np.asarray(measurements, dtype=np.float64).reshape(-1, 4)
        if compiled.speedups is not None and type(self) is KalmanFilter and _float64_stacks(mean, covariance):
            # The operations of gating_distance_stacked, without the (N, M) matrix.
            pairs = compiled.speedups.gate(
                mean, covariance, columns, np.ascontiguousarray(measurements), self._std_weight_position, threshold)
            if pairs is not None:  # None: a covariance couples axes
                return pairs
        distance = self.gating_distance_stacked(mean.take(columns, axis=1), covariance.take(columns, axis=2),
                                                measurements)
        rows, measurement_indices = np.nonzero(~(distance > threshold))
        return rows.tolist(), measurement_indices.tolist()

    def _batch_update_general(
        self, mean: FloatArray, covariance: FloatArray, measurements: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        mean, covariance = np.ascontiguousarray(mean), np.ascontiguousarray(covariance)
        projected_mean, projected_cov = self.batch_project(mean, covariance)
        projected_cov = np.ascontiguousarray(projected_cov)
        cholesky_factor = np.linalg.cholesky(projected_cov)
        # K^T = S^-1 (P H^T)^T, i.e. the Cholesky solve of the reference.
        gain_t = _cholesky_solve(cholesky_factor, covariance[:, :4, :])
        innovation = measurements - projected_mean
        new_mean = mean + np.matmul(innovation[:, None, :], gain_t)[:, 0, :]
        kalman_gain = gain_t.transpose(0, 2, 1)
        new_covariance = covariance - np.matmul(kalman_gain, np.matmul(projected_cov, gain_t))
        return new_mean, new_covariance

    def _batch_gating_distance_general(
        self, mean: FloatArray, covariance: FloatArray, measurements: FloatArray, n_dims: int
    ) -> FloatArray:
        projected_mean, projected_cov = self.batch_project(mean, covariance)
        projected_mean = projected_mean[:, :n_dims]
        projected_cov = np.ascontiguousarray(projected_cov[:, :n_dims, :n_dims])
        cholesky_factor = np.linalg.cholesky(projected_cov)
        # d[i, k, j]: component k of measurement j minus state i's projection.
        d = measurements[:, :n_dims].T[None, :, :] - projected_mean[:, :, None]
        z = _forward_substitution(cholesky_factor, d)
        return np.sum(z * z, axis=1)

    def _innovation_var(self, mean: FloatArray) -> FloatArray:
        """Diagonal of R per state, shape (4, N) for a mean of shape (8, N): ``[p h, p h, 1e-1, p h]^2``."""
        innovation_std = self._innovation_std_weights[:, None] * mean[3]
        innovation_std[2] = 1e-1
        return np.square(innovation_std)


def _to_stacked(mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
    """C-contiguous batch-last arrays (8, N), (8, 8, N) of (N, 8), (N, 8, 8) stacks (no copy if they already are)."""
    return (
        np.ascontiguousarray(np.asarray(mean, dtype=np.float64).T),
        np.ascontiguousarray(np.asarray(covariance, dtype=np.float64).transpose(1, 2, 0)),
    )


def _from_stacked(mean: FloatArray, covariance: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Views (N, 8), (N, 8, 8) of batch-last arrays (8, N), (8, 8, N)."""
    return mean.T, covariance.transpose(2, 0, 1)


#: Entries (i, j) of an 8 x 8 covariance that couple different axes
#: (i mod 4 != j mod 4). The filter never creates them: from a diagonal
#: initial covariance they stay exactly zero.
_CROSS_AXIS = np.flatnonzero([[i % 4 != j % 4 for j in range(8)] for i in range(8)])


def is_axis_decoupled(covariance: FloatArray) -> bool:
    """Return True if every covariance in the stack has zero cross-axis entries.

    Parameters
    ----------
    covariance : ndarray of shape (N, 8, 8)

    Returns
    -------
    bool
        True when each axis k (cx, cy, a, h) only correlates with its own
        velocity (entries (k, k), (k, k+4), (k+4, k), (k+4, k+4)), as for
        every state this filter produces from :meth:`KalmanFilter.initiate`.
        The batched update and gating then reproduce the per-track methods
        bit for bit.
    """
    return _is_axis_decoupled_stacked(_to_stacked(np.zeros((len(covariance), 8)), covariance)[1])


def _float64_stacks(mean: np.ndarray, covariance: np.ndarray) -> bool:
    """True for float64 stacks of the shapes (8, N), (8, 8, N) the compiled steps take."""
    return (mean.dtype == np.float64 and covariance.dtype == np.float64 and mean.ndim == 2
            and covariance.ndim == 3 and mean.shape[0] == 8 and covariance.shape[:2] == (8, 8))


def _is_axis_decoupled_stacked(covariance: FloatArray) -> bool:
    return not covariance.reshape(64, -1)[_CROSS_AXIS].any()


def _axis_blocks(covariance: FloatArray) -> FloatArray:
    """Writable view (2, 2, 4, N) of the per-axis 2 x 2 blocks of batch-last covariances (8, 8, N).

    ``blocks[a, b, k, n] = P[k + 4a, k + 4b]`` of state n: for axis k,
    ``[[P_kk, P_k,k+4], [P_k+4,k, P_k+4,k+4]]``. ``covariance`` must be
    C-contiguous float64.
    """
    n = covariance.shape[2]
    row = n * covariance.itemsize
    return np.ndarray((2, 2, 4, n), covariance.dtype, covariance, 0, (32 * row, 4 * row, 9 * row, covariance.itemsize))


def _forward_substitution(lower: FloatArray, b: FloatArray) -> FloatArray:
    """Solve ``L z = b`` for stacks of small lower-triangular ``L``.

    Parameters
    ----------
    lower : ndarray of shape (N, k, k)
    b : ndarray of shape (N, k, M)

    Returns
    -------
    ndarray of shape (N, k, M)
    """
    z = np.empty_like(b)
    for i in range(lower.shape[1]):
        row = b[:, i, :]
        if i:
            row = row - np.matmul(lower[:, i:i + 1, :i], z[:, :i, :])[:, 0, :]
        z[:, i, :] = row / lower[:, i, i, None]
    return z


def _cholesky_solve(lower: FloatArray, b: FloatArray) -> FloatArray:
    """Solve ``L L^T x = b`` for stacks of small systems (forward, then back substitution).

    Parameters
    ----------
    lower : ndarray of shape (N, k, k)
        Lower Cholesky factors.
    b : ndarray of shape (N, k, M)

    Returns
    -------
    ndarray of shape (N, k, M)
    """
    y = _forward_substitution(lower, b)
    x = np.empty_like(y)
    k = lower.shape[1]
    for i in reversed(range(k)):
        row = y[:, i, :]
        if i < k - 1:
            # (L^T)[i, i+1:] = L[i+1:, i]
            row = row - np.matmul(lower[:, i + 1:, i][:, None, :], x[:, i + 1:, :])[:, 0, :]
        x[:, i, :] = row / lower[:, i, i, None]
    return x
