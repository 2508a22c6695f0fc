"""Turn one sequence's ground-truth and result rows into the scoring input.

The output, :class:`SequenceData`, is what the MOTChallenge metrics consume:
per frame the ids of the scored ground-truth and tracker boxes (relabelled
0..n-1) and their IoU matrix, after the preprocessing of
:mod:`deep_sort.evaluation.preprocess`. Only frames with at least one box
are listed: a frame without any box changes no count of the CLEAR MOT,
identity or HOTA metrics (TrackEval skips it), and leaving it out keeps
time and memory proportional to the boxes rather than to the largest frame
number.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .preprocess import (
    CLASS_COLUMN,
    CONSIDER_COLUMN,
    PEDESTRIAN_CLASS,
    Benchmark,
    frame_masks,
    invalid_classes,
)
from .similarity import iou_matrix

#: Fewest columns of gt rows (frame, id, box, consider) and of result rows (frame, id, box).
MIN_GT_COLUMNS = CONSIDER_COLUMN + 1
MIN_RESULT_COLUMNS = 6


@dataclass(frozen=True)
class SequenceData:
    """Scored boxes of one sequence, frame by frame.

    Attributes
    ----------
    name : str
        Sequence name.
    num_frames : int
        Number of frames of the sequence (frames 1..num_frames); frames
        without boxes count (they enter the false-alarm rate).
    gt_ids : tuple of ndarray of shape (M_t,), int64
        Per listed frame (``frames[t]``), ground-truth ids relabelled to
        0..num_gt_ids-1 in increasing order of the file's ids.
    tracker_ids : tuple of ndarray of shape (N_t,), int64
        Per listed frame, tracker ids relabelled to 0..num_tracker_ids-1.
    similarity_scores : tuple of ndarray of shape (M_t, N_t), float64
        Per listed frame, IoU of ground-truth box i (row) and tracker box j (column).
    frames : tuple of int
        The listed frames, increasing: those with at least one ground-truth
        or tracker row in the files (before preprocessing).
    """

    name: str
    num_frames: int
    gt_ids: tuple[npt.NDArray[np.int64], ...]
    tracker_ids: tuple[npt.NDArray[np.int64], ...]
    similarity_scores: tuple[npt.NDArray[np.float64], ...]
    frames: tuple[int, ...] = ()

    @property
    def num_gt_ids(self) -> int:
        """Number of distinct scored ground-truth ids."""
        return _num_ids(self.gt_ids)

    @property
    def num_tracker_ids(self) -> int:
        """Number of distinct scored tracker ids."""
        return _num_ids(self.tracker_ids)

    @property
    def num_gt_dets(self) -> int:
        """Number of scored ground-truth boxes."""
        return sum(len(ids) for ids in self.gt_ids)

    @property
    def num_tracker_dets(self) -> int:
        """Number of scored tracker boxes."""
        return sum(len(ids) for ids in self.tracker_ids)

    def to_trackeval(self) -> dict:
        """Return the sequence in the layout of TrackEval's metric classes."""
        return {
            "seq": self.name,
            "num_timesteps": self.num_frames,
            "gt_ids": list(self.gt_ids),
            "tracker_ids": list(self.tracker_ids),
            "similarity_scores": list(self.similarity_scores),
            "num_gt_ids": self.num_gt_ids,
            "num_tracker_ids": self.num_tracker_ids,
            "num_gt_dets": self.num_gt_dets,
            "num_tracker_dets": self.num_tracker_dets,
        }


def _num_ids(ids_per_frame: tuple[np.ndarray, ...]) -> int:
    # Ids are relabelled to 0..n-1, so the largest one tells n.
    return max((int(ids.max()) + 1 for ids in ids_per_frame if len(ids)), default=0)


def check_groundtruth(gt_rows: npt.NDArray[np.float64], num_frames: int, benchmark: Benchmark) -> None:
    """Check ground-truth rows against the scoring rules.

    Parameters
    ----------
    gt_rows : ndarray of shape (M, C), float64
        gt.txt rows: frame, id, left, top, width, height, consider, class, ...
    num_frames : int
        Frames of the sequence; every row's frame must be in 1..num_frames.
    benchmark : Benchmark
        For MOT16/17/20 the class column must hold MOTChallenge classes.

    Raises
    ------
    ValueError
        Too few columns, a frame out of range, an id twice in one frame, or
        (MOT16/17/20) a class that is not a MOTChallenge class. The message
        names the frame; the caller adds the file.
    """
    _check_rows(gt_rows, num_frames, MIN_GT_COLUMNS, "ground-truth")
    if not benchmark.uses_classes or len(gt_rows) == 0:
        return
    if gt_rows.shape[1] <= CLASS_COLUMN:
        raise ValueError(f"{benchmark.value} ground truth needs a class column (column {CLASS_COLUMN + 1})")
    bad = invalid_classes(gt_rows[:, CLASS_COLUMN])
    if len(bad):
        classes = gt_rows[:, CLASS_COLUMN].astype(np.int64)
        first = int(np.flatnonzero(np.isin(classes, bad))[0])
        raise ValueError(
            f"frame {int(gt_rows[first, 0])}: class {classes[first]} is not a MOTChallenge class (1-13); "
            f"ground truth without classes needs the MOT15 rules"
        )


def check_results(result_rows: npt.NDArray[np.float64], num_frames: int, benchmark: Benchmark) -> None:
    """Check tracker result rows against the scoring rules.

    Parameters
    ----------
    result_rows : ndarray of shape (N, C), float64, C >= 6
        frame, id, left, top, width, height, [conf, class or x, ...].
    num_frames : int
        Frames of the sequence; every row's frame must be in 1..num_frames.
    benchmark : Benchmark
        For MOT16/17/20 an 8th column is a class and must not exceed 1
        (pedestrian; -1 means unknown), as the official kit requires.

    Raises
    ------
    ValueError
        As :func:`check_groundtruth`; a non-pedestrian class.
    """
    _check_rows(result_rows, num_frames, MIN_RESULT_COLUMNS, "result")
    if benchmark.uses_classes and result_rows.shape[1] > CLASS_COLUMN and len(result_rows):
        classes = result_rows[:, CLASS_COLUMN].astype(np.int64)
        if classes.max() > PEDESTRIAN_CLASS:
            first = int(np.argmax(classes > PEDESTRIAN_CLASS))
            raise ValueError(
                f"frame {int(result_rows[first, 0])}: class {classes[first]} in column {CLASS_COLUMN + 1}; "
                f"MOTChallenge scores pedestrians only (class 1, or -1)"
            )


def _check_rows(rows: np.ndarray, num_frames: int, min_columns: int, what: str) -> None:
    if rows.ndim != 2 or (len(rows) and rows.shape[1] < min_columns):
        raise ValueError(f"{what} rows need at least {min_columns} columns, got shape {rows.shape}")
    if len(rows) == 0:
        return
    frames = rows[:, 0].astype(np.int64)
    outside = (frames < 1) | (frames > num_frames)
    if outside.any():
        raise ValueError(f"frame {frames[outside][0]} is outside the sequence's frames 1..{num_frames}")
    pairs = np.stack([frames, rows[:, 1].astype(np.int64)], axis=1)
    unique, counts = np.unique(pairs, axis=0, return_counts=True)
    if (counts > 1).any():
        frame, track_id = unique[np.argmax(counts > 1)]
        raise ValueError(f"frame {frame}: id {track_id} appears more than once")


def build_sequence_data(
    name: str,
    gt_rows: npt.NDArray[np.float64],
    result_rows: npt.NDArray[np.float64],
    num_frames: int,
    benchmark: Benchmark,
) -> SequenceData:
    """Preprocess one sequence for scoring (MOTChallenge rules).

    Parameters
    ----------
    name : str
        Sequence name, carried along for reports.
    gt_rows : ndarray of shape (M, C), float64
        gt.txt rows (tlwh boxes in columns 3-6, consider flag in column 7,
        class in column 8 for MOT16/17/20), any order.
    result_rows : ndarray of shape (N, C), float64, C >= 6
        Tracker rows (frame, id, tlwh box, ...), any order.
    num_frames : int
        Number of frames of the sequence.
    benchmark : Benchmark
        Rules to apply (see :mod:`deep_sort.evaluation.preprocess`).

    Returns
    -------
    SequenceData

    Raises
    ------
    ValueError
        Invalid rows (see :func:`check_groundtruth`, :func:`check_results`) or
        ``num_frames`` < 1.

    Examples
    --------
    >>> gt = np.array([[1, 7, 0, 0, 10, 10, 1, 1, 1.0], [1, 9, 50, 0, 10, 10, 0, 8, 1.0]])
    >>> results = np.array([[1, 3, 1, 0, 10, 10], [1, 4, 50, 0, 10, 10]])
    >>> data = build_sequence_data("toy", gt, results, 1, Benchmark.MOT17)
    >>> data.num_gt_dets, data.num_tracker_dets  # the distractor and its match are gone
    (1, 1)
    """
    if num_frames < 1:
        raise ValueError(f"num_frames must be >= 1, got {num_frames}")
    check_groundtruth(gt_rows, num_frames, benchmark)
    check_results(result_rows, num_frames, benchmark)
    frames = np.unique(np.concatenate([gt_rows[:, 0], result_rows[:, 0]]).astype(np.int64))
    gt_by_frame = _split_by_frame(gt_rows, frames)
    result_by_frame = _split_by_frame(result_rows, frames)

    gt_ids, tracker_ids, similarity_scores = [], [], []
    for gt, result in zip(gt_by_frame, result_by_frame):
        similarity = iou_matrix(gt[:, 2:6], result[:, 2:6])
        classes = gt[:, CLASS_COLUMN] if benchmark.uses_classes else np.zeros(len(gt))
        gt_keep, tracker_keep = frame_masks(
            similarity, classes.astype(np.int64), gt[:, CONSIDER_COLUMN].astype(np.int64), benchmark
        )
        gt_ids.append(gt[gt_keep, 1].astype(np.int64))
        tracker_ids.append(result[tracker_keep, 1].astype(np.int64))
        similarity_scores.append(similarity[np.ix_(gt_keep, tracker_keep)])
    return SequenceData(
        name=name,
        num_frames=int(num_frames),
        gt_ids=_relabel(gt_ids),
        tracker_ids=_relabel(tracker_ids),
        similarity_scores=tuple(similarity_scores),
        frames=tuple(frames.tolist()),
    )


def _split_by_frame(rows: np.ndarray, frames: np.ndarray) -> list[np.ndarray]:
    """Rows of each of ``frames`` (increasing), file order kept within a frame."""
    # Wide enough for the class column lookups of ground-truth frames.
    empty = np.zeros((0, max(rows.shape[-1], CLASS_COLUMN + 1)))
    if len(rows) == 0:
        return [empty] * len(frames)
    row_frames = rows[:, 0].astype(np.int64)
    order = np.argsort(row_frames, kind="stable")
    sorted_frames = row_frames[order]
    starts = np.searchsorted(sorted_frames, frames, side="left").tolist()
    stops = np.searchsorted(sorted_frames, frames, side="right").tolist()
    return [rows[order[start:stop]] if stop > start else empty for start, stop in zip(starts, stops)]


def _relabel(ids_per_frame: list[np.ndarray]) -> tuple[npt.NDArray[np.int64], ...]:
    """Map ids to 0..n-1 in increasing order, as the kit does before scoring."""
    unique = np.unique(np.concatenate(ids_per_frame)) if ids_per_frame else np.zeros(0, np.int64)
    return tuple(np.searchsorted(unique, ids).astype(np.int64) for ids in ids_per_frame)
