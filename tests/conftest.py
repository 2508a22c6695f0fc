"""Shared fixtures: paths to the golden data, seeded RNGs, tiny MOT sequences."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

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


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def golden_dir() -> Path:
    if not GOLDEN.is_dir():
        pytest.skip("../shared/golden is not beside the checkout")
    return GOLDEN
