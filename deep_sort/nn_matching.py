"""Nearest-neighbour appearance metric over per-track galleries of descriptors.

The appearance distance of a detection to a track is the smallest distance
of its descriptor to any descriptor in the track's gallery, the last
``budget`` descriptors the track was updated with. For the cosine metric,
descriptors are compared after normalisation to unit length, in single
precision when the descriptors are float32 (as in the published tracker).
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt


def normalize_rows(features: npt.ArrayLike) -> np.ndarray:
    """Return ``features / |features|`` row by row, in the input's precision.

    An all-zero row (the descriptor of a box without pixels) stays zero, so
    its cosine distance to anything is 1 instead of NaN.

    Parameters
    ----------
    features : array-like of shape (N, D)

    Returns
    -------
    ndarray of shape (N, D)
        Unit rows, or zero rows (float32 stays float32).

    Examples
    --------
    >>> normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist()
    [[0.6, 0.8], [0.0, 0.0]]
    """
    features = np.asarray(features)
    # np.linalg.norm's operations (row sums of squares, square root), without its overhead.
    norms = np.sqrt(np.add.reduce(features * features, axis=1, keepdims=True))
    norms[norms == 0] = 1
    return features / norms


class _Gallery:
    """One target's samples: ``samples`` is a view of the valid rows of ``rows``; once full, ``head`` is the oldest."""

    __slots__ = ("rows", "samples", "head")

    def __init__(self, dim: int, capacity: int) -> None:
        self.rows = np.empty((capacity, dim), dtype=np.float32)
        self.samples = self.rows[:0]
        self.head = 0

    def append(self, row: np.ndarray, budget: int | None) -> None:
        n = len(self.samples)
        if n == budget:  # full: overwrite the oldest (the minimum ignores the order)
            self.rows[self.head] = row
            self.head = (self.head + 1) % budget
            return
        if n == len(self.rows):
            grown = np.empty((2 * n if budget is None else budget, self.rows.shape[1]), dtype=np.float32)
            grown[:n] = self.rows
            self.rows = grown
        self.rows[n] = row
        self.samples = self.rows[:n + 1]


class NearestNeighborDistanceMetric:
    """Distance of a detection to a track = its smallest distance to the track's gallery.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}
        ``1 - <a/|a|, b/|b|>``, or the squared euclidean distance.
    matching_threshold : float
        Associations with a larger distance are infeasible.
    budget : int, optional
        Keep at most this many most recent samples per track; unbounded if None.

    Examples
    --------
    >>> metric = NearestNeighborDistanceMetric("cosine", 0.2, budget=2)
    >>> metric.partial_fit(np.eye(3, dtype=np.float32), [7, 7, 7], active_targets=[7])
    >>> metric.samples(7).tolist()  # the last two
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    >>> metric.distance(np.eye(3, dtype=np.float32), [7]).tolist()
    [[1.0, 0.0, 0.0]]
    """

    def __init__(self, metric: str, matching_threshold: float, budget: int | None = None) -> None:
        if metric not in ("cosine", "euclidean"):
            raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}")
        if not matching_threshold >= 0:
            raise ValueError(f"matching_threshold must be >= 0, got {matching_threshold!r}")
        if budget is not None and (int(budget) != budget or budget < 1):
            raise ValueError(f"budget must be a positive integer or None, got {budget!r}")
        self.metric = metric
        self.matching_threshold = matching_threshold
        self.budget = None if budget is None else int(budget)
        self._galleries: dict[int, _Gallery] = {}

    def samples(self, target: int) -> np.ndarray:
        """Return the gallery of ``target``, oldest first, shape (n, D) float32.

        For the cosine metric the samples are stored normalised.
        """
        gallery = self._galleries[target]
        return np.roll(gallery.samples, -gallery.head, axis=0)

    def targets(self) -> list[int]:
        """Return the ids that have a gallery."""
        return list(self._galleries)

    def prepare(self, features: npt.ArrayLike) -> np.ndarray:
        """Return descriptors as the metric compares them: float32, unit rows for the cosine metric.

        Parameters
        ----------
        features : array-like of shape (N, D)

        Returns
        -------
        ndarray of shape (N, D), float32
        """
        features = np.asarray(features, dtype=np.float32)
        return normalize_rows(features) if self.metric == "cosine" else features

    def partial_fit(
        self, features: npt.ArrayLike, targets: Sequence[int], active_targets: Iterable[int], prepared: bool = False
    ) -> None:
        """Append samples to the galleries, then drop the galleries of inactive targets.

        Parameters
        ----------
        features : array-like of shape (N, D)
            New samples, oldest first; stored as float32.
        targets : sequence of int, length N
            Track id of each sample.
        active_targets : iterable of int
            Track ids whose galleries are kept.
        prepared : bool
            ``features`` come from :meth:`prepare` already.
        """
        galleries = self._galleries
        if len(targets):
            features = np.asarray(features).reshape(len(targets), -1)
            if not prepared:
                features = self.prepare(features)
        for row, target in zip(features, targets):
            gallery = galleries.get(target)
            if gallery is None:
                capacity = 16 if self.budget is None else min(self.budget, 128)
                gallery = galleries[target] = _Gallery(features.shape[1], capacity)
            gallery.append(row, self.budget)
        active_targets = set(active_targets)
        if len(galleries) > len(active_targets) or not active_targets.issuperset(galleries):
            self._galleries = {target: g for target, g in galleries.items() if target in active_targets}

    def distance(
        self,
        features: npt.ArrayLike,
        targets: Sequence[int],
        pairs: Sequence[int] | None = None,
        prepared: bool = False,
    ) -> npt.NDArray[np.float64]:
        """Smallest distance of query descriptors to targets' galleries.

        Parameters
        ----------
        features : array-like of shape (M, D)
            Query descriptors (detections).
        targets : sequence of int, length N
            Track ids; each must have a gallery.
        pairs : sequence of int, length N, optional
            Compute only the distance of ``features[pairs[i]]`` to
            ``targets[i]``, for each i (the entries of a sparse cost matrix).
        prepared : bool
            ``features`` come from :meth:`prepare` already.

        Returns
        -------
        ndarray of shape (N, M), float64; with ``pairs``, shape (N,), float32
            Entry (i, j): the smallest distance of ``features[j]`` to a sample
            of ``targets[i]``, computed in float32 (the descriptors are
            stored as float32).
        """
        queries = np.asarray(features) if prepared else self.prepare(features)
        if pairs is not None:
            return self._nearest(queries, list(targets), np.asarray(pairs, dtype=np.intp).tolist())
        rows, cols = np.indices((len(targets), len(queries))).reshape(2, -1).tolist()
        cost_matrix = np.zeros((len(targets), len(queries)))
        if rows:
            cost_matrix[rows, cols] = self._nearest(queries, [targets[row] for row in rows], cols)
        return cost_matrix

    def _nearest(self, queries: np.ndarray, targets: list[int], query_indices: list[int]) -> np.ndarray:
        """Distance of ``queries[query_indices[p]]`` to the nearest sample of ``targets[p]``, shape (P,)."""
        if not targets:
            return np.zeros(0, dtype=np.float32)
        # One matrix-vector product per pair, into one buffer; then the
        # nearest sample of each pair with one reduction.
        galleries = self._galleries
        samples = [galleries[target].samples for target in targets]
        starts = list(itertools.accumulate(map(len, samples), initial=0))
        products = np.empty(starts[-1], dtype=np.float32)
        for samples_p, query, start, stop in zip(samples, query_indices, starts, starts[1:]):
            samples_p.dot(queries[query], out=products[start:stop])
        if self.metric == "cosine":
            # 1 - x is monotone, so min(1 - x) is 1 - max(x), bit for bit.
            return 1.0 - np.maximum.reduceat(products, starts[:-1])
        # Squared distances (-2 <a, b> + |a|^2) + |b|^2, clipped at 0.
        sample_sq_norms = np.concatenate([np.square(samples_p).sum(axis=1) for samples_p in samples])
        query_sq_norms = np.square(queries).sum(axis=1)[query_indices]
        squared = -2.0 * products + sample_sq_norms + np.repeat(query_sq_norms, np.diff(starts))
        return np.maximum(0.0, np.minimum.reduceat(np.clip(squared, 0.0, None), starts[:-1]))
