"""``tools/track_video.py``: track a video file given per-frame detections.

Reads the video with OpenCV, feeds every frame's detections (MOT det
format, frame 1 = the first video frame) to :class:`deep_sort.DeepSort`, and
writes the MOT result file and/or a video with the tracks drawn on the frames
(:class:`~deep_sort.app.visualization.FrameRenderer`). Appearance comes from
``--model`` run on crops of the frames, else from the descriptors of a
``.npy`` detection file, else tracking is motion-only.
"""
from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .. import extras
from ..io.errors import InputError
from ..io.mot import MOT_COLUMNS, frame_offsets, load_detections, write_results
from ..io.outputs import claim_outputs
from ..online import DeepSort
from ..config import TrackingConfig
from .cli import ToolParser, configure_logging, non_negative_int, positive_int, run_main
from .options import add_tracking_arguments, tracking_config_from_args
from .video import VideoWriter, check_video_path, quiet_ffmpeg
from .visualization import DEFAULT_FPS, FrameRenderer

logger = logging.getLogger(__name__)


def build_parser() -> ToolParser:
    """Return the argument parser of tools/track_video.py."""
    parser = ToolParser(
        "tools/track_video.py", __name__,
        description="Track a video file with DeepSORT given per-frame detections; write MOT results "
                    "and/or a rendered video.",
    )
    parser.add_argument("--video", required=True, help="Input video (any file OpenCV reads).")
    parser.add_argument(
        "--detections", required=True,
        help="Detections in MOT det format, frame 1 = the first video frame: a det.txt, or an "
             "N x (10 + D) .npy whose descriptors give appearance (unless --model is given).")
    parser.add_argument(
        "--model", default=None,
        help="Appearance model run on crops of each frame: a frozen TensorFlow graph (.pb, e.g. "
             "mars-small128.pb) or an ONNX model (.onnx).")
    parser.add_argument(
        "--backend", choices=("auto", "onnxruntime", "openvino", "tensorflow"), default="auto",
        help="Inference backend of --model; auto: onnxruntime for .onnx, else OpenVINO if installed, "
             "else TensorFlow. Default: %(default)s.")
    parser.add_argument("--batch_size", type=positive_int, default=32,
                        help="Crops per inference call of --model. Default: %(default)s.")
    parser.add_argument("--output", default=None, help="Rendered video to write (.mp4, .avi, .mkv, .mov).")
    parser.add_argument("--results", default=None, help="MOT result file to write.")
    add_tracking_arguments(parser, TrackingConfig.paper())
    drawing = parser.add_argument_group("video options")
    drawing.add_argument("--show_detections", action="store_true",
                         help="Also draw the frame's detections (thin white boxes).")
    drawing.add_argument("--trail_length", type=non_negative_int, default=0,
                         help="Draw each track's path over its last N frames. Default: %(default)s (off).")
    drawing.add_argument("--hide_info", action="store_true", help="No frame number / count overlay.")
    drawing.add_argument("--convert_h264", action="store_true",
                         help="Re-encode the video to H.264 (imageio-ffmpeg's ffmpeg).")
    parser.add_progress_options()
    return parser


def check_video_file(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is a non-empty binary file, before any work.

    FFmpeg (OpenCV's reader) renders plain text files as frames of text
    (its ``tty`` format), so a det.txt given as the video would be
    "tracked"; a text file is refused here instead.

    Raises
    ------
    InputError
        Missing, empty, or text (no NUL byte in the first 4 KiB and valid UTF-8).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: video file does not exist")
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError as exc:
        raise InputError(f"{path}: cannot read video ({exc.strerror or exc})") from None
    if not head:
        raise InputError(f"{path}: video file is empty")
    if b"\0" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut at the end of the chunk
                return path
        raise InputError(f"{path}: this is a text file, not a video (are --video and --detections swapped?)")
    return path


@contextlib.contextmanager
def open_video(path: str | os.PathLike[str]) -> Iterator[tuple[Iterator[np.ndarray], float, int | None]]:
    """Open a video for reading.

    Yields
    ------
    frames : iterator of ndarray of shape (H, W, 3), uint8
        BGR frames in order.
    fps : float
        The video's frame rate (30 if the container does not say).
    n_frames : int or None
        Frame count announced by the container (may be inexact), None if unknown.

    Raises
    ------
    InputError
        Missing, empty or text file, or OpenCV cannot open or decode it.
    """
    import cv2

    path = check_video_file(path)
    quiet_ffmpeg()  # FFmpeg's own log lines would come before the one-line error
    capture = cv2.VideoCapture(os.fspath(path))
    try:
        if not capture.isOpened():
            raise InputError(f"{path}: OpenCV cannot open this video")
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))

        def frames() -> Iterator[np.ndarray]:
            while True:
                ok, image = capture.read()
                if not ok:
                    return
                yield image

        yield frames(), (fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS), (count if count > 0 else None)
    finally:
        capture.release()


def track_frames(
    frames: Iterable[np.ndarray],
    detections: np.ndarray,
    tracker: DeepSort,
    *,
    writer: VideoWriter | None = None,
    renderer: FrameRenderer | None = None,
    show_detections: bool = False,
) -> npt.NDArray[np.float64]:
    """Track a stream of frames given their detections; optionally draw the tracks into ``writer``.

    Parameters
    ----------
    frames : iterable of ndarray of shape (H, W, 3), uint8
        BGR frames; the first is frame 1.
    detections : ndarray of shape (N, 10 + D), float
        MOT det rows, descriptors appended when D > 0; the descriptors are
        used unless ``tracker`` has an encoder. Rows of frames after the
        last one are ignored.
    tracker : DeepSort
        A fresh tracker (its encoder, if any, runs on the frames).
    writer : VideoWriter, optional
        Receives one annotated frame per input frame.
    renderer : FrameRenderer, optional
        Draws the frames for ``writer``; default one without trails.
    show_detections : bool
        Draw the frame's detections too.

    Returns
    -------
    ndarray of shape (M, 10), float64
        MOT result rows of every frame (see :meth:`deep_sort.Tracks.to_mot_rows`).
    """
    renderer = renderer or FrameRenderer()
    with_descriptors = detections.shape[1] > MOT_COLUMNS and tracker.encoder is None
    order, offsets = frame_offsets(detections[:, 0])
    results: list[np.ndarray] = [np.zeros((0, 10))]
    for frame_idx, image in enumerate(frames, start=1):
        start, stop = offsets.get(frame_idx, (0, 0))
        rows = detections[order[start:stop]]
        tracks = tracker.update(
            rows[:, 2:6], rows[:, 6], frame=image,
            features=rows[:, MOT_COLUMNS:] if with_descriptors else None,
        )
        results.append(tracks.to_mot_rows(frame_idx))
        if writer is not None:
            track_rows = np.column_stack([tracks.track_id, tracks.tlwh])
            writer.write(renderer.render(frame_idx, image, track_rows, rows[:, 2:6] if show_detections else None))
    return np.concatenate(results)


def main(argv: Sequence[str] | None = None) -> int:
    """Run tools/track_video.py; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.output is None and args.results is None:
        parser.error("nothing to write: give --output VIDEO and/or --results FILE")
    if args.convert_h264 and args.output is None:
        parser.error("--convert_h264 needs --output")
    configure_logging(verbose=args.verbose)
    if args.convert_h264:
        extras.require(f"{parser.prog} --convert_h264", extras.VIDEO)
    if args.model is not None:
        from ..features.encoder import resolve_backend

        backend = resolve_backend(args.model, args.backend)
    if args.output is not None:
        check_video_path(args.output)
    config = tracking_config_from_args(args)
    check_video_file(args.video)
    detections = load_detections(args.detections)
    encoder = None
    if args.model is not None:
        from ..features.encoder import create_box_encoder

        encoder = create_box_encoder(args.model, batch_size=args.batch_size, backend=backend)
        if detections.shape[1] > MOT_COLUMNS:
            logger.info("%s: descriptors in the file are ignored, --model computes them", args.detections)
    tracker = DeepSort(**config.as_dict(), encoder=encoder)
    files_read = {args.video: "--video", args.detections: "--detections", args.model: "--model"}

    with claim_outputs(files=[args.output, args.results], inputs=files_read), \
            open_video(args.video) as (frames, fps, n_announced), contextlib.ExitStack() as stack:
        writer = None
        if args.output is not None:
            writer = stack.enter_context(VideoWriter(args.output, fps, convert_h264=args.convert_h264))
        if not args.quiet:
            from tqdm import tqdm

            frames = tqdm(frames, total=n_announced, desc=Path(args.video).name, unit="frame", leave=False)
        renderer = FrameRenderer(trail_length=args.trail_length, show_info=not args.hide_info,
                                 sequence_name=Path(args.video).stem, last_frame=n_announced)
        results = track_frames(frames, detections, tracker, writer=writer, renderer=renderer,
                               show_detections=args.show_detections)
        if tracker.frame_count == 0:
            raise InputError(f"{args.video}: no frame could be decoded")
        n_after = int(np.sum(detections[:, 0] > tracker.frame_count))
        if n_after:
            logger.warning("%s: %d detection rows in frames after the video's last frame %d were ignored",
                           args.detections, n_after, tracker.frame_count)
        if args.results is not None:
            write_results(args.results, results)
    n_tracks = len(np.unique(results[:, 1]))
    written = ", ".join(str(p) for p in (args.results, args.output) if p is not None)
    how = "" if encoder is not None or detections.shape[1] > MOT_COLUMNS else (
        " (motion-only: no appearance descriptors in the detections and no --model)")
    print(f"tracked {tracker.frame_count} frames: {len(results)} rows of {n_tracks} tracks{how}; wrote {written}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
