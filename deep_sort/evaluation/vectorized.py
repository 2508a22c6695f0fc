"""CLEAR MOT, identity and HOTA metrics computed for a whole sequence at once.

The numbers are TrackEval's (:mod:`deep_sort.evaluation.metrics`), field for
field and bit for bit, at a fraction of the time: TrackEval solves an
assignment problem per frame for CLEAR MOT and for HOTA and walks the frames
in Python (a second or more per sequence), which dominates a parameter sweep.
Here the per-frame work is done with array operations over all frames:

- An assignment is only solved where it is not decided by the similarities
  alone. In a frame where every candidate pair (IoU >= 0.5 for CLEAR MOT,
  IoU > 0 for HOTA) shares neither its ground-truth nor its tracker box with
  another candidate, every maximum-weight assignment consists of exactly
  these pairs. The other frames are solved on the frame's full score matrix,
  built as TrackEval builds it, so that even exact ties are broken the same way.
- CLEAR MOT's continuity bonus (a pair matched in the previous frame scores
  1000 more) only matters in those solved frames; they are visited in order
  with the previous frame's matches. Identity switches, fragmentations and
  the mostly tracked / lost counts follow from the list of matches.
- Sums are taken in TrackEval's order (NumPy's row sums on rows of the same
  length, sequential accumulation over frames with ``np.bincount``), so that
  the floating-point results are identical, not merely close.

``tests/evaluation/test_vectorized.py`` compares every field with TrackEval's
over many random sequences and the golden cases.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from .metrics import MATCH_THRESHOLD, SequenceScores
from .pairs import FramePairs, PreparedGroundTruth, _conflict_frames, pair_frames

_EPS = np.finfo(float).eps
#: HOTA's localisation thresholds alpha (TrackEval's ``array_labels``).
ALPHAS = np.arange(0.05, 0.99, 0.05)

CLEAR_FIELDS = ("MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA", "CLR_F1",
                "FP_per_frame", "MOTAL", "MOTP_sum", "CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML",
                "Frag", "CLR_Frames")
IDENTITY_FIELDS = ("IDF1", "IDR", "IDP", "IDTP", "IDFN", "IDFP")
HOTA_ARRAY_FIELDS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA",
                     "HOTA_TP", "HOTA_FN", "HOTA_FP")
HOTA_FIELDS = HOTA_ARRAY_FIELDS + ("HOTA(0)", "LocA(0)", "HOTALocA(0)")


def score_results(prepared: PreparedGroundTruth, result_rows: npt.NDArray[np.float64]) -> SequenceScores:
    """Score one tracker output of a prepared sequence (CLEAR MOT, identity, HOTA).

    Parameters
    ----------
    prepared : PreparedGroundTruth
        From :func:`~deep_sort.evaluation.pairs.prepare_groundtruth`.
    result_rows : ndarray of shape (K, C), float64, C >= 6
        frame, id, left, top, width, height per row, as read from a result file.

    Returns
    -------
    SequenceScores
        The same fields and values as
        :func:`~deep_sort.evaluation.metrics.score_sequence` on the same input.
    """
    return score_pairs(pair_frames(prepared, result_rows))


def score_pairs(pairs: FramePairs) -> SequenceScores:
    """Compute CLEAR MOT, identity and HOTA metrics of preprocessed pairs."""
    return SequenceScores(
        num_frames=pairs.num_frames,
        clear=clear_metrics(pairs),
        identity=identity_metrics(pairs),
        hota=hota_metrics(pairs),
    )


def _frame_index(start: np.ndarray) -> np.ndarray:
    """Frame (0-based) of every element, from per-frame offsets of shape (T + 1,)."""
    return np.repeat(np.arange(len(start) - 1), np.diff(start))


#: Frames whose dense matrices are built together (bounds their memory).
_CHUNK_FRAMES = 64


class _Frames:
    """Per-frame views of the pairs of :class:`FramePairs` (offsets computed once)."""

    def __init__(self, pairs: FramePairs) -> None:
        self.pairs = pairs
        self.pair_start = pairs.pair_start
        self.pair_frame = _frame_index(pairs.gt_start)[pairs.pair_gt]

    def negated_matrices(self, frames: np.ndarray, pair_values: np.ndarray) -> Iterator[tuple[int, np.ndarray,
                                                                                             np.ndarray]]:
        """Yield ``(t, -matrix, pair index matrix)`` for each frame t of ``frames``, in order.

        The matrix is frame t's ground truth x tracker matrix of
        ``pair_values``, zero for pairs that do not overlap, negated as
        TrackEval negates its score matrices for the assignment (zeros
        become -0.0); the index matrix holds each entry's pair index (-1:
        no pair). Matrices of up to :data:`_CHUNK_FRAMES` frames are built
        with one scatter into a padded block; the yielded arrays are views.
        """
        pairs = self.pairs
        n_rows, n_cols = pairs.gt_count, pairs.tracker_count
        for chunk_start in range(0, len(frames), _CHUNK_FRAMES):
            chunk = frames[chunk_start:chunk_start + _CHUNK_FRAMES]
            rows, cols = n_rows[chunk], n_cols[chunk]
            shape = (len(chunk), int(rows.max()), int(cols.max()))
            counts = self.pair_start[chunk + 1] - self.pair_start[chunk]
            which = np.repeat(np.arange(len(chunk)), counts)
            index = np.arange(int(counts.sum())) + np.repeat(self.pair_start[chunk] - (np.cumsum(counts) - counts),
                                                             counts)
            row = pairs.pair_gt[index] - pairs.gt_start[chunk][which]
            col = pairs.pair_tracker[index] - pairs.tracker_start[chunk][which]
            negated = np.full(shape, -0.0)
            negated[which, row, col] = -pair_values[index]
            indices = np.full(shape, -1, dtype=np.int64)
            indices[which, row, col] = index
            for i, t in enumerate(chunk.tolist()):
                yield t, negated[i, :rows[i], :cols[i]], indices[i, :rows[i], :cols[i]]

    def matches(self, edges: np.ndarray, solve: Callable[[np.ndarray, np.ndarray], list[np.ndarray]]) -> np.ndarray:
        """Matched pairs of every frame, as sorted pair indices (frame by frame, row order).

        ``edges`` are the (sorted) indices of the candidate pairs. Frames
        where every edge is isolated match their edges; the others are handed
        to ``solve(conflicts, simple)``, with those frames (sorted) and the
        sorted matches of the isolated-edge frames, which returns their matches.
        """
        pairs = self.pairs
        frames = self.pair_frame[edges]
        conflicts = _conflict_frames(frames, pairs.pair_gt[edges], pairs.pair_tracker[edges],
                                     len(pairs.gt_ids), len(pairs.tracker_ids))
        simple = edges[~np.isin(frames, conflicts)]
        if len(conflicts) == 0:
            return simple
        return np.sort(np.concatenate([simple, *solve(conflicts, simple)]))


# --------------------------------------------------------------------------- CLEAR MOT


def clear_metrics(pairs: FramePairs) -> dict:
    """CLEAR MOT metrics of one sequence (TrackEval's ``CLEAR.eval_sequence`` fields)."""
    res: dict = dict.fromkeys(CLEAR_FIELDS, 0)
    num_gt_dets, num_tracker_dets = len(pairs.gt_ids), len(pairs.tracker_ids)
    if num_tracker_dets == 0:
        res.update(CLR_FN=num_gt_dets, ML=pairs.num_gt_ids, MLR=1.0)
        return res
    if num_gt_dets == 0:
        res.update(CLR_FP=num_tracker_dets, MLR=1.0)
        return res

    threshold = MATCH_THRESHOLD - _EPS
    frames = _Frames(pairs)
    pair_frame = frames.pair_frame
    processed = np.flatnonzero((pairs.gt_count > 0) & (pairs.tracker_count > 0))
    tracked = np.full(pairs.num_gt_ids, -1, dtype=np.int64)

    def solve(conflicts: np.ndarray, simple: np.ndarray) -> list[np.ndarray]:
        # The continuity bonus looks at the matches of the last frame with boxes on both sides.
        previous_frame = processed[np.searchsorted(processed, conflicts) - 1]
        bounds = np.searchsorted(simple, np.stack([frames.pair_start[previous_frame],
                                                   frames.pair_start[previous_frame + 1]]))
        solved: dict[int, np.ndarray] = {}
        previous_gt = np.zeros(0, dtype=np.int64)
        for i, (t, negated, index) in enumerate(frames.negated_matrices(conflicts, edge_similarity)):
            p = int(previous_frame[i])
            previous = solved[p] if p in solved else simple[bounds[0, i]:bounds[1, i]] if p < t else simple[:0]
            tracked[previous_gt] = -1
            previous_gt = pairs.gt_ids[pairs.pair_gt[previous]]
            tracked[previous_gt] = pairs.tracker_ids[pairs.pair_tracker[previous]]
            gt_ids = pairs.gt_ids[pairs.gt_start[t]:pairs.gt_start[t + 1]]
            tracker_ids = pairs.tracker_ids[pairs.tracker_start[t]:pairs.tracker_start[t + 1]]
            bonus = (tracker_ids[np.newaxis, :] == tracked[gt_ids][:, np.newaxis]) & (negated < 0)
            # -(1000 + s) is -s - 1000 exactly: IEEE rounding is symmetric.
            negated = negated - 1000 * bonus
            rows, cols = linear_sum_assignment(negated)
            found = index[rows, cols]
            solved[t] = found[negated[rows, cols] < -_EPS]
        return list(solved.values())

    keep = pairs.similarity >= threshold
    edges = np.flatnonzero(keep)
    edge_similarity = np.where(keep, pairs.similarity, 0.0)
    matches = frames.matches(edges, solve)

    match_frame = pair_frame[matches]
    match_gt = pairs.gt_ids[pairs.pair_gt[matches]]
    match_tracker = pairs.tracker_ids[pairs.pair_tracker[matches]]
    match_similarity = pairs.similarity[matches]

    # Identity switches: a ground-truth id matched to another tracker id than the last time.
    by_gt = np.lexsort((match_frame, match_gt))
    same_gt = match_gt[by_gt][1:] == match_gt[by_gt][:-1]
    idsw = int(np.sum(same_gt & (match_tracker[by_gt][1:] != match_tracker[by_gt][:-1])))
    # Fragmentations: a match whose ground-truth id was not matched in the previous processed frame.
    rank = np.searchsorted(processed, match_frame)
    key = match_gt.astype(np.int64) * (len(processed) + 1) + rank
    continued = np.isin(key - 1, key)
    fragments = np.bincount(match_gt[~continued], minlength=pairs.num_gt_ids).astype(float)

    gt_id_count = np.bincount(pairs.gt_ids, minlength=pairs.num_gt_ids).astype(float)
    gt_matched_count = np.bincount(match_gt, minlength=pairs.num_gt_ids).astype(float)
    present = gt_id_count > 0
    tracked_ratio = gt_matched_count[present] / gt_id_count[present]
    num_matches = len(matches)
    res["CLR_TP"] = num_matches
    res["CLR_FN"] = num_gt_dets - num_matches
    res["CLR_FP"] = num_tracker_dets - num_matches
    res["IDSW"] = idsw
    if num_matches:
        res["MOTP_sum"] = _sequential_total(match_frame, match_similarity, pairs.num_frames)
    res["MT"] = np.sum(np.greater(tracked_ratio, 0.8))
    res["PT"] = np.sum(np.greater_equal(tracked_ratio, 0.2)) - res["MT"]
    res["ML"] = pairs.num_gt_ids - res["MT"] - res["PT"]
    res["Frag"] = np.sum(np.subtract(fragments[fragments > 0], 1))
    res["MOTP"] = res["MOTP_sum"] / np.maximum(1.0, res["CLR_TP"])
    res["CLR_Frames"] = pairs.num_frames
    return _clear_final_fields(res)


def _sequential_total(frame: np.ndarray, values: np.ndarray, num_frames: int) -> float:
    """Sum per frame in order, then over frames in order (TrackEval's ``+= sum(...)`` per frame)."""
    per_frame = np.bincount(frame, weights=values, minlength=num_frames)
    return np.cumsum(per_frame)[-1]


def _clear_final_fields(res: dict) -> dict:
    num_gt_ids = res["MT"] + res["ML"] + res["PT"]
    res["MTR"] = res["MT"] / np.maximum(1.0, num_gt_ids)
    res["MLR"] = res["ML"] / np.maximum(1.0, num_gt_ids)
    res["PTR"] = res["PT"] / np.maximum(1.0, num_gt_ids)
    res["CLR_Re"] = res["CLR_TP"] / np.maximum(1.0, res["CLR_TP"] + res["CLR_FN"])
    res["CLR_Pr"] = res["CLR_TP"] / np.maximum(1.0, res["CLR_TP"] + res["CLR_FP"])
    res["MODA"] = (res["CLR_TP"] - res["CLR_FP"]) / np.maximum(1.0, res["CLR_TP"] + res["CLR_FN"])
    res["MOTA"] = (res["CLR_TP"] - res["CLR_FP"] - res["IDSW"]) / np.maximum(1.0, res["CLR_TP"] + res["CLR_FN"])
    res["MOTP"] = res["MOTP_sum"] / np.maximum(1.0, res["CLR_TP"])
    res["sMOTA"] = (res["MOTP_sum"] - res["CLR_FP"] - res["IDSW"]) / np.maximum(1.0, res["CLR_TP"] + res["CLR_FN"])
    res["CLR_F1"] = res["CLR_TP"] / np.maximum(1.0, res["CLR_TP"] + 0.5 * res["CLR_FN"] + 0.5 * res["CLR_FP"])
    res["FP_per_frame"] = res["CLR_FP"] / np.maximum(1.0, res["CLR_Frames"])
    safe_log_idsw = np.log10(res["IDSW"]) if res["IDSW"] > 0 else res["IDSW"]
    res["MOTAL"] = (res["CLR_TP"] - res["CLR_FP"] - safe_log_idsw) / np.maximum(1.0, res["CLR_TP"] + res["CLR_FN"])
    return res


# --------------------------------------------------------------------------- identity


def identity_metrics(pairs: FramePairs) -> dict:
    """Identity metrics of one sequence (TrackEval's ``Identity.eval_sequence`` fields)."""
    res: dict = dict.fromkeys(IDENTITY_FIELDS, 0)
    num_gt_dets, num_tracker_dets = len(pairs.gt_ids), len(pairs.tracker_ids)
    if num_tracker_dets == 0:
        res["IDFN"] = num_gt_dets
        return res
    if num_gt_dets == 0:
        res["IDFP"] = num_tracker_dets
        return res
    num_gt_ids, num_tracker_ids = pairs.num_gt_ids, pairs.num_tracker_ids
    matched = np.flatnonzero(np.greater_equal(pairs.similarity, MATCH_THRESHOLD))
    cells = pairs.gt_ids[pairs.pair_gt[matched]] * num_tracker_ids + pairs.tracker_ids[pairs.pair_tracker[matched]]
    potential_matches_count = np.bincount(cells, minlength=num_gt_ids * num_tracker_ids).astype(float).reshape(
        num_gt_ids, num_tracker_ids)
    gt_id_count = np.bincount(pairs.gt_ids, minlength=num_gt_ids).astype(float)
    tracker_id_count = np.bincount(pairs.tracker_ids, minlength=num_tracker_ids).astype(float)

    size = num_gt_ids + num_tracker_ids
    fp_mat = np.zeros((size, size))
    fn_mat = np.zeros((size, size))
    fp_mat[num_gt_ids:, :num_tracker_ids] = 1e10
    fn_mat[:num_gt_ids, num_tracker_ids:] = 1e10
    fn_mat[:num_gt_ids, :num_tracker_ids] = gt_id_count[:, np.newaxis]
    fn_mat[np.arange(num_gt_ids), num_tracker_ids + np.arange(num_gt_ids)] = gt_id_count
    fp_mat[:num_gt_ids, :num_tracker_ids] = tracker_id_count[np.newaxis, :]
    fp_mat[num_gt_ids + np.arange(num_tracker_ids), np.arange(num_tracker_ids)] = tracker_id_count
    fn_mat[:num_gt_ids, :num_tracker_ids] -= potential_matches_count
    fp_mat[:num_gt_ids, :num_tracker_ids] -= potential_matches_count
    rows, cols = linear_sum_assignment(fn_mat + fp_mat)
    res["IDFN"] = fn_mat[rows, cols].sum().astype(int)
    res["IDFP"] = fp_mat[rows, cols].sum().astype(int)
    res["IDTP"] = (gt_id_count.sum() - res["IDFN"]).astype(int)
    return _identity_final_fields(res)


def _identity_final_fields(res: dict) -> dict:
    res["IDR"] = res["IDTP"] / np.maximum(1.0, res["IDTP"] + res["IDFN"])
    res["IDP"] = res["IDTP"] / np.maximum(1.0, res["IDTP"] + res["IDFP"])
    res["IDF1"] = res["IDTP"] / np.maximum(1.0, res["IDTP"] + 0.5 * res["IDFP"] + 0.5 * res["IDFN"])
    return res


# --------------------------------------------------------------------------- HOTA


def _row_sums(pairs: FramePairs, frames: _Frames, pair_values: np.ndarray) -> np.ndarray:
    """Per ground-truth box, the sum of its row of the frame's matrix, as ``matrix.sum(1)`` gives it.

    A sum of at most two non-zero values does not depend on the order of
    the additions. NumPy sums longer rows pairwise, in an order that depends
    on the row's length and the columns of the values; those rows are
    rebuilt densely and summed by NumPy, rows of one length in one call.
    """
    n_rows = len(pairs.gt_ids)
    sums = np.bincount(pairs.pair_gt, weights=pair_values, minlength=n_rows)
    long_rows = np.bincount(pairs.pair_gt, minlength=n_rows) > 2
    if not long_rows.any():
        return sums
    width = pairs.tracker_count[_frame_index(pairs.gt_start)]
    in_long = long_rows[pairs.pair_gt]
    pair_rows = pairs.pair_gt[in_long]
    pair_cols = pairs.pair_tracker[in_long] - pairs.tracker_start[frames.pair_frame[in_long]]
    values = pair_values[in_long]
    position = np.full(n_rows, -1, dtype=np.int64)
    for n in np.unique(width[long_rows]):
        rows = np.flatnonzero(long_rows & (width == n))
        position[rows] = np.arange(len(rows))
        selected = position[pair_rows] >= 0
        dense = np.zeros((len(rows), n))
        dense[position[pair_rows[selected]], pair_cols[selected]] = values[selected]
        sums[rows] = dense.sum(axis=1)
        position[rows] = -1
    return sums


def hota_metrics(pairs: FramePairs) -> dict:
    """HOTA metrics of one sequence (TrackEval's ``HOTA.eval_sequence`` fields)."""
    n_alpha = len(ALPHAS)
    res: dict = {field: np.zeros(n_alpha, dtype=float) for field in HOTA_ARRAY_FIELDS}
    res.update({"HOTA(0)": 0, "LocA(0)": 0, "HOTALocA(0)": 0})
    num_gt_dets, num_tracker_dets = len(pairs.gt_ids), len(pairs.tracker_ids)
    if num_tracker_dets == 0 or num_gt_dets == 0:
        missed = "HOTA_FN" if num_tracker_dets == 0 else "HOTA_FP"
        res[missed] = max(num_gt_dets, num_tracker_dets) * np.ones(n_alpha, dtype=float)
        res["LocA"] = np.ones(n_alpha, dtype=float)
        res["LocA(0)"] = 1.0
        return res

    num_gt_ids, num_tracker_ids = pairs.num_gt_ids, pairs.num_tracker_ids
    similarity = pairs.similarity
    pair_gt_ids = pairs.gt_ids[pairs.pair_gt]
    pair_tracker_ids = pairs.tracker_ids[pairs.pair_tracker]
    cells = pair_gt_ids * num_tracker_ids + pair_tracker_ids

    # Global alignment: per pair, IoU over the frame's row and column sums, summed per id pair.
    column_sums = np.bincount(pairs.pair_tracker, weights=similarity, minlength=num_tracker_dets)
    frames = _Frames(pairs)
    denominator = column_sums[pairs.pair_tracker] + _row_sums(pairs, frames, similarity)[pairs.pair_gt] - similarity
    valid = denominator > 0 + _EPS
    sim_iou = np.zeros_like(similarity)
    sim_iou[valid] = similarity[valid] / denominator[valid]
    potential_matches_count = np.bincount(cells, weights=sim_iou, minlength=num_gt_ids * num_tracker_ids).reshape(
        num_gt_ids, num_tracker_ids)
    gt_id_count = np.bincount(pairs.gt_ids, minlength=num_gt_ids).astype(float)[:, np.newaxis]
    tracker_id_count = np.bincount(pairs.tracker_ids, minlength=num_tracker_ids).astype(float)[np.newaxis, :]
    global_alignment_score = potential_matches_count / (gt_id_count + tracker_id_count - potential_matches_count)

    scores = global_alignment_score.ravel()[cells] * similarity

    def solve(conflicts: np.ndarray, simple: np.ndarray) -> list[np.ndarray]:
        found = []
        for _, negated, index in frames.negated_matrices(conflicts, scores):
            rows, cols = linear_sum_assignment(negated)
            found.append(index[rows, cols])
        found = np.concatenate(found)
        return [found[found >= 0]]

    matches = frames.matches(np.flatnonzero(scores > 0), solve)
    match_similarity = similarity[matches]
    match_frame = frames.pair_frame[matches]
    match_cells = cells[matches]
    for a, alpha in enumerate(ALPHAS):
        matched = match_similarity >= alpha - _EPS
        num_matches = int(np.count_nonzero(matched))
        res["HOTA_TP"][a] = num_matches
        res["HOTA_FN"][a] = num_gt_dets - num_matches
        res["HOTA_FP"][a] = num_tracker_dets - num_matches
        if num_matches:
            res["LocA"][a] = _sequential_total(match_frame[matched], match_similarity[matched], pairs.num_frames)
        matches_count = np.bincount(match_cells[matched], minlength=num_gt_ids * num_tracker_ids).astype(
            float).reshape(num_gt_ids, num_tracker_ids)
        ass_a = matches_count / np.maximum(1, gt_id_count + tracker_id_count - matches_count)
        res["AssA"][a] = np.sum(matches_count * ass_a) / np.maximum(1, res["HOTA_TP"][a])
        ass_re = matches_count / np.maximum(1, gt_id_count)
        res["AssRe"][a] = np.sum(matches_count * ass_re) / np.maximum(1, res["HOTA_TP"][a])
        ass_pr = matches_count / np.maximum(1, tracker_id_count)
        res["AssPr"][a] = np.sum(matches_count * ass_pr) / np.maximum(1, res["HOTA_TP"][a])
    res["LocA"] = np.maximum(1e-10, res["LocA"]) / np.maximum(1e-10, res["HOTA_TP"])
    return _hota_final_fields(res)


def _hota_final_fields(res: dict) -> dict:
    res["DetRe"] = res["HOTA_TP"] / np.maximum(1, res["HOTA_TP"] + res["HOTA_FN"])
    res["DetPr"] = res["HOTA_TP"] / np.maximum(1, res["HOTA_TP"] + res["HOTA_FP"])
    res["DetA"] = res["HOTA_TP"] / np.maximum(1, res["HOTA_TP"] + res["HOTA_FN"] + res["HOTA_FP"])
    res["HOTA"] = np.sqrt(res["DetA"] * res["AssA"])
    res["OWTA"] = np.sqrt(res["DetRe"] * res["AssA"])
    res["HOTA(0)"] = res["HOTA"][0]
    res["LocA(0)"] = res["LocA"][0]
    res["HOTALocA(0)"] = res["HOTA(0)"] * res["LocA(0)"]
    return res


# --------------------------------------------------------------------------- combining sequences


def combine_scores(scores: Sequence[SequenceScores]) -> SequenceScores:
    """Combine sequences as TrackEval's ``combine_sequences`` does (the COMBINED_SEQ row).

    Counts are summed in the order given and the ratios recomputed; HOTA's
    association and localisation accuracies are averaged weighted by true
    positives. The same numbers as
    :func:`deep_sort.evaluation.metrics.combine_scores`, without TrackEval.

    Raises
    ------
    ValueError
        If ``scores`` is empty.
    """
    if not scores:
        raise ValueError("no sequence results to combine")

    def total(part: str, field: str):
        return sum([getattr(score, part)[field] for score in scores])

    clear = {field: total("clear", field) for field in
             ("CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag", "CLR_Frames", "MOTP_sum")}
    identity = {field: total("identity", field) for field in ("IDTP", "IDFN", "IDFP")}
    hota = {field: total("hota", field) for field in ("HOTA_TP", "HOTA_FN", "HOTA_FP")}
    for field in ("AssRe", "AssPr", "AssA"):
        weighted = sum([score.hota[field] * score.hota["HOTA_TP"] for score in scores])
        hota[field] = weighted / np.maximum(1.0, hota["HOTA_TP"])
    loca_weighted_sum = sum([score.hota["LocA"] * score.hota["HOTA_TP"] for score in scores])
    hota["LocA"] = np.maximum(1e-10, loca_weighted_sum) / np.maximum(1e-10, hota["HOTA_TP"])
    return SequenceScores(
        num_frames=sum(score.num_frames for score in scores),
        clear=_clear_final_fields(clear),
        identity=_identity_final_fields(identity),
        hota=_hota_final_fields(hota),
    )
