"""DeepSORT with roboflow ``trackers``' DeepSORT interface: ``supervision.Detections`` in and out.

:class:`DeepSORTTracker` takes the parameters of :class:`deep_sort.DeepSort`
and, as aliases, those of ``trackers`` 2.0 that have a faithful meaning in
the published algorithm; it calls a feature extractor
(``extract_features(frame, detections) -> (N, D)``) and runs
:meth:`deep_sort.DeepSort.update`, so its tracks are the published code's.

supervision is never imported here: the detections given to :meth:`update`
are copied, not rebuilt. A feature extractor's framework is imported when
the extractor is created.
"""
from __future__ import annotations

import copy
import difflib
import os
import sys
from typing import Any

import numpy as np
import numpy.typing as npt

from .boxes import tlbr_to_tlwh
from .config import TrackingConfig
from .interop import from_supervision
from .online import DeepSort, Tracks
from .preprocessing import passes_filters

#: Frame rate that ``trackers``' ``lost_track_buffer`` is counted in.
_BUFFER_FRAME_RATE = 30.0

#: ``trackers`` 2.0 parameters that have a faithful meaning: name -> the parameter of ours it sets.
ALIASES = {
    "track_activation_threshold": "min_confidence",
    "minimum_consecutive_frames": "n_init",
    "minimum_iou_threshold": "max_iou_distance",
    "appearance_threshold": "max_cosine_distance",
    "lost_track_buffer": "max_age",
    "frame_rate": "max_age",
}

#: ``trackers`` 2.0 parameters without one: name -> why.
UNSUPPORTED = {
    "appearance_weight": (
        "the published DeepSORT does not mix appearance and motion into one cost: its matching cascade "
        "uses the appearance (cosine) distance alone, gated by the Mahalanobis distance of the motion, "
        "then matches what is left by IoU; tune max_cosine_distance (appearance_threshold) and "
        "max_iou_distance (minimum_iou_threshold) instead"
    ),
}


def tracking_parameters(params: dict[str, Any]) -> TrackingConfig:
    """Turn :class:`DeepSORTTracker` keyword arguments into a :class:`TrackingConfig`.

    Parameters not given take the paper's values (:meth:`TrackingConfig.paper`).

    Raises
    ------
    TypeError
        An unknown parameter name (with close matches).
    ValueError
        A parameter without a faithful meaning, an alias given together with
        its own name, a value out of range.
    """
    own = set(TrackingConfig.names())
    for name in params:
        if name in UNSUPPORTED:
            raise ValueError(f"{name}: not supported: {UNSUPPORTED[name]}")
        if name not in own and name not in ALIASES and name != "distance_metric":
            known = sorted(own | set(ALIASES) | {"distance_metric", "device"})
            close = difflib.get_close_matches(name, known, n=2)
            hint = f"; did you mean {' or '.join(close)}?" if close else f" (known: {', '.join(known)})"
            raise TypeError(f"DeepSORTTracker: unknown parameter {name!r}{hint}")
    metric = params.get("distance_metric", "cosine")
    if metric != "cosine":
        raise ValueError(f"distance_metric: only 'cosine' (the paper's appearance metric) is supported, "
                         f"got {metric!r}")

    values = {name: value for name, value in params.items() if name in own}
    for alias, target in ALIASES.items():
        if alias in params and target in values and alias not in ("lost_track_buffer", "frame_rate"):
            raise ValueError(f"{alias} and {target}: give one of them ({alias} is another name of {target})")
    if "lost_track_buffer" in params or "frame_rate" in params:
        if "max_age" in values:
            raise ValueError("lost_track_buffer/frame_rate and max_age: give one of them "
                             "(max_age = int(frame_rate / 30 * lost_track_buffer))")
        buffer = _positive_number("lost_track_buffer", params.get("lost_track_buffer", 30))
        frame_rate = _positive_number("frame_rate", params.get("frame_rate", _BUFFER_FRAME_RATE))
        values["max_age"] = max(1, int(frame_rate / _BUFFER_FRAME_RATE * buffer))
    if "track_activation_threshold" in params:
        values["min_confidence"] = params["track_activation_threshold"]
    if "minimum_consecutive_frames" in params:
        values["n_init"] = params["minimum_consecutive_frames"]
    if "minimum_iou_threshold" in params:
        values["max_iou_distance"] = 1.0 - _unit_interval("minimum_iou_threshold", params["minimum_iou_threshold"])
    if "appearance_threshold" in params:
        similarity = params["appearance_threshold"]
        if not _is_number(similarity) or not -1 <= similarity <= 1:
            raise ValueError(f"appearance_threshold must be a cosine similarity in [-1, 1], got {similarity!r}")
        values["max_cosine_distance"] = 1.0 - similarity
    return TrackingConfig.paper(**values)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and bool(np.isfinite(value))


def _positive_number(name: str, value: object) -> float:
    if not _is_number(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _unit_interval(name: str, value: object) -> float:
    if not _is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}")
    return float(value)


def _feature_extractor(extractor: Any, device: str | None) -> Any:
    """The extractor object for ``DeepSORTTracker(feature_extractor=..., device=...)``."""
    if extractor is None or (hasattr(extractor, "extract_features") and not isinstance(extractor, (str, os.PathLike))):
        if device is not None:
            raise ValueError("device: set it where the feature extractor is made, e.g. "
                             "DeepSORTFeatureExtractor.from_timm(name, device=...)")
        if extractor is not None and not callable(extractor.extract_features):
            raise TypeError("feature_extractor.extract_features must be callable")
        return extractor
    if isinstance(extractor, (str, os.PathLike)):
        if device not in (None, "auto", "cpu"):
            raise ValueError(f"device: a model file runs on the CPU, got {device!r}")
        from .features.extractor import DeepSORTFeatureExtractor

        suffix = os.fspath(extractor).lower().rsplit(".", 1)[-1]
        if suffix == "onnx":
            return DeepSORTFeatureExtractor.from_onnx(extractor)
        if suffix == "pb":
            return DeepSORTFeatureExtractor.from_frozen_graph(extractor)
        raise ValueError(f"feature_extractor: {extractor!r} is not a model file (.onnx or .pb); for a timm "
                         "model use DeepSORTFeatureExtractor.from_timm(model_name)")
    raise TypeError(f"feature_extractor: expected None, a model file (.onnx, .pb) or an object with "
                    f"extract_features(frame, detections), got {type(extractor).__name__}; for a timm model "
                    "use DeepSORTFeatureExtractor.from_timm(model_name)")


class DeepSORTTracker:
    """The published DeepSORT behind roboflow ``trackers``' ``DeepSORTTracker`` interface.

    Parameters
    ----------
    feature_extractor : object, str, PathLike or None
        Appearance: an object with ``extract_features(frame, detections) ->
        (N, D)`` (e.g. :class:`deep_sort.DeepSORTFeatureExtractor`), a model
        file (``.onnx``: :meth:`~deep_sort.DeepSORTFeatureExtractor.from_onnx`,
        ``.pb``: :meth:`~deep_sort.DeepSORTFeatureExtractor.from_frozen_graph`),
        or None for motion-only tracking (Kalman filter and IoU, as the
        published app without descriptors).
    device : str, optional
        Only with a model file: ``"cpu"`` or ``"auto"`` (both run on the CPU).
    **params
        Tracking parameters (defaults: the paper's, :meth:`TrackingConfig.paper`):
        ``max_cosine_distance`` (0.2), ``nn_budget`` (100), ``max_iou_distance``
        (0.7), ``max_age`` (30), ``n_init`` (3), ``min_confidence`` (0.3),
        ``min_detection_height`` (0), ``nms_max_overlap`` (1.0); or the
        ``trackers`` 2.0 names: ``track_activation_threshold`` (=
        min_confidence), ``minimum_consecutive_frames`` (= n_init),
        ``minimum_iou_threshold`` (= 1 - max_iou_distance),
        ``appearance_threshold`` (= 1 - max_cosine_distance),
        ``lost_track_buffer`` and ``frame_rate`` (max_age = int(frame_rate /
        30 * lost_track_buffer)), ``distance_metric`` (``"cosine"`` only).

    Raises
    ------
    TypeError
        Unknown parameter (with close matches), unusable feature extractor.
    ValueError
        ``appearance_weight`` (no faithful meaning: the message says why), an
        alias together with its own name, a value out of range.

    Notes
    -----
    ``tracker_id`` of a row is the id of the confirmed track matched with it
    in this frame; -1 for a row matched to a tentative track, a row that
    started a track, and a row dropped by ``min_confidence``,
    ``min_detection_height`` or non-maximum suppression.

    A feature extractor of your own is called with every row of the frame
    (as in ``trackers``); a :class:`deep_sort.DeepSORTFeatureExtractor`
    only crops the rows that pass ``min_confidence`` and
    ``min_detection_height`` (the others can never be matched).

    Examples
    --------
    >>> import supervision as sv  # doctest: +SKIP
    >>> tracker = DeepSORTTracker(minimum_consecutive_frames=2)
    >>> for x in (10.0, 12.0, 14.0):  # doctest: +SKIP
    ...     detections = tracker.update(sv.Detections(xyxy=np.array([[x, 20, x + 30, 80]]),
    ...                                               confidence=np.array([0.9])))
    >>> detections.tracker_id.tolist()  # doctest: +SKIP
    [1]
    """

    def __init__(self, feature_extractor: Any = None, device: str | None = None, **params: Any) -> None:
        config = tracking_parameters(params)
        self.feature_extractor = _feature_extractor(feature_extractor, device)
        # This package's extractor is given the boxes of the rows that can be matched only.
        own = sys.modules.get(f"{__package__}.features.extractor")
        self._encode_boxes = (self.feature_extractor.encode_boxes if own is not None
                              and isinstance(self.feature_extractor, own.DeepSORTFeatureExtractor) else None)
        self._online = DeepSort(**config.as_dict(), box_format="xyxy")
        self._feature_dim: int | None = None

    @property
    def config(self) -> TrackingConfig:
        """The tracking parameters in force (our names)."""
        return self._online.config

    @property
    def frame_count(self) -> int:
        """Frames given to :meth:`update` since the start or the last :meth:`reset`."""
        return self._online.frame_count

    @property
    def tracks(self) -> Tracks:
        """Every live track after the last :meth:`update` (see :class:`deep_sort.Tracks`)."""
        return self._online.tracks

    def reset(self) -> None:
        """Forget all tracks: the next :meth:`update` starts a new video (track ids from 1)."""
        self._online.reset()
        self._feature_dim = None

    def update(self, detections: Any, frame: npt.NDArray[np.uint8] | None = None) -> Any:
        """Track one frame; call it for every frame, also those without detections.

        Parameters
        ----------
        detections : supervision.Detections
            The frame's detections: ``xyxy`` (N, 4) pixels, ``confidence``
            (N,) or None (then every row counts as 1.0), ``class_id`` (N,) or
            None; ``mask``, ``data`` and ``metadata`` are passed through.
        frame : ndarray of shape (H, W, 3), uint8, optional
            The BGR frame, for the feature extractor; may be None when there
            is no extractor, or when the extractor does not need it.

        Returns
        -------
        supervision.Detections
            A shallow copy of ``detections`` (same rows, same order, the same
            arrays) with ``tracker_id`` (N,) int64: the confirmed track
            matched with the row in this frame, -1 otherwise.

        Raises
        ------
        TypeError
            ``detections`` is not a ``supervision.Detections``.
        ValueError
            Boxes or confidences with NaN, non-positive box sizes, an
            extractor result of the wrong shape or length (the message says
            which); the tracker is left as it was.
        """
        arguments = from_supervision(detections)
        boxes, scores = arguments["boxes"], arguments["scores"]
        features = None
        if self.feature_extractor is not None and np.isfinite(boxes).all() and np.isfinite(scores).all():
            features = self._extract(frame, detections, boxes, scores)
        tracks = self._track(arguments, features)
        tracker_id = np.full(len(boxes), -1, dtype=np.int64)
        # detection_index >= 0: matched in this frame, or started from the row (then tentative).
        matched = (tracks.detection_index >= 0) & tracks.is_confirmed
        tracker_id[tracks.detection_index[matched]] = tracks.track_id[matched]
        return _with_tracker_id(detections, tracker_id)

    def _track(self, arguments: dict[str, Any], features: np.ndarray | None) -> Tracks:
        """The one call into the tracker."""
        return self._online.update(**arguments, features=features, return_all=True)

    def _extract(self, frame: Any, detections: Any, boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """Descriptors (N, D) of the frame's detections from the feature extractor."""
        n_rows = len(boxes)
        if self._encode_boxes is not None:
            # Only rows that pass min_detection_height and min_confidence (the tracker's own
            # comparisons) can be matched; the others get zeros, which the tracker never reads.
            passes = passes_filters(tlbr_to_tlwh(boxes), scores, self.config)
            if passes.all():
                return self._encode_boxes(frame, boxes)
            features = np.zeros((n_rows, self.feature_extractor.feature_dim), np.float32)
            features[passes] = self._encode_boxes(frame, boxes[passes])
            return features
        if n_rows == 0:
            return np.zeros((0, self._feature_dim or 0), np.float32)
        features = np.asarray(self.feature_extractor.extract_features(frame, detections))
        if features.ndim != 2 or len(features) != n_rows:
            raise ValueError(f"feature_extractor.extract_features: expected shape ({n_rows}, D) for {n_rows} "
                             f"detections, got {features.shape}")
        if self._feature_dim is None and features.shape[1]:
            self._feature_dim = features.shape[1]
        return features

    def __repr__(self) -> str:
        extractor = "none" if self.feature_extractor is None else type(self.feature_extractor).__name__
        return f"DeepSORTTracker({self.config}, feature_extractor={extractor}, frame_count={self.frame_count})"


def _with_tracker_id(detections: Any, tracker_id: np.ndarray) -> Any:
    """A shallow copy of ``detections`` (same arrays, own ``data`` and ``metadata`` dicts) with ``tracker_id``."""
    if hasattr(detections, "__dict__"):
        result = object.__new__(type(detections))  # no __init__: the fields were validated when made
        result.__dict__.update(detections.__dict__)
    else:
        result = copy.copy(detections)
    result.tracker_id = tracker_id
    if isinstance(getattr(detections, "data", None), dict):
        result.data = dict(detections.data)
    if isinstance(getattr(detections, "metadata", None), dict):
        result.metadata = dict(detections.metadata)
    return result
