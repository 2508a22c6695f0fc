"""Adapters between :class:`deep_sort.online.DeepSort` and ``supervision.Detections``.

For roboflow ``trackers``' interface (detections in, the same detections
with ``tracker_id`` out) use :class:`deep_sort.DeepSORTTracker`, built on
:func:`from_supervision`.

``supervision`` (``pip install supervision``, or the ``supervision`` extra of
this package) is imported only inside :func:`to_supervision`;
:func:`from_supervision` only reads attributes and needs no import.

Examples
--------
::

    import supervision as sv
    from deep_sort import DeepSort
    from deep_sort.interop import from_supervision, to_supervision

    tracker = DeepSort(encoder="mars-small128.pb")
    for frame in frames:
        detections = sv.Detections.from_ultralytics(model(frame)[0])
        tracks = tracker.update(**from_supervision(detections), frame=frame)
        tracked = to_supervision(tracks, detections)  # matched detections with tracker_id
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .online import Tracks


def _import_supervision():
    try:
        import supervision
    except ImportError:
        raise ImportError(
            "deep_sort.interop.to_supervision needs the supervision package: "
            "pip install supervision (or pip install 'deep-sort-repro[supervision]')"
        ) from None
    return supervision


def from_supervision(detections: Any) -> dict[str, Any]:
    """Turn ``supervision.Detections`` into keyword arguments of :meth:`DeepSort.update`.

    Parameters
    ----------
    detections : supervision.Detections
        ``xyxy`` (N, 4) pixels; ``confidence`` (N,) or None (then every
        score is 1.0, so nothing is dropped by ``min_confidence``);
        ``class_id`` (N,) or None.

    Returns
    -------
    dict
        ``boxes`` (N, 4) float64 xyxy, ``scores`` (N,), ``class_ids`` (N,) int
        or None, ``box_format="xyxy"``: use as ``tracker.update(**result, frame=frame)``.

    Raises
    ------
    TypeError
        ``detections`` has no ``xyxy`` attribute.
    """
    if not hasattr(detections, "xyxy"):
        raise TypeError(f"expected supervision.Detections (with .xyxy), got {type(detections).__name__}")
    boxes = np.asarray(detections.xyxy, dtype=np.float64).reshape(-1, 4)
    confidence = getattr(detections, "confidence", None)
    class_id = getattr(detections, "class_id", None)
    return {
        "boxes": boxes,
        "scores": np.ones(len(boxes)) if confidence is None else np.asarray(confidence),
        "class_ids": None if class_id is None else np.asarray(class_id),
        "box_format": "xyxy",
    }


def to_supervision(tracks: Tracks, detections: Any = None) -> Any:
    """Turn tracks into ``supervision.Detections`` with ``tracker_id`` set.

    Parameters
    ----------
    tracks : Tracks
        The result of :meth:`DeepSort.update`.
    detections : supervision.Detections, optional
        The detections given to that update. If given, the result is those
        detections that were matched to one of ``tracks`` (their own boxes,
        masks, confidences and data, in track order), each with its
        ``tracker_id``, as supervision's trackers return. Tracks without a
        detection in this frame are not included.

    Returns
    -------
    supervision.Detections
        Without ``detections``: one row per track, ``xyxy`` the tracker's
        (Kalman) box, ``tracker_id``, ``class_id`` (None when no class ids
        were given), no confidence.

    Raises
    ------
    ImportError
        supervision is not installed.
    """
    if detections is not None:
        matched = tracks.detection_index >= 0
        selected = detections[tracks.detection_index[matched]]
        selected.tracker_id = tracks.track_id[matched].copy()
        return selected
    supervision = _import_supervision()
    class_id = tracks.class_id.copy() if np.any(tracks.class_id >= 0) else None
    return supervision.Detections(xyxy=tracks.xyxy, class_id=class_id, tracker_id=tracks.track_id.copy())
