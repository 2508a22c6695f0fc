"""A single target's track: Kalman state, life cycle and pending features (SPEC.md section 4)."""
from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt

from .boxes import xyah_to_tlwh, tlwh_to_tlbr
from .detection import Detection
from .kalman_filter import KalmanFilter


class TrackState(enum.Enum):
    """Life cycle of a track.

    A track is ``Tentative`` until it has ``n_init`` hits, then ``Confirmed``;
    it is ``Deleted`` when a tentative track misses once or a confirmed track
    has not been updated for more than ``max_age`` frames.
    """

    Tentative = 1
    Confirmed = 2
    Deleted = 3


class Track:
    """A target with a constant-velocity Kalman state in (cx, cy, a, h) space.

    Parameters
    ----------
    mean : ndarray of shape (8,)
        Initial state mean.
    covariance : ndarray of shape (8, 8)
        Initial state covariance.
    track_id : int
        Unique id, starting at 1.
    n_init : int
        Consecutive hits needed to confirm the track.
    max_age : int
        Misses after which a confirmed track is deleted (deleted when
        ``time_since_update > max_age``).
    feature : ndarray of shape (D,), optional
        Appearance descriptor of the detection that started the track.

    Attributes
    ----------
    hits : int
        Number of measurement updates, counting the first detection.
    age : int
        Frames since the track started, counting the first one.
    time_since_update : int
        Predictions since the last measurement update.
    state : TrackState
    features : list of ndarray of shape (D,)
        Descriptors not yet moved into the metric's gallery (the tracker moves
        them once the track is confirmed).
    """

    __slots__ = ("mean", "covariance", "track_id", "hits", "age", "time_since_update", "state",
                 "features", "_n_init", "_max_age")

    def __init__(
        self,
        mean: npt.NDArray[np.float64],
        covariance: npt.NDArray[np.float64],
        track_id: int,
        n_init: int,
        max_age: int,
        feature: npt.NDArray[np.float32] | None = None,
    ) -> None:
        self.mean = mean
        self.covariance = covariance
        self.track_id = track_id
        self.hits = 1
        self.age = 1
        self.time_since_update = 0
        self.state = TrackState.Tentative
        self.features = [] if feature is None else [feature]
        self._n_init = n_init
        self._max_age = max_age

    def to_tlwh(self) -> npt.NDArray[np.float64]:
        """Return the current state's box as (left, top, w, h), shape (4,)."""
        return xyah_to_tlwh(self.mean[:4])

    def to_tlbr(self) -> npt.NDArray[np.float64]:
        """Return the current state's box as (x1, y1, x2, y2), shape (4,)."""
        return tlwh_to_tlbr(self.to_tlwh())

    def predict(self, kf: KalmanFilter) -> None:
        """Propagate the state one frame ahead; ``age`` and ``time_since_update`` grow by one."""
        self.mean, self.covariance = kf.predict(self.mean, self.covariance)
        self.age += 1
        self.time_since_update += 1

    def update(self, kf: KalmanFilter, detection: Detection) -> None:
        """Correct the state with an associated detection and keep its feature.

        A tentative track becomes confirmed when ``hits`` reaches ``n_init``.
        """
        self.mean, self.covariance = kf.update(self.mean, self.covariance, detection.to_xyah())
        self.features.append(detection.feature)
        self.hits += 1
        self.time_since_update = 0
        if self.state == TrackState.Tentative and self.hits >= self._n_init:
            self.state = TrackState.Confirmed

    def mark_missed(self) -> None:
        """Record a frame without association: delete tentative or too old tracks."""
        if self.state == TrackState.Tentative:
            self.state = TrackState.Deleted
        elif self.time_since_update > self._max_age:
            self.state = TrackState.Deleted

    def is_tentative(self) -> bool:
        """Return True while the track is not yet confirmed."""
        return self.state == TrackState.Tentative

    def is_confirmed(self) -> bool:
        """Return True once the track has ``n_init`` hits (and is not deleted)."""
        return self.state == TrackState.Confirmed

    def is_deleted(self) -> bool:
        """Return True when the track is dead and should be removed."""
        return self.state == TrackState.Deleted

    def __repr__(self) -> str:
        return (f"Track(id={self.track_id}, state={self.state.name}, hits={self.hits}, "
                f"age={self.age}, time_since_update={self.time_since_update})")
