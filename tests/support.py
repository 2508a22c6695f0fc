"""Paths and helpers shared by test modules (import as ``from support import ...``).

Kept out of conftest.py: several test folders have a conftest.py of their own,
and ``from conftest import`` would pick whichever was imported first.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
GOLDEN = SHARED / "golden"


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
