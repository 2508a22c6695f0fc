"""Min-cost matching, the matching cascade and Mahalanobis gating (SPEC.md section 5).

Cost functions share one signature, so appearance and IoU matching use the
same solver::

    distance_metric(tracks, detections, track_indices, detection_indices) -> cost_matrix

where ``cost_matrix[i, j]`` is the cost of associating ``tracks[track_indices[i]]``
with ``detections[detection_indices[j]]``.

:func:`min_cost_matching`, :func:`matching_cascade` and :func:`gate_cost_matrix`
are the readable reference. The tracker's cascade (see :mod:`deep_sort.tracker`)
builds each level's matrix from gated entries only and solves it with
:func:`assign_sparse`, which returns what :func:`assign` (the solver step of
:func:`min_cost_matching`) returns on the full matrix.
"""
from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from . import compiled
from .detection import Detection
from .kalman_filter import CHI2INV95, KalmanFilter
from .track import Track

#: Cost that takes a pair out of consideration (larger than any threshold).
INFTY_COST = 1e5

DistanceMetric = Callable[[Sequence[Track], Sequence[Detection], list[int], list[int]], npt.NDArray[np.float64]]
Matches = list[tuple[int, int]]


def _load_linear_sum_assignment() -> Callable:
    """Return ``scipy.optimize.linear_sum_assignment`` without importing all of scipy.optimize.

    ``import scipy.optimize`` loads every optimiser (100-200 ms, as much as
    tracking a whole sequence takes); the assignment solver is one compiled
    module, ``scipy.optimize._lsap``, whose ``linear_sum_assignment`` *is* the
    public function. Load that file directly; fall back to the public import
    if scipy is laid out differently.
    """
    if "scipy.optimize" not in sys.modules:
        try:
            spec = importlib.util.find_spec("scipy")
            directory = os.path.join(os.path.dirname(spec.origin), "optimize")
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = os.path.join(directory, "_lsap" + suffix)
                if os.path.isfile(path):
                    module_spec = importlib.util.spec_from_file_location("scipy.optimize._lsap", path)
                    module = importlib.util.module_from_spec(module_spec)
                    module_spec.loader.exec_module(module)
                    return module.linear_sum_assignment
        except (ImportError, AttributeError, OSError, TypeError):
            pass
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


_solver: Callable | None = None


def linear_sum_assignment(cost_matrix: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.optimize.linear_sum_assignment`` (minimisation), loaded on first use.

    Returns
    -------
    row_ind, col_ind : ndarray of int
        Assigned (row, column) pairs, sorted by row.
    """
    global _solver
    if _solver is None:
        _solver = _load_linear_sum_assignment()
    return _solver(cost_matrix)


def min_cost_matching(
    distance_metric: DistanceMetric,
    max_distance: float,
    tracks: Sequence[Track],
    detections: Sequence[Detection],
    track_indices: list[int] | None = None,
    detection_indices: list[int] | None = None,
) -> tuple[Matches, list[int], list[int]]:
    """Solve the assignment of tracks to detections by minimum total cost.

    Entries above ``max_distance`` are set to ``max_distance + 1e-5`` before
    solving with ``scipy.optimize.linear_sum_assignment``; an assigned pair
    whose cost is above ``max_distance`` is unmatched.

    Parameters
    ----------
    distance_metric : callable
        ``(tracks, detections, track_indices, detection_indices) -> cost_matrix``
        with ``cost_matrix`` of shape (len(track_indices), len(detection_indices)).
    max_distance : float
        Gating threshold; costs above it are not associations.
    tracks, detections : sequence
        All tracks and detections of the frame.
    track_indices, detection_indices : list of int, optional
        Which tracks (rows) and detections (columns) to match; all by default.

    Returns
    -------
    matches : list of (int, int)
        (track index, detection index) pairs, in row order.
    unmatched_tracks : list of int
        Rows not assigned, in row order, then rows of rejected pairs.
    unmatched_detections : list of int
        Columns not assigned in input column order, then those of rejected
        pairs in row order. This order decides which new track gets which id.
    """
    if track_indices is None:
        track_indices = list(range(len(tracks)))
    if detection_indices is None:
        detection_indices = list(range(len(detections)))
    if len(detection_indices) == 0 or len(track_indices) == 0:
        return [], list(track_indices), list(detection_indices)

    cost_matrix = distance_metric(tracks, detections, track_indices, detection_indices)
    return assign(cost_matrix, max_distance, track_indices, detection_indices)


def matching_cascade(
    distance_metric: DistanceMetric,
    max_distance: float,
    cascade_depth: int,
    tracks: Sequence[Track],
    detections: Sequence[Detection],
    track_indices: list[int] | None = None,
    detection_indices: list[int] | None = None,
) -> tuple[Matches, list[int], list[int]]:
    """Match tracks by increasing time since their last update.

    Level ``l`` (0 .. cascade_depth - 1) matches the tracks with
    ``time_since_update == 1 + l`` (in ``track_indices`` order) against the
    detections still unmatched, so recently seen tracks get first pick. The
    loop stops early when no detection is left.

    Parameters
    ----------
    cascade_depth : int
        Number of levels; the tracker passes ``max_age``.
    Other parameters
        As :func:`min_cost_matching`.

    Returns
    -------
    matches : list of (int, int)
        Level by level, each in row order.
    unmatched_tracks : list of int
        ``list(set(track_indices) - set(matched))``: CPython's set iteration
        order, as the published code has it (it decides the order of the IoU
        stage's candidates).
    unmatched_detections : list of int
        Order as returned by the last level that ran.
    """
    if track_indices is None:
        track_indices = list(range(len(tracks)))
    if detection_indices is None:
        detection_indices = list(range(len(detections)))

    # Group the tracks by level once; only levels that have tracks are solved
    # (an empty level changes nothing), in increasing order, as in the
    # reference loop over range(cascade_depth).
    tracks_by_level: dict[int, list[int]] = {}
    for k in track_indices:
        level = tracks[k].time_since_update - 1
        if 0 <= level < cascade_depth:
            tracks_by_level.setdefault(level, []).append(k)

    unmatched_detections = detection_indices
    matches: Matches = []
    for level in sorted(tracks_by_level):
        if len(unmatched_detections) == 0:
            break
        matches_l, _, unmatched_detections = min_cost_matching(
            distance_metric, max_distance, tracks, detections, tracks_by_level[level], unmatched_detections
        )
        matches += matches_l
    unmatched_tracks = list(set(track_indices) - set(k for k, _ in matches))
    return matches, unmatched_tracks, list(unmatched_detections)


def gate_cost_matrix(
    kf: KalmanFilter,
    cost_matrix: npt.NDArray[np.float64],
    tracks: Sequence[Track],
    detections: Sequence[Detection],
    track_indices: list[int],
    detection_indices: list[int],
    gated_cost: float = INFTY_COST,
    only_position: bool = False,
) -> npt.NDArray[np.float64]:
    """Set infeasible entries of a cost matrix, by Kalman gating, to ``gated_cost``.

    Entry (i, j) is infeasible when the squared Mahalanobis distance of
    detection ``detection_indices[j]`` to the projected state of track
    ``track_indices[i]`` exceeds ``CHI2INV95[4]`` (``[2]`` with ``only_position``).

    Parameters
    ----------
    cost_matrix : ndarray of shape (len(track_indices), len(detection_indices))
        Modified in place and returned.

    Returns
    -------
    ndarray
        ``cost_matrix``.
    """
    gating_threshold = CHI2INV95[2 if only_position else 4]
    measurements = np.asarray([detections[i].to_xyah() for i in detection_indices])
    for row, track_idx in enumerate(track_indices):
        track = tracks[track_idx]
        gating_distance = kf.gating_distance(track.mean, track.covariance, measurements, only_position)
        cost_matrix[row, gating_distance > gating_threshold] = gated_cost
    return cost_matrix


# ---------------------------------------------------------------------------
# The solver step of min_cost_matching on a given matrix, and the sparse form
# the tracker's cascade uses (same results, fewer solver calls).


def assign(
    cost_matrix: npt.NDArray[np.float64],
    max_distance: float,
    track_indices: list[int],
    detection_indices: list[int],
) -> tuple[Matches, list[int], list[int]]:
    """Solve a cost matrix: the second half of :func:`min_cost_matching`.

    Parameters
    ----------
    cost_matrix : ndarray of shape (len(track_indices), len(detection_indices))
        Row i is track ``track_indices[i]``, column j detection
        ``detection_indices[j]``; both non-empty. Modified in place (entries
        above ``max_distance`` become ``max_distance + 1e-5``).
    max_distance : float
    track_indices, detection_indices : list of int

    Returns
    -------
    matches, unmatched_tracks, unmatched_detections
        As :func:`min_cost_matching`.
    """
    if compiled.speedups is not None and _is_c_float64(cost_matrix):
        result = compiled.speedups.assign(cost_matrix, max_distance, track_indices, detection_indices)
        if result is not None:  # None: NaN entries, for the solver below to reject
            return result
    cost_matrix[cost_matrix > max_distance] = max_distance + 1e-5
    rows, cols = linear_sum_assignment(cost_matrix)
    rejected = (cost_matrix[rows, cols] > max_distance).tolist()
    return _split_assignment(rows.tolist(), cols.tolist(), rejected, track_indices, detection_indices)


def _is_c_float64(array: np.ndarray) -> bool:
    return type(array) is np.ndarray and array.dtype == np.float64 and array.flags.c_contiguous and array.flags.writeable


def assign_sparse(
    entries: dict[tuple[int, int], float],
    fill_cost: float,
    max_distance: float,
    track_indices: list[int],
    detection_indices: list[int],
) -> tuple[Matches, list[int], list[int]]:
    """:func:`assign` for a cost matrix that equals ``fill_cost`` except at ``entries``.

    Gives the same result as building that matrix and calling :func:`assign`.
    A matching-cascade level is such a matrix: ``INFTY_COST`` except for
    the few pairs inside the Kalman gate. Two cases need no solver call:

    - No entry at or below ``max_distance``: after thresholding the matrix is
      constant. Solving it matches nothing but still reorders the unmatched
      detections (assigned, rejected columns move to the end), so it is
      solved too, once per shape (the answer is cached).
    - A single row whose smallest cost is unique: an optimal assignment of
      one row is a column of least cost, so the solver must return that one.

    Parameters
    ----------
    entries : dict of (int, int) to float
        Cost of (row, column) pairs of the matrix.
    fill_cost : float
        Cost of every other entry.
    max_distance, track_indices, detection_indices
        As :func:`assign`.

    Returns
    -------
    matches, unmatched_tracks, unmatched_detections
        As :func:`min_cost_matching`.
    """
    capped_cost = max_distance + 1e-5
    fill = capped_cost if fill_cost > max_distance else fill_cost
    if fill > max_distance:
        feasible = [(key, cost) for key, cost in entries.items() if cost <= max_distance]
        if len(feasible) == len(entries) or not any(cost != cost for cost in entries.values()):
            if not feasible:
                return _uniform_outcome(fill, max_distance, track_indices, detection_indices)
            if len(track_indices) == 1:
                best = min(cost for _, cost in feasible)
                best_cols = [col for (_, col), cost in feasible if cost == best]
                if len(best_cols) == 1:
                    col = best_cols[0]
                    unmatched_detections = detection_indices[:col] + detection_indices[col + 1:]
                    return [(track_indices[0], detection_indices[col])], [], unmatched_detections
    n_cols = len(detection_indices)
    cost_matrix = np.empty((len(track_indices), n_cols))
    cost_matrix.fill(fill)
    cost_matrix.put(
        [row * n_cols + col for row, col in entries],
        [capped_cost if cost > max_distance else cost for cost in entries.values()],
    )
    rows, cols = linear_sum_assignment(cost_matrix)
    rows, cols = rows.tolist(), cols.tolist()
    rejected = [entries.get(pair, fill) > max_distance for pair in zip(rows, cols)]
    return _split_assignment(rows, cols, rejected, track_indices, detection_indices)


def _unassigned(indices: list[int], assigned_positions: list[int]) -> list[int]:
    """The elements of ``indices`` at positions the solver did not assign, in order."""
    if len(assigned_positions) == len(indices):
        return []
    assigned = set(assigned_positions)
    return [index for position, index in enumerate(indices) if position not in assigned]


def _uniform_outcome(
    value: float, max_distance: float, track_indices: list[int], detection_indices: list[int]
) -> tuple[Matches, list[int], list[int]]:
    """:func:`assign` of a matrix whose entries all equal ``value`` (cached by shape)."""
    matches, unmatched_tracks, unmatched_detections = _constant_outcome(
        len(track_indices), len(detection_indices), value, value > max_distance
    )
    return (
        [(track_indices[row], detection_indices[col]) for row, col in matches],
        [track_indices[row] for row in unmatched_tracks],
        [detection_indices[col] for col in unmatched_detections],
    )


@functools.lru_cache(maxsize=4096)
def _constant_outcome(
    n_rows: int, n_cols: int, value: float, rejected: bool
) -> tuple[Matches, list[int], list[int]]:
    """:func:`assign` of a constant (n_rows, n_cols) matrix, in row and column positions."""
    rows, cols = linear_sum_assignment(np.full((n_rows, n_cols), value))
    return _split_assignment(
        rows.tolist(), cols.tolist(), [rejected] * len(rows), list(range(n_rows)), list(range(n_cols))
    )


def _split_assignment(
    rows: list[int],
    cols: list[int],
    rejected: list[bool],
    track_indices: list[int],
    detection_indices: list[int],
) -> tuple[Matches, list[int], list[int]]:
    """Turn the solver's (row, col) pairs into matches and the ordered unmatched lists."""
    unmatched_detections = _unassigned(detection_indices, cols)
    unmatched_tracks = _unassigned(track_indices, rows)
    assigned_tracks = map(track_indices.__getitem__, rows)
    assigned_detections = map(detection_indices.__getitem__, cols)
    if not any(rejected):
        return list(zip(assigned_tracks, assigned_detections)), unmatched_tracks, unmatched_detections
    matches = []
    for track_idx, detection_idx, is_rejected in zip(assigned_tracks, assigned_detections, rejected):
        if is_rejected:
            unmatched_tracks.append(track_idx)
            unmatched_detections.append(detection_idx)
        else:
            matches.append((track_idx, detection_idx))
    return matches, unmatched_tracks, unmatched_detections
