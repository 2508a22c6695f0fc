"""Min-cost matching and the matching cascade.

Both take the association cost as a callable, so that appearance and IoU
matching share one solver::

    distance_metric(track_indices, detection_indices) -> cost_matrix or None

where ``cost_matrix[i, j]`` (float64) is the cost of associating track
``track_indices[i]`` with detection ``detection_indices[j]`` (positions in
the tracker's track arrays and in the frame's detections). None stands for
a matrix without any feasible pair (every cost above every threshold, e.g.
all pairs outside the Kalman gate): the solver then need not see it.

The assignment problem is solved by ``scipy.optimize.linear_sum_assignment``
or, when it is built, by the project's compiled solver (see
:mod:`deep_sort.compiled`), which runs the same algorithm with the same
search order and returns the same assignment, not merely one of equal cost.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from . import compiled

#: Cost that takes a pair out of consideration (larger than any threshold).
INFTY_COST = 1e5

Matches = list[tuple[int, int]]
DistanceMetric = Callable[[list[int], list[int]], "npt.NDArray[np.float64] | None"]


def linear_sum_assignment(cost_matrix: npt.NDArray[np.float64]) -> tuple[list[int], list[int]]:
    """Solve the rectangular assignment problem: ``scipy.optimize.linear_sum_assignment``.

    Parameters
    ----------
    cost_matrix : ndarray of shape (N, M), float64

    Returns
    -------
    rows, cols : list of int
        The min(N, M) assigned pairs, sorted by row.

    Raises
    ------
    ValueError
        The matrix holds NaN or -inf, or has no finite assignment.

    Examples
    --------
    >>> linear_sum_assignment(np.array([[4.0, 1.0, 3.0], [2.0, 0.0, 5.0]]))
    ([0, 1], [1, 0])
    """
    cost_matrix = np.ascontiguousarray(cost_matrix, dtype=np.float64)
    if compiled.kernels is not None:
        return compiled.kernels.linear_sum_assignment(cost_matrix)
    from scipy.optimize import linear_sum_assignment as solve

    rows, cols = solve(cost_matrix)
    return rows.tolist(), cols.tolist()


def min_cost_matching(
    distance_metric: DistanceMetric,
    max_distance: float,
    track_indices: Sequence[int],
    detection_indices: Sequence[int],
) -> tuple[Matches, list[int], list[int]]:
    """Associate tracks with detections by minimum total cost.

    Entries above ``max_distance`` are set to ``max_distance + 1e-5`` before
    solving; an assigned pair whose cost is above ``max_distance`` is not a match.

    Parameters
    ----------
    distance_metric : callable
        ``(track_indices, detection_indices) -> cost_matrix`` or None, see
        the module docstring.
    max_distance : float
        Associations with a larger cost are rejected.
    track_indices, detection_indices : sequence of int
        The tracks (rows) and detections (columns) to match.

    Returns
    -------
    matches : list of (int, int)
        (track index, detection index) pairs, in row order.
    unmatched_tracks : list of int
        Rows not assigned, in row order, then those of rejected pairs.
    unmatched_detections : list of int
        Columns not assigned, in column order, then those of rejected pairs
        in row order. This order decides which new track gets which id.

    Examples
    --------
    >>> cost = np.array([[0.1, 0.9], [0.8, 0.95]])
    >>> min_cost_matching(lambda rows, cols: cost[np.ix_(rows, cols)], 0.5, [0, 1], [0, 1])
    ([(0, 0)], [1], [1])
    """
    track_indices, detection_indices = list(track_indices), list(detection_indices)
    if not track_indices or not detection_indices:
        return [], track_indices, detection_indices
    cost_matrix = distance_metric(track_indices, detection_indices)
    if cost_matrix is None:
        rows, cols = _constant_assignment(len(track_indices), len(detection_indices), max_distance + 1e-5)
        rejected = [True] * len(rows)
    else:
        # In float64, as the published cost matrices are (thresholds compare the same).
        cost_matrix = np.ascontiguousarray(cost_matrix, dtype=np.float64)
        if compiled.kernels is not None:
            return compiled.kernels.assign(cost_matrix, max_distance, track_indices, detection_indices)
        infeasible = cost_matrix > max_distance
        cost_matrix[infeasible] = max_distance + 1e-5
        rows, cols = linear_sum_assignment(cost_matrix)
        rejected = infeasible[rows, cols].tolist()
    assigned_rows, assigned_cols = set(rows), set(cols)
    unmatched_tracks = [k for row, k in enumerate(track_indices) if row not in assigned_rows]
    unmatched_detections = [d for col, d in enumerate(detection_indices) if col not in assigned_cols]
    matches = []
    for row, col, is_rejected in zip(rows, cols, rejected):
        if is_rejected:
            unmatched_tracks.append(track_indices[row])
            unmatched_detections.append(detection_indices[col])
        else:
            matches.append((track_indices[row], detection_indices[col]))
    return matches, unmatched_tracks, unmatched_detections


@functools.lru_cache(maxsize=4096)
def _constant_assignment(n_rows: int, n_cols: int, value: float) -> tuple[list[int], list[int]]:
    """The solver's assignment of an (n_rows, n_cols) matrix of one value, solved once per shape.

    Most matching-cascade levels have no pair inside the Kalman gate (their
    tracks have been lost for a while); their matrix is constant after
    thresholding, and its assignment depends only on its shape.
    """
    return linear_sum_assignment(np.full((n_rows, n_cols), value))


def matching_cascade(
    distance_metric: DistanceMetric,
    max_distance: float,
    cascade_depth: int,
    time_since_update: Sequence[int],
    track_indices: Sequence[int],
    detection_indices: Sequence[int],
) -> tuple[Matches, list[int], list[int]]:
    """Match tracks level by level, most recently updated first.

    Level ``l`` (0 .. cascade_depth - 1) matches the tracks with
    ``time_since_update == 1 + l`` (in ``track_indices`` order) against the
    detections still unmatched, by :func:`min_cost_matching`; the cascade
    stops when no detection is left. Levels without tracks change nothing
    and are skipped.

    Parameters
    ----------
    distance_metric, max_distance
        As :func:`min_cost_matching`.
    cascade_depth : int
        Number of levels; the tracker passes ``max_age``.
    time_since_update : sequence of int
        Per track index (indexable by every element of ``track_indices``).
    track_indices, detection_indices : sequence of int

    Returns
    -------
    matches : list of (int, int)
        Level by level, each in row order.
    unmatched_tracks : list of int
        ``list(set(track_indices) - set(matched tracks))``: Python's set
        order, as in the published code (it orders the IoU stage's candidates).
    unmatched_detections : list of int
        In the order the last level left them.

    Examples
    --------
    >>> cost = np.array([[0.1, 0.9], [0.2, 0.3]])
    >>> matching_cascade(lambda rows, cols: cost[np.ix_(rows, cols)], 0.5, 30, [2, 1], [0, 1], [0, 1])
    ([(1, 0)], [0], [1])
    """
    tracks_by_level: dict[int, list[int]] = {}
    for k in track_indices:
        level = time_since_update[k] - 1
        if 0 <= level < cascade_depth:
            tracks_by_level.setdefault(level, []).append(k)
    unmatched_detections = list(detection_indices)
    matches: Matches = []
    for level in sorted(tracks_by_level):
        if not unmatched_detections:
            break
        matches_l, _, unmatched_detections = min_cost_matching(
            distance_metric, max_distance, tracks_by_level[level], unmatched_detections)
        matches += matches_l
    unmatched_tracks = list(set(track_indices) - set(k for k, _ in matches))
    return matches, unmatched_tracks, unmatched_detections
