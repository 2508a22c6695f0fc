"""What a sweep varies: tracking parameters, each with a list of values or a range.

A parameter is swept with ``NAME=V1,V2,...`` (a list; one value fixes the
parameter), ``NAME=LOW:HIGH`` (a range, sampled by the random and Optuna
searches) or ``NAME=LOW:HIGH:STEP`` (the list LOW, LOW + STEP, ..., HIGH).
Names and value forms are those of the tracking options of
``deep_sort_app.py`` (:class:`~deep_sort.config.TrackingConfig`); ``None`` is
a value of ``nn_budget``. Every value is checked against the parameter's
range before a sweep starts.
"""
from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from ..config import TrackingConfig
from ..io.errors import InputError

#: Value kinds of the tracking parameters (from TrackingConfig's annotations).
KINDS = {item.name: str(item.type).replace(" ", "") for item in fields(TrackingConfig)}
#: Step lists longer than this are refused (a typo such as 0:100:0.0001).
MAX_STEP_VALUES = 10_000

Value = float | int | None


@dataclass(frozen=True)
class Range:
    """A closed interval of a numeric parameter (integers for whole-number parameters)."""

    low: float
    high: float
    integer: bool


@dataclass(frozen=True)
class SearchSpace:
    """Parameters of a sweep.

    Attributes
    ----------
    fixed : dict of str to value
        Every tracking parameter that is not swept, with its value (defaults:
        :meth:`TrackingConfig.paper`, as ``evaluate_motchallenge.py``).
    swept : dict of str to (list of value, or Range)
        Swept parameters in the order given; lists have at least two values.
    """

    fixed: dict[str, Value]
    swept: dict[str, list[Value] | Range] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """All parameter names, in TrackingConfig's order."""
        return TrackingConfig.names()

    def grid_size(self) -> int | None:
        """Number of grid points, or None if a parameter is a range."""
        if any(isinstance(values, Range) for values in self.swept.values()):
            return None
        return math.prod(len(values) for values in self.swept.values())

    def complete(self, values: dict[str, Value]) -> dict[str, Value]:
        """All parameters of a trial: ``values`` of the swept ones, the fixed ones, in TrackingConfig's order."""
        merged = {**self.fixed, **values}
        return {name: merged[name] for name in self.names}


def parse_value(name: str, text: str) -> Value:
    """Parse one value of parameter ``name`` as its command-line option does.

    Raises
    ------
    InputError
        Text that is not a value of the parameter's kind.

    Examples
    --------
    >>> parse_value("max_age", "30"), parse_value("nn_budget", "None"), parse_value("min_confidence", ".3")
    (30, None, 0.3)
    """
    kind = KINDS[name]
    text = text.strip()
    if kind == "int|None" and text.lower() == "none":
        return None
    try:
        if kind.startswith("int"):
            return int(text)
        return float(text)
    except ValueError:
        expected = "a whole number" + (" or None" if kind == "int|None" else "") if kind.startswith("int") \
            else "a number"
        raise InputError(f"--grid {name}: {text!r} is not {expected}") from None


def check_value(name: str, value: Value) -> None:
    """Raise InputError if ``value`` is outside the parameter's range (TrackingConfig's message)."""
    try:
        TrackingConfig.paper(**{name: value})
    except ValueError as exc:
        raise InputError(f"--grid {name}: {exc}") from None


def _check_name(name: str) -> None:
    if name in KINDS:
        return
    close = difflib.get_close_matches(name, KINDS, n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; choose from {', '.join(KINDS)}"
    raise InputError(f"--grid {name}: unknown tracking parameter{hint}")


def _parse_range(name: str, text: str) -> list[Value] | Range:
    parts = text.split(":")
    if len(parts) not in (2, 3) or KINDS[name] == "int|None" and "none" in text.lower():
        raise InputError(f"--grid {name}={text}: a range is LOW:HIGH or LOW:HIGH:STEP")
    low, high = parse_value(name, parts[0]), parse_value(name, parts[1])
    check_value(name, low)
    check_value(name, high)
    if not low < high:
        raise InputError(f"--grid {name}={text}: LOW must be smaller than HIGH")
    if len(parts) == 2:
        return Range(float(low), float(high), KINDS[name].startswith("int"))
    step = parse_value(name, parts[2])
    if not step > 0:
        raise InputError(f"--grid {name}={text}: STEP must be positive")
    count = math.floor((high - low) / step + 1e-9) + 1
    if count > MAX_STEP_VALUES:
        raise InputError(f"--grid {name}={text}: {count} values; at most {MAX_STEP_VALUES}")
    # Decimal steps: round away the binary error so that 0.1:0.3:0.1 gives 0.1, 0.2, 0.3.
    values = [low + index * step for index in range(count)]
    return [value if isinstance(value, int) else round(value, 10) for value in values]


def parse_grid(specs: Sequence[str]) -> SearchSpace:
    """Parse ``--grid`` options into a search space.

    Parameters
    ----------
    specs : sequence of str
        ``NAME=V1,V2,...``, ``NAME=LOW:HIGH`` or ``NAME=LOW:HIGH:STEP``, each
        parameter at most once.

    Returns
    -------
    SearchSpace

    Raises
    ------
    InputError
        An unknown parameter (with the closest name), a value of the wrong
        kind or outside the parameter's range, an empty list, a repeated
        parameter, or nothing swept at all.

    Examples
    --------
    >>> space = parse_grid(["max_age=10,30", "n_init=3", "max_cosine_distance=0.1:0.3"])
    >>> space.swept["max_age"], space.fixed["n_init"], space.swept["max_cosine_distance"]
    ([10, 30], 3, Range(low=0.1, high=0.3, integer=False))
    """
    fixed: dict[str, Value] = TrackingConfig.paper().as_dict()
    swept: dict[str, list[Value] | Range] = {}
    seen: set[str] = set()
    for spec in specs:
        name, sep, text = spec.partition("=")
        name = name.strip().lstrip("-")
        if not sep:
            raise InputError(f"--grid {spec}: expected NAME=V1,V2,... (e.g. max_age=10,30,60)")
        _check_name(name)
        if name in seen:
            raise InputError(f"--grid {name}: given twice; list all its values in one option")
        seen.add(name)
        if not text.strip():
            raise InputError(f"--grid {name}: no values (expected {name}=V1,V2,...)")
        if ":" in text:
            values = _parse_range(name, text)
        else:
            tokens = [token for token in text.split(",")]
            if any(not token.strip() for token in tokens):
                raise InputError(f"--grid {name}={text}: empty value in the list")
            values = [parse_value(name, token) for token in tokens]
            for value in values:
                check_value(name, value)
            values = list(dict.fromkeys(values))  # duplicates would repeat trials
        if isinstance(values, list) and len(values) == 1:
            fixed[name] = values[0]
        else:
            swept[name] = values
            fixed.pop(name)
    if not swept:
        raise InputError("nothing to sweep: give at least one --grid NAME=V1,V2,... with two or more values")
    return SearchSpace(fixed=fixed, swept=swept)
