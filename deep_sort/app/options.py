"""Command-line options of the tracker, shared by deep_sort_app.py and evaluate_motchallenge.py."""
from __future__ import annotations

import argparse

from ..config import TrackingConfig
from ..io.errors import InputError


def _optional_int(text: str) -> int | None:
    if text.strip().lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number or None, got {text!r}") from None


def add_tracking_arguments(parser: argparse.ArgumentParser, defaults: TrackingConfig) -> None:
    """Add the tracker's options (value forms of the published app) to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
    defaults : TrackingConfig
        Shown as defaults: ``TrackingConfig()`` for the app, ``TrackingConfig.paper()``
        for the evaluation script.
    """
    group = parser.add_argument_group("tracker options")
    group.add_argument(
        "--min_confidence", type=float, default=defaults.min_confidence,
        help="Drop detections with a lower confidence. Default: %(default)s.")
    group.add_argument(
        "--min_detection_height", type=float, default=defaults.min_detection_height,
        help="Drop detections with a smaller height, in pixels. Default: %(default)s.")
    group.add_argument(
        "--nms_max_overlap", type=float, default=defaults.nms_max_overlap,
        help="Non-maximum suppression threshold (largest overlap kept); 1.0 suppresses only "
             "exact containment. Default: %(default)s.")
    group.add_argument(
        "--max_cosine_distance", type=float, default=defaults.max_cosine_distance,
        help="Gating threshold of the cosine appearance distance. Default: %(default)s.")
    group.add_argument(
        "--nn_budget", type=_optional_int, default=defaults.nn_budget,
        help="Most recent appearance descriptors kept per track; None keeps all. Default: %(default)s.")
    group.add_argument(
        "--max_iou_distance", type=float, default=defaults.max_iou_distance,
        help="Largest 1 - IoU of an association in the IoU stage. Default: %(default)s.")
    group.add_argument(
        "--max_age", type=int, default=defaults.max_age,
        help="Frames a confirmed track survives without a detection (also the matching "
             "cascade depth). Default: %(default)s.")
    group.add_argument(
        "--n_init", type=int, default=defaults.n_init,
        help="Consecutive detections needed to confirm a track. Default: %(default)s.")


def tracking_config_from_args(args: argparse.Namespace) -> TrackingConfig:
    """Build the :class:`TrackingConfig` from parsed options (validates ranges).

    Raises
    ------
    InputError
        A value out of its allowed range.
    """
    try:
        return TrackingConfig(**{name: getattr(args, name) for name in TrackingConfig.names()})
    except ValueError as exc:
        raise InputError(f"--{exc}") from None
