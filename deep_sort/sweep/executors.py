"""Where sweep work runs: this process, local worker processes, or Ray tasks (one machine or a cluster).

The unit of work is one configuration on one sequence
(:func:`~deep_sort.sweep.trial.run_trial`). Every executor loads each
sequence once per worker and yields results as they finish, each tagged
with its unit, so the caller's tables do not depend on the executor, the
number of workers or the order of completion.

- :class:`LocalExecutor`: ``workers == 1`` runs the units in this process on
  the sequences already loaded; more workers are spawned processes that
  load each sequence on first use and keep it.
- :class:`RayExecutor`: Ray tasks. Each sequence (detections and prepared
  ground truth) is put in Ray's object store once and passed to the tasks
  by reference; workers on the driver's machine read it without a copy.
"""
from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..app.cli import configure_logging, worker_logging
from ..distributed import connect_ray, import_ray
from ..evaluation import Benchmark
from ..io.errors import InputError
from ..runtime.workers import process_pool, stop_pool, submit_all
from .trial import SweepSequence, load_sequence, run_trial, scores_to_json

logger = logging.getLogger(__name__)

#: Executors of ``--executor``.
EXECUTORS = ("local", "ray")


@dataclass(frozen=True)
class Unit:
    """One configuration on one sequence."""

    trial: int
    sequence: str
    parameters: dict


@dataclass(frozen=True)
class SequenceSource:
    """Where a worker process loads a sequence from (and what it must find there)."""

    sequence_dir: Path
    detection_file: Path
    benchmark: Benchmark | None
    provenance: str


def _run_unit(sequence: SweepSequence, unit: Unit) -> dict:
    return scores_to_json(run_trial(sequence, unit.parameters))


# --------------------------------------------------------------------------- local processes

_worker_sources: dict[str, SequenceSource] = {}
_worker_sequences: dict[str, SweepSequence] = {}


def _init_worker(sources: dict[str, SequenceSource], logging_args: tuple) -> None:
    configure_logging(*logging_args)
    _worker_sources.update(sources)


def _worker_unit(unit: Unit) -> dict:
    """Run a unit in a worker process, loading its sequence on first use."""
    sequence = _worker_sequences.get(unit.sequence)
    if sequence is None:
        source = _worker_sources[unit.sequence]
        sequence = load_sequence(source.sequence_dir, source.detection_file, source.benchmark)
        if sequence.provenance != source.provenance:
            raise InputError(f"{source.detection_file} or {source.sequence_dir / 'gt' / 'gt.txt'} changed "
                             "while the sweep was running")
        _worker_sequences[unit.sequence] = sequence
    return _run_unit(sequence, unit)


class LocalExecutor:
    """Run units in this process (``workers == 1``) or in spawned worker processes."""

    def __init__(self, sequences: Sequence[SweepSequence], sources: dict[str, SequenceSource], workers: int) -> None:
        self._sequences = {sequence.name: sequence for sequence in sequences}
        self._pool = None
        if workers > 1:
            # Spawned workers that ignore Ctrl-C and die with this process (deep_sort.runtime.workers).
            self._pool = process_pool(workers, _init_worker, (sources, worker_logging()[1]))

    def run(self, units: Iterable[Unit]) -> Iterator[tuple[Unit, dict]]:
        """Yield ``(unit, scores as JSON)`` as units finish."""
        if self._pool is None:
            for unit in units:
                yield unit, _run_unit(self._sequences[unit.sequence], unit)
            return
        futures = submit_all(self._pool, _worker_unit, units)
        try:
            for future in concurrent.futures.as_completed(futures):
                yield futures[future], future.result()
        except BaseException:
            stop_pool(self._pool)  # Ctrl-C or a failed unit: the units still running are computed again on resume
            raise

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


# --------------------------------------------------------------------------- Ray


def _ray_unit(sequence: SweepSequence, unit: Unit) -> dict:
    return _run_unit(sequence, unit)


class RayExecutor:
    """Run units as Ray tasks; each sequence goes to the object store once.

    Parameters
    ----------
    sequences : sequence of SweepSequence
    address : str, optional
        See :func:`connect_ray`.
    num_cpus : int, optional
        CPUs of a local Ray started here.
    """

    def __init__(self, sequences: Sequence[SweepSequence], address: str | None, num_cpus: int | None) -> None:
        self._ray = import_ray()
        self._started = connect_ray(address, num_cpus)
        self._refs = {sequence.name: self._ray.put(sequence) for sequence in sequences}
        self._task = self._ray.remote(num_cpus=1, max_retries=0)(_ray_unit)

    def run(self, units: Iterable[Unit]) -> Iterator[tuple[Unit, dict]]:
        """Yield ``(unit, scores as JSON)`` as tasks finish."""
        ray = self._ray
        pending = {self._task.remote(self._refs[unit.sequence], unit): unit for unit in units}
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                unit = pending.pop(done[0])
                try:
                    yield unit, ray.get(done[0])
                except ray.exceptions.RayTaskError as exc:
                    raise exc.as_instanceof_cause() from None
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        self._refs.clear()
        if self._started:
            self._ray.shutdown()
