"""A single detection in one frame."""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .boxes import tlwh_to_tlbr, tlwh_to_xyah


class Detection:
    """A bounding box with a confidence and an optional appearance descriptor.

    Parameters
    ----------
    tlwh : array-like of shape (4,)
        Box (left, top, width, height) in pixels; width and height positive.
    confidence : float
        Detector confidence score.
    feature : array-like of shape (D,), optional
        Appearance descriptor. Stored as float32, as the published tracker
        does: the cosine distances are computed in single precision. ``None``
        or an empty array means no appearance (motion/IoU-only tracking).

    Attributes
    ----------
    tlwh : ndarray of shape (4,), float64
    confidence : float
    feature : ndarray of shape (D,), float32; D = 0 without appearance

    Raises
    ------
    ValueError
        If ``tlwh`` does not hold 4 finite numbers with positive width and height.
    """

    __slots__ = ("tlwh", "confidence", "feature")

    def __init__(self, tlwh: npt.ArrayLike, confidence: float, feature: npt.ArrayLike | None = None) -> None:
        self.tlwh = np.asarray(tlwh, dtype=np.float64)
        if self.tlwh.shape != (4,) or not np.isfinite(self.tlwh).all():
            raise ValueError(f"tlwh must be 4 finite numbers, got {tlwh!r}")
        if self.tlwh[2] <= 0 or self.tlwh[3] <= 0:
            raise ValueError(f"tlwh width and height must be positive, got {self.tlwh.tolist()}")
        self.confidence = confidence
        self.feature = np.asarray([] if feature is None else feature, dtype=np.float32)

    @classmethod
    def from_arrays(
        cls,
        tlwh: npt.ArrayLike,
        confidence: npt.ArrayLike,
        features: npt.ArrayLike | None = None,
    ) -> list[Detection]:
        """Create one detection per row, validating the whole stack at once.

        Equivalent to ``[Detection(tlwh[i], confidence[i], features[i]) for i in
        range(N)]`` (same values, dtypes and errors) without per-row checks.

        Parameters
        ----------
        tlwh : array-like of shape (N, 4)
            Boxes (left, top, width, height), pixels.
        confidence : array-like of shape (N,)
            Detector scores; each detection gets the element as is (a numpy
            scalar for an ndarray).
        features : array-like of shape (N, D), optional
            Appearance descriptors, stored as float32 rows of one array.

        Returns
        -------
        list of Detection

        Raises
        ------
        ValueError
            If a box is not finite or has a non-positive width or height.

        Examples
        --------
        >>> [d.tlwh.tolist() for d in Detection.from_arrays([[1, 2, 3, 4]], [0.5])]
        [[1.0, 2.0, 3.0, 4.0]]
        """
        tlwh = np.array(tlwh, dtype=np.float64).reshape(-1, 4)
        n = len(tlwh)
        if n == 0:
            return []
        cls.check_boxes(tlwh)
        if features is None:
            features = np.zeros((n, 0), dtype=np.float32)
        else:
            features = np.array(features, dtype=np.float32).reshape(n, -1)
        return cls.from_valid_arrays(tlwh, confidence, features)

    @classmethod
    def check_boxes(cls, tlwh: npt.NDArray[np.float64]) -> None:
        """Raise the error :class:`Detection` would give for the first bad row of ``tlwh`` (N, 4), if any."""
        if not np.isfinite(tlwh).all() or (tlwh[:, 2:] <= 0).any():
            bad = int(np.flatnonzero(~np.isfinite(tlwh).all(axis=1) | (tlwh[:, 2:] <= 0).any(axis=1))[0])
            cls(tlwh[bad], 0.0)  # raises with the single-detection message

    @classmethod
    def from_valid_arrays(
        cls, tlwh: npt.NDArray[np.float64], confidence: npt.ArrayLike, features: npt.NDArray[np.float32]
    ) -> list[Detection]:
        """:meth:`from_arrays` for arrays already checked and converted: no checks, no copies.

        Parameters
        ----------
        tlwh : ndarray of shape (N, 4), float64
            Finite boxes with positive width and height; rows become the
            detections' ``tlwh`` (views, so do not modify the array).
        confidence : array-like of shape (N,)
        features : ndarray of shape (N, D), float32
            D may be 0; rows become the detections' ``feature`` (views).

        Returns
        -------
        list of Detection
        """
        new = cls.__new__
        detections = []
        for box, score, feature in zip(tlwh, confidence, features):
            detection = new(cls)
            detection.tlwh = box
            detection.confidence = score
            detection.feature = feature
            detections.append(detection)
        return detections

    def to_tlbr(self) -> npt.NDArray[np.float64]:
        """Return the box as (x1, y1, x2, y2), shape (4,)."""
        return tlwh_to_tlbr(self.tlwh)

    def to_xyah(self) -> npt.NDArray[np.float64]:
        """Return the box as (centre x, centre y, w / h, h), shape (4,)."""
        return tlwh_to_xyah(self.tlwh)

    def __repr__(self) -> str:
        return f"Detection(tlwh={self.tlwh.tolist()}, confidence={float(self.confidence):.4f})"
