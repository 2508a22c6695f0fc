"""Paths and helpers shared by test modules (import as ``from support import ...``).

Kept out of conftest.py: several test folders have a conftest.py of their own,
and ``from conftest import`` would pick whichever was imported first.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: The golden cases (inputs and the published code's output), kept in the repository.
GOLDEN = ROOT / "tests" / "golden"


def golden_cases() -> list[tuple[str, str, list[str]]]:
    """(sequence, params name, command-line options) per line of golden/cases.txt."""
    cases_file = GOLDEN / "cases.txt"
    if not cases_file.exists():
        return []
    cases = []
    for line in cases_file.read_text().splitlines():
        if line.strip():
            seq, params, *options = line.split()
            cases.append((seq, params, options))
    return cases


def _rows_by_key(path):
    from deep_sort.io.mot import load_results

    rows = load_results(path)
    return {(int(r[0]), int(r[1])): r[2:6] for r in rows}


def assert_same_results(expected_path, actual_path, tol=0.01):
    """Same (frame, id) rows and every box within ``tol`` px (the golden match rule)."""
    expected, actual = _rows_by_key(expected_path), _rows_by_key(actual_path)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing and not extra, f"missing {missing[:5]}, extra {extra[:5]}"
    keys = sorted(expected)
    diff = np.abs(np.array([expected[k] for k in keys]) - np.array([actual[k] for k in keys]))
    assert diff.max(initial=0.0) <= tol + 1e-9, f"largest box difference {diff.max():.4f} px"
