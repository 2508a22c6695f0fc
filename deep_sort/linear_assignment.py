"""Min-cost matching, the matching cascade and Mahalanobis gating (SPEC.md section 5).

Cost functions share one signature, so appearance and IoU matching use the
same solver::

    distance_metric(tracks, detections, track_indices, detection_indices) -> cost_matrix

where ``cost_matrix[i, j]`` is the cost of associating ``tracks[track_indices[i]]``
with ``detections[detection_indices[j]]``.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

from .detection import Detection
from .kalman_filter import CHI2INV95, KalmanFilter
from .track import Track

#: Cost that takes a pair out of consideration (larger than any threshold).
INFTY_COST = 1e5

DistanceMetric = Callable[[Sequence[Track], Sequence[Detection], list[int], list[int]], npt.NDArray[np.float64]]
Matches = list[tuple[int, int]]


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
    cost_matrix[cost_matrix > max_distance] = max_distance + 1e-5
    rows, cols = linear_sum_assignment(cost_matrix)

    assigned_rows, assigned_cols = set(rows.tolist()), set(cols.tolist())
    unmatched_detections = [d for col, d in enumerate(detection_indices) if col not in assigned_cols]
    unmatched_tracks = [t for row, t in enumerate(track_indices) if row not in assigned_rows]
    matches = []
    for row, col in zip(rows.tolist(), cols.tolist()):
        track_idx, detection_idx = track_indices[row], detection_indices[col]
        if cost_matrix[row, col] > max_distance:
            unmatched_tracks.append(track_idx)
            unmatched_detections.append(detection_idx)
        else:
            matches.append((track_idx, detection_idx))
    return matches, unmatched_tracks, unmatched_detections


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

    unmatched_detections = detection_indices
    matches: Matches = []
    for level in range(cascade_depth):
        if len(unmatched_detections) == 0:
            break
        track_indices_l = [k for k in track_indices if tracks[k].time_since_update == 1 + level]
        if len(track_indices_l) == 0:
            continue
        matches_l, _, unmatched_detections = min_cost_matching(
            distance_metric, max_distance, tracks, detections, track_indices_l, unmatched_detections
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
