"""Which configurations a sweep runs: every grid point, random samples, or Optuna's suggestions.

Each search hands out trials in batches (:meth:`Search.ask`) and learns their
scores (:meth:`Search.tell`) in trial order. The trials depend only on the
search space, the seed, the batch size and the scores told, never on how many
workers ran them or in which order they finished, so a sweep is reproducible
and a resumed sweep asks for the same trials again.
"""
from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence

import numpy as np

from ..io.errors import InputError
from .space import Range, SearchSpace, Value

logger = logging.getLogger(__name__)

#: Search strategies of ``--search``.
SEARCHES = ("grid", "random", "optuna")


class Search:
    """Base class: hands out trials (complete parameter dicts) batch by batch."""

    def __init__(self, space: SearchSpace, n_trials: int, batch_size: int) -> None:
        self.space = space
        self.n_trials = n_trials
        self.batch_size = batch_size
        self.asked = 0

    def ask(self) -> list[dict[str, Value]]:
        """Return the next batch of trials (empty when the search is done)."""
        count = min(self.batch_size, self.n_trials - self.asked)
        batch = [self.space.complete(self._values(self.asked + index)) for index in range(max(count, 0))]
        self.asked += len(batch)
        return batch

    def tell(self, objectives: Sequence[Sequence[float]]) -> None:
        """Learn the objective values of the last batch, in trial order (ignored by grid and random)."""

    def _values(self, trial: int) -> dict[str, Value]:
        raise NotImplementedError


class GridSearch(Search):
    """Every combination of the listed values; the first ``--grid`` parameter varies slowest."""

    def __init__(self, space: SearchSpace, batch_size: int) -> None:
        size = space.grid_size()
        if size is None:
            ranged = [name for name, values in space.swept.items() if isinstance(values, Range)]
            raise InputError(f"--search grid needs lists of values, not ranges ({', '.join(ranged)}); "
                             "use LOW:HIGH:STEP, or --search random / optuna")
        super().__init__(space, size, batch_size)
        self._points = list(itertools.product(*space.swept.values()))

    def _values(self, trial: int) -> dict[str, Value]:
        return dict(zip(self.space.swept, self._points[trial]))


class RandomSearch(Search):
    """Independent samples: uniform over a range, uniform choice from a list; seeded per trial."""

    def __init__(self, space: SearchSpace, n_trials: int, batch_size: int, seed: int) -> None:
        super().__init__(space, n_trials, batch_size)
        self.seed = seed

    def _values(self, trial: int) -> dict[str, Value]:
        rng = np.random.default_rng([self.seed, trial])
        values: dict[str, Value] = {}
        for name, domain in self.space.swept.items():
            if isinstance(domain, Range):
                values[name] = (int(rng.integers(int(domain.low), int(domain.high), endpoint=True))
                                if domain.integer else float(rng.uniform(domain.low, domain.high)))
            else:
                values[name] = domain[int(rng.integers(len(domain)))]
        return values


class OptunaSearch(Search):
    """Optuna's sampler (TPE; NSGA-II for two metrics) with a fixed seed, asked and told batch by batch.

    Parameters
    ----------
    space : SearchSpace
    n_trials : int
    batch_size : int
        Trials asked before the first result is told; fixed (not the number
        of workers) so that the suggestions do not depend on the machine.
    seed : int
    directions : sequence of {"maximize", "minimize"}
        One per metric.
    """

    def __init__(self, space: SearchSpace, n_trials: int, batch_size: int, seed: int,
                 directions: Sequence[str]) -> None:
        super().__init__(space, n_trials, batch_size)
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = (optuna.samplers.TPESampler(seed=seed) if len(directions) == 1
                   else optuna.samplers.NSGAIISampler(seed=seed))
        self._study = optuna.create_study(directions=list(directions), sampler=sampler)
        self._pending: list = []

    def ask(self) -> list[dict[str, Value]]:
        count = min(self.batch_size, self.n_trials - self.asked)
        self._pending = [self._study.ask() for _ in range(max(count, 0))]
        batch = [self.space.complete(self._suggest(trial)) for trial in self._pending]
        self.asked += len(batch)
        return batch

    def _suggest(self, trial) -> dict[str, Value]:
        values: dict[str, Value] = {}
        for name, domain in self.space.swept.items():
            if isinstance(domain, Range):
                values[name] = (trial.suggest_int(name, int(domain.low), int(domain.high)) if domain.integer
                                else trial.suggest_float(name, domain.low, domain.high))
            else:
                values[name] = trial.suggest_categorical(name, list(domain))
        return values

    def tell(self, objectives: Sequence[Sequence[float]]) -> None:
        for trial, values in zip(self._pending, objectives):
            self._study.tell(trial, list(values) if len(values) > 1 else values[0])
        self._pending = []


def make_search(kind: str, space: SearchSpace, n_trials: int | None, batch_size: int, seed: int,
                directions: Sequence[str]) -> Search:
    """Build the search of ``--search``.

    Raises
    ------
    InputError
        ``--trials`` with a grid, a grid over ranges, or Optuna not installed.
    """
    if kind == "grid":
        if n_trials is not None:
            raise InputError(f"--trials applies to --search random and optuna; a grid runs every "
                             f"combination ({space.grid_size() or 'ranges given'})")
        return GridSearch(space, batch_size)
    n_trials = 20 if n_trials is None else n_trials
    if kind == "random":
        return RandomSearch(space, n_trials, batch_size, seed)
    if kind == "optuna":
        try:
            import optuna  # noqa: F401
        except ImportError:
            raise InputError("--search optuna needs Optuna: pip install 'deep-sort-repro[sweep]'") from None
        return OptunaSearch(space, n_trials, batch_size, seed, directions)
    raise InputError(f"unknown search {kind!r}; choose from {', '.join(SEARCHES)}")
