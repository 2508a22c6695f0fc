"""The multi-target tracker: predict, associate, update (SPEC.md sections 4-5)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import iou_matching, linear_assignment
from .detection import Detection
from .kalman_filter import KalmanFilter
from .nn_matching import NearestNeighborDistanceMetric
from .track import Track


class Tracker:
    """DeepSORT's multi-target tracker.

    Call :meth:`predict` once per frame, then :meth:`update` with that frame's
    detections (possibly none).

    Parameters
    ----------
    metric : NearestNeighborDistanceMetric or None
        Appearance metric for the matching cascade. ``None`` selects
        motion-only tracking for detections without descriptors: the cascade
        then uses the IoU cost (gated by the Kalman filter like the appearance
        cost, threshold ``max_iou_distance``) instead of the appearance cost.
    max_iou_distance : float
        Largest ``1 - IoU`` of an association in the IoU stage.
    max_age : int
        Misses after which a confirmed track is deleted; also the cascade depth.
    n_init : int
        Consecutive hits that confirm a track.

    Attributes
    ----------
    tracks : list of Track
        Live tracks, oldest first.
    kf : KalmanFilter
    """

    def __init__(
        self,
        metric: NearestNeighborDistanceMetric | None,
        max_iou_distance: float = 0.7,
        max_age: int = 30,
        n_init: int = 3,
    ) -> None:
        if not 0 <= max_iou_distance <= 1:
            raise ValueError(f"max_iou_distance must be in [0, 1], got {max_iou_distance!r}")
        if int(max_age) != max_age or max_age < 1:
            raise ValueError(f"max_age must be a positive integer, got {max_age!r}")
        if int(n_init) != n_init or n_init < 1:
            raise ValueError(f"n_init must be a positive integer, got {n_init!r}")
        self.metric = metric
        self.max_iou_distance = max_iou_distance
        self.max_age = int(max_age)
        self.n_init = int(n_init)
        self.kf = KalmanFilter()
        self.tracks: list[Track] = []
        self._next_id = 1

    def reset(self) -> None:
        """Forget all tracks and galleries; ids start again at 1."""
        self.tracks = []
        self._next_id = 1
        if self.metric is not None:
            self.metric.samples = {}

    def predict(self) -> None:
        """Propagate every track one frame ahead. Call once per frame, before :meth:`update`."""
        for track in self.tracks:
            track.predict(self.kf)

    def update(self, detections: Sequence[Detection]) -> None:
        """Associate the frame's detections, update tracks, start new ones.

        Parameters
        ----------
        detections : sequence of Detection
            This frame's detections, in the order that decides new track ids.
        """
        matches, unmatched_tracks, unmatched_detections = self._match(detections)
        for track_idx, detection_idx in matches:
            self.tracks[track_idx].update(self.kf, detections[detection_idx])
        for track_idx in unmatched_tracks:
            self.tracks[track_idx].mark_missed()
        for detection_idx in unmatched_detections:
            self._initiate_track(detections[detection_idx])
        self.tracks = [t for t in self.tracks if not t.is_deleted()]

        if self.metric is None:
            for track in self.tracks:
                track.features = []
            return
        # Confirmed tracks hand their pending descriptors to the gallery;
        # tentative ones keep them until they are confirmed.
        active_targets = [t.track_id for t in self.tracks if t.is_confirmed()]
        features, targets = [], []
        for track in self.tracks:
            if not track.is_confirmed():
                continue
            features += track.features
            targets += [track.track_id] * len(track.features)
            track.features = []
        self.metric.partial_fit(features, targets, active_targets)

    def _gated_appearance_cost(
        self,
        tracks: Sequence[Track],
        detections: Sequence[Detection],
        track_indices: list[int],
        detection_indices: list[int],
    ) -> np.ndarray:
        features = np.array([detections[i].feature for i in detection_indices])
        targets = [tracks[i].track_id for i in track_indices]
        cost_matrix = self.metric.distance(features, targets)
        return linear_assignment.gate_cost_matrix(
            self.kf, cost_matrix, tracks, detections, track_indices, detection_indices
        )

    def _gated_iou_cost(
        self,
        tracks: Sequence[Track],
        detections: Sequence[Detection],
        track_indices: list[int],
        detection_indices: list[int],
    ) -> np.ndarray:
        # Motion-only cascade: IoU of the predicted box, whatever the track's age.
        candidates = np.asarray([detections[i].tlwh for i in detection_indices]).reshape(-1, 4)
        cost_matrix = np.array([1.0 - iou_matching.iou(tracks[i].to_tlwh(), candidates) for i in track_indices])
        return linear_assignment.gate_cost_matrix(
            self.kf, cost_matrix, tracks, detections, track_indices, detection_indices
        )

    def _match(self, detections: Sequence[Detection]) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        confirmed_tracks = [i for i, t in enumerate(self.tracks) if t.is_confirmed()]
        unconfirmed_tracks = [i for i, t in enumerate(self.tracks) if not t.is_confirmed()]

        if self.metric is not None:
            cascade_cost, cascade_threshold = self._gated_appearance_cost, self.metric.matching_threshold
        else:
            cascade_cost, cascade_threshold = self._gated_iou_cost, self.max_iou_distance
        matches_a, unmatched_tracks_a, unmatched_detections = linear_assignment.matching_cascade(
            cascade_cost, cascade_threshold, self.max_age, self.tracks, detections, confirmed_tracks
        )

        # IoU stage: unconfirmed tracks, then confirmed ones that were seen in
        # the previous frame but found no appearance match.
        iou_track_candidates = unconfirmed_tracks + [
            k for k in unmatched_tracks_a if self.tracks[k].time_since_update == 1
        ]
        unmatched_tracks_a = [k for k in unmatched_tracks_a if self.tracks[k].time_since_update != 1]
        matches_b, unmatched_tracks_b, unmatched_detections = linear_assignment.min_cost_matching(
            iou_matching.iou_cost, self.max_iou_distance, self.tracks, detections,
            iou_track_candidates, unmatched_detections,
        )

        matches = matches_a + matches_b
        unmatched_tracks = list(set(unmatched_tracks_a + unmatched_tracks_b))
        return matches, unmatched_tracks, unmatched_detections

    def _initiate_track(self, detection: Detection) -> None:
        mean, covariance = self.kf.initiate(detection.to_xyah())
        feature = detection.feature if detection.feature.size else None
        self.tracks.append(Track(mean, covariance, self._next_id, self.n_init, self.max_age, feature))
        self._next_id += 1
