"""Track one MOT sequence: the published app's per-frame loop.

For every frame from the first to the last (see :func:`frame_range`), even
frames without detections: select the frame's detections (height
and confidence filters, non-maximum suppression), ``tracker.predict()``,
``tracker.update(detections)``, and output every confirmed track updated in
this or the previous frame, at its Kalman state's box.
"""
from __future__ import annotations

import bisect
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..blas_threads import single_blas_thread
from ..config import TrackingConfig, create_tracker
from ..detection import Detections
from ..io.errors import InputError
from ..io.mot import MOT_COLUMNS, SequenceInfo, frame_offsets, load_detections, read_sequence, write_results
from ..preprocessing import non_max_suppression, passes_filters, select_detections
from ..tracker import Tracker

logger = logging.getLogger(__name__)

#: Callback called after every frame: (frame_idx, detections after NMS, tracker).
#: Returning False stops the run after that frame (the display's Esc key).
FrameCallback = Callable[[int, Detections, Tracker], "bool | None"]


def frame_detections(rows: np.ndarray, config: TrackingConfig) -> Detections:
    """Turn one frame's detection rows into the tracker's input.

    The per-frame reading of the app's detection handling: :func:`iterate_tracking`
    gives every frame the same detections, with the filters and conversions
    done once for the whole sequence.

    Parameters
    ----------
    rows : ndarray of shape (K, 10 + D), float32 or float64
        The frame's rows in file order.
    config : TrackingConfig

    Returns
    -------
    Detections
        After the height and confidence filters and non-maximum suppression,
        in descending score (the order that decides new track ids).
    """
    rows = rows[select_detections(rows[:, 2:6], rows[:, 6].astype(np.float64), config)]
    return Detections(rows[:, 2:6], rows[:, 6].astype(np.float64), rows[:, MOT_COLUMNS:])


def frame_results(frame_idx: int, tracker: Tracker) -> npt.NDArray[np.float64]:
    """Output rows of a frame: confirmed tracks updated in this or the previous frame.

    Returns
    -------
    ndarray of shape (K, 6), float64
        frame, track_id, left, top, width, height, in track order.
    """
    selected = tracker.reported()
    results = np.empty((len(selected), 6))
    results[:, 0] = frame_idx
    results[:, 1] = tracker.track_id[selected]
    results[:, 2:] = tracker.to_tlwh()[selected]
    return results


def frame_range(seq_info: SequenceInfo, detections: np.ndarray) -> range:
    """Frames to process.

    With images: frames 1..seqLength when seqinfo.ini gives it (also when
    images are missing for some frames: a partly copied sequence is tracked
    whole), else the image file range, as the published app. Without images
    (detection-only): the detection range, limited to 1..seqLength when known.
    """
    if seq_info.image_filenames and seq_info.seq_length:
        return range(1, seq_info.seq_length + 1)
    if seq_info.image_filenames:
        frames = seq_info.image_filenames.keys()
        return range(min(frames), max(frames) + 1)
    if len(detections) == 0:
        return range(0)
    frames = detections[:, 0]
    last = int(frames.max()) if not seq_info.seq_length else min(int(frames.max()), seq_info.seq_length)
    return range(int(frames.min()), last + 1)


def _frames_to_step(frames: range, detection_frames: Sequence[int], tracker: Tracker,
                    every_frame: bool) -> Iterator[int]:
    """Yield the frames of ``frames`` in order, skipping idle ones unless ``every_frame``.

    A frame is idle when it has no detections and the tracker has no tracks:
    predict and update would change nothing, and nothing is output. Skipping
    such stretches keeps the time proportional to the detections, not to
    the frame numbers written in a file.
    """
    frame_idx = frames.start
    while frame_idx < frames.stop:
        yield frame_idx
        frame_idx += 1
        if not every_frame and tracker.track_id.size == 0:
            k = bisect.bisect_left(detection_frames, frame_idx)
            if k == len(detection_frames):
                return
            frame_idx = max(frame_idx, detection_frames[k])


def iterate_tracking(
    seq_info: SequenceInfo, detections: np.ndarray, config: TrackingConfig, *, every_frame: bool = False
) -> Iterator[tuple[int, Detections, Tracker]]:
    """Run the tracker frame by frame; yield after each frame's update.

    Frames without detections while the tracker has no tracks are skipped
    (nothing would change) unless ``every_frame`` (a display shows them all).

    Yields
    ------
    frame_idx : int
    detections : Detections
        The frame's detections after filtering and NMS.
    tracker : Tracker
        The tracker after ``predict`` and ``update`` on this frame.
    """
    tracker = create_tracker(config, with_appearance=detections.shape[1] > MOT_COLUMNS)
    # The filters, conversions and checks are done for the whole sequence,
    # and the rows grouped by frame (file order kept within a frame); per
    # frame, non-maximum suppression orders a block of rows.
    kept = np.flatnonzero(passes_filters(detections[:, 2:6], detections[:, 6], config))
    by_frame, offsets = frame_offsets(detections[kept, 0])
    kept = kept[by_frame]
    candidates = Detections(detections[kept, 2:6], detections[kept, 6].astype(np.float64))
    tlwh, scores = candidates.tlwh, candidates.confidence
    features = detections[:, MOT_COLUMNS:]
    no_detections = Detections.from_checked(np.zeros((0, 4)), np.zeros(0), np.zeros((0, features.shape[1]), np.float32))
    # OpenBLAS on one thread for the run: the products are too small to share.
    with single_blas_thread():
        for frame_idx in _frames_to_step(frame_range(seq_info, detections), sorted(offsets), tracker, every_frame):
            span = offsets.get(frame_idx)
            if span is None:
                frame_dets = no_detections
            else:
                start, stop = span
                picked = non_max_suppression(tlwh[start:stop], config.nms_max_overlap, scores[start:stop]) + start
                frame_dets = Detections.from_checked(
                    tlwh.take(picked, axis=0), scores.take(picked),
                    features[kept.take(picked)].astype(np.float32, copy=False))  # a view: take() would copy it all
            tracker.predict()
            tracker.update(frame_dets)
            yield frame_idx, frame_dets, tracker


def run_sequence(
    sequence_dir: str | os.PathLike[str],
    detection_file: str | os.PathLike[str] | None,
    config: TrackingConfig,
    *,
    progress: bool = False,
    frame_callback: FrameCallback | None = None,
) -> npt.NDArray[np.float64]:
    """Track one sequence and return the result rows.

    Parameters
    ----------
    sequence_dir : str or PathLike
        MOT sequence directory (seqinfo.ini, optional img1/).
    detection_file : str or PathLike or None
        N x (10 + D) ``.npy`` with descriptors, or a det.txt (motion-only
        tracking); None uses the sequence's own ``det/det.txt``.
    config : TrackingConfig
    progress : bool
        Show a progress bar over frames (stderr).
    frame_callback : callable, optional
        Called after every frame with ``(frame_idx, detections, tracker)``
        (used by the display); returning False stops the run after that frame.

    Returns
    -------
    ndarray of shape (N, 6), float64
        frame, track_id, left, top, width, height per output row.

    Raises
    ------
    InputError
        Missing sequence directory or detection file, malformed files.
    """
    seq_info = read_sequence(sequence_dir)
    if detection_file is None:
        if seq_info.detection_path is None:
            raise InputError(f"{sequence_dir}: no --detection_file given and no det/det.txt in the sequence")
        detection_file = seq_info.detection_path
    detections = load_detections(detection_file)
    if detections.shape[1] == MOT_COLUMNS:
        logger.info("%s has no appearance descriptors: motion-only tracking", detection_file)

    return track_detections(seq_info, detections, config, progress=progress, frame_callback=frame_callback)


def track_detections(
    seq_info: SequenceInfo,
    detections: np.ndarray,
    config: TrackingConfig,
    *,
    progress: bool = False,
    frame_callback: FrameCallback | None = None,
) -> npt.NDArray[np.float64]:
    """Track loaded detections of one sequence and return the result rows (no file I/O).

    Parameters
    ----------
    seq_info : SequenceInfo
        The sequence (its image range, if any, sets the frames).
    detections : ndarray of shape (N, 10 + D), float32 or float64
        Detection rows with descriptors (D may be 0: motion-only tracking).
    config : TrackingConfig
    progress, frame_callback
        As :func:`run_sequence`.

    Returns
    -------
    ndarray of shape (K, 6), float64
        frame, track_id, left, top, width, height per output row.
    """
    frames = frame_range(seq_info, detections)
    report_frame_coverage(seq_info, detections, frames)
    steps = iterate_tracking(seq_info, detections, config, every_frame=frame_callback is not None)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, total=len(frames), desc=seq_info.name, unit="frame", leave=False)
    results = [np.zeros((0, 6))]
    for frame_idx, frame_dets, tracker in steps:
        results.append(frame_results(frame_idx, tracker))
        if frame_callback is not None and frame_callback(frame_idx, frame_dets, tracker) is False:
            logger.warning("%s: stopped by the user after frame %d", seq_info.name, frame_idx)
            break
    return np.concatenate(results)


def report_frame_coverage(seq_info: SequenceInfo, detections: np.ndarray, frames: range) -> int:
    """Warn about images that do not cover seqLength and detection rows outside ``frames``.

    The published app tolerated both silently (it tracked the image range and
    ignored other rows); here they are tracked the same way but reported.

    Returns
    -------
    int
        Number of detection rows outside ``frames`` (ignored by the tracker).
    """
    problem = seq_info.image_coverage_problem()
    if problem:
        logger.warning("%s: %s; tracking frames %d..%d", seq_info.name, problem, frames.start, frames.stop - 1)
    if len(detections) == 0:
        return 0
    outside = int(np.count_nonzero((detections[:, 0] < frames.start) | (detections[:, 0] >= frames.stop)))
    if outside:
        logger.warning("%s: %d detection row(s) in frames outside %d..%d are ignored", seq_info.name, outside,
                       frames.start, frames.stop - 1)
    return outside


def track_sequence(
    sequence_dir: str | os.PathLike[str],
    detection_file: str | os.PathLike[str] | None,
    output_file: str | os.PathLike[str],
    config: TrackingConfig,
    *,
    progress: bool = False,
    frame_callback: FrameCallback | None = None,
) -> npt.NDArray[np.float64]:
    """Track one sequence and write the MOT result file atomically.

    Returns
    -------
    ndarray of shape (N, 6), float64
        The rows written (see :func:`run_sequence`).
    """
    results = run_sequence(
        sequence_dir, detection_file, config, progress=progress, frame_callback=frame_callback
    )
    write_results(Path(output_file), results)
    return results
