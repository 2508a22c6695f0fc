"""``deep_sort_app.py``: track one MOT sequence and write the MOT result file."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .cli import configure_logging, parse_bool
from .options import add_tracking_arguments, tracking_config_from_args
from ..config import TrackingConfig
from ..io.mot import sequence_input_files
from ..io.outputs import claim_outputs
from .pipeline import FrameCallback, track_sequence

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of deep_sort_app.py."""
    parser = argparse.ArgumentParser(
        prog="deep_sort_app.py",
        description="Track one MOTChallenge sequence with DeepSORT and write a MOT result file.",
    )
    parser.add_argument(
        "--sequence_dir", required=True,
        help="Sequence directory (seqinfo.ini, img1/ optional, det/det.txt).")
    parser.add_argument(
        "--detection_file", default=None,
        help="Detections: an N x (10 + D) .npy with appearance descriptors (from "
             "tools/generate_detections.py), or a MOT det.txt for motion-only tracking. "
             "Default: the sequence's det/det.txt (motion-only).")
    parser.add_argument(
        "--output_file", default="hypotheses.txt",
        help="Result file to write (MOT format). Default: %(default)s.")
    add_tracking_arguments(parser, TrackingConfig())
    parser.add_argument(
        "--display", type=parse_bool, default=True, nargs="?", const=True,
        help="Show detections and tracks in a window (True/False). Without a screen or "
             "images the run continues headless. Default: %(default)s.")
    parser.add_argument("--quiet", action="store_true", help="No progress bar and no summary.")
    return parser


def _display_callback(sequence_dir: str) -> tuple[FrameCallback | None, object | None]:
    """Set up the OpenCV display if a screen and images exist; else say why not."""
    from ..io.mot import read_sequence

    seq_info = read_sequence(sequence_dir)
    if not seq_info.image_filenames:
        print(f"display: {sequence_dir} has no images; running without display", file=sys.stderr)
        return None, None
    from .image_viewer import screen_available
    from .visualization import SequenceVisualizer

    if not screen_available():
        print("display: no screen available; running without display", file=sys.stderr)
        return None, None
    visualizer = SequenceVisualizer(seq_info, show_detections=True, window=True)

    def callback(frame_idx, detections, tracker) -> bool:
        # False (Esc, q or a closed window) stops the run.
        return visualizer.show_tracking_frame(frame_idx, detections, tracker.tracks)

    return callback, visualizer


def main(argv: Sequence[str] | None = None) -> int:
    """Run deep_sort_app.py; return the exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(quiet=args.quiet)
    config = tracking_config_from_args(args)
    inputs = {**sequence_input_files(args.sequence_dir), args.detection_file: "--detection_file"}
    with claim_outputs(files=[args.output_file], inputs=inputs):
        callback, visualizer = _display_callback(args.sequence_dir) if args.display else (None, None)
        try:
            results = track_sequence(
                args.sequence_dir, args.detection_file, args.output_file, config,
                progress=not args.quiet, frame_callback=callback,
            )
        finally:
            if visualizer is not None:
                visualizer.close()
    if not args.quiet:
        n_tracks = len(set(results[:, 1].astype(int).tolist()))
        print(f"wrote {len(results)} rows of {n_tracks} tracks to {Path(args.output_file)}", file=sys.stderr)
    return 0
