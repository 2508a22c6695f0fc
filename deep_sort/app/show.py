"""Look at tracking results: play a sequence in a window or render it to a video.

Entry point of ``show_results.py`` (:func:`main`); also loads and checks the
inputs and renders whole sequences for ``generate_videos.py``. The drawing
itself is :class:`~deep_sort.app.visualization.SequenceVisualizer`.

Frames without an image (detection-only sequences) are drawn on a blank
canvas of the sequence size (seqinfo.ini ``imWidth`` x ``imHeight``).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import extras
from ..io.errors import InputError
from ..io.limits import MAX_VIDEO_SIDE
from ..io.mot import (
    SequenceInfo,
    line_of_row,
    load_detections,
    load_groundtruth,
    load_results,
    read_sequence,
    sequence_input_files,
)
from ..io.outputs import claim_outputs
from .cli import ToolParser, configure_logging, non_negative_int, positive_int, run_main
from .image_viewer import screen_available
from .video import check_video_path
from .visualization import (
    DEFAULT_CANVAS_SIZE,
    FrameData,
    FrameTable,
    SequenceVisualizer,
    sequence_frame_range,
)

logger = logging.getLogger(__name__)


def parse_frame_range(text: str) -> tuple[int | None, int | None]:
    """Parse ``--frames A:B`` (inclusive, 1-based; ``A:``, ``:B`` and ``A`` allowed).

    Raises
    ------
    argparse.ArgumentTypeError
        If the text is not of that form, a bound is below 1, or A > B.

    Examples
    --------
    >>> parse_frame_range("10:20"), parse_frame_range("5:"), parse_frame_range("7")
    ((10, 20), (5, None), (7, 7))
    """
    first_text, colon, last_text = text.strip().partition(":")
    if not colon:
        last_text = first_text
    bounds = []
    for part in (first_text, last_text):
        part = part.strip()
        if not part:
            bounds.append(None)
            continue
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(f"expected FIRST:LAST with frame numbers >= 1, got {text!r}")
        bounds.append(int(part))
    first, last = bounds
    if first is not None and last is not None and first > last:
        raise argparse.ArgumentTypeError(f"first frame after last frame in {text!r}")
    return first, last


def check_frames_in_sequence(rows: np.ndarray, path: str | os.PathLike[str], seq_info: SequenceInfo,
                             frame_range: tuple[int, int]) -> None:
    """Raise if a row's frame lies outside the sequence.

    Parameters
    ----------
    rows : ndarray of shape (N, C), float
        MOT rows (frame in column 0), in file order.
    path : str or PathLike
        File the rows came from, named in the message.
    seq_info : SequenceInfo
        The sequence (its name is in the message).
    frame_range : tuple of (int, int)
        Valid (first, last) frames, inclusive.

    Raises
    ------
    InputError
        Naming the file, the line (text files) or row (.npy) and the frame.
    """
    frames = rows[:, 0]
    outside = (frames < frame_range[0]) | (frames > frame_range[1])
    if not outside.any():
        return
    index = int(np.flatnonzero(outside)[0])
    where = f"row {index + 1}" if Path(path).suffix.lower() == ".npy" else f"line {line_of_row(path, index)}"
    raise InputError(
        f"{path}: {where}: frame {int(frames[index])} is outside sequence {seq_info.name} "
        f"(frames {frame_range[0]}..{frame_range[1]})"
    )


@dataclass(frozen=True)
class ShowInputs:
    """Everything needed to draw one sequence, loaded and checked up front.

    Attributes
    ----------
    seq_info : SequenceInfo
    results : ndarray of shape (N, C >= 6), float
        Tracker result rows (frame, id, l, t, w, h, ...).
    detections : ndarray of shape (M, C >= 6), float, or None
        Detection rows to draw, already filtered by confidence.
    groundtruth : ndarray of shape (G, 9 or 10), float, or None
        gt.txt rows when ground truth is shown.
    frames : range
        Frames to draw, in order.
    canvas_size : tuple of (int, int)
        (width, height) of blank frames.
    """

    seq_info: SequenceInfo
    results: np.ndarray
    detections: np.ndarray | None
    groundtruth: np.ndarray | None
    frames: range
    canvas_size: tuple[int, int]

    def frame_data(self) -> Callable[[int], FrameData]:
        """Return ``frame_idx -> (tracks (K, 5), detections_tlwh (M, 4) or None)``."""
        results = FrameTable(self.results)
        detections = FrameTable(self.detections) if self.detections is not None else None

        def lookup(frame_idx: int) -> FrameData:
            tracks = results[frame_idx][:, 1:6]
            return tracks, detections[frame_idx][:, 2:6] if detections is not None else None

        return lookup


def _canvas_size(seq_info: SequenceInfo, named: list[tuple[np.ndarray | None, object]]) -> tuple[int, int]:
    """Size of blank frames: the sequence's image size, else the extent of the boxes.

    Raises
    ------
    InputError
        The size exceeds :data:`~deep_sort.io.limits.MAX_VIDEO_SIDE` (naming
        seqinfo.ini, or the file and row of the box that reaches farthest).
    """
    if seq_info.image_size:
        width, height = seq_info.image_size
        if max(width, height) > MAX_VIDEO_SIDE and not seq_info.image_filenames:
            raise InputError(f"{seq_info.sequence_dir / 'seqinfo.ini'}: imWidth x imHeight {width}x{height} is "
                             f"too large to draw (at most {MAX_VIDEO_SIDE} px per side)")
        return seq_info.image_size
    size = [64, 64]
    for rows, path in named:
        if rows is None or len(rows) == 0:
            continue
        for axis in (0, 1):
            extent = rows[:, 2 + axis] + rows[:, 4 + axis]
            far = int(np.argmax(extent))
            if extent[far] > MAX_VIDEO_SIDE:
                raise InputError(
                    f"{path}: row {far + 1}: a box reaches {extent[far]:g} px; without imWidth/imHeight in "
                    f"seqinfo.ini the frame would be larger than {MAX_VIDEO_SIDE} px per side")
            size[axis] = max(size[axis], int(np.ceil(extent[far])))
    if size == [64, 64] and not any(rows is not None and len(rows) for rows, _ in named):
        return DEFAULT_CANVAS_SIZE
    # Even sizes keep H.264 (yuv420p) from padding the frame.
    return size[0] + size[0] % 2, size[1] + size[1] % 2


def load_inputs(
    sequence_dir: str | os.PathLike[str],
    result_file: str | os.PathLike[str],
    *,
    detection_file: str | os.PathLike[str] | None = None,
    min_confidence: float | None = None,
    show_gt: bool = False,
    frame_range: tuple[int | None, int | None] | None = None,
) -> ShowInputs:
    """Read and check a sequence, its results and optionally detections and gt.

    Parameters
    ----------
    sequence_dir : str or PathLike
        MOT sequence directory.
    result_file : str or PathLike
        Tracker output in MOT format.
    detection_file : str or PathLike, optional
        Detections to draw (``.npy`` with descriptors, or det.txt format).
    min_confidence : float, optional
        Only draw detections with at least this confidence (column 6).
    show_gt : bool
        Load gt/gt.txt of the sequence.
    frame_range : tuple of (int or None, int or None), optional
        Inclusive (first, last) frames to draw; None ends are open.

    Returns
    -------
    ShowInputs

    Raises
    ------
    InputError
        Malformed or missing files, result or detection rows outside the
        sequence, no gt with ``show_gt``, a frame range outside the sequence,
        nothing to draw.
    """
    seq_info = read_sequence(sequence_dir)
    results = load_results(result_file)
    detections = load_detections(detection_file) if detection_file is not None else None
    groundtruth = None
    if show_gt:
        if seq_info.groundtruth_path is None:
            raise InputError(f"{sequence_dir}: no gt/gt.txt to show (sequence {seq_info.name})")
        groundtruth = load_groundtruth(seq_info.groundtruth_path)
    sequence_range = sequence_frame_range(seq_info)
    named = [(results, result_file), (detections, detection_file)]
    if sequence_range is not None:
        for rows, path in named:
            if rows is not None:
                check_frames_in_sequence(rows, path, seq_info, sequence_range)
    else:
        data_frames = np.concatenate([rows[:, 0] for rows, _ in named if rows is not None])
        if len(data_frames) == 0:
            raise InputError(
                f"{sequence_dir}: no images, no seqinfo.ini and no result rows: nothing to show"
            )
        sequence_range = int(data_frames.min()), int(data_frames.max())
    if detections is not None and min_confidence is not None:
        detections = detections[detections[:, 6] >= min_confidence]
    first, last = sequence_range
    if frame_range is not None:
        wanted_first = frame_range[0] if frame_range[0] is not None else first
        wanted_last = frame_range[1] if frame_range[1] is not None else last
        if wanted_first > last or wanted_last < first:
            raise InputError(
                f"--frames {wanted_first}:{wanted_last} is outside sequence {seq_info.name} "
                f"(frames {first}..{last})"
            )
        first, last = max(first, wanted_first), min(last, wanted_last)
    return ShowInputs(seq_info, results, detections, groundtruth, range(first, last + 1),
                      _canvas_size(seq_info, named))


@dataclass(frozen=True)
class RenderOptions:
    """How a sequence is drawn and encoded (shared by show_results and generate_videos).

    Attributes
    ----------
    update_ms : int or None
        Milliseconds per frame; None = the sequence frame rate.
    convert_h264 : bool
        Re-encode videos to H.264.
    trail_length : int
        Frames of trail behind each track (0 = none).
    show_info : bool
        Draw the info overlay.
    """

    update_ms: int | None = None
    convert_h264: bool = False
    trail_length: int = 0
    show_info: bool = True


def _visualizer(inputs: ShowInputs, options: RenderOptions, **kwargs) -> SequenceVisualizer:
    return SequenceVisualizer(
        inputs.seq_info,
        show_detections=inputs.detections is not None,
        show_gt=inputs.groundtruth is not None,
        groundtruth=inputs.groundtruth,
        trail_length=options.trail_length,
        show_info=options.show_info,
        update_ms=options.update_ms,
        canvas_size=inputs.canvas_size,
        **kwargs,
    )


def render_video(inputs: ShowInputs, output_file: str | os.PathLike[str], options: RenderOptions,
                 progress: bool = True, progress_position: int = 0) -> int:
    """Render ``inputs.frames`` into a video file (atomically; no window).

    Returns
    -------
    int
        Number of frames written.
    """
    from tqdm import tqdm

    frame_data = inputs.frame_data()
    with _visualizer(inputs, options, output_file=output_file,
                                              convert_h264=options.convert_h264) as visualizer:
        for frame_idx in tqdm(inputs.frames, desc=inputs.seq_info.name, unit="frame",
                              disable=not progress, position=progress_position, leave=progress_position == 0):
            tracks, detections_tlwh = frame_data(frame_idx)
            visualizer.update(frame_idx, tracks, detections_tlwh)
    return len(inputs.frames)


def play(inputs: ShowInputs, options: RenderOptions) -> int:
    """Play ``inputs.frames`` in an OpenCV window; return the number of frames shown."""
    visualizer = _visualizer(inputs, options, window=True)
    try:
        return visualizer.play(list(inputs.frames), inputs.frame_data())
    finally:
        visualizer.close()


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the drawing options shared by show_results and generate_videos."""
    parser.add_argument("--update_ms", type=positive_int, default=None,
                        help="Milliseconds per frame (window delay; video frame rate 1000/update_ms). "
                             "Default: from seqinfo.ini frameRate, else 30 fps.")
    parser.add_argument("--convert_h264", action="store_true",
                        help="Re-encode videos to H.264 with the ffmpeg bundled in imageio-ffmpeg "
                             "(smaller, plays in browsers).")
    parser.add_argument("--show_gt", action="store_true",
                        help="Also draw the ground truth (gt/gt.txt, dashed gold boxes).")
    parser.add_argument("--frames", type=parse_frame_range, default=None, metavar="A:B",
                        help="Only frames A to B, inclusive and 1-based (A: and :B leave an end open).")
    parser.add_argument("--trail_length", type=non_negative_int, default=0, metavar="N",
                        help="Draw the path of each track over its last N frames (default 0: off).")
    parser.add_argument("--hide_info", action="store_true",
                        help="Do not draw the info overlay (sequence, frame number, counts).")
    parser.add_progress_options()


def check_render_dependencies(prog: str, args: argparse.Namespace) -> None:
    """Raise :class:`~deep_sort.extras.MissingExtraError` if ``--convert_h264`` lacks imageio-ffmpeg."""
    if args.convert_h264:
        extras.require(f"{prog} --convert_h264", extras.VIDEO)


def render_options(args: argparse.Namespace) -> RenderOptions:
    """Build :class:`RenderOptions` from arguments added by :func:`add_render_arguments`."""
    return RenderOptions(update_ms=args.update_ms, convert_h264=args.convert_h264,
                         trail_length=args.trail_length, show_info=not args.hide_info)


def build_parser() -> ToolParser:
    """Return the show_results.py argument parser."""
    parser = ToolParser(
        "show_results.py", __name__,
        description="Show tracking results of a MOT sequence: track boxes coloured by id, optionally "
                    "detections and ground truth. Plays in a window (space: pause, left/right: step, "
                    "Esc/q: quit) or, with --output_file, renders a video without any screen.",
    )
    parser.add_argument("--sequence_dir", required=True, help="MOT sequence directory (seqinfo.ini, img1/).")
    parser.add_argument("--result_file", required=True, help="Tracker output in MOT format.")
    parser.add_argument("--detection_file", default=None,
                        help="Also draw these detections (.npy detection file or det.txt format), thin white.")
    parser.add_argument("--min_confidence", type=float, default=None,
                        help="Only draw detections with at least this confidence (default: all).")
    parser.add_argument("--output_file", default=None,
                        help="Render to this video (.mp4, .avi, .mkv, .mov) instead of opening a window.")
    add_render_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run show_results.py; return the exit code (bad input raises InputError)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.convert_h264 and args.output_file is None:
        parser.error("--convert_h264 needs --output_file")
    check_render_dependencies(parser.prog, args)
    configure_logging(verbose=args.verbose)
    if args.output_file is not None:
        check_video_path(args.output_file)
    inputs = load_inputs(args.sequence_dir, args.result_file, detection_file=args.detection_file,
                         min_confidence=args.min_confidence, show_gt=args.show_gt, frame_range=args.frames)
    options = render_options(args)
    if args.output_file is not None:
        files_read = {**sequence_input_files(args.sequence_dir), args.result_file: "--result_file",
                      args.detection_file: "--detection_file"}
        with claim_outputs(files=[args.output_file], inputs=files_read):
            n_frames = render_video(inputs, args.output_file, options, progress=not args.quiet)
        print(f"wrote {args.output_file} ({n_frames} frames of {inputs.seq_info.name})", file=sys.stderr)
        return 0
    if not screen_available():
        raise InputError(
            "no screen to open a window on (DISPLAY/WAYLAND_DISPLAY unset or unreachable, or OpenCV "
            "without GUI support): pass --output_file VIDEO to render a video instead"
        )
    play(inputs, options)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
