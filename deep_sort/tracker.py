"""The multi-target tracker: predict, associate, update.

Per frame, :meth:`Tracker.predict` moves every track's Kalman state one frame
ahead, then :meth:`Tracker.update` associates the frame's detections with the
tracks as in the paper:

1. Matching cascade: confirmed tracks, most recently updated first, against
   the detections by appearance (the smallest cosine distance to the track's
   gallery), with pairs outside the Kalman gate (squared Mahalanobis
   distance above ``CHI2INV95[4]``) excluded.
2. IoU stage: the tentative tracks and the confirmed ones updated in the
   previous frame but not matched in the cascade, against the remaining
   detections by ``1 - IoU``.
3. Matched tracks are updated (Kalman correction, hit counted, confirmed at
   ``n_init`` hits), unmatched ones marked missed (tentative ones and those
   not updated for more than ``max_age`` frames are deleted), and each
   remaining detection starts a tentative track with the next id.
4. The descriptors of matched and new tracks join their galleries.

The tracker keeps its tracks as arrays, one element (or column) per track,
oldest track first: the order of the published tracker's list.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from .boxes import xyah_to_tlwh
from .detection import Detection, Detections
from .iou_matching import iou, iou_cost
from .kalman_filter import CHI2INV95, KalmanFilter
from .linear_assignment import INFTY_COST, matching_cascade, min_cost_matching
from .nn_matching import NearestNeighborDistanceMetric
from .track import Track, TrackState

# Plain ints for comparisons with the state array (enum members are slow there).
_TENTATIVE, _CONFIRMED, _DELETED = int(TrackState.Tentative), int(TrackState.Confirmed), int(TrackState.Deleted)
# Rows of Tracker._counters.
_ID, _STATE, _HITS, _AGE, _TIME_SINCE_UPDATE = range(5)


class Tracker:
    """DeepSORT's multi-target tracker.

    Call :meth:`predict` once per frame, then :meth:`update` with that
    frame's detections (possibly none).

    Parameters
    ----------
    metric : NearestNeighborDistanceMetric or None
        Appearance metric of the matching cascade. None tracks detections
        without descriptors (motion-only): the cascade then uses the gated
        ``1 - IoU`` cost with threshold ``max_iou_distance``.
    max_iou_distance : float
        Largest ``1 - IoU`` of an association in the IoU stage, in [0, 1].
    max_age : int
        Frames a confirmed track survives without update; also the cascade depth.
    n_init : int
        Hits that confirm a track.

    Attributes
    ----------
    track_id, state, hits, age, time_since_update : ndarray of shape (N,), int64
        Per live track (see :class:`~deep_sort.track.Track`); ``state``
        holds :class:`~deep_sort.track.TrackState` values. Views of the
        tracker's own arrays: read them, do not modify them.
    mean : ndarray of shape (8, N), float64
    covariance : ndarray of shape (2, 2, 4, N), float64
        Kalman states (see :mod:`deep_sort.kalman_filter`).

    Examples
    --------
    >>> tracker = Tracker(None, n_init=2)
    >>> for x in (10.0, 12.0, 14.0):
    ...     tracker.predict()
    ...     associations = tracker.update(Detections([[x, 20, 30, 60]], [0.9]))
    >>> tracker.tracks
    [Track(id=1, state=Confirmed, hits=3, age=3, time_since_update=0)]
    """

    def __init__(
        self,
        metric: NearestNeighborDistanceMetric | None,
        max_iou_distance: float = 0.7,
        max_age: int = 30,
        n_init: int = 3,
    ) -> None:
        if not 0 <= max_iou_distance <= 1:
            raise ValueError(f"max_iou_distance must be in [0, 1], got {max_iou_distance!r}")
        if int(max_age) != max_age or max_age < 1:
            raise ValueError(f"max_age must be a positive integer, got {max_age!r}")
        if int(n_init) != n_init or n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {n_init!r}")
        self.metric = metric
        self.max_iou_distance = max_iou_distance
        self.max_age = int(max_age)
        self.n_init = int(n_init)
        self.kf = KalmanFilter()
        self.reset()

    def reset(self) -> None:
        """Forget all tracks and galleries; ids start again at 1."""
        self.mean, self.covariance = self.kf.initiate(np.zeros((0, 4)))
        # track_id, state, hits, age, time_since_update (rows) of each track (columns)
        self._counters = np.zeros((5, 0), np.int64)
        self._next_id = 1
        if self.metric is not None:
            self.metric.partial_fit(np.zeros((0, 0)), [], [])

    counters = property(lambda self: self._counters, doc="The rows below stacked, shape (5, N).")
    track_id = property(lambda self: self._counters[_ID], doc="Track ids, shape (N,).")
    state = property(lambda self: self._counters[_STATE], doc="TrackState values, shape (N,).")
    hits = property(lambda self: self._counters[_HITS], doc="Hits, shape (N,).")
    age = property(lambda self: self._counters[_AGE], doc="Ages in frames, shape (N,).")
    time_since_update = property(lambda self: self._counters[_TIME_SINCE_UPDATE],
                                 doc="Frames since the last update, shape (N,).")

    @property
    def tracks(self) -> list[Track]:
        """The live tracks, oldest first, as :class:`~deep_sort.track.Track` snapshots."""
        return [Track(self, row) for row in range(self._counters.shape[1])]

    def to_tlwh(self) -> npt.NDArray[np.float64]:
        """Return the box of every live track's state as (left, top, w, h), shape (N, 4)."""
        return xyah_to_tlwh(self.mean[:4].T)

    def reported(self) -> npt.NDArray[np.intp]:
        """Positions of the tracks the published app writes: confirmed, updated in this or the previous frame."""
        return ((self._counters[_STATE] == _CONFIRMED) & (self._counters[_TIME_SINCE_UPDATE] <= 1)).nonzero()[0]

    def predict(self) -> None:
        """Propagate every track one frame ahead. Call once per frame, before :meth:`update`."""
        self.mean, self.covariance = self.kf.predict(self.mean, self.covariance)
        self._counters[_AGE:] += 1  # age and time_since_update

    def update(self, detections: Detections | Sequence[Detection]) -> list[tuple[int, int]]:
        """Associate the frame's detections, update the tracks, start new ones.

        Parameters
        ----------
        detections : Detections or sequence of Detection
            This frame's detections, in the order that decides new track ids.

        Returns
        -------
        list of (int, int)
            ``(track_id, detection_index)`` of every track this frame updated
            (matching cascade, then IoU stage) and then of every new track.
        """
        if not isinstance(detections, Detections):
            detections = Detections.from_list(detections)
        xyah = detections.to_xyah()
        # Descriptors as the metric compares them (normalised), prepared once.
        features = None if self.metric is None else self.metric.prepare(detections.feature)
        matches, unmatched_tracks, unmatched_detections = self._match(detections, xyah, features)
        updated = np.array([k for k, _ in matches], dtype=np.intp)
        used = [d for _, d in matches]
        associations = list(zip(self._counters[_ID].take(updated).tolist(), used))
        self._update_tracks(updated, xyah.take(used, axis=0))
        self._mark_missed(np.array(unmatched_tracks, dtype=np.intp))
        new_ids = self._initiate_tracks(xyah.take(unmatched_detections, axis=0))
        associations += zip(new_ids, unmatched_detections)
        self._remove_deleted_tracks()
        if self.metric is not None:
            # Galleries of tentative tracks are kept too, but only used once
            # they are confirmed: the published tracker holds those
            # descriptors in the track until then, with the same result.
            self.metric.partial_fit(features.take(used + unmatched_detections, axis=0),
                                    [track_id for track_id, _ in associations], self._counters[_ID].tolist(),
                                    prepared=True)
        return associations

    # ------------------------------------------------------------------ association

    def _match(
        self, detections: Detections, xyah: npt.NDArray[np.float64], features: npt.NDArray[np.float32] | None
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """Matching cascade on the confirmed tracks, then the IoU stage; positions, not ids."""
        is_confirmed = self._counters[_STATE] == _CONFIRMED
        confirmed = is_confirmed.nonzero()[0]
        time_since_update = self._counters[_TIME_SINCE_UPDATE].tolist()
        threshold = self.max_iou_distance if self.metric is None else self.metric.matching_threshold
        predicted_tlwh = self.to_tlwh()
        matches_a, unmatched_tracks_a, unmatched_detections = matching_cascade(
            self._gated_metric(confirmed, detections, xyah, features, predicted_tlwh, threshold), threshold,
            self.max_age,
            time_since_update, confirmed.tolist(), range(len(detections)))

        iou_track_candidates = (~is_confirmed).nonzero()[0].tolist() + [
            k for k in unmatched_tracks_a if time_since_update[k] == 1]
        unmatched_tracks_a = [k for k in unmatched_tracks_a if time_since_update[k] != 1]
        matches_b, unmatched_tracks_b, unmatched_detections = min_cost_matching(
            lambda rows, cols: iou_cost(predicted_tlwh.take(rows, axis=0),
                                        self._counters[_TIME_SINCE_UPDATE].take(rows),
                                        detections.tlwh.take(cols, axis=0)),
            self.max_iou_distance, iou_track_candidates, unmatched_detections)
        return matches_a + matches_b, unmatched_tracks_a + unmatched_tracks_b, unmatched_detections

    def _gated_metric(
        self,
        confirmed: npt.NDArray[np.intp],
        detections: Detections,
        xyah: npt.NDArray[np.float64],
        features: npt.NDArray[np.float32] | None,
        predicted_tlwh: npt.NDArray[np.float64],
        threshold: float,
    ) -> Callable[[list[int], list[int]], npt.NDArray[np.float64] | None]:
        """The matching cascade's cost: appearance distance, ``INFTY_COST`` outside the Kalman gate.

        Returns ``(track_indices, detection_indices) -> cost_matrix``, or None
        when none of the tracks has a pair with a cost at most ``threshold``
        (the level's matrix is then constant after thresholding). In
        motion-only mode (``features`` None) the cost is ``1 - IoU`` of the
        predicted box.
        Distances do not depend on the cascade level, so they are computed
        once per frame, for the pairs inside the gate only.
        """
        cost_matrix = np.full((self._counters.shape[1], len(detections)), INFTY_COST)
        if len(confirmed) and len(detections):
            rows, cols = self.kf.gate(self.mean.take(confirmed, axis=1), self.covariance.take(confirmed, axis=3),
                                      xyah, CHI2INV95[4])
            rows = confirmed.take(rows)
            if features is None:
                cost = 1.0 - iou(predicted_tlwh, detections.tlwh)[rows, cols]
            else:
                cost = self.metric.distance(features, self._counters[_ID].take(rows).tolist(), pairs=cols,
                                            prepared=True)
            cost_matrix[rows, cols] = cost
            # Tracks with a pair that can be matched (NaN counts: the solver rejects it).
            feasible = set(rows[(cost > threshold).__invert__()].tolist())
        else:
            feasible = set()

        def gated_metric(track_indices: list[int], detection_indices: list[int]) -> npt.NDArray[np.float64] | None:
            if feasible.isdisjoint(track_indices):
                return None
            return cost_matrix.take(track_indices, axis=0).take(detection_indices, axis=1)

        return gated_metric

    # ------------------------------------------------------------------ track management

    def _update_tracks(self, rows: npt.NDArray[np.intp], measurements: npt.NDArray[np.float64]) -> None:
        """Kalman-correct the tracks at ``rows`` with ``measurements`` (K, 4) xyah; count the hits."""
        if not len(rows):
            return
        self.mean[:, rows], self.covariance[..., rows] = self.kf.update(
            self.mean.take(rows, axis=1), self.covariance.take(rows, axis=3), measurements)
        counters = self._counters.take(rows, axis=1)
        counters[_HITS] += 1
        counters[_TIME_SINCE_UPDATE] = 0
        counters[_STATE, (counters[_STATE] == _TENTATIVE) & (counters[_HITS] >= self.n_init)] = _CONFIRMED
        self._counters[:, rows] = counters

    def _mark_missed(self, rows: npt.NDArray[np.intp]) -> None:
        """Delete tentative tracks at ``rows`` and those not updated for more than ``max_age`` frames."""
        if not len(rows):
            return
        counters = self._counters.take(rows, axis=1)
        dead = (counters[_STATE] == _TENTATIVE) | (counters[_TIME_SINCE_UPDATE] > self.max_age)
        self._counters[_STATE, rows[dead]] = _DELETED

    def _initiate_tracks(self, measurements: npt.NDArray[np.float64]) -> range:
        """Start a tentative track per row of ``measurements`` (K, 4) xyah; return their ids."""
        n = len(measurements)
        ids = range(self._next_id, self._next_id + n)
        if n:
            mean, covariance = self.kf.initiate(measurements)
            self.mean = np.concatenate([self.mean, mean], axis=1)
            self.covariance = np.concatenate([self.covariance, covariance], axis=3)
            counters = np.array([ids, [_TENTATIVE] * n, [1] * n, [1] * n, [0] * n], dtype=np.int64)
            self._counters = np.concatenate([self._counters, counters], axis=1)
            self._next_id += n
        return ids

    def _remove_deleted_tracks(self) -> None:
        alive = self._counters[_STATE] != _DELETED
        if alive.all():
            return
        self.mean, self.covariance = self.mean[:, alive], self.covariance[..., alive]
        self._counters = self._counters[:, alive]
