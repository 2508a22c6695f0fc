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
    mean : ndarray of shape (8,)
        Current state mean (see :class:`StackedStates` for tracks owned by a tracker).
    covariance : ndarray of shape (8, 8)
        Current state covariance.
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

    __slots__ = ("_mean", "_covariance", "_store", "_column", "track_id", "hits", "age",
                 "time_since_update", "state", "features", "_n_init", "_max_age")

    def __init__(
        self,
        mean: npt.NDArray[np.float64],
        covariance: npt.NDArray[np.float64],
        track_id: int,
        n_init: int,
        max_age: int,
        feature: npt.NDArray[np.float32] | None = None,
    ) -> None:
        self._store: StackedStates | None = None
        self._column = -1
        self._mean = mean
        self._covariance = covariance
        self.track_id = track_id
        self.hits = 1
        self.age = 1
        self.time_since_update = 0
        self.state = TrackState.Tentative
        self.features = [] if feature is None else [feature]
        self._n_init = n_init
        self._max_age = max_age

    @property
    def mean(self) -> npt.NDArray[np.float64]:
        """State mean (cx, cy, a, h, vcx, vcy, va, vh), shape (8,)."""
        store = self._store
        return self._mean if store is None else store.mean[:, self._column]

    @mean.setter
    def mean(self, mean: npt.NDArray[np.float64]) -> None:
        self._detach()
        self._mean = mean

    @property
    def covariance(self) -> npt.NDArray[np.float64]:
        """State covariance, shape (8, 8)."""
        store = self._store
        return self._covariance if store is None else store.covariance[:, :, self._column]

    @covariance.setter
    def covariance(self, covariance: npt.NDArray[np.float64]) -> None:
        self._detach()
        self._covariance = covariance

    def _detach(self) -> None:
        """Own the state again (views of the store's current arrays, which are never written to)."""
        store = self._store
        if store is not None:
            self._mean = store.mean[:, self._column]
            self._covariance = store.covariance[:, :, self._column]
            self._store = None
            store.changed = True

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
        self.mark_hit(detection.feature)

    def mark_hit(self, feature: npt.NDArray[np.float32]) -> None:
        """Record an association: the bookkeeping half of :meth:`update`.

        Keeps ``feature``, counts the hit, resets ``time_since_update`` and
        confirms a tentative track at ``n_init`` hits. The tracker calls it
        after correcting all matched tracks' Kalman states at once.
        """
        self.features.append(feature)
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


class StackedStates:
    """The Kalman states of a list of tracks, stacked with the batch axis last.

    A tracker keeps its tracks' states here so that it can predict, correct
    and gate all of them with one call each (see
    :meth:`KalmanFilter.predict_stacked`). A bound track reads ``mean`` and
    ``covariance`` as views of its column; the arrays are replaced, never
    written to, when the states change (as ``Track.predict`` replaces a
    track's arrays), and assigning a new mean or covariance to a track
    unbinds it.

    Attributes
    ----------
    mean : ndarray of shape (8, N), float64, C-contiguous
        Column i is the mean of the i-th bound track.
    covariance : ndarray of shape (8, 8, N), float64, C-contiguous
    changed : bool
        Set when a bound track was unbound since the last :meth:`bind`.
    """

    __slots__ = ("mean", "covariance", "changed", "_tracks")

    def __init__(self) -> None:
        self.mean = np.zeros((8, 0))
        self.covariance = np.zeros((8, 8, 0))
        self.changed = False
        self._tracks: list[Track] = []

    def bind(self, tracks: list[Track], mean: np.ndarray, covariance: np.ndarray) -> None:
        """Make ``mean`` (8, N) and ``covariance`` (8, 8, N) the states of ``tracks`` (column i = tracks[i]).

        Tracks bound before and not in ``tracks`` are unbound first (they keep
        their last state).
        """
        kept = set(map(id, tracks))
        for track in self._tracks:
            if track._store is self and id(track) not in kept:
                track._detach()
        self.mean, self.covariance = mean, covariance
        for column, track in enumerate(tracks):
            track._store = self
            track._column = column
        self._tracks = list(tracks)
        self.changed = False

    def replace(self, mean: np.ndarray, covariance: np.ndarray) -> None:
        """Give the bound tracks new states, column by column."""
        self.mean, self.covariance = mean, covariance

    def is_bound(self, tracks: list[Track]) -> bool:
        """Return True if ``tracks`` are exactly the bound tracks, in column order, none unbound since."""
        return not self.changed and tracks == self._tracks

    def stack(self, tracks: list[Track]) -> None:
        """Bind ``tracks``, taking their current states (copied into new stacked arrays)."""
        means = [track.mean for track in tracks]
        covariances = [track.covariance for track in tracks]
        mean = np.zeros((8, len(tracks)))
        covariance = np.zeros((8, 8, len(tracks)))
        if tracks:
            mean[:] = np.array(means, dtype=np.float64).reshape(-1, 8).T
            covariance[:] = np.array(covariances, dtype=np.float64).reshape(-1, 8, 8).transpose(1, 2, 0)
        self.bind(tracks, mean, covariance)
