"""Detections of one frame: boxes, confidences and appearance descriptors."""
from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import numpy.typing as npt

from .boxes import tlwh_to_tlbr, tlwh_to_xyah


class Detections:
    """One frame's detections as arrays, one row per detection: the tracker's input.

    Parameters
    ----------
    tlwh : array-like of shape (N, 4)
        Boxes (left, top, width, height) in pixels; finite, width and height positive.
    confidence : array-like of shape (N,)
        Detector scores.
    feature : array-like of shape (N, D), optional
        Appearance descriptors, stored as float32 (the cosine distances are
        computed in single precision, as in the published tracker). None or
        D = 0: no appearance (motion-only tracking).

    Attributes
    ----------
    tlwh : ndarray of shape (N, 4), float64
    confidence : ndarray of shape (N,)
    feature : ndarray of shape (N, D), float32

    Raises
    ------
    ValueError
        Shapes that do not match, or a box that is not finite or has a
        non-positive width or height (the message names the row).

    Examples
    --------
    >>> detections = Detections([[10, 20, 30, 40], [0, 0, 5, 10]], [0.9, 0.5])
    >>> len(detections), detections.to_xyah()[0].tolist()
    (2, [25.0, 40.0, 0.75, 40.0])
    >>> Detections([[0, 0, 0, 10]], [0.9])
    Traceback (most recent call last):
    ...
    ValueError: tlwh: row 0 [0.0, 0.0, 0.0, 10.0] is not a finite box with positive width and height
    """

    __slots__ = ("tlwh", "confidence", "feature")

    def __init__(self, tlwh: npt.ArrayLike, confidence: npt.ArrayLike, feature: npt.ArrayLike | None = None) -> None:
        tlwh = np.array(tlwh, dtype=np.float64).reshape(-1, 4)
        confidence = np.asarray(confidence).reshape(-1)
        n = len(tlwh)
        feature = np.zeros((n, 0), np.float32) if feature is None else np.asarray(feature, np.float32)
        if feature.ndim != 2 and n:
            feature = feature.reshape(n, -1)
        if feature.ndim != 2 or len(feature) != n:
            raise ValueError(f"feature: expected shape ({n}, D), one descriptor per box, got {feature.shape}")
        if len(confidence) != n:
            raise ValueError(f"confidence: expected {n} scores, one per box, got {len(confidence)}")
        bad = ~(np.isfinite(tlwh).all(axis=1) & (tlwh[:, 2] > 0) & (tlwh[:, 3] > 0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"tlwh: row {row} {tlwh[row].tolist()} is not a finite box with positive "
                             "width and height")
        self.tlwh, self.confidence, self.feature = tlwh, confidence, feature

    @classmethod
    def from_checked(cls, tlwh: np.ndarray, confidence: np.ndarray, feature: np.ndarray) -> Detections:
        """Wrap arrays already in the checked form (float64 boxes, float32 (N, D) descriptors), no copies."""
        detections = cls.__new__(cls)
        detections.tlwh, detections.confidence, detections.feature = tlwh, confidence, feature
        return detections

    @classmethod
    def from_list(cls, detections: Iterable[Detection]) -> Detections:
        """Stack single :class:`Detection` objects (the published tracker's input)."""
        detections = list(detections)
        if not detections:
            return cls(np.zeros((0, 4)), np.zeros(0))
        return cls([d.tlwh for d in detections], [d.confidence for d in detections],
                   [d.feature for d in detections])

    def __len__(self) -> int:
        return len(self.tlwh)

    def __getitem__(self, rows: npt.ArrayLike | slice) -> Detections:
        """Select rows (integer indices, a mask or a slice), in the given order."""
        return Detections.from_checked(self.tlwh[rows], self.confidence[rows], self.feature[rows])

    def __iter__(self) -> Iterator[Detection]:
        for tlwh, confidence, feature in zip(self.tlwh, self.confidence, self.feature):
            yield Detection(tlwh, confidence, feature)

    def to_xyah(self) -> npt.NDArray[np.float64]:
        """Return the boxes as (centre x, centre y, w / h, h), shape (N, 4)."""
        return tlwh_to_xyah(self.tlwh)

    def to_tlbr(self) -> npt.NDArray[np.float64]:
        """Return the boxes as (x1, y1, x2, y2), shape (N, 4)."""
        return tlwh_to_tlbr(self.tlwh)

    def __repr__(self) -> str:
        return f"Detections(n={len(self)}, descriptor length={self.feature.shape[1]})"


class Detection:
    """A single detection: a box, a confidence and an optional descriptor.

    The published tracker's input unit; :class:`Detections` holds a frame's
    detections as arrays and converts from a list of these.

    Parameters
    ----------
    tlwh : array-like of shape (4,)
        Box (left, top, width, height) in pixels; finite, width and height positive.
    confidence : float
    feature : array-like of shape (D,), optional
        Appearance descriptor (stored as float32); None: no appearance.

    Examples
    --------
    >>> Detection([10, 20, 30, 40], 0.9).to_tlbr().tolist()
    [10.0, 20.0, 40.0, 60.0]
    """

    __slots__ = ("tlwh", "confidence", "feature")

    def __init__(self, tlwh: npt.ArrayLike, confidence: float, feature: npt.ArrayLike | None = None) -> None:
        checked = Detections(tlwh, [confidence], None if feature is None else [feature])
        self.tlwh = checked.tlwh[0]
        self.confidence = confidence
        self.feature = checked.feature[0]

    def to_tlbr(self) -> npt.NDArray[np.float64]:
        """Return the box as (x1, y1, x2, y2), shape (4,)."""
        return tlwh_to_tlbr(self.tlwh)

    def to_xyah(self) -> npt.NDArray[np.float64]:
        """Return the box as (centre x, centre y, w / h, h), shape (4,)."""
        return tlwh_to_xyah(self.tlwh)

    def __repr__(self) -> str:
        return f"Detection(tlwh={self.tlwh.tolist()}, confidence={float(self.confidence):.4f})"
