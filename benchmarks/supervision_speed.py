#!/usr/bin/env python3
"""Measure the supervision surface: DeepSORTTracker.update against DeepSort.update and the app loop.

The same detections with descriptors (a synthetic crowded scene, MOT16-04
like, paper settings) tracked three ways, in one process, alternating,
median over ``--runs``:

- app loop: ``deep_sort.app.pipeline.iterate_tracking`` (what
  ``deep_sort_app.py`` runs per frame);
- DeepSort.update: the online API with ``features=`` and ``return_all=True``
  (what DeepSORTTracker.update calls);
- DeepSORTTracker.update: ``supervision.Detections`` in (built beforehand, as
  a detector would give them), a feature extractor that returns their
  descriptors, ``supervision.Detections`` with ``tracker_id`` out.

Times are CPU seconds of this thread per frame (less disturbed by other
processes than wall time); the load average is printed before and after.

Usage::

    python3 run.py python benchmarks/supervision_speed.py [--frames 1050] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deep_sort import DeepSort, DeepSORTTracker  # noqa: E402
from deep_sort.app.pipeline import iterate_tracking  # noqa: E402
from deep_sort.config import TrackingConfig  # noqa: E402
from deep_sort.io.mot import MOT_COLUMNS, frame_offsets, read_sequence  # noqa: E402
from deep_sort.synthetic import SceneConfig, generate_scene, write_sequence  # noqa: E402


class StoredDescriptors:
    """Feature extractor returning the descriptors a detector pipeline stored in ``detections.data``."""

    def extract_features(self, frame, detections):
        return detections.data["features"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1050, help="Frames of the scene (default: 1050).")
    parser.add_argument("--runs", type=int, default=5, help="Alternating runs of each loop (default: 5).")
    parser.add_argument("--seed", type=int, default=0, help="Scene seed (default: 0).")
    args = parser.parse_args(argv)
    import supervision as sv

    scene = generate_scene(SceneConfig.dense_mot16_04_like(n_frames=args.frames, seed=args.seed))
    detections = scene.detection_array().astype(np.float64)
    config = TrackingConfig.paper()
    with tempfile.TemporaryDirectory() as work_dir:
        write_sequence(scene, Path(work_dir) / "dense", with_images=False)
        seq_info = read_sequence(Path(work_dir) / "dense")

    order, offsets = frame_offsets(detections[:, 0])
    frames = []
    for frame_idx in range(1, scene.n_frames + 1):
        start, stop = offsets.get(frame_idx, (0, 0))
        rows = detections[order[start:stop]]
        xyxy = rows[:, 2:6].copy()
        xyxy[:, 2:] += xyxy[:, :2]
        frames.append((rows, sv.Detections(xyxy=xyxy, confidence=rows[:, 6],
                                           data={"features": rows[:, MOT_COLUMNS:]})))

    def app_loop() -> None:
        for _ in iterate_tracking(seq_info, detections, config):
            pass

    def online() -> None:
        tracker = DeepSort(**config.as_dict())
        for rows, _ in frames:
            tracker.update(rows[:, 2:6], rows[:, 6], features=rows[:, MOT_COLUMNS:], return_all=True)

    def supervision_surface() -> None:
        tracker = DeepSORTTracker(StoredDescriptors(), **config.as_dict())
        for _, frame_detections in frames:
            tracker.update(frame_detections, None)

    loops = {"app loop": app_loop, "DeepSort.update": online, "DeepSORTTracker.update": supervision_surface}
    cpu: dict[str, list[float]] = {name: [] for name in loops}
    wall: dict[str, list[float]] = {name: [] for name in loops}
    load_before = os.getloadavg()[0]
    for _ in range(args.runs):
        for name, loop in loops.items():
            start_cpu, start_wall = time.thread_time(), time.perf_counter()
            loop()
            cpu[name].append(time.thread_time() - start_cpu)
            wall[name].append(time.perf_counter() - start_wall)
    load_after = os.getloadavg()[0]

    n_frames = scene.n_frames
    print(f"dense scene: {n_frames} frames, {len(detections) / n_frames:.1f} detections per frame, "
          f"paper settings; load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"{'':24s}{'CPU ms/frame':>14s}{'wall ms/frame':>15s}{'vs app loop':>13s}")
    app = statistics.median(cpu["app loop"])
    for name in loops:
        median_cpu = statistics.median(cpu[name])
        print(f"{name:24s}{1e3 * median_cpu / n_frames:14.3f}{1e3 * statistics.median(wall[name]) / n_frames:15.3f}"
              f"{median_cpu / app:12.2f}x")
    surface = statistics.median(cpu["DeepSORTTracker.update"]) - statistics.median(cpu["DeepSort.update"])
    print(f"supervision surface on top of DeepSort.update: {1e6 * surface / n_frames:.0f} us/frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
