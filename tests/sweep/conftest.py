"""A reference sweep on the golden split, run once and shared by the sweep tests."""
from __future__ import annotations

import pytest

from sweep_helpers import run_sweep_cli


@pytest.fixture(scope="session")
def reference_sweep(tmp_path_factory):
    """Output directory of the reference sweep (in-process, one worker)."""
    output_dir = tmp_path_factory.mktemp("reference_sweep")
    assert run_sweep_cli(output_dir, "--workers", "1") == 0
    return output_dir
