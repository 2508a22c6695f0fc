"""Score many tracker outputs of one sequence: ground truth prepared once, pairs built per output.

:func:`build_sequence_data` prepares a sequence for TrackEval frame by frame.
A parameter sweep scores hundreds of tracker outputs against the same ground
truth, so here everything that depends on the ground truth alone (reading
the rows, the consider and class rules, relabelling the ids, box corners) is
done once in :class:`PreparedGroundTruth`, and :func:`pair_frames` does the
tracker-dependent part for the whole sequence at once: the IoU of every
ground-truth / tracker pair of every frame, the distractor removal and the
relabelling of tracker ids. The result, :class:`FramePairs`, holds the same
per-frame matrices as :class:`~deep_sort.evaluation.sequence.SequenceData`,
stored as one flat array; :mod:`deep_sort.evaluation.vectorized` scores it.

The rules are those of :mod:`deep_sort.evaluation.preprocess`, applied with
its own functions; a frame whose distractor matching is not decided by the
IoUs alone (a ground-truth or tracker box with two candidate matches) is
solved with :func:`~deep_sort.evaluation.preprocess.tracker_keep` on the
frame's full matrix, as the kit does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .preprocess import (
    CLASS_COLUMN,
    CONSIDER_COLUMN,
    MIN_MATCH_IOU,
    Benchmark,
    groundtruth_keep,
    is_distractor,
    tracker_keep,
)
from .sequence import check_groundtruth
from .similarity import box_corners, iou_of_corners

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class PreparedGroundTruth:
    """One sequence's ground truth, checked and preprocessed for scoring many tracker outputs.

    Attributes
    ----------
    name : str
        Sequence name.
    benchmark : Benchmark
        Scoring rules.
    seq_length : int or None
        Frames of the sequence (seqinfo.ini); None: the last frame with
        ground truth, an image or a result (as ``evaluate_motchallenge.py``).
    min_frames : int
        Frames the sequence has at least without results (last ground-truth
        frame or image, at least 1).
    frame_start : ndarray of shape (F + 1,), int64
        Ground-truth rows of frame t (1-based) are rows
        ``frame_start[t - 1]:frame_start[t]`` (all rows, scored or not),
        F = ``min_frames``.
    tlbr : ndarray of shape (G, 4), float64
        Box corners (see :func:`~deep_sort.evaluation.similarity.box_corners`).
    area : ndarray of shape (G,), float64
    classes : ndarray of shape (G,), int64
        Class column (zeros for MOT15).
    distractor : ndarray of shape (G,), bool
        Rows of a distractor class.
    keep : ndarray of shape (G,), bool
        Rows that are scored (consider flag and class).
    ids : ndarray of shape (G,), int64
        Scored rows' ids relabelled to 0..num_gt_ids-1 in increasing order of
        the file's ids (-1 for rows not scored).
    num_gt_ids : int
    """

    name: str
    benchmark: Benchmark
    seq_length: int | None
    min_frames: int
    frame_start: npt.NDArray[np.int64]
    tlbr: npt.NDArray[np.float64]
    area: npt.NDArray[np.float64]
    classes: npt.NDArray[np.int64]
    distractor: npt.NDArray[np.bool_]
    keep: npt.NDArray[np.bool_]
    ids: npt.NDArray[np.int64]
    num_gt_ids: int

    def num_frames(self, last_result_frame: int = 0) -> int:
        """Frames scored, given the last frame of a tracker output (0: none)."""
        if self.seq_length:
            return self.seq_length
        return max(self.min_frames, last_result_frame)


def prepare_groundtruth(
    name: str,
    gt_rows: npt.NDArray[np.float64],
    benchmark: Benchmark,
    seq_length: int | None,
    last_image_frame: int = 0,
) -> PreparedGroundTruth:
    """Check and preprocess one sequence's ground truth once.

    Parameters
    ----------
    name : str
        Sequence name.
    gt_rows : ndarray of shape (M, C), float64
        gt.txt rows in file order.
    benchmark : Benchmark
        Scoring rules.
    seq_length : int or None
        seqinfo.ini ``seqLength``.
    last_image_frame : int
        Last frame with an image (0: none); counts when ``seq_length`` is None.

    Returns
    -------
    PreparedGroundTruth

    Raises
    ------
    ValueError
        Invalid rows (see :func:`~deep_sort.evaluation.sequence.check_groundtruth`).

    Examples
    --------
    >>> gt = np.array([[1, 7, 0, 0, 10, 10, 1, 1, 1.0], [2, 9, 50, 0, 10, 10, 0, 8, 1.0]])
    >>> prepared = prepare_groundtruth("toy", gt, Benchmark.MOT17, 3)
    >>> prepared.keep.tolist(), prepared.num_gt_ids, prepared.frame_start.tolist()
    ([True, False], 1, [0, 1, 2, 2])
    """
    gt_rows = np.asarray(gt_rows, dtype=np.float64)
    last_gt_frame = int(gt_rows[:, 0].max()) if len(gt_rows) else 0
    min_frames = max(last_gt_frame, last_image_frame, 1)
    num_frames = seq_length or min_frames
    check_groundtruth(gt_rows, num_frames, benchmark)
    frames = gt_rows[:, 0].astype(np.int64)
    order = np.argsort(frames, kind="stable")  # file order kept within a frame
    rows = gt_rows[order]
    frame_start = np.searchsorted(frames[order], np.arange(1, num_frames + 2)).astype(np.int64)
    classes = (rows[:, CLASS_COLUMN] if benchmark.uses_classes else np.zeros(len(rows))).astype(np.int64)
    keep = groundtruth_keep(classes, rows[:, CONSIDER_COLUMN].astype(np.int64), benchmark)
    kept_ids = rows[keep, 1].astype(np.int64)
    unique_ids = np.unique(kept_ids)
    ids = np.full(len(rows), -1, dtype=np.int64)
    ids[keep] = np.searchsorted(unique_ids, kept_ids)
    tlbr, area = box_corners(rows[:, 2:6]) if len(rows) else (np.zeros((0, 4)), np.zeros(0))
    return PreparedGroundTruth(
        name=name,
        benchmark=benchmark,
        seq_length=seq_length,
        min_frames=min_frames,
        frame_start=frame_start,
        tlbr=tlbr,
        area=area,
        classes=classes,
        distractor=is_distractor(classes, benchmark),
        keep=keep,
        ids=ids,
        num_gt_ids=len(unique_ids),
    )


@dataclass(frozen=True)
class FramePairs:
    """Scored boxes of one sequence and the overlapping pairs within each frame.

    The frames' matrices of :class:`~deep_sort.evaluation.sequence.SequenceData`
    in sparse form: frame t (0-based) has ground-truth boxes
    ``gt_start[t]:gt_start[t + 1]`` and tracker boxes
    ``tracker_start[t]:tracker_start[t + 1]``, and every pair of them that
    overlaps (IoU > 0) is listed once, sorted by ground-truth box, then
    tracker box (row-major order of the frames' matrices). Pairs not listed
    have IoU 0.

    Attributes
    ----------
    name : str
    num_frames : int
    gt_ids : ndarray of shape (M,), int64
        Ground-truth ids (0..num_gt_ids-1) of all frames, frame by frame, file order within a frame.
    tracker_ids : ndarray of shape (N,), int64
        Tracker ids (0..num_tracker_ids-1), the same way.
    gt_start, tracker_start : ndarray of shape (T + 1,), int64
        Offsets of each frame's boxes.
    pair_gt, pair_tracker : ndarray of shape (P,), int64
        Index into ``gt_ids`` / ``tracker_ids`` of each overlapping pair's boxes.
    similarity : ndarray of shape (P,), float64
        IoU of each pair, > 0.
    num_gt_ids, num_tracker_ids : int
    """

    name: str
    num_frames: int
    gt_ids: npt.NDArray[np.int64]
    tracker_ids: npt.NDArray[np.int64]
    gt_start: npt.NDArray[np.int64]
    tracker_start: npt.NDArray[np.int64]
    pair_gt: npt.NDArray[np.int64]
    pair_tracker: npt.NDArray[np.int64]
    similarity: npt.NDArray[np.float64]
    num_gt_ids: int
    num_tracker_ids: int

    @property
    def gt_count(self) -> npt.NDArray[np.int64]:
        """Scored ground-truth boxes per frame, shape (T,)."""
        return np.diff(self.gt_start)

    @property
    def tracker_count(self) -> npt.NDArray[np.int64]:
        """Scored tracker boxes per frame, shape (T,)."""
        return np.diff(self.tracker_start)

    @property
    def pair_start(self) -> npt.NDArray[np.int64]:
        """Offsets of each frame's pairs, shape (T + 1,)."""
        return np.searchsorted(self.pair_gt, self.gt_start).astype(np.int64)

    def frame_matrix(self, t: int, pair_values: np.ndarray, pair_start: np.ndarray | None = None) -> np.ndarray:
        """Frame t's matrix (ground truth x tracker boxes) of per-pair values, zero for other pairs.

        Parameters
        ----------
        t : int
            Frame, 0-based.
        pair_values : ndarray of shape (P,), float64
            A value per listed pair (e.g. ``similarity``).
        pair_start : ndarray of shape (T + 1,), optional
            :attr:`pair_start`, if the caller has it already.

        Returns
        -------
        ndarray of shape (gt_count[t], tracker_count[t]), float64
        """
        pair_start = self.pair_start if pair_start is None else pair_start
        return _scatter(pair_values, self.pair_gt, self.pair_tracker, pair_start[t], pair_start[t + 1],
                        self.gt_start[t], self.gt_start[t + 1], self.tracker_start[t], self.tracker_start[t + 1])


def _scatter(values, rows, cols, p0, p1, r0, r1, c0, c1) -> np.ndarray:
    """Dense block [r0:r1, c0:c1] of the sparse entries p0:p1 (zeros elsewhere)."""
    matrix = np.zeros((r1 - r0, c1 - c0))
    matrix[rows[p0:p1] - r0, cols[p0:p1] - c0] = values[p0:p1]
    return matrix


#: Frames whose overlap tests run together (bounds the memory of the padded blocks).
_OVERLAP_CHUNK_FRAMES = 256


def _padded(x: np.ndarray, start: np.ndarray, frames: slice, width: int) -> np.ndarray:
    """Boxes' (left, right) of ``frames`` in a block of shape (frames, width, 2), NaN-padded."""
    first, last = start[frames.start], start[frames.stop]
    counts = np.diff(start[frames.start:frames.stop + 1])
    block = np.full((len(counts), width, 2), np.nan)
    frame = np.repeat(np.arange(len(counts)), counts)
    block[frame, np.arange(last - first) - (start[frames.start:frames.stop] - first)[frame]] = x[first:last]
    return block


def _overlapping_pairs(
    row_start: np.ndarray, col_start: np.ndarray, row_x: np.ndarray, col_x: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of boxes of the same frame whose horizontal extents overlap, row-major.

    Parameters
    ----------
    row_start, col_start : ndarray of shape (T + 1,), int64
        Frame offsets of the row boxes (ground truth) and column boxes (tracker).
    row_x, col_x : ndarray of shape (n, 2), float64
        Left and right edge of each box.

    Returns
    -------
    rows, cols : ndarray of shape (P,), int64
        Sorted by row, then column.
    """
    rows_per_frame, cols_per_frame = np.diff(row_start), np.diff(col_start)
    found_rows, found_cols = [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for first in range(0, len(rows_per_frame), _OVERLAP_CHUNK_FRAMES):
        frames = slice(first, min(first + _OVERLAP_CHUNK_FRAMES, len(rows_per_frame)))
        n_rows, n_cols = rows_per_frame[frames], cols_per_frame[frames]
        if not len(n_rows) or n_rows.max() == 0 or n_cols.max() == 0:
            continue
        # Every box against every box of its frame, frames padded to the chunk's largest (NaN never overlaps).
        rows_x = _padded(row_x, row_start, frames, int(n_rows.max()))
        cols_x = _padded(col_x, col_start, frames, int(n_cols.max()))
        overlap = (rows_x[:, :, np.newaxis, 1] > cols_x[:, np.newaxis, :, 0]) & (
            cols_x[:, np.newaxis, :, 1] > rows_x[:, :, np.newaxis, 0])
        frame, row, col = np.nonzero(overlap)
        found_rows.append(row + row_start[first + frame])
        found_cols.append(col + col_start[first + frame])
    return np.concatenate(found_rows), np.concatenate(found_cols)


def pair_frames(prepared: PreparedGroundTruth, result_rows: npt.NDArray[np.float64]) -> FramePairs:
    """Preprocess one tracker output for scoring: IoUs, distractor removal, relabelling.

    Gives the same boxes, ids and IoUs as
    :func:`~deep_sort.evaluation.sequence.build_sequence_data` for the same rows.

    Parameters
    ----------
    prepared : PreparedGroundTruth
    result_rows : ndarray of shape (K, C), float64, C >= 6
        Tracker rows (frame, id, left, top, width, height, ...), any order;
        rows of one frame keep their order (it decides the kit's tie-breaks).

    Returns
    -------
    FramePairs

    Raises
    ------
    ValueError
        A result frame outside the sequence's frames.
    """
    result_rows = np.asarray(result_rows, dtype=np.float64)
    frames = result_rows[:, 0].astype(np.int64)
    last = int(frames.max()) if len(frames) else 0
    num_frames = prepared.num_frames(last)
    if len(frames) and (frames.min() < 1 or last > num_frames):
        bad = frames[(frames < 1) | (frames > num_frames)][0]
        raise ValueError(f"frame {bad} is outside the sequence's frames 1..{num_frames}")
    order = np.argsort(frames, kind="stable")
    result_rows = result_rows[order]
    tracker_start = np.searchsorted(frames[order], np.arange(1, num_frames + 2)).astype(np.int64)
    gt_start = prepared.frame_start
    if len(gt_start) < num_frames + 1:  # results beyond the last ground-truth frame
        gt_start = np.concatenate([gt_start, np.full(num_frames + 1 - len(gt_start), gt_start[-1])])
    tracker_tlbr, tracker_area = box_corners(result_rows[:, 2:6]) if len(result_rows) else (
        np.zeros((0, 4)), np.zeros(0))

    rows, cols = _overlapping_pairs(gt_start, tracker_start, prepared.tlbr[:, 0::2], tracker_tlbr[:, 0::2])
    similarity = iou_of_corners(prepared.tlbr[rows], prepared.area[rows], tracker_tlbr[cols], tracker_area[cols])
    positive = similarity > 0
    rows, cols, similarity = rows[positive], cols[positive], similarity[positive]
    keep_tracker = _remove_distractor_matches(prepared, similarity, rows, cols, gt_start, tracker_start)

    kept = prepared.keep[rows] & keep_tracker[cols]
    tracker_ids = result_rows[keep_tracker, 1].astype(np.int64)
    unique_tracker_ids = np.unique(tracker_ids)
    return FramePairs(
        name=prepared.name,
        num_frames=num_frames,
        gt_ids=prepared.ids[prepared.keep],
        tracker_ids=np.searchsorted(unique_tracker_ids, tracker_ids).astype(np.int64),
        gt_start=_kept_start(prepared.keep, gt_start),
        tracker_start=_kept_start(keep_tracker, tracker_start),
        pair_gt=(np.cumsum(prepared.keep) - 1)[rows[kept]],
        pair_tracker=(np.cumsum(keep_tracker) - 1)[cols[kept]],
        similarity=similarity[kept],
        num_gt_ids=prepared.num_gt_ids,
        num_tracker_ids=len(unique_tracker_ids),
    )


def _kept_start(keep: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Frame offsets after dropping the rows where ``keep`` is False."""
    counts = np.zeros(len(keep) + 1, dtype=np.int64)
    np.cumsum(keep, out=counts[1:])
    return counts[start]


def _conflict_frames(frame: np.ndarray, row: np.ndarray, col: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """Frames (sorted, unique) where an edge shares its row or its column with another edge.

    In the other frames every edge is isolated, and any maximum-weight
    assignment consists of exactly the edges (with positive weights).
    """
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64)
    shared = (np.bincount(row, minlength=n_rows)[row] > 1) | (np.bincount(col, minlength=n_cols)[col] > 1)
    return np.unique(frame[shared])


def _remove_distractor_matches(
    prepared: PreparedGroundTruth,
    similarity: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    gt_start: np.ndarray,
    tracker_start: np.ndarray,
) -> npt.NDArray[np.bool_]:
    """Return which tracker rows are scored: False for those matched to a distractor (rule 1)."""
    n_tracker = int(tracker_start[-1])
    keep = np.ones(n_tracker, dtype=bool)
    if not prepared.benchmark.uses_classes or not prepared.distractor.any():
        return keep
    edges = np.flatnonzero(similarity >= MIN_MATCH_IOU - _EPS)
    on_distractor = prepared.distractor[rows[edges]]
    if not on_distractor.any():
        return keep
    edge_frame = np.searchsorted(gt_start, rows[edges], side="right") - 1
    conflicts = _conflict_frames(edge_frame, rows[edges], cols[edges], len(prepared.keep), n_tracker)
    # Frames where every edge is isolated: the edges are the matches.
    simple = on_distractor & ~np.isin(edge_frame, conflicts)
    keep[cols[edges[simple]]] = False
    pair_start = np.searchsorted(rows, gt_start)
    for t in np.intersect1d(conflicts, edge_frame[on_distractor]):
        g0, g1, c0, c1 = gt_start[t], gt_start[t + 1], tracker_start[t], tracker_start[t + 1]
        frame_similarity = _scatter(similarity, rows, cols, pair_start[t], pair_start[t + 1], g0, g1, c0, c1)
        keep[c0:c1] = tracker_keep(frame_similarity, prepared.classes[g0:g1], prepared.benchmark)
    return keep
