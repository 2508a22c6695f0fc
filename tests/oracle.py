"""The published DeepSORT tracking app, read plainly: the oracle of the tests.

Everything here follows the published code step by step (docs/algorithm.md
states the method): one ``Detection`` and one ``Track`` object per box and
target, a Kalman filter that works on one state at a time with numpy's and
scipy's linear algebra, galleries as lists of descriptors, one cost matrix
per cascade level, ``scipy.optimize.linear_sum_assignment``, and the
published non-maximum suppression loop. It is slow and obviously right; the
package's tracker, written for speed, must agree with it track for track
(``tests/core/test_lockstep.py``, ``tests/app/test_golden.py``).

Two rules of the project extend the published code, and the oracle has them
too: a descriptor of all zeros (a box without pixels) is at cosine distance 1
from everything instead of NaN, and detections without descriptors are tracked
motion-only (the cascade uses the gated IoU cost with ``max_iou_distance``).

Run as a script, it is the published app for the speed benchmark::

    python tests/oracle.py --sequence_dir SEQ --detection_file SEQ.npy --output_file out.txt \
        --min_confidence 0.3 --nn_budget 100
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import scipy.linalg
from scipy.optimize import linear_sum_assignment

INFTY_COST = 1e5
CHI2INV95 = {2: 5.9915, 4: 9.4877}


# ----------------------------------------------------------------------------- detections and tracks


class Detection:
    def __init__(self, tlwh, confidence, feature):
        self.tlwh = np.asarray(tlwh, dtype=np.float64)
        self.confidence = float(confidence)
        self.feature = np.asarray(feature, dtype=np.float32)

    def to_tlbr(self):
        ret = self.tlwh.copy()
        ret[2:] += ret[:2]
        return ret

    def to_xyah(self):
        ret = self.tlwh.copy()
        ret[:2] += ret[2:] / 2
        ret[2] /= ret[3]
        return ret


TENTATIVE, CONFIRMED, DELETED = 1, 2, 3


class Track:
    def __init__(self, mean, covariance, track_id, n_init, max_age, feature=None):
        self.mean = mean
        self.covariance = covariance
        self.track_id = track_id
        self.hits = 1
        self.age = 1
        self.time_since_update = 0
        self.state = TENTATIVE
        self.features = [] if feature is None else [feature]
        self._n_init = n_init
        self._max_age = max_age

    def to_tlwh(self):
        ret = self.mean[:4].copy()
        ret[2] *= ret[3]
        ret[:2] -= ret[2:] / 2
        return ret

    def predict(self, kf):
        self.mean, self.covariance = kf.predict(self.mean, self.covariance)
        self.age += 1
        self.time_since_update += 1

    def update(self, kf, detection):
        self.mean, self.covariance = kf.update(self.mean, self.covariance, detection.to_xyah())
        self.features.append(detection.feature)
        self.hits += 1
        self.time_since_update = 0
        if self.state == TENTATIVE and self.hits >= self._n_init:
            self.state = CONFIRMED

    def mark_missed(self):
        if self.state == TENTATIVE:
            self.state = DELETED
        elif self.time_since_update > self._max_age:
            self.state = DELETED

    def is_confirmed(self):
        return self.state == CONFIRMED

    def is_deleted(self):
        return self.state == DELETED


# ----------------------------------------------------------------------------- Kalman filter


class KalmanFilter:
    def __init__(self):
        ndim, dt = 4, 1.0
        self._motion_mat = np.eye(2 * ndim, 2 * ndim)
        for i in range(ndim):
            self._motion_mat[i, ndim + i] = dt
        self._update_mat = np.eye(ndim, 2 * ndim)
        self._std_weight_position = 1.0 / 20
        self._std_weight_velocity = 1.0 / 160

    def initiate(self, measurement):
        mean_pos = measurement
        mean_vel = np.zeros_like(mean_pos)
        mean = np.r_[mean_pos, mean_vel]
        p, v = self._std_weight_position, self._std_weight_velocity
        std = [
            2 * p * measurement[3], 2 * p * measurement[3], 1e-2, 2 * p * measurement[3],
            10 * v * measurement[3], 10 * v * measurement[3], 1e-5, 10 * v * measurement[3],
        ]
        return mean, np.diag(np.square(std))

    def predict(self, mean, covariance):
        p, v = self._std_weight_position, self._std_weight_velocity
        std_pos = [p * mean[3], p * mean[3], 1e-2, p * mean[3]]
        std_vel = [v * mean[3], v * mean[3], 1e-5, v * mean[3]]
        motion_cov = np.diag(np.square(np.r_[std_pos, std_vel]))
        mean = np.dot(self._motion_mat, mean)
        covariance = np.linalg.multi_dot((self._motion_mat, covariance, self._motion_mat.T)) + motion_cov
        return mean, covariance

    def project(self, mean, covariance):
        p = self._std_weight_position
        std = [p * mean[3], p * mean[3], 1e-1, p * mean[3]]
        innovation_cov = np.diag(np.square(std))
        mean = np.dot(self._update_mat, mean)
        covariance = np.linalg.multi_dot((self._update_mat, covariance, self._update_mat.T))
        return mean, covariance + innovation_cov

    def update(self, mean, covariance, measurement):
        projected_mean, projected_cov = self.project(mean, covariance)
        chol_factor, lower = scipy.linalg.cho_factor(projected_cov, lower=True, check_finite=False)
        kalman_gain = scipy.linalg.cho_solve(
            (chol_factor, lower), np.dot(covariance, self._update_mat.T).T, check_finite=False).T
        innovation = measurement - projected_mean
        new_mean = mean + np.dot(innovation, kalman_gain.T)
        new_covariance = covariance - np.linalg.multi_dot((kalman_gain, projected_cov, kalman_gain.T))
        return new_mean, new_covariance

    def gating_distance(self, mean, covariance, measurements, only_position=False):
        mean, covariance = self.project(mean, covariance)
        if only_position:
            mean, covariance = mean[:2], covariance[:2, :2]
            measurements = measurements[:, :2]
        cholesky_factor = np.linalg.cholesky(covariance)
        d = measurements - mean
        z = scipy.linalg.solve_triangular(cholesky_factor, d.T, lower=True, check_finite=False, overwrite_b=True)
        return np.sum(z * z, axis=0)


# ----------------------------------------------------------------------------- appearance metric


def _normalize(a):
    a = np.asarray(a)
    norms = np.linalg.norm(a, axis=1, keepdims=True)
    norms[norms == 0] = 1  # the project's rule: an all-zero descriptor stays zero (distance 1)
    return a / norms


def _pdist(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a2, b2 = np.square(a).sum(axis=1), np.square(b).sum(axis=1)
    r2 = -2.0 * np.dot(a, b.T) + a2[:, None] + b2[None, :]
    return np.clip(r2, 0.0, float(np.inf))


def nn_cosine_distance(x, y):
    return (1.0 - np.dot(_normalize(x), _normalize(y).T)).min(axis=0)


def nn_euclidean_distance(x, y):
    return np.maximum(0.0, _pdist(x, y).min(axis=0))


class NearestNeighborDistanceMetric:
    def __init__(self, metric, matching_threshold, budget=None):
        self._metric = nn_cosine_distance if metric == "cosine" else nn_euclidean_distance
        self.matching_threshold = matching_threshold
        self.budget = budget
        self.samples = {}

    def partial_fit(self, features, targets, active_targets):
        for feature, target in zip(features, targets):
            self.samples.setdefault(target, []).append(feature)
            if self.budget is not None:
                self.samples[target] = self.samples[target][-self.budget:]
        self.samples = {k: self.samples[k] for k in active_targets}

    def distance(self, features, targets):
        cost_matrix = np.zeros((len(targets), len(features)))
        for i, target in enumerate(targets):
            cost_matrix[i, :] = self._metric(self.samples[target], features)
        return cost_matrix


# ----------------------------------------------------------------------------- association


def iou(bbox, candidates):
    bbox_tl, bbox_br = bbox[:2], bbox[:2] + bbox[2:]
    candidates_tl = candidates[:, :2]
    candidates_br = candidates[:, :2] + candidates[:, 2:]
    tl = np.c_[np.maximum(bbox_tl[0], candidates_tl[:, 0])[:, np.newaxis],
               np.maximum(bbox_tl[1], candidates_tl[:, 1])[:, np.newaxis]]
    br = np.c_[np.minimum(bbox_br[0], candidates_br[:, 0])[:, np.newaxis],
               np.minimum(bbox_br[1], candidates_br[:, 1])[:, np.newaxis]]
    wh = np.maximum(0.0, br - tl)
    area_intersection = wh.prod(axis=1)
    area_bbox = bbox[2:].prod()
    area_candidates = candidates[:, 2:].prod(axis=1)
    return area_intersection / (area_bbox + area_candidates - area_intersection)


def iou_cost(tracks, detections, track_indices, detection_indices):
    cost_matrix = np.zeros((len(track_indices), len(detection_indices)))
    for row, track_idx in enumerate(track_indices):
        if tracks[track_idx].time_since_update > 1:
            cost_matrix[row, :] = INFTY_COST
            continue
        bbox = tracks[track_idx].to_tlwh()
        candidates = np.asarray([detections[i].tlwh for i in detection_indices])
        cost_matrix[row, :] = 1.0 - iou(bbox, candidates)
    return cost_matrix


def min_cost_matching(distance_metric, max_distance, tracks, detections, track_indices, detection_indices):
    if len(detection_indices) == 0 or len(track_indices) == 0:
        return [], track_indices, detection_indices
    cost_matrix = distance_metric(tracks, detections, track_indices, detection_indices)
    cost_matrix[cost_matrix > max_distance] = max_distance + 1e-5
    row_indices, col_indices = linear_sum_assignment(cost_matrix)
    matches, unmatched_tracks, unmatched_detections = [], [], []
    for col, detection_idx in enumerate(detection_indices):
        if col not in col_indices:
            unmatched_detections.append(detection_idx)
    for row, track_idx in enumerate(track_indices):
        if row not in row_indices:
            unmatched_tracks.append(track_idx)
    for row, col in zip(row_indices, col_indices):
        track_idx, detection_idx = track_indices[row], detection_indices[col]
        if cost_matrix[row, col] > max_distance:
            unmatched_tracks.append(track_idx)
            unmatched_detections.append(detection_idx)
        else:
            matches.append((track_idx, detection_idx))
    return matches, unmatched_tracks, unmatched_detections


def matching_cascade(distance_metric, max_distance, cascade_depth, tracks, detections, track_indices,
                     detection_indices):
    unmatched_detections = detection_indices
    matches = []
    for level in range(cascade_depth):
        if len(unmatched_detections) == 0:
            break
        track_indices_l = [k for k in track_indices if tracks[k].time_since_update == 1 + level]
        if len(track_indices_l) == 0:
            continue
        matches_l, _, unmatched_detections = min_cost_matching(
            distance_metric, max_distance, tracks, detections, track_indices_l, unmatched_detections)
        matches += matches_l
    unmatched_tracks = list(set(track_indices) - set(k for k, _ in matches))
    return matches, unmatched_tracks, unmatched_detections


def gate_cost_matrix(kf, cost_matrix, tracks, detections, track_indices, detection_indices):
    measurements = np.asarray([detections[i].to_xyah() for i in detection_indices])
    for row, track_idx in enumerate(track_indices):
        track = tracks[track_idx]
        gating_distance = kf.gating_distance(track.mean, track.covariance, measurements)
        cost_matrix[row, gating_distance > CHI2INV95[4]] = INFTY_COST
    return cost_matrix


# ----------------------------------------------------------------------------- tracker


class Tracker:
    def __init__(self, metric, max_iou_distance=0.7, max_age=30, n_init=3):
        self.metric = metric
        self.max_iou_distance = max_iou_distance
        self.max_age = max_age
        self.n_init = n_init
        self.kf = KalmanFilter()
        self.tracks = []
        self._next_id = 1

    def predict(self):
        for track in self.tracks:
            track.predict(self.kf)

    def update(self, detections):
        """Run one frame's association; return ``(track_id, detection_index)`` of every update and new track."""
        matches, unmatched_tracks, unmatched_detections = self._match(detections)
        associations = []
        for track_idx, detection_idx in matches:
            self.tracks[track_idx].update(self.kf, detections[detection_idx])
            associations.append((self.tracks[track_idx].track_id, detection_idx))
        for track_idx in unmatched_tracks:
            self.tracks[track_idx].mark_missed()
        for detection_idx in unmatched_detections:
            associations.append((self._next_id, detection_idx))
            self._initiate_track(detections[detection_idx])
        self.tracks = [t for t in self.tracks if not t.is_deleted()]
        if self.metric is None:
            return associations
        active_targets = [t.track_id for t in self.tracks if t.is_confirmed()]
        features, targets = [], []
        for track in self.tracks:
            if not track.is_confirmed():
                continue
            features += track.features
            targets += [track.track_id for _ in track.features]
            track.features = []
        self.metric.partial_fit(np.asarray(features), np.asarray(targets), active_targets)
        return associations

    def _match(self, detections):
        def gated_metric(tracks, dets, track_indices, detection_indices):
            if self.metric is None:
                # Motion-only: 1 - IoU with the predicted box, gated, at every
                # level (a track lost for a few frames is found again by
                # overlap); iou_cost's INFTY_COST rows for time_since_update > 1
                # are the IoU stage's rule, not the cascade's.
                candidates = np.asarray([dets[i].tlwh for i in detection_indices])
                cost_matrix = np.array([1.0 - iou(tracks[i].to_tlwh(), candidates) for i in track_indices])
            else:
                features = np.array([dets[i].feature for i in detection_indices])
                targets = np.array([tracks[i].track_id for i in track_indices])
                cost_matrix = self.metric.distance(features, targets)
            return gate_cost_matrix(self.kf, cost_matrix, tracks, dets, track_indices, detection_indices)

        confirmed_tracks = [i for i, t in enumerate(self.tracks) if t.is_confirmed()]
        unconfirmed_tracks = [i for i, t in enumerate(self.tracks) if not t.is_confirmed()]
        threshold = self.max_iou_distance if self.metric is None else self.metric.matching_threshold
        matches_a, unmatched_tracks_a, unmatched_detections = matching_cascade(
            gated_metric, threshold, self.max_age, self.tracks, detections, confirmed_tracks,
            list(range(len(detections))))
        iou_track_candidates = unconfirmed_tracks + [
            k for k in unmatched_tracks_a if self.tracks[k].time_since_update == 1]
        unmatched_tracks_a = [k for k in unmatched_tracks_a if self.tracks[k].time_since_update != 1]
        matches_b, unmatched_tracks_b, unmatched_detections = min_cost_matching(
            iou_cost, self.max_iou_distance, self.tracks, detections, iou_track_candidates, unmatched_detections)
        matches = matches_a + matches_b
        unmatched_tracks = list(set(unmatched_tracks_a + unmatched_tracks_b))
        return matches, unmatched_tracks, unmatched_detections

    def _initiate_track(self, detection):
        mean, covariance = self.kf.initiate(detection.to_xyah())
        feature = detection.feature if detection.feature.size else None
        self.tracks.append(Track(mean, covariance, self._next_id, self.n_init, self.max_age, feature))
        self._next_id += 1


# ----------------------------------------------------------------------------- the app


def non_max_suppression(boxes, max_bbox_overlap, scores=None):
    if len(boxes) == 0:
        return []
    boxes = boxes.astype(np.float64)
    pick = []
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = boxes[:, 2] + boxes[:, 0], boxes[:, 3] + boxes[:, 1]
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    idxs = np.argsort(scores) if scores is not None else np.argsort(y2)
    while len(idxs) > 0:
        last = len(idxs) - 1
        i = idxs[last]
        pick.append(int(i))
        xx1 = np.maximum(x1[i], x1[idxs[:last]])
        yy1 = np.maximum(y1[i], y1[idxs[:last]])
        xx2 = np.minimum(x2[i], x2[idxs[:last]])
        yy2 = np.minimum(y2[i], y2[idxs[:last]])
        w = np.maximum(0, xx2 - xx1 + 1)
        h = np.maximum(0, yy2 - yy1 + 1)
        overlap = (w * h) / area[idxs[:last]]
        idxs = np.delete(idxs, np.concatenate(([last], np.where(overlap > max_bbox_overlap)[0])))
    return pick


def create_detections(detection_mat, frame_idx, min_height=0):
    frame_indices = detection_mat[:, 0].astype(np.int64)
    detection_list = []
    for row in detection_mat[frame_indices == frame_idx]:
        bbox, confidence, feature = row[2:6], row[6], row[10:]
        if bbox[3] < min_height:
            continue
        detection_list.append(Detection(bbox, confidence, feature))
    return detection_list


def frame_detections(detection_mat, frame_idx, min_confidence, min_detection_height, nms_max_overlap):
    """One frame's detections as the published app selects them (filters, NMS in descending score)."""
    detections = create_detections(detection_mat, frame_idx, min_detection_height)
    detections = [d for d in detections if d.confidence >= min_confidence]
    boxes = np.array([d.tlwh for d in detections])
    scores = np.array([d.confidence for d in detections])
    return [detections[i] for i in non_max_suppression(boxes, nms_max_overlap, scores)]


def create_tracker(max_cosine_distance=0.2, nn_budget=None, max_iou_distance=0.7, max_age=30, n_init=3,
                   with_appearance=True):
    metric = NearestNeighborDistanceMetric("cosine", max_cosine_distance, nn_budget) if with_appearance else None
    return Tracker(metric, max_iou_distance, max_age, n_init)


def run(detection_mat, frame_indices, min_confidence=0.8, min_detection_height=0, nms_max_overlap=1.0,
        max_cosine_distance=0.2, nn_budget=None, max_iou_distance=0.7, max_age=30, n_init=3):
    """Track a sequence; return the result rows ``[frame, id, left, top, width, height]``."""
    tracker = create_tracker(max_cosine_distance, nn_budget, max_iou_distance, max_age, n_init,
                             with_appearance=detection_mat.shape[1] > 10)
    results = []
    for frame_idx in frame_indices:
        detections = frame_detections(detection_mat, frame_idx, min_confidence, min_detection_height,
                                      nms_max_overlap)
        tracker.predict()
        tracker.update(detections)
        for track in tracker.tracks:
            if not track.is_confirmed() or track.time_since_update > 1:
                continue
            bbox = track.to_tlwh()
            results.append([frame_idx, track.track_id, bbox[0], bbox[1], bbox[2], bbox[3]])
    return results


def frame_indices_of(sequence_dir, detection_mat):
    """The image file range of the sequence if it has images, else the detections' frame range."""
    image_dir = os.path.join(sequence_dir, "img1")
    if os.path.isdir(image_dir) and os.listdir(image_dir):
        frames = [int(os.path.splitext(name)[0]) for name in os.listdir(image_dir)]
        return range(min(frames), max(frames) + 1)
    return range(int(detection_mat[:, 0].min()), int(detection_mat[:, 0].max()) + 1)


def main(argv=None):
    parser = argparse.ArgumentParser(description="The published DeepSORT app, read plainly (test oracle).")
    parser.add_argument("--sequence_dir", required=True)
    parser.add_argument("--detection_file", required=True)
    parser.add_argument("--output_file", required=True)
    parser.add_argument("--min_confidence", type=float, default=0.8)
    parser.add_argument("--min_detection_height", type=float, default=0)
    parser.add_argument("--nms_max_overlap", type=float, default=1.0)
    parser.add_argument("--max_cosine_distance", type=float, default=0.2)
    parser.add_argument("--nn_budget", type=lambda s: None if s.lower() == "none" else int(s), default=None)
    parser.add_argument("--max_iou_distance", type=float, default=0.7)
    parser.add_argument("--max_age", type=int, default=30)
    parser.add_argument("--n_init", type=int, default=3)
    args = parser.parse_args(argv)
    if args.detection_file.endswith(".npy"):
        detection_mat = np.load(args.detection_file)
    else:
        detection_mat = np.loadtxt(args.detection_file, delimiter=",", ndmin=2)[:, :10]
    options = {k: v for k, v in vars(args).items() if k not in ("sequence_dir", "detection_file", "output_file")}
    results = run(detection_mat, frame_indices_of(args.sequence_dir, detection_mat), **options)
    with open(args.output_file, "w") as f:
        for row in results:
            print("%d,%d,%.2f,%.2f,%.2f,%.2f,1,-1,-1,-1" % tuple(row), file=f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
