"""Track one MOT sequence: the published app's per-frame loop (docs/algorithm.md)."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._blas import single_blas_thread
from ..config import TrackingConfig, create_tracker
from ..detection import Detection
from ..io.errors import InputError
from ..io.mot import MOT_COLUMNS, SequenceInfo, frame_offsets, load_detections, read_sequence, write_results
from ..track import Track, TrackState
from ..preprocessing import non_max_suppression, passes_filters, select_detections
from ..tracker import Tracker

logger = logging.getLogger(__name__)

#: Callback called after every frame: (frame_idx, detections after NMS, tracker).
#: Returning False stops the run after that frame (the display's Esc key).
FrameCallback = Callable[[int, list[Detection], Tracker], "bool | None"]


def frame_detections(rows: np.ndarray, config: TrackingConfig) -> list[Detection]:
    """Turn one frame's detection rows into the tracker's input (steps 1-2 of the per-frame loop, docs/algorithm.md).

    The per-frame reading of the app's detection handling: :func:`iterate_tracking`
    gives every frame the same detections, with the filters and conversions
    done once for the whole sequence (``tests/app/test_pipeline.py``).

    Parameters
    ----------
    rows : ndarray of shape (K, 10 + D), float32 or float64
        The frame's rows in file order.
    config : TrackingConfig

    Returns
    -------
    list of Detection
        After the height and confidence filters and non-maximum suppression,
        in descending score (the order that decides new track ids).
    """
    # Scores stay in the file's dtype: argsort's order of ties depends on it.
    kept = select_detections(rows[:, 2:6], rows[:, 6], config)
    if len(kept) == 0:
        return []
    rows = rows[kept]
    return Detection.from_arrays(rows[:, 2:6], rows[:, 6], rows[:, MOT_COLUMNS:])


def track_outputs(frame_idx: int, tracks: list[Track]) -> list[list[float]]:
    """Output rows of a frame: confirmed tracks updated in this or the previous frame.

    Returns
    -------
    list of [frame, track_id, left, top, width, height]
    """
    rows = []
    for track in tracks:
        if not track.is_confirmed() or track.time_since_update > 1:
            continue
        left, top, width, height = track.to_tlwh()
        rows.append([frame_idx, track.track_id, left, top, width, height])
    return rows


def _frame_results(frame_idx: int, tracker: Tracker) -> npt.NDArray[np.float64]:
    """:func:`track_outputs` of ``tracker.tracks`` as an array of shape (K, 6), float64."""
    tracks = tracker.tracks
    selected = [i for i, t in enumerate(tracks) if t.state is TrackState.Confirmed and t.time_since_update <= 1]
    results = np.empty((len(selected), 6))
    if selected:
        results[:, 0] = frame_idx
        results[:, 1] = [tracks[i].track_id for i in selected]
        results[:, 2:] = tracker.track_tlwh().take(selected, axis=0)
    return results


def frame_range(seq_info: SequenceInfo, detections: np.ndarray) -> range:
    """Frames to process: the image file range, else the detection range."""
    if seq_info.image_filenames:
        frames = seq_info.image_filenames.keys()
        return range(min(frames), max(frames) + 1)
    if len(detections) == 0:
        return range(0)
    frames = detections[:, 0]
    return range(int(frames.min()), int(frames.max()) + 1)


def iterate_tracking(
    seq_info: SequenceInfo, detections: np.ndarray, config: TrackingConfig
) -> Iterator[tuple[int, list[Detection], Tracker]]:
    """Run the tracker frame by frame; yield after each frame's update.

    Yields
    ------
    frame_idx : int
    detections : list of Detection
        The frame's detections after filtering and NMS.
    tracker : Tracker
        The tracker after ``predict`` and ``update`` on this frame.
    """
    tracker = create_tracker(config, with_appearance=detections.shape[1] > MOT_COLUMNS)
    frames = frame_range(seq_info, detections)
    # What does not depend on the tracker is done for the whole sequence at
    # once: the height and confidence filters, the checks and conversions of
    # Detection.from_arrays, and indexing rows by frame (file order kept
    # within a frame). Per frame, non-maximum suppression orders a block of
    # rows and the detections are views of them (frame_detections, step by step).
    kept = np.flatnonzero(passes_filters(detections[:, 2:6], detections[:, 6], config))
    by_frame, offsets = frame_offsets(detections[kept, 0])
    kept = kept[by_frame]  # candidate rows grouped by frame
    scores = detections[kept, 6]  # in the file's dtype: the order of tied scores depends on it
    tlwh = detections[kept, 2:6].astype(np.float64)
    Detection.check_boxes(tlwh)
    # Set OpenBLAS to one thread once for the whole run, rather than around
    # every frame's tiny products (see deep_sort._blas); restored when the
    # generator finishes or is closed.
    with single_blas_thread():
        for frame_idx in frames:
            span = offsets.get(frame_idx)
            if span is None:
                frame_dets = []
            else:
                start, stop = span
                order = non_max_suppression(tlwh[start:stop], config.nms_max_overlap, scores[start:stop])
                picked = np.add(order, start)
                frame_dets = Detection.from_valid_arrays(
                    tlwh.take(picked, axis=0),
                    scores.take(picked),
                    detections[kept.take(picked), MOT_COLUMNS:].astype(np.float32, copy=False),
                )
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
    steps = iterate_tracking(seq_info, detections, config)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, total=len(frames), desc=seq_info.name, unit="frame", leave=False)
    results = [np.zeros((0, 6))]
    for frame_idx, frame_dets, tracker in steps:
        results.append(_frame_results(frame_idx, tracker))
        if frame_callback is not None and frame_callback(frame_idx, frame_dets, tracker) is False:
            logger.warning("%s: stopped by the user after frame %d", seq_info.name, frame_idx)
            break
    return np.concatenate(results)


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
