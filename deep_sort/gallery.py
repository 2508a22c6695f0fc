"""Per-track appearance galleries as ring buffers, ready for the distance (SPEC.md section 5).

:class:`~deep_sort.nn_matching.NearestNeighborDistanceMetric` keeps, for each
confirmed track, its most recent ``nn_budget`` descriptors (the "gallery")
and defines the distance of a detection to a track as the smallest distance
to any gallery sample. The reference reading stacks and L2-normalises the
whole gallery on every call. :class:`FeatureGallery` stores each sample once,
already prepared (normalised for the cosine distance; with its squared norm
for the euclidean one), in a per-track ring buffer: a new sample overwrites
the oldest once the budget is reached. The nearest-neighbour minimum does not
depend on the order of the samples, so the ring order is irrelevant.

Preparing a row gives the same bits whether it is done alone or in a stack
(numpy reduces each row on its own), so a prepared gallery holds exactly the
values the reference computes on the fly.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from . import compiled
from ._blas import single_blas_thread

#: Initial rows of a track's buffer (at most the budget); it doubles up to the
#: budget. Large enough that with the usual budgets (100) every buffer has its
#: final size from the start: all of a frame's new samples go to one pool
#: (one write) and no buffer is ever copied.
_INITIAL_CAPACITY = 128


def normalize_rows(features: npt.ArrayLike) -> np.ndarray:
    """Return ``features / |features|`` row by row, in the input's precision.

    An all-zero row (a descriptor of a box without pixels) stays zero, so its
    cosine distance to anything is 1 instead of NaN; other rows are divided
    by their norm exactly as the published code does.

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
    if features.dtype.kind == "f":
        # np.linalg.norm's own operations for real rows, without its wrapper.
        norms = np.sqrt(np.add.reduce(features * features, axis=1, keepdims=True))
    else:
        norms = np.linalg.norm(features, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return features / norms


def squared_norms(features: np.ndarray) -> np.ndarray:
    """Return the squared L2 norm of each row, shape (N,), in the input's precision."""
    return np.square(features).sum(axis=1)


class _Pool:
    """Blocks of ``capacity`` rows, one per target, for one size class and dtype.

    Keeping all targets' samples of a size class in one array lets a frame's
    new samples be written with one indexed assignment.
    """

    __slots__ = ("capacity", "rows", "sq_norms", "_free")

    def __init__(self, capacity: int, dim: int, dtype: np.dtype, with_norms: bool) -> None:
        self.capacity = capacity
        self.rows = np.empty((0, capacity, dim), dtype=dtype)
        self.sq_norms = np.empty((0, capacity), dtype=dtype) if with_norms else None
        self._free: list[int] = []

    def allocate(self) -> int:
        """Return a free block index (the arrays grow, keeping block indices, when none is free)."""
        if not self._free:
            n_old = len(self.rows)
            n_new = max(4, 2 * n_old)
            rows = np.empty((n_new,) + self.rows.shape[1:], dtype=self.rows.dtype)
            rows[:n_old] = self.rows
            self.rows = rows
            if self.sq_norms is not None:
                sq_norms = np.empty((n_new, self.capacity), dtype=self.sq_norms.dtype)
                sq_norms[:n_old] = self.sq_norms
                self.sq_norms = sq_norms
            self._free = list(range(n_new - 1, n_old - 1, -1))
        return self._free.pop()

    def release(self, block: int) -> None:
        self._free.append(block)


class _Ring:
    """One target's samples: block ``block`` of ``pool``; rows ``[:n]`` valid, ``head`` the oldest once full."""

    __slots__ = ("pool", "block", "n", "head", "_view")

    def __init__(self, pool: _Pool, block: int) -> None:
        self.pool = pool
        self.block = block
        self.n = 0
        self.head = 0
        self._view: np.ndarray | None = None

    def samples(self) -> np.ndarray:
        """The valid rows, (n, D): a view, cached until ``n`` changes or the pool is reallocated."""
        view = self._view
        if view is None or view.base is not self.pool.rows:
            view = self._view = self.pool.rows[self.block, :self.n]
        return view

    def sq_norms(self) -> np.ndarray:
        return self.pool.sq_norms[self.block, :self.n]


class FeatureGallery:
    """The last ``budget`` appearance descriptors of each target, prepared for a metric.

    Parameters
    ----------
    metric : {"cosine", "euclidean"}
        Cosine: rows are stored L2-normalised. Euclidean: rows are stored raw
        together with their squared norms.
    budget : int, optional
        Samples kept per target (the oldest is overwritten); unbounded if None.

    Notes
    -----
    A target's samples live in a block of a pool of equal-size blocks
    (``min(budget, 128)`` rows at first); a full block moves to a pool of
    twice the size until it reaches the budget. Memory is bounded by
    (targets alive at once) x max(budget, 128) x D.

    Examples
    --------
    >>> gallery = FeatureGallery("cosine", budget=2)
    >>> gallery.add(np.eye(3, dtype=np.float32), [7, 7, 7])
    >>> gallery.count(7)
    2
    >>> gallery.distance(np.eye(3, dtype=np.float32), [7]).tolist()
    [[1.0, 0.0, 0.0]]
    """

    def __init__(self, metric: str, budget: int | None = None) -> None:
        if metric not in ("cosine", "euclidean"):
            raise ValueError(f"metric must be 'euclidean' or 'cosine', got {metric!r}")
        if budget is not None and (int(budget) != budget or budget < 1):
            raise ValueError(f"budget must be a positive integer or None, got {budget!r}")
        self.metric = metric
        self.budget = None if budget is None else int(budget)
        self._rings: dict[int, _Ring] = {}
        self._pools: dict[tuple[str, int, int], _Pool] = {}

    def __contains__(self, target: int) -> bool:
        return target in self._rings

    def __len__(self) -> int:
        return len(self._rings)

    def targets(self) -> list[int]:
        """Return the ids that have a gallery, in insertion order."""
        return list(self._rings)

    def count(self, target: int) -> int:
        """Return the number of samples stored for ``target`` (0 if none)."""
        ring = self._rings.get(target)
        return 0 if ring is None else ring.n

    def rows(self, target: int) -> np.ndarray:
        """Return the prepared samples of ``target``, shape (n, D), in ring order.

        A view, valid until the gallery next changes.
        """
        return self._rings[target].samples()

    def clear(self) -> None:
        """Forget every gallery."""
        self._rings = {}
        self._pools = {}

    def keep(self, targets: Iterable[int]) -> None:
        """Drop the galleries of all targets not in ``targets``."""
        rings = self._rings
        kept = {target: rings[target] for target in targets if target in rings}
        if len(kept) < len(rings):
            for target, ring in rings.items():
                if target not in kept:
                    ring.pool.release(ring.block)
        self._rings = kept

    def prepare(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Prepare query or sample rows: (normalised rows, None) or (rows, squared norms).

        Parameters
        ----------
        features : ndarray of shape (N, D)

        Returns
        -------
        rows : ndarray of shape (N, D)
        sq_norms : ndarray of shape (N,) or None
            Only for the euclidean metric.
        """
        if self.metric == "cosine":
            return normalize_rows(features), None
        return features, squared_norms(features)

    def add(
        self,
        features: npt.ArrayLike,
        targets: Sequence[int],
        prepared: tuple[np.ndarray, np.ndarray | None] | None = None,
    ) -> None:
        """Append samples, oldest first; a full buffer overwrites its oldest sample.

        Parameters
        ----------
        features : array-like of shape (N, D)
            One dtype per target (use :meth:`replace` to change it).
        targets : sequence of int, length N
            Target id of each row.
        prepared : tuple, optional
            ``prepare(features)`` when the caller has it already (then
            ``features`` is not read).
        """
        if prepared is None:
            features = np.asarray(features)
            if len(features) == 0:
                return
            prepared = self.prepare(features)
        rows, sq_norms = prepared
        if len(rows) == 0:
            return
        budget = self.budget
        # pool -> (flat slot indices, source rows) of the writes not yet done
        pending: dict[_Pool, tuple[list[int], list[int]]] = {}
        pending_slots: set[tuple[int, int]] = set()
        repeated_targets = len(set(targets)) < len(targets)
        rings = self._rings
        mixed_dtypes = any(pool.rows.dtype != rows.dtype for pool in self._pools.values())
        for i, target in enumerate(targets):
            ring = rings.get(target)
            if ring is None:
                ring = rings[target] = self._new_ring(rows, _INITIAL_CAPACITY)
            elif mixed_dtypes and ring.pool.rows.dtype != rows.dtype:
                raise TypeError(
                    f"target {target}: samples of dtype {rows.dtype} added to a gallery of "
                    f"{ring.pool.rows.dtype}; use replace()"
                )
            pool = ring.pool
            if ring.n < pool.capacity:
                slot = ring.n
                ring.n += 1
                ring._view = None
            elif ring.n == budget:
                slot = ring.head
                ring.head = (slot + 1) % budget
            else:
                self._write(pending, rows, sq_norms)  # a block moves with its data
                pending, pending_slots = {}, set()
                self._grow(ring, rows)
                pool = ring.pool
                slot = ring.n
                ring.n += 1
                ring._view = None
            flat_slot = ring.block * pool.capacity + slot
            if repeated_targets:
                # A target with more new samples than its budget reuses slots:
                # write in order so that the last samples are the ones kept.
                key = (id(pool), flat_slot)
                if key in pending_slots:
                    self._write(pending, rows, sq_norms)
                    pending, pending_slots = {}, set()
                pending_slots.add(key)
            writes = pending.get(pool)
            if writes is None:
                pending[pool] = ([flat_slot], [i])
            else:
                writes[0].append(flat_slot)
                writes[1].append(i)
        self._write(pending, rows, sq_norms)

    def replace(self, target: int, features: npt.ArrayLike) -> None:
        """Set the gallery of ``target`` to the last ``budget`` rows of ``features`` (oldest first)."""
        ring = self._rings.pop(target, None)
        if ring is not None:
            ring.pool.release(ring.block)
        features = np.asarray(features)
        if self.budget is not None:
            features = features[-self.budget:]
        self.add(features, [target] * len(features))

    @staticmethod
    def _write(pending: dict, rows: np.ndarray, sq_norms: np.ndarray | None) -> None:
        for pool, (flat_slots, sources) in pending.items():
            # All rows, in order, is the common case: no gather needed.
            everything = len(sources) == len(rows)
            pool.rows.reshape(-1, pool.rows.shape[2])[flat_slots] = rows if everything else rows.take(sources, axis=0)
            if sq_norms is not None:
                pool.sq_norms.reshape(-1)[flat_slots] = sq_norms if everything else sq_norms.take(sources)

    def _pool(self, rows: np.ndarray, capacity: int) -> _Pool:
        if self.budget is not None:
            capacity = min(capacity, self.budget)
        key = (rows.dtype.str, rows.shape[1], capacity)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(capacity, rows.shape[1], rows.dtype, self.metric == "euclidean")
        return pool

    def _new_ring(self, rows: np.ndarray, capacity: int) -> _Ring:
        pool = self._pool(rows, capacity)
        return _Ring(pool, pool.allocate())

    def _grow(self, ring: _Ring, rows: np.ndarray) -> None:
        """Move a full ring (below the budget) to a block twice the size."""
        old_pool, old_block = ring.pool, ring.block
        pool = self._pool(rows, 2 * old_pool.capacity)
        block = pool.allocate()
        pool.rows[block, :ring.n] = old_pool.rows[old_block, :ring.n]
        if pool.sq_norms is not None:
            pool.sq_norms[block, :ring.n] = old_pool.sq_norms[old_block, :ring.n]
        old_pool.release(old_block)
        ring.pool, ring.block = pool, block

    def distance(
        self,
        features: npt.ArrayLike,
        targets: Sequence[int],
        mask: npt.ArrayLike | None = None,
        fill: float = np.inf,
    ) -> npt.NDArray[np.float64]:
        """Smallest distance of each query to each target's gallery.

        Parameters
        ----------
        features : array-like of shape (M, D)
            Query descriptors (raw, not normalised).
        targets : sequence of int, length N
            Target ids; each must have a gallery.
        mask : array-like of shape (N, M), bool, optional
            Compute only the entries where True (the others get ``fill``);
            all entries by default.
        fill : float
            Value of the entries not computed.

        Returns
        -------
        ndarray of shape (N, M), float64
            Entry (i, j): min over the samples of ``targets[i]`` of the cosine
            distance ``1 - <a/|a|, b/|b|>`` (or squared euclidean distance,
            clipped at 0) to ``features[j]``, computed in the descriptors'
            precision (float32 stays float32) and then stored as float64.
        """
        features = np.asarray(features)
        n_targets, n_queries = len(targets), len(features)
        cost_matrix = np.full((n_targets, n_queries), fill, dtype=np.float64)
        if n_targets == 0 or n_queries == 0:
            return cost_matrix
        if mask is None:
            mask = np.ones((n_targets, n_queries), dtype=bool)
        rows_idx, cols_idx = np.nonzero(mask)
        if len(rows_idx) == 0:
            return cost_matrix
        pair_targets = [targets[row] for row in rows_idx.tolist()]
        with single_blas_thread():  # products this small are slower on several threads
            cost_matrix[rows_idx, cols_idx] = self.pair_distances(
                self.prepare(features), pair_targets, cols_idx.tolist()
            )
        return cost_matrix

    def pair_distances(
        self,
        queries: tuple[np.ndarray, np.ndarray | None],
        targets: Sequence[int],
        query_indices: Sequence[int],
    ) -> np.ndarray:
        """Nearest-sample distance of selected (target, query) pairs.

        Each pair is one matrix-vector product over the target's samples, so
        a pair's value depends only on the gallery and the query, not on
        which other pairs are computed. Call it with OpenBLAS on one thread
        (:func:`deep_sort._blas.single_blas_thread`): the products are tiny.

        Parameters
        ----------
        queries : tuple
            ``prepare(features)`` of the query descriptors, shape (M, D).
        targets : sequence of int, length P
            Target of each pair; each must have a gallery. Pairs of one
            target are best given consecutively.
        query_indices : sequence of int, length P
            Query row of each pair.

        Returns
        -------
        ndarray of shape (P,)
            In the descriptors' precision.
        """
        query_rows, query_sq_norms = queries
        rings = self._rings
        if (self.metric == "cosine" and query_rows.dtype == np.float32 and len(targets)
                and compiled.speedups is not None and compiled.float32_products_ready()):
            # The same products (numpy's own BLAS calls) and minimum, in C.
            samples, last_target = [], None
            for target in targets:
                if target != last_target:
                    rows, last_target = rings[target].samples(), target
                samples.append(rows)
            distances = np.empty(len(samples), dtype=np.float32)
            if compiled.speedups.cosine_pair_distances(
                    samples, np.ascontiguousarray(query_rows), query_indices, distances):
                return distances
        query_list = list(query_rows)  # row views made once, not once per pair
        starts, products, sample_sq_norms = [], [], []
        offset = 0
        last_target, samples, n_samples = None, None, 0
        for target, query in zip(targets, query_indices):
            if target != last_target:
                ring = rings[target]
                samples, last_target, n_samples = ring.samples(), target, ring.n
            products.append(samples.dot(query_list[query]))
            if query_sq_norms is not None:
                sample_sq_norms.append(ring.sq_norms())
            starts.append(offset)
            offset += n_samples
        if not starts:
            return np.zeros(0, dtype=query_rows.dtype)
        products = np.concatenate(products)
        if self.metric == "cosine":
            # Rounding is monotone, so min(1 - x) == 1 - max(x) bit for bit.
            return 1.0 - np.maximum.reduceat(products, starts)
        # ((-2 <a, b>) + |a|^2) + |b|^2, as nn_matching._pdist adds them.
        squared = -2.0 * products + np.concatenate(sample_sq_norms)
        squared += np.repeat(query_sq_norms[list(query_indices)], np.diff(starts + [offset]))
        return np.maximum(0.0, np.minimum.reduceat(np.clip(squared, 0.0, float(np.inf)), starts))
