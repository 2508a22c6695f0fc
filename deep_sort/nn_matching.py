"""Nearest-neighbour appearance metric over per-track galleries (SPEC.md section 5).

:meth:`NearestNeighborDistanceMetric.distance` is the reference reading (stack
and normalise each gallery, one matrix product per track). The tracker uses
:meth:`NearestNeighborDistanceMetric.masked_distance`, which reads the same
samples from prepared ring buffers (:mod:`deep_sort.gallery`) and computes
only the entries the Kalman gate lets through.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .gallery import FeatureGallery, normalize_rows


def _pdist(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Squared euclidean distances, shape (len(a), len(b)), clipped at 0."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    a2, b2 = np.square(a).sum(axis=1), np.square(b).sum(axis=1)
    r2 = -2.0 * np.dot(a, b.T) + a2[:, None] + b2[None, :]
    return np.clip(r2, 0.0, float(np.inf))


def _cosine_distance(a: npt.ArrayLike, b: npt.ArrayLike, data_is_normalized: bool = False) -> np.ndarray:
    """Cosine distances ``1 - <a/|a|, b/|b|>``, shape (len(a), len(b)).

    Computed in the inputs' precision (float32 descriptors give float32
    distances, as in the published code). An all-zero descriptor is at
    distance 1 from everything (see :func:`~deep_sort.gallery.normalize_rows`).
    """
    if not data_is_normalized:
        a, b = normalize_rows(a), normalize_rows(b)
    return 1.0 - np.dot(a, b.T)


def nn_euclidean_distance(x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
    """For each query in ``y``, the smallest squared euclidean distance to any sample in ``x``.

    Parameters
    ----------
    x : array-like of shape (N, D)
        Gallery samples of one track.
    y : array-like of shape (M, D)
        Query descriptors.

    Returns
    -------
    ndarray of shape (M,)
    """
    distances = _pdist(x, y)
    return np.maximum(0.0, distances.min(axis=0))


def nn_cosine_distance(x: npt.ArrayLike, y: npt.ArrayLike) -> np.ndarray:
    """For each query in ``y``, the smallest cosine distance to any sample in ``x``.

    Parameters
    ----------
    x : array-like of shape (N, D)
        Gallery samples of one track.
    y : array-like of shape (M, D)
        Query descriptors.

    Returns
    -------
    ndarray of shape (M,)
        Values in [0, 2].
    """
    distances = _cosine_distance(x, y)
    return distances.min(axis=0)


class NearestNeighborDistanceMetric:
    """Distance of a detection to a track = its smallest distance to the track's gallery.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}
        Cosine distance, or squared euclidean distance.
    matching_threshold : float
        Associations with a larger distance are infeasible.
    budget : int, optional
        Keep at most this many most recent samples per track; unbounded if None.

    Attributes
    ----------
    samples : dict[int, list of ndarray of shape (D,)]
        Gallery per track id, oldest first. Assign a new dict to replace the
        galleries; do not modify the lists in place (the prepared copy used
        by :meth:`masked_distance` would not see the change).
    """

    def __init__(self, metric: str, matching_threshold: float, budget: int | None = None) -> None:
        if metric == "euclidean":
            self._metric = nn_euclidean_distance
        elif metric == "cosine":
            self._metric = nn_cosine_distance
        else:
            raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}")
        if not matching_threshold >= 0:
            raise ValueError(f"matching_threshold must be >= 0, got {matching_threshold!r}")
        if budget is not None and (int(budget) != budget or budget < 1):
            raise ValueError(f"budget must be a positive integer or None, got {budget!r}")
        self.metric = metric
        self.matching_threshold = matching_threshold
        self.budget = None if budget is None else int(budget)
        self._gallery = FeatureGallery(metric, self.budget)
        self._gallery_dtype: np.dtype | None = None
        self._samples: dict[int, list[np.ndarray]] = {}

    @property
    def gallery(self) -> FeatureGallery:
        """The galleries as prepared ring buffers (kept in step with :attr:`samples`)."""
        return self._gallery

    @property
    def samples(self) -> dict[int, list[np.ndarray]]:
        """Gallery per track id, oldest first (see the class attributes)."""
        return self._samples

    @samples.setter
    def samples(self, samples: dict[int, list[np.ndarray]]) -> None:
        self._samples = samples
        self._gallery.clear()
        self._gallery_dtype = None
        for target, gallery in samples.items():
            self._replace_prepared(target, gallery)

    def _replace_prepared(self, target: int, gallery: list[np.ndarray]) -> None:
        # The reference stacks a gallery in the common type of its samples.
        stacked = np.asarray(gallery)
        if self._gallery_dtype is None:
            self._gallery_dtype = stacked.dtype
        elif stacked.dtype != self._gallery_dtype:
            self._gallery_dtype = np.dtype(object)  # mixed: re-stack per target from now on
        self._gallery.replace(target, stacked)

    def partial_fit(
        self,
        features: npt.ArrayLike,
        targets: npt.ArrayLike,
        active_targets: Sequence[int],
        prepared: tuple[np.ndarray, np.ndarray | None] | None = None,
    ) -> None:
        """Append new samples to the galleries; drop galleries of inactive targets.

        Parameters
        ----------
        features : array-like of shape (N, D)
            New samples, oldest first; float.
        targets : array-like of shape (N,), int
            Track id of each sample.
        active_targets : sequence of int
            Track ids whose galleries are kept (the confirmed tracks).
        prepared : tuple, optional
            ``gallery.prepare(np.asarray(features))``, when the caller has
            it (the tracker has its detections' descriptors prepared already).
        """
        for feature, target in zip(features, targets):
            gallery = self._samples.setdefault(target, [])
            gallery.append(feature)
            if self.budget is not None and len(gallery) > self.budget:
                del gallery[: len(gallery) - self.budget]
        self._samples = {k: self._samples[k] for k in active_targets}

        if len(features):
            stacked = np.asarray(features) if prepared is None else prepared[0]  # prepare() keeps a float dtype
            if self._gallery_dtype is None or stacked.dtype == self._gallery_dtype:
                self._gallery_dtype = stacked.dtype
                self._gallery.add(stacked, targets, prepared)
            else:
                for target in dict.fromkeys(targets):
                    if target in self._samples:
                        self._replace_prepared(target, self._samples[target])
        self._gallery.keep(active_targets)

    def distance(self, features: npt.ArrayLike, targets: Sequence[int]) -> np.ndarray:
        """Cost matrix between targets' galleries and query descriptors.

        Parameters
        ----------
        features : array-like of shape (M, D)
            Query descriptors (detections).
        targets : sequence of int, length N
            Track ids; each must have a gallery.

        Returns
        -------
        ndarray of shape (N, M), float64
            Entry (i, j) is the smallest distance between ``features[j]`` and
            the gallery of ``targets[i]``.
        """
        cost_matrix = np.zeros((len(targets), len(features)))
        for i, target in enumerate(targets):
            cost_matrix[i, :] = self._metric(self._samples[target], features)
        return cost_matrix

    def masked_distance(
        self,
        features: npt.ArrayLike,
        targets: Sequence[int],
        mask: npt.ArrayLike | None = None,
        fill: float = np.inf,
    ) -> np.ndarray:
        """:meth:`distance` for the entries where ``mask`` is True only.

        Reads the galleries from prepared ring buffers (see
        :class:`~deep_sort.gallery.FeatureGallery`); each entry is one
        matrix-vector product over the target's gallery. The products may round
        differently in the last bit of float32 from the reference's
        matrix-matrix products.

        Parameters
        ----------
        features : array-like of shape (M, D)
            Query descriptors (detections).
        targets : sequence of int, length N
            Track ids; each must have a gallery.
        mask : array-like of shape (N, M), bool, optional
            Entries to compute; all by default.
        fill : float
            Value of the other entries.

        Returns
        -------
        ndarray of shape (N, M), float64
        """
        return self._gallery.distance(features, targets, mask, fill)
