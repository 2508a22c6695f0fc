"""Online tracking for any detector: call :meth:`DeepSort.update` once per frame.

This is the published tracking app's per-frame loop (docs/algorithm.md)
behind an array interface: the caller brings the frame's boxes and scores
(from YOLO, RT-DETR, a detection file, ...) and appearance either as
descriptors, as a model run on crops of the frame, or not at all
(motion/IoU-only tracking), and gets the tracks back as arrays with, per
track, the index of the input box it was matched with.

Only numpy and scipy are imported here; an appearance model's framework
(TensorFlow, OpenVINO, onnxruntime) and OpenCV are imported when a
:class:`DeepSort` is created with a model file.

Units: pixels; track ids start at 1; frame indices given to
:meth:`Tracks.to_mot_rows` are 1-based as in MOT files.
"""
from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from .config import TrackingConfig, create_tracker
from .blas_threads import single_blas_thread
from .boxes import tlbr_to_tlwh, tlwh_to_tlbr
from .detection import Detections
from .io.limits import MAX_COORDINATE, MAX_DESCRIPTOR_VALUE, MAX_ID, MIN_BOX_SIZE
from .preprocessing import select_detections
from .track import TrackState
from .tracker import Tracker

logger = logging.getLogger(__name__)

#: Accepted ``box_format`` values; ``tlbr`` is another name of ``xyxy``.
BOX_FORMATS = ("tlwh", "xyxy", "tlbr")

#: An appearance encoder: ``encoder(frame, boxes_tlwh) -> features``, frame
#: (H, W, 3) uint8 BGR, boxes (N, 4) float64 tlwh pixels, features (N, D).
Encoder = Callable[[np.ndarray, np.ndarray], npt.ArrayLike]


class TrackRecord(NamedTuple):
    """One track of a :class:`Tracks` (what iterating over it yields)."""

    track_id: int
    tlwh: npt.NDArray[np.float64]
    state: TrackState
    hits: int
    age: int
    time_since_update: int
    detection_index: int
    class_id: int


@dataclass(frozen=True, eq=False)
class Tracks:
    """Tracks of one frame as read-only arrays, one row per track.

    Attributes
    ----------
    track_id : ndarray of shape (K,), int64
        Track ids (from 1, never reused until :meth:`DeepSort.reset`).
    tlwh : ndarray of shape (K, 4), float64
        The Kalman filter's box (left, top, width, height) in pixels: the
        corrected state for a track matched in this frame, the prediction
        for one that was not (``time_since_update >= 1``).
    state : ndarray of shape (K,), int64
        :class:`~deep_sort.track.TrackState` values: 1 tentative, 2 confirmed
        (see :attr:`state_names`).
    hits : ndarray of shape (K,), int64
        Detections the track was updated with, counting the first.
    age : ndarray of shape (K,), int64
        Frames since the track started, counting the first.
    time_since_update : ndarray of shape (K,), int64
        Frames since the last matched detection (0: matched in this frame).
    detection_index : ndarray of shape (K,), int64
        Row of this frame's input boxes the track was matched with or started
        from; -1 if none in this frame.
    class_id : ndarray of shape (K,), int64
        Class of the last detection the track was matched with; -1 if no
        ``class_ids`` were given.

    Examples
    --------
    >>> tracks = Tracks.empty()
    >>> len(tracks), tracks.xyxy.shape, tracks.to_mot_rows(1).shape
    (0, (0, 4), (0, 10))
    """

    track_id: npt.NDArray[np.int64]
    tlwh: npt.NDArray[np.float64]
    state: npt.NDArray[np.int64]
    hits: npt.NDArray[np.int64]
    age: npt.NDArray[np.int64]
    time_since_update: npt.NDArray[np.int64]
    detection_index: npt.NDArray[np.int64]
    class_id: npt.NDArray[np.int64]

    def __post_init__(self) -> None:
        n_tracks = None
        for field in fields(self):
            is_box = field.name == "tlwh"
            array = np.array(getattr(self, field.name), dtype=np.float64 if is_box else np.int64)
            if is_box:
                array = array.reshape(-1, 4) if array.size == 0 else array
                expected = "(K, 4)"
                ok = array.ndim == 2 and array.shape[1] == 4
            else:
                expected = "(K,)"
                ok = array.ndim == 1
            n_tracks = len(array) if n_tracks is None else n_tracks
            if not ok or len(array) != n_tracks:
                raise ValueError(f"Tracks.{field.name}: expected shape {expected} with K = {n_tracks}, "
                                 f"got {array.shape}")
            array.setflags(write=False)
            object.__setattr__(self, field.name, array)

    @classmethod
    def empty(cls) -> Tracks:
        """Return a Tracks with no rows."""
        return cls(*([[]] * len(fields(cls))))

    @classmethod
    def from_tracker(
        cls,
        tracker: Tracker,
        per_track: npt.NDArray[np.int64],
        rows: npt.NDArray[np.intp] | None = None,
    ) -> Tracks:
        """Collect the tracker's live tracks (or those at ``rows``) into arrays.

        Parameters
        ----------
        tracker : Tracker
        per_track : ndarray of shape (2, len(tracker.track_id)), int64
            Detection index and class id of each live track, in the tracker's order.
        rows : ndarray of int, optional
            Positions of the tracks to collect, in the tracker's order; all by default.
        """
        if rows is None:
            rows = np.arange(len(tracker.track_id))
        # New arrays of the right types and shapes (no need for the checks of
        # __init__); the integer fields are rows of two read-only blocks.
        counters = tracker.counters.take(rows, axis=1)
        per_track = per_track.take(rows, axis=1)
        tlwh = tracker.to_tlwh().take(rows, axis=0)
        for array in (counters, per_track, tlwh):
            array.setflags(write=False)
        tracks = object.__new__(cls)
        for name, array in zip(_FIELD_NAMES, (counters[0], tlwh, *counters[1:], *per_track)):
            object.__setattr__(tracks, name, array)
        return tracks

    def __len__(self) -> int:
        return len(self.track_id)

    def __iter__(self) -> Iterator[TrackRecord]:
        for i in range(len(self)):
            yield TrackRecord(
                int(self.track_id[i]), self.tlwh[i], TrackState(int(self.state[i])), int(self.hits[i]),
                int(self.age[i]), int(self.time_since_update[i]), int(self.detection_index[i]),
                int(self.class_id[i]),
            )

    def __getitem__(self, key: int | slice | npt.ArrayLike) -> Tracks:
        """Select rows (an int, a slice, integer indices or a boolean mask) as a new Tracks."""
        if isinstance(key, (int, np.integer)):
            key = slice(key, key + 1 if key != -1 else None)
        return Tracks(**{field.name: getattr(self, field.name)[key] for field in fields(self)})

    def __repr__(self) -> str:
        return f"Tracks(n={len(self)}, track_id={self.track_id.tolist()})"

    @property
    def xyxy(self) -> npt.NDArray[np.float64]:
        """Boxes as (x1, y1, x2, y2) pixels, shape (K, 4) (the ``tlbr`` format)."""
        return tlwh_to_tlbr(self.tlwh)

    @property
    def is_confirmed(self) -> npt.NDArray[np.bool_]:
        """Mask of confirmed tracks, shape (K,)."""
        return self.state == TrackState.Confirmed.value

    @property
    def state_names(self) -> list[str]:
        """State of each track by name (``"Tentative"``, ``"Confirmed"``)."""
        return [TrackState(int(value)).name for value in self.state]

    def to_mot_rows(self, frame_idx: int) -> npt.NDArray[np.float64]:
        """Return MOT result rows ``frame, id, left, top, width, height, 1, -1, -1, -1``.

        Parameters
        ----------
        frame_idx : int
            Frame index (1-based in MOT files).

        Returns
        -------
        ndarray of shape (K, 10), float64
            Ready for :func:`deep_sort.io.write_results` (after stacking the frames).
        """
        rows = np.full((len(self), 10), -1.0)
        rows[:, 0] = frame_idx
        rows[:, 1] = self.track_id
        rows[:, 2:6] = self.tlwh
        rows[:, 6] = 1.0
        return rows


_FIELD_NAMES = tuple(field.name for field in fields(Tracks))


def _float_array(name: str, value: npt.ArrayLike) -> np.ndarray:
    """``value`` as a float32/float64 array (other numbers become float64)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "fiu":  # floats, signed and unsigned integers (not bool)
            raise TypeError(array.dtype)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected an array of numbers, got {type(value).__name__} "
                         f"{_describe(value)}") from None
    return array if array.dtype in (np.float32, np.float64) else array.astype(np.float64)


def _describe(value: object) -> str:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return "(ragged)"
    return f"of shape {array.shape} and dtype {array.dtype}"


def _check_values(name: str, array: np.ndarray, limit: float = sys.float_info.max, why: str = "") -> None:
    """Refuse NaN, infinity and values beyond ``limit`` in absolute value (finite ones that overflow later on).

    All is well in one minimum and one maximum (NaN fails their comparisons);
    only then is the first bad row looked for.
    """
    if not array.size or (-limit <= float(array.min()) and float(array.max()) <= limit):
        return
    rows = array.reshape(len(array), -1)
    bad = ~np.isfinite(rows).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}: row {row} holds NaN or infinity ({array[row].tolist()})")
    row = int(np.flatnonzero((np.abs(rows) > limit).any(axis=1))[0])
    raise ValueError(f"{name}: row {row} holds {np.abs(array[row]).max():g}, beyond {limit:g} ({why})")


def _check_descriptors(name: str, features: np.ndarray) -> None:
    """Check descriptors for the tracker's dtype, float32: finite once cast, with norms that stay finite."""
    _check_values(name, features, MAX_DESCRIPTOR_VALUE,
                  "the tracker keeps descriptors in float32 and their squared norm would overflow")


def _check_rows(name: str, array: np.ndarray, n_rows: int, what: str) -> None:
    if len(array) != n_rows:
        raise ValueError(f"{name}: expected {n_rows} rows ({what}), got {len(array)} "
                         f"(shape {array.shape})")


class DeepSort:
    """DeepSORT for any detector: feed it one frame's detections at a time.

    Every :meth:`update` runs exactly the published app's per-frame steps:
    drop detections below ``min_detection_height`` / ``min_confidence``,
    non-maximum suppression, Kalman prediction, matching cascade on
    appearance with Mahalanobis gating, IoU matching, track management.
    Fed a sequence frame by frame it reproduces ``deep_sort_app.py``.

    Parameters
    ----------
    max_cosine_distance : float
        Gating threshold of the cosine appearance distance, in [0, 2].
    nn_budget : int or None
        Appearance descriptors kept per track; None keeps all.
    max_iou_distance : float
        Largest ``1 - IoU`` of an association in the IoU stage, in [0, 1].
    max_age : int
        Frames a confirmed track survives without a detection.
    n_init : int
        Consecutive detections that confirm a track.
    min_confidence : float
        Detections with a lower score are ignored.
    min_detection_height : float
        Detections with a smaller height (pixels) are ignored.
    nms_max_overlap : float
        Non-maximum suppression threshold in [0, 1]; 1.0 suppresses only
        boxes fully contained in a higher-scoring one.
    encoder : str, PathLike, callable or None
        Appearance from the frame: a model file, ``.pb`` (frozen TensorFlow
        graph, e.g. mars-small128.pb; run by OpenVINO or TensorFlow) or
        ``.onnx`` (onnxruntime), input uint8 patches [N, 128, 64, 3] BGR,
        output [N, D], loaded with default options by
        :func:`deep_sort.features.create_box_encoder` (call it yourself for
        other options and pass the result); or any callable
        ``encoder(frame, boxes_tlwh) -> (N, D)``. None: appearance only from
        ``features`` given to :meth:`update`, else motion/IoU-only tracking.
    box_format : {"tlwh", "xyxy"}
        Default format of the boxes given to :meth:`update`: ``tlwh`` = (left,
        top, width, height) as in MOT files, ``xyxy`` (alias ``tlbr``) =
        (x1, y1, x2, y2) as most detectors return.

    Raises
    ------
    ValueError
        A parameter out of its range (the message names it and the range).
    deep_sort.io.InputError
        Model file missing or unreadable, its framework not installed.

    Notes
    -----
    The defaults are the paper's MOT16 settings (``TrackingConfig.paper()``:
    ``min_confidence`` 0.3, ``nn_budget`` 100); ``deep_sort_app.py`` defaults
    to ``min_confidence=0.8, nn_budget=None``.

    Whether the tracker uses appearance is fixed by the first frame with
    detections (``features`` given or an encoder set) until :meth:`reset`.
    Association ignores ``class_ids``, as the published algorithm does; use
    one DeepSort per class for class-aware tracking.

    Examples
    --------
    >>> tracker = DeepSort(n_init=2)
    >>> for frame_idx in range(1, 4):
    ...     tracks = tracker.update([[10.0 * frame_idx, 20, 30, 60]], [0.9])
    >>> tracks.track_id.tolist(), tracks.detection_index.tolist(), tracks.state_names
    ([1], [0], ['Confirmed'])
    """

    def __init__(
        self,
        max_cosine_distance: float = 0.2,
        nn_budget: int | None = 100,
        max_iou_distance: float = 0.7,
        max_age: int = 30,
        n_init: int = 3,
        min_confidence: float = 0.3,
        min_detection_height: float = 0.0,
        nms_max_overlap: float = 1.0,
        encoder: str | os.PathLike[str] | Encoder | None = None,
        box_format: str = "tlwh",
    ) -> None:
        self.config = TrackingConfig(
            min_confidence=min_confidence,
            min_detection_height=min_detection_height,
            nms_max_overlap=nms_max_overlap,
            max_cosine_distance=max_cosine_distance,
            nn_budget=nn_budget,
            max_iou_distance=max_iou_distance,
            max_age=max_age,
            n_init=n_init,
        )
        self.box_format = self._check_box_format(box_format)
        if encoder is None or callable(encoder):
            self.encoder = encoder
        elif isinstance(encoder, (str, os.PathLike)):
            from .features.encoder import create_box_encoder

            self.encoder = create_box_encoder(encoder)
        else:
            raise ValueError(f"encoder: expected a model path, a callable or None, got {type(encoder).__name__}")
        self.reset()

    def reset(self) -> None:
        """Forget all tracks: the next :meth:`update` starts a new video (ids from 1).

        The encoder and parameters are kept; whether appearance is used is
        decided again by the next frame with detections.
        """
        self._tracker: Tracker | None = None
        self._feature_dim: int | None = None
        # Per live track, in the tracker's order: detection index and class id.
        self._per_track = np.zeros((2, 0), np.int64)
        self._classes_seen = False  # class ids given since the last reset
        #: Frames passed to :meth:`update` since the start or the last :meth:`reset`.
        self.frame_count = 0
        #: Detections so far whose descriptor was all zeros (no pixels of the box in the frame).
        self.n_zero_descriptors = 0

    @property
    def uses_appearance(self) -> bool | None:
        """Whether tracks are associated by appearance; None until the first frame with detections."""
        return None if self._tracker is None else self._tracker.metric is not None

    @property
    def tracks(self) -> Tracks:
        """Every live track (tentative and confirmed) after the last :meth:`update`."""
        if self._tracker is None:
            return Tracks.empty()
        return Tracks.from_tracker(self._tracker, self._per_track)

    def update(
        self,
        boxes: npt.ArrayLike,
        scores: npt.ArrayLike,
        frame: np.ndarray | None = None,
        features: npt.ArrayLike | None = None,
        class_ids: npt.ArrayLike | None = None,
        *,
        box_format: str | None = None,
        return_all: bool = False,
    ) -> Tracks:
        """Track one frame. Call it for every frame, also those without detections.

        Parameters
        ----------
        boxes : array-like of shape (N, 4), float
            The frame's detections in pixels, in ``box_format``; N may be 0
            (``[]`` or an empty (0, 4) array).
        scores : array-like of shape (N,), float
            Detector confidences (kept in their dtype: the order of tied
            scores in non-maximum suppression depends on it).
        frame : ndarray of shape (H, W, 3), uint8, optional
            The BGR image (as read by OpenCV); required when an encoder is set
            and no ``features`` are given, ignored otherwise.
        features : array-like of shape (N, D), float, optional
            Appearance descriptors of the boxes (need not be normalised). Given
            features take precedence over the encoder. A row of zeros (what
            the encoders give a box without pixels in the frame) means no
            appearance: as in ``deep_sort_app.py`` its box never matches in
            the cascade but may in the IoU stage, or start a track (counted
            in :attr:`n_zero_descriptors`).
        class_ids : array-like of shape (N,), int, optional
            Class of each box; a track reports the class of its last match.
        box_format : {"tlwh", "xyxy"}, optional
            Overrides the constructor's ``box_format`` for this call.
        return_all : bool
            Return every live track instead of the app's output set.

        Returns
        -------
        Tracks
            By default what ``deep_sort_app.py`` writes for the frame:
            confirmed tracks matched in this frame or the previous one
            (``time_since_update <= 1``). ``detection_index`` maps a track to
            its row of ``boxes``; it is -1 for tracks without a match in this frame.

        Raises
        ------
        ValueError
            Shapes that do not match (expected and received shape in the
            message), NaN or infinity, non-positive box sizes, a descriptor
            length that differs from earlier frames, ``features`` after
            motion-only frames (or none after frames with appearance), no
            ``frame`` for the encoder. The tracker is left as it was.
        """
        tlwh, scores, features, class_ids = self._validated(boxes, scores, features, class_ids,
                                                            box_format or self.box_format)
        use_encoder = features is None and self.encoder is not None
        if use_encoder:
            self._check_frame(frame)
        with_appearance = use_encoder or features is not None
        if self._tracker is not None:
            self._check_mode(with_appearance, len(tlwh))
        selected = select_detections(tlwh, scores, self.config)
        if use_encoder:
            features = self._encode(frame, tlwh[selected])
        elif features is not None:
            features = features[selected]

        # All checks passed: from here on the frame counts.
        self.frame_count += 1
        if self._tracker is None:
            if not (len(tlwh) or with_appearance):
                return Tracks.empty()  # nothing seen yet: an empty frame changes no state
            self._tracker = create_tracker(self.config, with_appearance=with_appearance)
        if features is not None:
            self._count_zero_descriptors(features)
            if features.shape[1]:
                self._feature_dim = features.shape[1]
        if features is None:
            features = np.zeros((len(selected), 0), np.float32)
        detections = Detections.from_checked(  # checked by _validated
            tlwh[selected].astype(np.float64, copy=False), scores[selected], features.astype(np.float32, copy=False))
        track_ids_before, class_id_before = self._tracker.track_id, self._per_track[1]
        with single_blas_thread():
            self._tracker.predict()
            associations = self._tracker.update(detections)
        # Per live track: the input row it was matched with or started from
        # (-1 if none), and the class of its last match. Track ids increase
        # along the tracker's arrays, so rows are found by binary search.
        track_ids = self._tracker.track_id
        self._per_track = per_track = np.full((2, len(track_ids)), -1, np.int64)
        detection_index, class_id = per_track
        if associations:
            matched_ids, matched_rows = np.array(associations, dtype=np.int64).T
            detection_index[np.searchsorted(track_ids, matched_ids)] = selected[matched_rows]
        if self._classes_seen and len(track_ids_before):
            before = np.searchsorted(track_ids_before, track_ids).clip(max=len(track_ids_before) - 1)
            kept = track_ids_before[before] == track_ids
            class_id[kept] = class_id_before[before[kept]]
        if class_ids is not None:
            self._classes_seen = True
            matched = detection_index >= 0
            class_id[matched] = class_ids[detection_index[matched]]
        if return_all:
            return self.tracks
        return Tracks.from_tracker(self._tracker, per_track, self._tracker.reported())

    def __repr__(self) -> str:
        encoder = "none" if self.encoder is None else type(self.encoder).__name__
        return (f"DeepSort({self.config}, box_format={self.box_format!r}, encoder={encoder}, "
                f"frame_count={self.frame_count})")

    @staticmethod
    def _check_box_format(box_format: str) -> str:
        if box_format not in BOX_FORMATS:
            raise ValueError(f"box_format: expected one of {', '.join(BOX_FORMATS)}, got {box_format!r}")
        return box_format

    def _validated(
        self, boxes: npt.ArrayLike, scores: npt.ArrayLike, features: npt.ArrayLike | None,
        class_ids: npt.ArrayLike | None, box_format: str,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        """Check the inputs of :meth:`update`; return tlwh boxes, scores, features, class ids."""
        self._check_box_format(box_format)
        boxes = _float_array("boxes", boxes)
        if boxes.size == 0 and boxes.ndim <= 2:
            boxes = boxes.reshape(0, 4)
        if boxes.ndim != 2 or boxes.shape[1] != 4:
            raise ValueError(f"boxes: expected shape (N, 4), got {boxes.shape}")
        _check_values("boxes", boxes, MAX_COORDINATE, "pixels; implausible for any image")
        if box_format == "tlwh":
            tlwh = boxes
        else:
            tlwh = tlbr_to_tlwh(boxes)
        if len(tlwh) and tlwh[:, 2:].min() < MIN_BOX_SIZE:
            bad = np.flatnonzero((tlwh[:, 2] <= 0) | (tlwh[:, 3] <= 0))
            if len(bad):
                row = int(bad[0])
                size = "width > 0 and height > 0" if box_format == "tlwh" else "x2 > x1 and y2 > y1"
                raise ValueError(f"boxes: row {row} ({box_format}) {boxes[row].tolist()} has a non-positive "
                                 f"size; expected {size}")
            row = int(np.flatnonzero((tlwh[:, 2] < MIN_BOX_SIZE) | (tlwh[:, 3] < MIN_BOX_SIZE))[0])
            raise ValueError(f"boxes: row {row} ({box_format}) {boxes[row].tolist()} is smaller than "
                             f"{MIN_BOX_SIZE:g} pixels; too small for the Kalman filter's precision")

        n_boxes = len(boxes)
        scores = _float_array("scores", scores)
        if scores.shape != (n_boxes,):
            raise ValueError(f"scores: expected shape ({n_boxes},), one per box, got {scores.shape}")
        _check_values("scores", scores)

        if features is not None:
            features = _float_array("features", features)
            if features.size == 0 and n_boxes == 0 and features.ndim < 2:
                features = features.reshape(0, self._feature_dim or 0)
            if features.ndim != 2:
                raise ValueError(f"features: expected shape ({n_boxes}, D), got {features.shape}")
            _check_rows("features", features, n_boxes, "one per box")
            self._check_feature_dim("features", features)
            _check_descriptors("features", features)

        if class_ids is not None:
            class_ids = _float_array("class_ids", class_ids)
            if class_ids.shape != (n_boxes,):
                raise ValueError(f"class_ids: expected shape ({n_boxes},), one per box, got {class_ids.shape}")
            _check_values("class_ids", class_ids, MAX_ID, "class ids are int32")
            fractional = np.flatnonzero(class_ids != np.round(class_ids))
            if len(fractional):
                raise ValueError(f"class_ids: row {int(fractional[0])} is {class_ids[fractional[0]]}, "
                                 "expected a whole number")
            class_ids = class_ids.astype(np.int64)
        return tlwh, scores, features, class_ids

    def _check_feature_dim(self, name: str, features: np.ndarray) -> None:
        n_rows, dim = features.shape
        if n_rows and dim == 0:
            raise ValueError(f"{name}: expected shape ({n_rows}, D) with D >= 1, got {features.shape}")
        if dim and self._feature_dim is not None and dim != self._feature_dim:
            raise ValueError(f"{name}: expected descriptors of length {self._feature_dim} (as in earlier "
                             f"frames), got shape {features.shape}")

    def _check_frame(self, frame: np.ndarray | None) -> None:
        if frame is None:
            raise ValueError("frame: required with an encoder (or pass features); got None")
        if not isinstance(frame, np.ndarray) or frame.ndim != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frame: expected an (H, W, 3) uint8 BGR image, got {type(frame).__name__} "
                             f"{_describe(frame)}")

    def _check_mode(self, with_appearance: bool, n_boxes: int) -> None:
        if self.uses_appearance and not with_appearance and n_boxes:
            raise ValueError("features: required, as earlier frames had appearance descriptors "
                             "(or set an encoder); call reset() to switch to motion-only tracking")
        if not self.uses_appearance and with_appearance:
            raise ValueError("features: this tracker started motion-only (no features or encoder in the "
                             "first frame with detections); call reset() before giving appearance")

    def _encode(self, frame: np.ndarray, tlwh: np.ndarray) -> np.ndarray:
        """Run the encoder on boxes (N, 4) tlwh; return checked descriptors (N, D)."""
        if len(tlwh) == 0:
            return np.zeros((0, self._feature_dim or 0))
        features = _float_array("encoder output", self.encoder(frame, np.asarray(tlwh, dtype=np.float64)))
        if features.ndim != 2 or len(features) != len(tlwh):
            raise ValueError(f"encoder output: expected shape ({len(tlwh)}, D), got {features.shape}")
        self._check_feature_dim("encoder output", features)
        _check_descriptors("encoder output", features)
        return features

    def _count_zero_descriptors(self, features: np.ndarray) -> None:
        """Count (and the first time, report) descriptors that are all zeros.

        An all-zero descriptor is how deep_sort.features marks a box without
        pixels in the frame (BoxEncoder, generate_detections.py).
        """
        n_zero = len(features) - int(np.count_nonzero(features.any(axis=1)))
        if n_zero:
            level = logging.DEBUG if self.n_zero_descriptors else logging.WARNING
            self.n_zero_descriptors += n_zero
            logger.log(level, "frame %d: %d detection(s) with an all-zero descriptor (box without image "
                       "pixels?): matched by IoU only; %d so far, further ones are logged at DEBUG",
                       self.frame_count, n_zero, self.n_zero_descriptors)
