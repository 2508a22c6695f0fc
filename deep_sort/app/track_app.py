"""``deep_sort_app.py``: track one MOT sequence and write the MOT result file."""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import TrackingConfig
from ..io.mot import MOT_COLUMNS, sequence_input_files
from ..io.outputs import claim_outputs
from .cli import ToolParser, configure_logging, exit_now, parse_bool, run_main
from .options import add_tracking_arguments, tracking_config_from_args
from .pipeline import FrameCallback, track_sequence

logger = logging.getLogger(__name__)


def build_parser() -> ToolParser:
    """Return the argument parser of deep_sort_app.py."""
    parser = ToolParser(
        "deep_sort_app.py", __name__,
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
    parser.add_progress_options(verbose=False)
    return parser


def has_descriptors(detection_file: str | None) -> bool:
    """Whether a detection file carries appearance descriptors (an N x (10 + D) .npy, D > 0).

    Reads only the ``.npy`` header; a text file (det.txt format) has none.
    Unreadable files count as having descriptors: the loader reports them.
    """
    if detection_file is None or not str(detection_file).lower().endswith(".npy"):
        return False
    import numpy as np

    try:
        shape = np.load(detection_file, mmap_mode="r", allow_pickle=False).shape
    except (OSError, ValueError):
        return True
    return len(shape) == 2 and shape[1] > MOT_COLUMNS


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
    configure_logging()
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
    n_tracks = len(set(results[:, 1].astype(int).tolist()))
    how = "" if has_descriptors(args.detection_file) else (
        f" (motion-only: {args.detection_file or 'det/det.txt'} has no appearance descriptors)")
    print(f"wrote {len(results)} rows of {n_tracks} tracks to {Path(args.output_file)}{how}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    exit_now(run_main(main))
