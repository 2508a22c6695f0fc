"""Run a sweep: ask the search for trials, run the missing units, combine, record, tell."""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Sequence

from ..evaluation.vectorized import combine_scores
from .executors import Unit
from .search import Search
from .store import ResultCache, Trial, unit_key
from .trial import SweepSequence, scores_from_json

logger = logging.getLogger(__name__)


def run_sweep(
    sequences: Sequence[SweepSequence],
    search: Search,
    executor,
    cache: ResultCache,
    metrics: Sequence[str],
    *,
    recompute: bool = False,
    on_batch: Callable[[list[Trial]], None] | None = None,
    progress: bool = True,
) -> tuple[list[Trial], int]:
    """Run every trial of ``search`` on every sequence.

    Parameters
    ----------
    sequences : sequence of SweepSequence
        The split (combined in name order, as ``evaluate_motchallenge.py`` does).
    search : Search
        Hands out the trials batch by batch; told each batch's ``metrics``.
    executor : LocalExecutor or RayExecutor
        Runs the units that are not in the cache.
    cache : ResultCache
        Finished units; every new one is stored as soon as it arrives.
    metrics : sequence of str
        Summary columns told to the search.
    recompute : bool
        Ignore cached units (they are overwritten).
    on_batch : callable, optional
        Called with all trials so far after each batch (writes the tables).
    progress : bool
        Show a progress bar (trials/s) on stderr.

    Returns
    -------
    trials : list of Trial
        In search order, each with its per-sequence scores and OVERALL summary.
    reused : int
        Units (configuration x sequence) taken from the cache.
    """
    from tqdm import tqdm

    names = sorted(sequence.name for sequence in sequences)
    provenance = {sequence.name: sequence.provenance for sequence in sequences}
    trials: list[Trial] = []
    reused = 0
    # Always trials per second (tqdm would switch to seconds per trial below one).
    bar = tqdm(total=search.n_trials, unit="trial", desc="sweep", disable=not progress, file=sys.stderr,
               smoothing=0.1, bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}]")

    def finish(trial: Trial) -> None:
        trial.summary = combine_scores([trial.sequences[name] for name in names]).summary()
        bar.update(1)

    with bar:
        while batch := search.ask():
            batch_trials = [Trial(len(trials) + index, parameters) for index, parameters in enumerate(batch)]
            waiting: dict[str, list[tuple[Trial, str]]] = {}
            units = []
            unit_keys: dict[tuple[int, str], str] = {}
            for trial in batch_trials:
                for name in names:
                    key = unit_key(trial.parameters, provenance[name])
                    cached = None if recompute or key in waiting else cache.get(key)
                    if cached is not None:
                        trial.sequences[name] = cached
                        reused += 1
                        continue
                    if key not in waiting:
                        units.append(Unit(trial.index, name, trial.parameters))
                        unit_keys[trial.index, name] = key
                    waiting.setdefault(key, []).append((trial, name))
                if len(trial.sequences) == len(names):
                    finish(trial)
            for unit, scores_json in executor.run(units):
                key = unit_keys[unit.trial, unit.sequence]
                cache.put(key, unit.sequence, unit.parameters, scores_json)
                scores = scores_from_json(scores_json)
                for trial, name in waiting.pop(key):
                    trial.sequences[name] = scores
                    if len(trial.sequences) == len(names):
                        finish(trial)
            trials.extend(batch_trials)
            search.tell([[trial.summary[metric] for metric in metrics] for trial in batch_trials])
            if on_batch is not None:
                on_batch(trials)
    return trials, reused
