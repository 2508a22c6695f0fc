"""Sweep results on disk: a cache of finished units (resume) and the trial tables.

Every finished unit (one configuration on one sequence) is written at once
to ``OUT/cache/KEY.json``, atomically. KEY is a digest of the complete
parameter set and of the sequence's provenance (detection and ground-truth
file contents, scoring rules), so a re-run computes only what is missing
and never reuses a score computed from other inputs. The tables are
rewritten (atomically) after every batch: an interrupted sweep leaves
complete tables of the trials finished so far.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..evaluation.metrics import SequenceScores
from ..evaluation.summary import SUMMARY_COLUMNS, format_csv_value
from ..io.atomic import atomic_write
from .trial import scores_from_json

logger = logging.getLogger(__name__)

#: Files written into ``--output_dir``.
TRIALS_FILENAME = "trials.csv"
PER_SEQUENCE_FILENAME = "trials_per_sequence.csv"
CACHE_DIRNAME = "cache"
#: Version of the cache records; a change invalidates older records.
CACHE_VERSION = 1


@dataclass
class Trial:
    """One configuration and its scores.

    Attributes
    ----------
    index : int
        Position in the search (0-based).
    parameters : dict
        Every tracking parameter.
    sequences : dict of str to SequenceScores
        Per sequence, filled as units finish.
    summary : dict of str to float
        OVERALL summary columns (see :data:`~deep_sort.evaluation.summary.SUMMARY_COLUMNS`)
        once every sequence is done.
    """

    index: int
    parameters: dict
    sequences: dict[str, SequenceScores] = field(default_factory=dict)
    summary: dict[str, float] = field(default_factory=dict)


def unit_key(parameters: Mapping, provenance: str) -> str:
    """Cache key of one configuration on one sequence."""
    text = json.dumps({"version": CACHE_VERSION, "parameters": dict(parameters), "provenance": provenance},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class ResultCache:
    """Finished units of a sweep, one JSON file each under ``directory``."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def get(self, key: str) -> SequenceScores | None:
        """Return the cached scores of a unit, or None (missing or unreadable: computed again)."""
        path = self._path(key)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if record.get("key") != key:
                raise ValueError("key mismatch")
            return scores_from_json(record["scores"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("%s: unreadable cached result (%s); computing it again", path, exc)
            return None

    def put(self, key: str, sequence: str, parameters: Mapping, scores_json: dict) -> None:
        """Store a finished unit (atomically)."""
        record = {"key": key, "sequence": sequence, "parameters": dict(parameters), "scores": scores_json}
        with atomic_write(self._path(key), "w", encoding="utf-8") as handle:
            json.dump(record, handle)


def _value_text(value) -> str:
    return "None" if value is None else repr(value) if isinstance(value, float) else str(value)


def trials_csv(trials: Sequence[Trial], parameter_names: Sequence[str]) -> str:
    """``trials.csv``: trial, the parameters, then the OVERALL summary columns (as summary.csv writes them)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", *parameter_names, *SUMMARY_COLUMNS])
    for trial in trials:
        writer.writerow([trial.index, *(_value_text(trial.parameters[name]) for name in parameter_names),
                         *(format_csv_value(column, trial.summary[column]) for column in SUMMARY_COLUMNS)])
    return buffer.getvalue()


def per_sequence_csv(trials: Sequence[Trial], parameter_names: Sequence[str]) -> str:
    """``trials_per_sequence.csv``: trial, sequence, the parameters, then the sequence's summary columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["trial", "sequence", *parameter_names, *SUMMARY_COLUMNS])
    for trial in trials:
        for name in sorted(trial.sequences):
            summary = trial.sequences[name].summary()
            writer.writerow([trial.index, name, *(_value_text(trial.parameters[p]) for p in parameter_names),
                             *(format_csv_value(column, summary[column]) for column in SUMMARY_COLUMNS)])
    return buffer.getvalue()


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a text file atomically."""
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
