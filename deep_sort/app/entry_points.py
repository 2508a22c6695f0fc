"""Console-script entry points (``pip install .``): each imports its tool lazily.

Every function runs one tool's ``main`` through :func:`deep_sort.app.cli.run_main`
(bad input: one-line error, exit code 2) and exits with its code.
"""
from __future__ import annotations

import importlib
import sys

from .cli import run_main


def _run(module: str) -> None:
    sys.exit(run_main(importlib.import_module(module).main))


def deep_sort_app() -> None:
    """``deep-sort-app``: deep_sort_app.py."""
    _run("deep_sort.app.track_app")


def evaluate_motchallenge() -> None:
    """``deep-sort-evaluate``: evaluate_motchallenge.py."""
    _run("deep_sort.app.evaluate")


def show_results() -> None:
    """``deep-sort-show``: show_results.py."""
    _run("deep_sort.app.show")


def generate_videos() -> None:
    """``deep-sort-videos``: generate_videos.py."""
    _run("deep_sort.app.videos")


def generate_detections() -> None:
    """``deep-sort-generate-detections``: tools/generate_detections.py."""
    _run("deep_sort.app.generate_detections")


def freeze_model() -> None:
    """``deep-sort-freeze-model``: tools/freeze_model.py."""
    _run("deep_sort.app.freeze_model")


def track_video() -> None:
    """``deep-sort-track-video``: tools/track_video.py."""
    _run("deep_sort.app.track_video")


def generate_synthetic() -> None:
    """``deep-sort-synthetic``: tools/generate_synthetic.py."""
    _run("deep_sort.app.generate_synthetic")


def sweep() -> None:
    """``deep-sort-sweep``: tools/sweep.py."""
    _run("deep_sort.app.sweep")


def demo() -> None:
    """``deep-sort-demo``: the end-to-end demo (``python3 run.py demo``)."""
    _run("deep_sort.app.demo")
