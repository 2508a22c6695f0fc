"""What a sweep reports: the objective metrics, the best trial, the Pareto front and the plots."""
from __future__ import annotations

import difflib
import os
from collections.abc import Sequence

import numpy as np

from ..evaluation.summary import SUMMARY_COLUMNS
from ..io.atomic import atomic_path
from ..io.errors import InputError
from .space import Range, SearchSpace
from .store import Trial

#: Summary columns that can be optimised, and whether higher or lower is better.
#: GT (the number of ground-truth tracks) and PT (partly tracked) are not objectives.
DIRECTIONS = {
    **{column: "maximize" for column in ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR",
                                         "Rcll", "Prcn", "MT")},
    **{column: "minimize" for column in ("FAR", "ML", "FP", "FN", "IDs", "FM", "Frag")},
}
#: File names of the plots, in ``--output_dir``.
PLOT_FILENAME = "trials.png"
PARETO_PLOT_FILENAME = "pareto.png"


def parse_metrics(text: str) -> list[str]:
    """Parse ``--metric``: one summary column, or two separated by a comma (a Pareto front).

    Raises
    ------
    InputError
        An unknown or non-objective column, a repeated one, or more than two.

    Examples
    --------
    >>> parse_metrics("HOTA"), parse_metrics("hota,IDs")
    (['HOTA'], ['HOTA', 'IDs'])
    """
    by_lower = {column.lower(): column for column in DIRECTIONS}
    metrics = []
    for token in text.split(","):
        name = by_lower.get(token.strip().lower())
        if name is None:
            close = difflib.get_close_matches(token.strip(), list(DIRECTIONS), n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; choose from {', '.join(DIRECTIONS)}"
            if token.strip() in SUMMARY_COLUMNS:
                hint = f" ({token.strip()} is not something to optimise){hint}"
            raise InputError(f"--metric {token.strip()!r}: not a metric{hint}")
        metrics.append(name)
    if len(metrics) > 2 or len(set(metrics)) != len(metrics):
        raise InputError(f"--metric {text}: give one metric, or two different ones for a Pareto front")
    return metrics


def _sign(metric: str) -> float:
    return 1.0 if DIRECTIONS[metric] == "maximize" else -1.0


def best_trial(trials: Sequence[Trial], metric: str) -> Trial:
    """The trial with the best ``metric`` (the earliest of equals)."""
    return max(trials, key=lambda trial: (_sign(metric) * trial.summary[metric], -trial.index))


def pareto_front(trials: Sequence[Trial], metrics: Sequence[str]) -> list[Trial]:
    """Trials that no other trial beats in one metric without being worse in another.

    Returned sorted by the first metric, best first; of trials with equal
    values only the earliest is kept.
    """
    values = np.array([[_sign(metric) * trial.summary[metric] for metric in metrics] for trial in trials])
    front, seen = [], set()
    for index, trial in enumerate(trials):
        dominated = np.any(np.all(values >= values[index], axis=1) & np.any(values > values[index], axis=1))
        key = tuple(values[index])
        if not dominated and key not in seen:
            seen.add(key)
            front.append(trial)
    return sorted(front, key=lambda trial: (-_sign(metrics[0]) * trial.summary[metrics[0]], trial.index))


def _is_numeric(values: list) -> bool:
    return all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in values)


def plot_trials(path: str | os.PathLike[str], trials: Sequence[Trial], space: SearchSpace,
                metrics: Sequence[str]) -> None:
    """Plot each metric against each swept parameter (one panel each) to a PNG.

    Every trial is a dot; the line joins, per parameter value, the best
    trial with that value (the best the other parameters can make of it).
    A value ``None`` (``nn_budget``) is drawn at the right end of the axis.
    With two or more swept parameters, the dots are coloured by the second one.
    """
    from matplotlib.figure import Figure  # a Figure without pyplot: no GUI backend, no global state

    names = list(space.swept)
    figure = Figure(figsize=(4.2 * len(names) + 1.0, 3.4 * len(metrics)), layout="constrained")
    axes = figure.subplots(len(metrics), len(names), squeeze=False)
    for row, metric in enumerate(metrics):
        for col, name in enumerate(names):
            axis = axes[row][col]
            _plot_panel(axis, trials, space, name, metric, names)
    with atomic_path(path, suffix=".png") as temporary:
        figure.savefig(temporary, dpi=110, format="png")


def _axis_values(values: list) -> tuple[np.ndarray, float | None]:
    """Numeric x positions; ``None`` (nn_budget) goes to the right end. Returns positions and None's place."""
    finite = [value for value in values if value is not None]
    none_at = (max(finite) * 1.15 if finite else 1.0) if None in values else None
    return np.array([none_at if value is None else value for value in values], dtype=float), none_at


def _plot_panel(axis, trials, space, name, metric, names) -> None:
    x, none_at = _axis_values([trial.parameters[name] for trial in trials])
    y = np.array([trial.summary[metric] for trial in trials])
    others = [candidate for candidate in names if candidate != name]
    # Colour by the first other parameter with numeric values (None of nn_budget has no colour).
    numeric = [candidate for candidate in others if _is_numeric([trial.parameters[candidate] for trial in trials])]
    other = others[0] if len(names) == 2 else (numeric[0] if numeric else None)
    other_values = [trial.parameters[other] for trial in trials] if other else []
    if len(names) == 2 and not isinstance(space.swept[other], Range) and len(set(other_values)) <= 8:
        # A two-parameter grid: one sensitivity curve per value of the other parameter.
        colours = matplotlib_colours(len(space.swept[other]))
        for colour, value in zip(colours, space.swept[other]):
            chosen = [index for index, v in enumerate(other_values) if v == value]
            order = sorted(chosen, key=lambda index: x[index])
            axis.plot(x[order], y[order], "o-", color=colour, markersize=4, label=f"{other}={value}")
        axis.legend(loc="best", fontsize=7)
    else:
        colours = other_values if other and _is_numeric(other_values) else None
        colour_options = {"c": colours, "cmap": "viridis"} if colours is not None else {"color": "tab:blue"}
        dots = axis.scatter(x, y, s=22, alpha=0.85, zorder=3, **colour_options)
        if colours is not None and len(set(colours)) > 1:
            axis.figure.colorbar(dots, ax=axis, label=other)
        if not isinstance(space.swept[name], Range) or len(set(x.tolist())) <= 25:
            best: dict[float, float] = {}
            for value, score in zip(x.tolist(), y.tolist()):
                if value not in best or _sign(metric) * score > _sign(metric) * best[value]:
                    best[value] = score
            order = sorted(best)
            axis.plot(order, [best[value] for value in order], color="tab:red", linewidth=1.5, zorder=2,
                      label=f"best {metric}")
            axis.legend(loc="best", fontsize=8)
    if none_at is not None:
        ticks = sorted(set(x.tolist()))
        axis.set_xticks(ticks, ["None" if tick == none_at else f"{tick:g}" for tick in ticks])
    axis.set_xlabel(name)
    axis.set_ylabel(f"{metric} ({'higher' if _sign(metric) > 0 else 'lower'} is better)")
    axis.grid(True, alpha=0.3)


def matplotlib_colours(count: int) -> list:
    """``count`` colours of the viridis map, dark to light."""
    from matplotlib import colormaps

    return [colormaps["viridis"](fraction) for fraction in np.linspace(0.0, 0.85, max(count, 1))]


def plot_pareto(path: str | os.PathLike[str], trials: Sequence[Trial], metrics: Sequence[str]) -> None:
    """Plot two metrics of every trial against each other and mark the Pareto front."""
    from matplotlib.figure import Figure

    first, second = metrics
    front = pareto_front(trials, metrics)
    figure = Figure(figsize=(5.5, 4.5), layout="constrained")
    axis = figure.subplots()
    axis.scatter([t.summary[first] for t in trials], [t.summary[second] for t in trials], s=22, color="0.6",
                 label="trials", zorder=2)
    axis.plot([t.summary[first] for t in front], [t.summary[second] for t in front], "o-", color="tab:red",
              label="Pareto front", zorder=3)
    for trial in front:
        axis.annotate(str(trial.index), (trial.summary[first], trial.summary[second]), fontsize=7,
                      xytext=(3, 3), textcoords="offset points")
    axis.set_xlabel(f"{first} ({'higher' if _sign(first) > 0 else 'lower'} is better)")
    axis.set_ylabel(f"{second} ({'higher' if _sign(second) > 0 else 'lower'} is better)")
    axis.grid(True, alpha=0.3)
    axis.legend(loc="best", fontsize=8)
    with atomic_path(path, suffix=".png") as temporary:
        figure.savefig(temporary, dpi=110, format="png")
