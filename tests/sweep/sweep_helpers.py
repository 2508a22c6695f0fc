"""Helpers of the sweep tests: the reference sweep's command line on the golden split."""
from __future__ import annotations

from support import GOLDEN
from deep_sort.app.cli import run_main
from deep_sort.app.sweep import main

#: The sweep every executor test compares with: 4 configurations x 2 sequences.
GRID = ["--grid", "max_age=10,30", "--grid", "max_cosine_distance=0.2,0.3"]


def sweep_argv(output_dir, *extra: str) -> list[str]:
    return ["--mot_dir", str(GOLDEN / "sequences"), "--detection_dir", str(GOLDEN / "detections"),
            "--output_dir", str(output_dir), *GRID, "--metric", "HOTA,IDs", "--quiet", *extra]


def run_sweep_cli(output_dir, *extra: str) -> int:
    return run_main(main, sweep_argv(output_dir, *extra))
