"""Tracking parameters and the tracker they describe.

:class:`TrackingConfig` holds every parameter of the published tracking
app (detection selection and tracker); :func:`create_tracker` builds the
tracker it describes. The command-line tools, the online API and the
parameter sweep all start from here.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from .nn_matching import NearestNeighborDistanceMetric
from .tracker import Tracker


@dataclass(frozen=True)
class TrackingConfig:
    """Parameters of the tracking app (defaults: the published deep_sort_app.py).

    Attributes
    ----------
    min_confidence : float
        Detections with a lower confidence are dropped.
    min_detection_height : float
        Detections with a smaller height (pixels) are dropped.
    nms_max_overlap : float
        Non-maximum suppression threshold in [0, 1]; 1.0 suppresses nothing.
    max_cosine_distance : float
        Gating threshold of the appearance (cosine) distance, in [0, 2].
    nn_budget : int or None
        Gallery size per track; None keeps every descriptor.
    max_iou_distance : float
        Largest ``1 - IoU`` of an association in the IoU stage, in [0, 1].
    max_age : int
        Frames a confirmed track survives without association.
    n_init : int
        Consecutive hits that confirm a track.

    Raises
    ------
    ValueError
        A value outside its range; the message names the parameter and the range.

    Examples
    --------
    >>> TrackingConfig.paper().nn_budget
    100
    >>> TrackingConfig(max_age=0)
    Traceback (most recent call last):
    ...
    ValueError: max_age must be a positive integer, got 0
    """

    min_confidence: float = 0.8
    min_detection_height: float = 0
    nms_max_overlap: float = 1.0
    max_cosine_distance: float = 0.2
    nn_budget: int | None = None
    max_iou_distance: float = 0.7
    max_age: int = 30
    n_init: int = 3

    def __post_init__(self) -> None:
        for name, (ok, allowed) in self._ranges().items():
            if not ok:
                raise ValueError(f"{name} must be {allowed}, got {getattr(self, name)!r}")

    def _ranges(self) -> dict[str, tuple[bool, str]]:
        def number(value: object) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        def whole(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        return {
            "min_confidence": (number(self.min_confidence), "a finite number"),
            "min_detection_height": (number(self.min_detection_height) and self.min_detection_height >= 0,
                                     ">= 0"),
            "nms_max_overlap": (number(self.nms_max_overlap) and 0 <= self.nms_max_overlap <= 1, "in [0, 1]"),
            "max_cosine_distance": (number(self.max_cosine_distance) and 0 <= self.max_cosine_distance <= 2,
                                    "in [0, 2]"),
            "nn_budget": (self.nn_budget is None or (whole(self.nn_budget) and self.nn_budget >= 1),
                          "a positive integer or None"),
            "max_iou_distance": (number(self.max_iou_distance) and 0 <= self.max_iou_distance <= 1, "in [0, 1]"),
            "max_age": (whole(self.max_age) and self.max_age >= 1, "a positive integer"),
            "n_init": (whole(self.n_init) and self.n_init >= 1, "a positive integer"),
        }

    @classmethod
    def paper(cls, **overrides: object) -> TrackingConfig:
        """The settings of the paper's MOT16 results (evaluate_motchallenge.py defaults)."""
        return cls(**{"min_confidence": 0.3, "nn_budget": 100, **overrides})

    @classmethod
    def names(cls) -> list[str]:
        """Return the parameter names, in declaration order."""
        return [field.name for field in fields(cls)]

    def as_dict(self) -> dict:
        """Return the parameters as a plain dict."""
        return asdict(self)


def create_tracker(config: TrackingConfig, with_appearance: bool = True) -> Tracker:
    """Build the tracker of ``config``: cosine appearance metric, or motion-only.

    Parameters
    ----------
    config : TrackingConfig
    with_appearance : bool
        False for detections without descriptors: the matching cascade then
        uses the gated IoU cost (see :class:`~deep_sort.tracker.Tracker`).

    Returns
    -------
    Tracker
    """
    metric = (
        NearestNeighborDistanceMetric("cosine", config.max_cosine_distance, config.nn_budget)
        if with_appearance
        else None
    )
    return Tracker(metric, max_iou_distance=config.max_iou_distance, max_age=config.max_age, n_init=config.n_init)
