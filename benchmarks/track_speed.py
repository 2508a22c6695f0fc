#!/usr/bin/env python3
"""Measure tracking speed: whole-process frames/s and per-frame time.

For each scene (generated once with :mod:`deep_sort.synthetic` into
``--work_dir``: seqinfo.ini, det/, gt/ and a float32 ``.npy`` with 128-d
descriptors, no images) this prints:

- whole process: frames / wall time of ``deep_sort_app.py --display False
  --quiet`` run as a subprocess (interpreter start, imports, loading,
  tracking, writing the result file), median over ``--runs`` runs, and the
  largest peak RSS of those runs;
- per frame: wall time of each frame in-process (filtering, NMS,
  ``Tracker.predict`` and ``Tracker.update``) as p50 / p90 / p99 and the
  in-process frames/s;
- with ``--frames`` large (e.g. 20000): the median frame time (wall and CPU)
  of every 1000 frames, first and last, and the process RSS before
  tracking, after 1000 frames and at the end, to show that the cost per
  frame and the memory do not grow with the sequence length.

Scenes: ``dense`` (:meth:`SceneConfig.dense_mot16_04_like`, MOT16-04-like:
~28 detections and ~45 tracks per frame, 1050 frames) and ``mot20``
(:meth:`SceneConfig.mot20_like`, ~95 detections and ~150 people per frame,
500 frames). Tracker options default to the paper settings
(``--min_confidence 0.3 --nn_budget 100``).

``--baseline_root DIR`` also times the ``deep_sort_app.py`` of another
checkout (e.g. the published-equivalent reference) on the same files, and
checks that both write identical result files.

The timed checkouts are byte-compiled first (``compileall``, as ``pip
install`` and ``run.py`` do), so that no run pays for compiling the sources
even where ``PYTHONDONTWRITEBYTECODE`` is set. Which tracker path runs
(compiled ``deep_sort._speedups`` or pure Python) is printed; set
``DEEP_SORT_PURE_PYTHON=1`` to time the pure Python path.

On a shared machine other processes distort timings. Each measurement
records the CPUs the rest of the machine used meanwhile (from
``/proc/stat``, printed as ``load``); before each one the script waits for a
quiet second, and a measurement above ``--max_other_load`` is repeated (the
quietest of ``--attempts`` is kept).

Usage::

    python benchmarks/track_speed.py
    python benchmarks/track_speed.py --scenes dense --frames 20000 --runs 1
    python benchmarks/track_speed.py --baseline_root /tmp/reference_checkout --runs 5
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deep_sort.app.pipeline import iterate_tracking  # noqa: E402
from deep_sort.config import TrackingConfig  # noqa: E402
from deep_sort.io.mot import load_detections, read_sequence  # noqa: E402
from deep_sort.synthetic import SceneConfig, generate_scene, write_detection_npy, write_sequence  # noqa: E402

PRESETS = {"dense": SceneConfig.dense_mot16_04_like, "mot20": SceneConfig.mot20_like}
#: Frames at the start and at the end of a long run compared for growth.
WINDOW = 1000


def ensure_scene(work_dir: Path, preset: str, n_frames: int | None, seed: int) -> tuple[Path, Path]:
    """Generate (once) the sequence directory and the detection .npy of a preset."""
    config = PRESETS[preset](seed=seed) if n_frames is None else PRESETS[preset](n_frames=n_frames, seed=seed)
    name = f"{preset}-{config.n_frames}-s{seed}"
    sequence_dir, detection_file = work_dir / name, work_dir / f"{name}.npy"
    if not detection_file.exists():
        print(f"generating {name} ...", file=sys.stderr, flush=True)
        scene = generate_scene(config)
        write_sequence(scene, sequence_dir, with_images=False)
        write_detection_npy(scene, detection_file)
    return sequence_dir, detection_file


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (Linux /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [float(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def whole_process(app: Path, sequence_dir: Path, detection_file: Path, output: Path,
                  options: list[str]) -> dict[str, float]:
    """Run the app once; return wall seconds, its peak RSS (MB) and the other processes' CPU share."""
    command = [sys.executable, str(app), "--sequence_dir", str(sequence_dir),
               "--detection_file", str(detection_file), "--output_file", str(output),
               "--display", "False", "--quiet", *options]
    busy_before = _busy_seconds()
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=app.parent)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    busy = _busy_seconds() - busy_before
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed with status {status}")
    own = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "rss_mb": usage.ru_maxrss / 1024, "load": max(0.0, busy - own) / wall}


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def wait_quiet(max_load: float, timeout: float) -> float:
    """Wait (up to ``timeout`` s) for a second in which other processes use at most ``max_load`` CPUs."""
    deadline = time.monotonic() + timeout
    while True:
        busy, own = _busy_seconds(), _own_cpu_seconds()
        time.sleep(1.0)
        load = max(0.0, (_busy_seconds() - busy) - (_own_cpu_seconds() - own))
        if load <= max_load or time.monotonic() > deadline:
            return load


def measured(run, max_load: float, timeout: float, attempts: int) -> dict:
    """Call ``run()`` (returning a dict with ``load``) until its load is at most ``max_load``; keep the quietest."""
    best = None
    for _ in range(attempts):
        wait_quiet(max_load, timeout)
        result = run()
        if best is None or result["load"] < best["load"]:
            best = result
        if result["load"] <= max_load:
            break
    return best


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def per_frame(sequence_dir: Path, detection_file: Path, config: TrackingConfig) -> dict:
    """Track in-process, timing every frame (wall and CPU); return times (s) and RSS at the window edges."""
    seq_info, detections = read_sequence(sequence_dir), load_detections(detection_file)
    times, cpu_times, rss, n_tracks, n_detections = [], [], {}, 0, 0
    steps = iterate_tracking(seq_info, detections, config)
    rss["start"] = _rss_mb()
    busy, own, start_wall = _busy_seconds(), _own_cpu_seconds(), time.perf_counter()
    while True:
        start, cpu_start = time.perf_counter(), time.thread_time()
        try:
            _, frame_dets, tracker = next(steps)
        except StopIteration:
            break
        cpu_times.append(time.thread_time() - cpu_start)
        times.append(time.perf_counter() - start)
        n_tracks += len(tracker.track_id)
        n_detections += len(frame_dets)
        if len(times) == WINDOW:
            rss["after_window"] = _rss_mb()
    rss["end"] = _rss_mb()
    wall = time.perf_counter() - start_wall
    load = max(0.0, (_busy_seconds() - busy) - (_own_cpu_seconds() - own)) / wall
    return {"times": np.array(times), "cpu_times": np.array(cpu_times), "rss": rss, "load": load,
            "tracks_per_frame": n_tracks / max(1, len(times)),
            "detections_per_frame": n_detections / max(1, len(times))}


def _options(config: TrackingConfig) -> list[str]:
    options = []
    for key, value in config.as_dict().items():
        options += [f"--{key}", "None" if value is None else str(value)]
    return options


def _ms(seconds: float) -> str:
    return f"{1e3 * seconds:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", nargs="+", choices=sorted(PRESETS), default=["dense", "mot20"],
                        help="Scenes to measure. Default: %(default)s.")
    parser.add_argument("--frames", type=int, default=None,
                        help="Sequence length (default: the presets' 1050 / 500 frames).")
    parser.add_argument("--seed", type=int, default=0, help="Scene seed. Default: %(default)s.")
    parser.add_argument("--runs", type=int, default=5, help="Whole-process runs per app. Default: %(default)s.")
    parser.add_argument("--per_frame_runs", type=int, default=1,
                        help="In-process runs; the one with the smallest median is reported. Default: %(default)s.")
    parser.add_argument("--work_dir", type=Path, default=ROOT / "work" / "benchmarks" / "track_speed",
                        help="Where scenes and result files go. Default: %(default)s.")
    parser.add_argument("--baseline_root", type=Path, default=None,
                        help="Another checkout whose deep_sort_app.py is timed too (same files).")
    parser.add_argument("--no_whole_process", action="store_true", help="Only the in-process per-frame timing.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the numbers to this JSON file.")
    parser.add_argument("--max_other_load", type=float, default=0.2,
                        help="A measurement during which other processes used more CPUs than this is repeated "
                             "(up to --attempts times; the quietest is kept). Default: %(default)s.")
    parser.add_argument("--wait_quiet", type=float, default=120.0,
                        help="Seconds to wait, before each measurement, for the other processes to be "
                             "quiet (at most --max_other_load). Default: %(default)s.")
    parser.add_argument("--attempts", type=int, default=3, help="See --max_other_load. Default: %(default)s.")
    args = parser.parse_args(argv)

    config = TrackingConfig.paper()
    options = _options(config)
    apps = {"this": ROOT / "deep_sort_app.py"}
    if args.baseline_root is not None:
        apps["baseline"] = args.baseline_root / "deep_sort_app.py"
    for app in apps.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(app.parent / "deep_sort")],
                       stdout=subprocess.DEVNULL, check=False)
    from deep_sort import compiled

    path = "compiled (deep_sort._kernels)" if compiled.kernels is not None else "pure Python"
    print(f"tracker path: {path}")
    report = {"config": config.as_dict(), "path": path, "scenes": {}}
    for preset in args.scenes:
        sequence_dir, detection_file = ensure_scene(args.work_dir, preset, args.frames, args.seed)
        n_frames = read_sequence(sequence_dir).seq_length
        scene_report = report["scenes"][preset] = {"frames": n_frames}

        quiet = (args.max_other_load, args.wait_quiet, args.attempts)
        best = None
        for _ in range(args.per_frame_runs):
            result = measured(lambda: per_frame(sequence_dir, detection_file, config), *quiet)
            if best is None or np.median(result["times"]) < np.median(best["times"]):
                best = result
        times = best["times"]
        p50, p90, p99 = np.percentile(times, [50, 90, 99])
        scene_report["per_frame"] = {
            "p50_ms": 1e3 * p50, "p90_ms": 1e3 * p90, "p99_ms": 1e3 * p99,
            "in_process_fps": len(times) / times.sum(),
            "detections_per_frame": best["detections_per_frame"], "tracks_per_frame": best["tracks_per_frame"],
        }
        print(f"\n{preset}: {n_frames} frames, {best['detections_per_frame']:.1f} detections and "
              f"{best['tracks_per_frame']:.1f} tracks per frame")
        scene_report["per_frame"]["other_load"] = best["load"]
        print(f"  per frame (in-process): p50 {_ms(p50)} ms, p90 {_ms(p90)} ms, p99 {_ms(p99)} ms; "
              f"{len(times) / times.sum():.0f} frames/s; load {best['load']:.2f}")
        if len(times) >= 2 * WINDOW:
            rss = best["rss"]
            growth = scene_report["growth"] = {"rss_mb": rss}
            for label, values in (("wall", times), ("cpu", best["cpu_times"])):
                windows = [np.median(values[i:i + WINDOW]) for i in range(0, len(values) - WINDOW + 1, WINDOW)]
                growth[label] = {"first_ms": 1e3 * windows[0], "last_ms": 1e3 * windows[-1],
                                 "window_medians_ms": [1e3 * w for w in windows]}
                print(f"  {label} time, median of each {WINDOW} frames: first {_ms(windows[0])} ms, "
                      f"last {_ms(windows[-1])} ms (all windows: {_ms(min(windows))} .. {_ms(max(windows))} ms)")
            print(f"  RSS: {rss['start']:.0f} MB before tracking, {rss['after_window']:.0f} MB after "
                  f"{WINDOW} frames, {rss['end']:.0f} MB at the end")

        if args.no_whole_process:
            continue
        # Apps alternate run by run, so that slow phases of a shared machine hit both alike.
        outputs = {label: args.work_dir / f"{sequence_dir.name}.{label}.txt" for label in apps}
        runs: dict[str, list[dict]] = {label: [] for label in apps}
        for _ in range(args.runs):
            for label, app in apps.items():
                runs[label].append(measured(
                    lambda: whole_process(app, sequence_dir, detection_file, outputs[label], options), *quiet))
        for label, app in apps.items():
            wall = statistics.median(r["wall"] for r in runs[label])
            peak_rss = max(r["rss_mb"] for r in runs[label])
            scene_report[f"whole_process_{label}"] = {
                "median_s": wall, "fps": n_frames / wall, "runs_s": [r["wall"] for r in runs[label]],
                "peak_rss_mb": peak_rss, "other_load": [r["load"] for r in runs[label]],
            }
            loads = ", ".join(f"{r['load']:.2f}" for r in runs[label])
            print(f"  whole process ({label}, {app}): median {wall:.3f} s = {n_frames / wall:.0f} frames/s "
                  f"over {len(runs[label])} runs; peak RSS {peak_rss:.0f} MB; load {loads}")
        outputs = {label: path.read_bytes() for label, path in outputs.items()}
        if "baseline" in outputs:
            identical = outputs["baseline"] == outputs["this"]
            scene_report["identical_to_baseline"] = identical
            print(f"  result files identical to the baseline: {identical}")

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
