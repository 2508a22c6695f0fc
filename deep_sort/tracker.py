"""The multi-target tracker: predict, associate, update (SPEC.md sections 4-5).

The algorithm reads as in the paper and SPEC.md: per frame, :meth:`Tracker.predict`
runs ``Track.predict`` on every track; :meth:`Tracker.update` runs the
matching cascade (gated appearance cost, by time since update), the IoU stage,
``Track.update`` / ``Track.mark_missed`` / new tracks, and the gallery update.
``tests/core/test_equivalence.py`` keeps a reference tracker written exactly
that way, track by track, and checks this one against it.

How this one is faster, with the same results:

- Kalman states of all tracks live in two stacked arrays (batch axis last,
  :class:`~deep_sort.track.StackedStates`); every ``Track.mean`` /
  ``Track.covariance`` is a view of its column. Predict, correct, initiate
  and gate run once per frame for all tracks
  (:meth:`KalmanFilter.predict_stacked` and friends), bit for bit as the
  per-track methods.
- Gating and costs do not depend on the cascade level: they are computed
  once per frame for all confirmed tracks x detections. A level's cost
  matrix is ``INFTY_COST`` except inside the gate, so appearance distances
  are computed only there (one matrix-vector product per pair, over the
  track's prepared gallery, :class:`~deep_sort.gallery.FeatureGallery`);
  after thresholding only the pairs with a cost at most the threshold
  differ from the rest, and each level is solved from those by
  ``linear_assignment.assign_sparse``.
- Only cascade levels that have tracks are visited; the unmatched tracks
  keep the published ``list(set(...))`` order.
- With the compiled helpers (:mod:`deep_sort.compiled`), the gate, the
  cascade levels, the IoU stage's cost matrix and assignment, the Kalman
  steps and the appearance distances run in C, with the same results;
  ``_solve_cascade_levels`` and the numpy methods are the Python path.
"""
from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

from . import compiled, linear_assignment
from ._blas import single_blas_thread
from .boxes import tlwh_to_xyah, xyah_to_tlwh
from .detection import Detection
from .iou_matching import iou_cost_matrix, iou_matrix
from .kalman_filter import CHI2INV95, KalmanFilter
from .nn_matching import NearestNeighborDistanceMetric
from .track import StackedStates, Track, TrackState

_get_state = operator.attrgetter("state")


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
        Live tracks, oldest first. Their ``mean`` and ``covariance`` are views
        of the tracker's stacked states (:class:`~deep_sort.track.StackedStates`),
        replaced (never written into) on every predict and update, as
        ``Track.predict`` / ``Track.update`` do. Assigning a track new arrays,
        or adding/removing tracks, is picked up on the next call.
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
        self._states = StackedStates()
        # (detections, their prepared descriptors) of the frame being updated
        self._queries: tuple[Sequence[Detection], tuple[np.ndarray, np.ndarray | None]] | None = None

    def reset(self) -> None:
        """Forget all tracks and galleries; ids start again at 1."""
        self.tracks = []
        self._next_id = 1
        self._queries = None
        self._states.bind([], np.zeros((8, 0)), np.zeros((8, 8, 0)))
        if self.metric is not None:
            self.metric.samples = {}

    def predict(self) -> None:
        """Propagate every track one frame ahead. Call once per frame, before :meth:`update`.

        Same as ``track.predict(self.kf)`` for each track.
        """
        self._sync_states()
        if self.tracks:
            self._states.replace(*self.kf.predict_stacked(self._states.mean, self._states.covariance))
        for track in self.tracks:
            track.age += 1
            track.time_since_update += 1

    def update(self, detections: Sequence[Detection]) -> list[tuple[int, int]]:
        """Associate the frame's detections, update tracks, start new ones.

        Parameters
        ----------
        detections : sequence of Detection
            This frame's detections, in the order that decides new track ids.

        Returns
        -------
        list of (int, int)
            ``(track_id, detection_index)`` for every track this frame's
            detections updated (matching cascade, then IoU stage) and then
            every new track, in id order; ``detection_index`` indexes
            ``detections``.
        """
        self._sync_states()
        tracks = self.tracks
        tlwh = np.array([d.tlwh for d in detections], dtype=np.float64).reshape(-1, 4)
        xyah = tlwh_to_xyah(tlwh)
        matches, unmatched_tracks, unmatched_detections = self._match(detections, tlwh, xyah)

        # Track.update for each match (one batched Kalman correction, then
        # each track's bookkeeping), Track.mark_missed for the others.
        n_tracks = len(tracks)
        source_rows = list(range(n_tracks))  # column of each track's next state in the stacks
        stacked_mean, stacked_covariance = [self._states.mean], [self._states.covariance]
        if matches:
            track_rows, detection_rows = zip(*matches)
            updated_mean, updated_covariance = self.kf.update_stacked(
                *self._stacked(track_rows), xyah.take(detection_rows, axis=0)
            )
            stacked_mean.append(updated_mean)
            stacked_covariance.append(updated_covariance)
            for row, (track_idx, detection_idx) in enumerate(matches, start=n_tracks):
                tracks[track_idx].mark_hit(detections[detection_idx].feature)
                source_rows[track_idx] = row
        associations = [(tracks[track_idx].track_id, detection_idx) for track_idx, detection_idx in matches]
        for track_idx in unmatched_tracks:
            tracks[track_idx].mark_missed()

        # New tracks in unmatched-detection order (it decides their ids).
        if unmatched_detections:
            new_mean, new_covariance = self.kf.initiate_stacked(xyah.take(unmatched_detections, axis=0))
            first_row = n_tracks + len(matches)
            for row, detection_idx in enumerate(unmatched_detections):
                feature = detections[detection_idx].feature
                tracks.append(Track(
                    new_mean[:, row], new_covariance[:, :, row], self._next_id, self.n_init, self.max_age,
                    feature if feature.size else None,
                ))
                source_rows.append(first_row + row)
                associations.append((self._next_id, detection_idx))
                self._next_id += 1
            stacked_mean.append(new_mean)
            stacked_covariance.append(new_covariance)

        # Drop deleted tracks; the stacked state follows the list.
        changed_list = len(tracks) > n_tracks
        if TrackState.Deleted in map(_get_state, tracks):
            alive = [i for i, t in enumerate(tracks) if t.state is not TrackState.Deleted]
            self.tracks = tracks = [tracks[i] for i in alive]
            source_rows = [source_rows[i] for i in alive]
            changed_list = True
        if len(stacked_mean) > 1 or changed_list:
            mean = np.concatenate(stacked_mean, axis=1).take(source_rows, axis=1)
            covariance = np.concatenate(stacked_covariance, axis=2).take(source_rows, axis=2)
            if changed_list:
                self._states.bind(tracks, mean, covariance)
            else:
                self._states.replace(mean, covariance)

        if self.metric is None:
            for track in tracks:
                track.features = []
            return associations
        # Confirmed tracks hand their pending descriptors to the gallery;
        # tentative ones keep them until they are confirmed.
        active_targets, features, targets = [], [], []
        for track in tracks:
            if track.state is not TrackState.Confirmed:
                continue
            active_targets.append(track.track_id)
            if track.features:
                features += track.features
                targets += [track.track_id] * len(track.features)
                track.features = []
        self.metric.partial_fit(features, targets, active_targets, self._prepared_samples(detections, features))
        return associations

    def _prepared_queries(self, detections: Sequence[Detection]) -> tuple[np.ndarray, np.ndarray | None]:
        """``gallery.prepare`` of the frame's descriptors, computed once per frame."""
        if self._queries is None or self._queries[0] is not detections:
            self._queries = (detections, self.metric.gallery.prepare(np.array([d.feature for d in detections])))
        return self._queries[1]

    def _prepared_samples(
        self, detections: Sequence[Detection], features: list[np.ndarray]
    ) -> tuple[np.ndarray, np.ndarray | None] | None:
        """The prepared rows of new gallery samples, if all are this frame's descriptors (else None).

        Most samples a frame adds are the descriptors the cascade has just
        prepared as queries; preparing a row gives the same bits alone or in
        a stack, so their rows are reused.
        """
        queries = self._queries
        self._queries = None
        if queries is None or queries[0] is not detections or not features:
            return None
        row_of = {id(d.feature): i for i, d in enumerate(detections)}
        rows = [row_of.get(id(feature), -1) for feature in features]
        if -1 in rows:
            return None
        query_rows, query_sq_norms = queries[1]
        return query_rows.take(rows, axis=0), None if query_sq_norms is None else query_sq_norms.take(rows)

    def track_tlwh(self) -> np.ndarray:
        """Return ``track.to_tlwh()`` of every track at once.

        Returns
        -------
        ndarray of shape (len(tracks), 4), float64
            Row i: box (left, top, w, h) of ``self.tracks[i]``'s current state.
        """
        self._sync_states()
        return self._predicted_tlwh()

    # ------------------------------------------------------------------ association

    def _match(
        self, detections: Sequence[Detection], tlwh: np.ndarray, xyah: np.ndarray
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """SPEC.md section 5, steps 1-3: matching cascade, then the IoU stage."""
        tracks = self.tracks
        confirmed_tracks, unconfirmed_tracks = [], []
        for i, state in enumerate(map(_get_state, tracks)):
            (confirmed_tracks if state is TrackState.Confirmed else unconfirmed_tracks).append(i)

        matches_a, unmatched_tracks_a, unmatched_detections = self._matching_cascade(
            detections, confirmed_tracks, tlwh, xyah
        )

        # IoU stage: unconfirmed tracks, then confirmed ones that were seen in
        # the previous frame but found no appearance match.
        iou_track_candidates = unconfirmed_tracks + [
            k for k in unmatched_tracks_a if tracks[k].time_since_update == 1
        ]
        unmatched_tracks_a = [k for k in unmatched_tracks_a if tracks[k].time_since_update != 1]

        def iou_cost_metric(tracks, detections, track_indices, detection_indices):
            time_since_update = [tracks[k].time_since_update for k in track_indices]
            if compiled.speedups is not None:
                cost_matrix = np.empty((len(track_indices), len(detection_indices)))
                compiled.speedups.iou_cost(self._states.mean, track_indices, time_since_update, tlwh,
                                           detection_indices, cost_matrix, linear_assignment.INFTY_COST)
                return cost_matrix
            return iou_cost_matrix(
                self._predicted_tlwh(track_indices), time_since_update, tlwh.take(detection_indices, axis=0)
            )

        matches_b, unmatched_tracks_b, unmatched_detections = linear_assignment.min_cost_matching(
            iou_cost_metric, self.max_iou_distance, tracks, detections, iou_track_candidates, unmatched_detections
        )

        matches = matches_a + matches_b
        unmatched_tracks = list(set(unmatched_tracks_a + unmatched_tracks_b))
        return matches, unmatched_tracks, unmatched_detections

    def _matching_cascade(
        self,
        detections: Sequence[Detection],
        confirmed_tracks: list[int],
        tlwh: np.ndarray,
        xyah: np.ndarray,
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        """``linear_assignment.matching_cascade`` over the confirmed tracks with the gated cost.

        The cost is the appearance distance (``metric.distance``), or
        ``1 - IoU`` with the predicted box in motion-only mode; entries whose
        Kalman gating distance exceeds ``CHI2INV95[4]`` are ``INFTY_COST``
        (``linear_assignment.gate_cost_matrix``); threshold
        ``metric.matching_threshold`` (``max_iou_distance`` in motion-only mode).

        Gating and costs do not depend on the level, so they are computed once
        for all confirmed tracks x detections (:meth:`_feasible_pairs`); a
        level's matrix is given by its feasible entries, and a level without
        any is solved as the constant matrix it is after thresholding
        (``linear_assignment.assign_sparse``).
        """
        tracks = self.tracks
        if self.metric is not None:
            threshold = self.metric.matching_threshold
        else:
            threshold = self.max_iou_distance

        # Rows (positions in confirmed_tracks) of each level that has tracks.
        rows_by_level: dict[int, list[int]] = {}
        for row, k in enumerate(confirmed_tracks):
            level = tracks[k].time_since_update - 1
            if 0 <= level < self.max_age:
                rows_by_level.setdefault(level, []).append(row)

        matches: list[tuple[int, int]] = []
        unmatched_detections = list(range(len(detections)))
        if rows_by_level and unmatched_detections:
            level_rows = [rows_by_level[level] for level in sorted(rows_by_level)]
            gated = self._gated_costs(detections, confirmed_tracks, tlwh, xyah)
            solved = None
            if compiled.speedups is not None:
                solved = self._solve_cascade_compiled(gated, level_rows, confirmed_tracks, len(detections), threshold)
            if solved is None:
                solved = self._solve_cascade_levels(gated, level_rows, confirmed_tracks, len(detections), threshold)
            matches, unmatched_detections = solved
        unmatched_tracks = list(set(confirmed_tracks) - set(k for k, _ in matches))
        return matches, unmatched_tracks, unmatched_detections

    def _gated_costs(
        self,
        detections: Sequence[Detection],
        confirmed_tracks: list[int],
        tlwh: np.ndarray,
        xyah: np.ndarray,
    ) -> tuple[list[int], list[int], np.ndarray]:
        """Cost of every confirmed track and detection inside the Kalman gate.

        Returns
        -------
        rows, detection_indices : list of int, length P
            The pairs whose gating distance is at most ``CHI2INV95[4]``: row
            in ``confirmed_tracks`` (increasing), then detection index.
        costs : ndarray of shape (P,)
            Appearance distance (in the descriptors' precision), or
            ``1 - IoU`` with the predicted box in motion-only mode.

        Gating and costs do not depend on the cascade level, so they are
        computed once per frame for all levels; a cost computed for a
        detection that an earlier level takes is not used.
        """
        rows, detection_indices = self.kf.gated_pairs_stacked(
            self._states.mean, self._states.covariance, confirmed_tracks, xyah, CHI2INV95[4])
        if not rows:
            return rows, detection_indices, np.zeros(0)
        if self.metric is not None:
            queries = self._prepared_queries(detections)
            tracks = self.tracks
            track_ids = [tracks[confirmed_tracks[row]].track_id for row in rows]
            with single_blas_thread():  # products this small are slower on several threads
                costs = self.metric.gallery.pair_distances(queries, track_ids, detection_indices)
        else:
            iou_cost = 1.0 - iou_matrix(self._predicted_tlwh(confirmed_tracks), tlwh)
            costs = iou_cost[rows, detection_indices]
        return rows, detection_indices, costs

    @staticmethod
    def _solve_cascade_compiled(
        gated: tuple[list[int], list[int], np.ndarray],
        level_rows: list[list[int]],
        confirmed_tracks: list[int],
        n_detections: int,
        threshold: float,
    ) -> tuple[list[tuple[int, int]], list[int]] | None:
        """The cascade levels in compiled code, on the gated cost matrix (None if it holds NaN).

        The matrix is the published one for all confirmed tracks x
        detections: the cost inside the gate (stored as float64, as the
        published cost matrix does), ``INFTY_COST`` outside; each level takes
        its rows and the still unmatched columns.
        """
        rows, detection_indices, costs = gated
        cost_matrix = np.full((len(confirmed_tracks), n_detections), linear_assignment.INFTY_COST)
        cost_matrix[rows, detection_indices] = costs
        return compiled.speedups.matching_cascade(cost_matrix, level_rows, confirmed_tracks, threshold)

    @staticmethod
    def _solve_cascade_levels(
        gated: tuple[list[int], list[int], np.ndarray],
        level_rows: list[list[int]],
        confirmed_tracks: list[int],
        n_detections: int,
        threshold: float,
    ) -> tuple[list[tuple[int, int]], list[int]]:
        """Run the cascade levels in increasing order; return the matches and unmatched detections.

        Every entry of a level's matrix that is not a feasible pair
        (:meth:`_feasible_pairs`) becomes ``threshold + 1e-5`` after
        thresholding, so the feasible pairs decide the level's assignment
        (``linear_assignment.assign_sparse``).
        """
        feasible = Tracker._feasible_pairs(gated, confirmed_tracks, threshold)
        infty = linear_assignment.INFTY_COST
        matches: list[tuple[int, int]] = []
        unmatched_detections = list(range(n_detections))
        for rows in level_rows:
            if not unmatched_detections:
                break
            track_indices = [confirmed_tracks[row] for row in rows]
            # The level's cost matrix (its tracks x the unmatched detections),
            # given by its entries that can be matched.
            entries: dict[tuple[int, int], float] = {}
            column = None
            for row, k in enumerate(track_indices):
                candidates = feasible.get(k)
                if candidates:
                    if column is None:
                        column = {d: j for j, d in enumerate(unmatched_detections)}
                    for d, value in candidates:
                        j = column.get(d)
                        if j is not None:
                            entries[row, j] = value
            matches_l, _, unmatched_detections = linear_assignment.assign_sparse(
                entries, infty, threshold, track_indices, unmatched_detections
            )
            matches += matches_l
        return matches, unmatched_detections

    @staticmethod
    def _feasible_pairs(
        gated: tuple[list[int], list[int], np.ndarray],
        confirmed_tracks: list[int],
        threshold: float,
    ) -> dict[int, list[tuple[int, float]]]:
        """The gated pairs a cascade level can match, per track index.

        Returns, per track index, ``(detection_index, cost)`` in detection
        order for the pairs inside the Kalman gate whose cost is at most
        ``threshold`` (or NaN, which the solver rejects as the published code
        does). Every other entry of a level's matrix becomes
        ``threshold + 1e-5`` after thresholding, whatever its cost.
        """
        rows, detection_indices, costs = gated
        if len(rows) == 0:
            return {}
        # Compared in float64, as the published cost matrix is (float32 costs
        # against a float32-rounded threshold could decide differently).
        keep = ~(costs.astype(np.float64) > threshold)
        track_of_row = np.asarray(confirmed_tracks).take(np.asarray(rows)[keep])
        feasible: dict[int, list[tuple[int, float]]] = {}
        for k, d, cost in zip(track_of_row.tolist(), np.asarray(detection_indices)[keep].tolist(), costs[keep].tolist()):
            candidates = feasible.get(k)
            if candidates is None:
                feasible[k] = [(d, cost)]
            else:
                candidates.append((d, cost))
        return feasible

    # ------------------------------------------------------------------ stacked state

    def _stacked(self, track_indices: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Stacked mean (8, N) and covariance (8, 8, N) of the given tracks (all by default)."""
        mean, covariance = self._states.mean, self._states.covariance
        if track_indices is None:
            return mean, covariance
        return mean.take(track_indices, axis=1), covariance.take(track_indices, axis=2)

    def _predicted_tlwh(self, track_indices: Sequence[int] | None = None) -> np.ndarray:
        """``Track.to_tlwh()`` of the given tracks (all by default), shape (N, 4)."""
        mean = self._states.mean
        if track_indices is not None:
            mean = mean.take(track_indices, axis=1)
        return xyah_to_tlwh(mean[:4].T)

    def _sync_states(self) -> None:
        """Re-stack the states if tracks were added, removed or given new arrays from outside."""
        if not self._states.is_bound(self.tracks):
            self._states.stack(self.tracks)

