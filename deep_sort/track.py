"""A track's life cycle, and a read-only view of one track of a tracker."""
from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .boxes import tlwh_to_tlbr, xyah_to_tlwh
from .kalman_filter import covariance_matrices

if TYPE_CHECKING:
    from .tracker import Tracker


class TrackState(enum.IntEnum):
    """Life cycle of a track.

    A new track is ``Tentative``; it becomes ``Confirmed`` at ``n_init`` hits.
    A tentative track that misses one frame is ``Deleted``, and so is a
    confirmed track not updated for more than ``max_age`` frames.
    """

    Tentative = 1
    Confirmed = 2
    Deleted = 3


class Track:
    """One live track of a :class:`~deep_sort.tracker.Tracker`, as it is now.

    The tracker keeps all tracks as arrays; this is a snapshot of one row,
    taken by ``Tracker.tracks`` (the published tracker's per-track names).

    Attributes
    ----------
    track_id : int
        Unique id, from 1.
    state : TrackState
    hits : int
        Measurement updates, counting the first detection.
    age : int
        Frames since the track started, counting the first one.
    time_since_update : int
        Predictions since the last measurement update.
    mean : ndarray of shape (8,), float64
        Kalman state (cx, cy, a, h, vcx, vcy, va, vh).
    covariance : ndarray of shape (8, 8), float64
    """

    __slots__ = ("track_id", "state", "hits", "age", "time_since_update", "mean", "covariance")

    def __init__(self, tracker: Tracker, row: int) -> None:
        self.track_id = int(tracker.track_id[row])
        self.state = TrackState(int(tracker.state[row]))
        self.hits = int(tracker.hits[row])
        self.age = int(tracker.age[row])
        self.time_since_update = int(tracker.time_since_update[row])
        self.mean = tracker.mean[:, row].copy()
        self.covariance = covariance_matrices(tracker.covariance[..., row:row + 1])[0]

    def to_tlwh(self) -> npt.NDArray[np.float64]:
        """Return the state's box as (left, top, w, h), shape (4,)."""
        return xyah_to_tlwh(self.mean[:4])

    def to_tlbr(self) -> npt.NDArray[np.float64]:
        """Return the state's box as (x1, y1, x2, y2), shape (4,)."""
        return tlwh_to_tlbr(self.to_tlwh())

    def is_tentative(self) -> bool:
        """Return True while the track is not yet confirmed."""
        return self.state == TrackState.Tentative

    def is_confirmed(self) -> bool:
        """Return True once the track has ``n_init`` hits."""
        return self.state == TrackState.Confirmed

    def is_deleted(self) -> bool:
        """Return True for a dead track (never among a tracker's live tracks)."""
        return self.state == TrackState.Deleted

    def __repr__(self) -> str:
        return (f"Track(id={self.track_id}, state={self.state.name}, hits={self.hits}, "
                f"age={self.age}, time_since_update={self.time_since_update})")
