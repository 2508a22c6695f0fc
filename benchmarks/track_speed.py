#!/usr/bin/env python3
"""Measure tracking speed: whole process against the published reading, and per frame.

Scenes (generated once with :mod:`deep_sort.synthetic` into ``--work_dir``:
seqinfo.ini, det/, gt/ and the detection ``.npy`` with 128-d descriptors, no
images):

- ``dense``: MOT16-04-like, ~28 detections and ~45 tracks per frame, 1050 frames;
- ``mot20``: MOT20-like, ~95 detections and ~150 people per frame, 500 frames;
- ``clutter``: many confident false positives (tentative tracks born and
  dying every frame) and long occlusions (tracks lost until ``max_age``),
  1050 frames, tracked with unbounded galleries (``--nn_budget None``).

Each scene is measured with its ``.npy`` in float32 and in float64, at the
paper's settings (``--min_confidence 0.3 --nn_budget 100``; ``clutter``:
``--nn_budget None``). For each:

- whole process: wall and CPU time of ``deep_sort_app.py --display False
  --quiet`` as a subprocess (interpreter start, imports, loading, tracking,
  writing the result file), median over ``--runs`` runs, next to the same
  run of the published app read plainly (``tests/oracle.py``, with BLAS on
  one thread, its fastest setting here) and, with ``--baseline_root``, of
  another checkout; the apps alternate run by run so that slow phases of a
  shared machine hit all of them; the result files must be identical;
- peak memory of each app: one more run, started from a small launcher
  process (a child started by this large process would report this
  process's memory as its own peak);
- per frame, in process: the app's loop (selection, ``Tracker.predict``,
  ``Tracker.update``, the frame's output rows) and the online API
  (``DeepSort.update`` fed the same rows, returning its ``Tracks``), p50 /
  p90 / p99 of every frame's wall time; the two alternate for ``--rounds``
  rounds and the medians over the rounds are reported, with the median of
  the paired ratios of their p50s;
- with ``--frames`` large (e.g. 20000): the median frame time of every 1000
  frames, first and last, and the process RSS before tracking, after 1000
  frames and at the end (cost and memory must not grow with the length).

Which path runs (compiled ``deep_sort._kernels`` or pure Python) is printed;
``DEEP_SORT_PURE_PYTHON=1`` selects the pure Python path. Every timed
checkout is byte-compiled first (as ``pip install`` and ``run.py`` do).

On a shared machine other processes distort timings. Each measurement
records the CPUs the rest of the machine used meanwhile (from
``/proc/stat``, printed as ``load``); before each one the script waits for a
quiet second, and a measurement above ``--max_other_load`` is repeated (the
quietest of ``--attempts`` is kept). CPU times are less disturbed than wall
times and are printed next to them.

Usage::

    python benchmarks/track_speed.py
    python benchmarks/track_speed.py --scenes dense --dtypes float32 --frames 20000 --runs 1 --no_oracle
    python benchmarks/track_speed.py --baseline_root /tmp/other_checkout --runs 5
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

from deep_sort import DeepSort  # noqa: E402
from deep_sort.app.pipeline import frame_range, frame_results, iterate_tracking  # noqa: E402
from deep_sort.config import TrackingConfig  # noqa: E402
from deep_sort.io.mot import frame_offsets, load_detections, read_sequence  # noqa: E402
from deep_sort.synthetic import PRESETS, generate_scene, write_detection_npy, write_sequence  # noqa: E402

SCENES = {"dense": {}, "mot20": {}, "clutter": {"nn_budget": None}}
#: Frames at the start and at the end of a long run compared for growth.
WINDOW = 1000


def ensure_scene(work_dir: Path, preset: str, n_frames: int | None, seed: int) -> tuple[Path, dict[str, Path]]:
    """Generate (once) the sequence directory and its detection files, float32 and float64."""
    config = PRESETS[preset](seed=seed) if n_frames is None else PRESETS[preset](n_frames=n_frames, seed=seed)
    name = f"{preset}-{config.n_frames}-s{seed}"
    sequence_dir = work_dir / name
    files = {"float32": work_dir / f"{name}.npy", "float64": work_dir / f"{name}.float64.npy"}
    if not files["float32"].exists():
        print(f"generating {name} ...", file=sys.stderr, flush=True)
        scene = generate_scene(config)
        write_sequence(scene, sequence_dir, with_images=False)
        write_detection_npy(scene, files["float32"])
    if not files["float64"].exists():
        np.save(files["float64"], np.load(files["float32"]).astype(np.float64))
    return sequence_dir, files


def _busy_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (Linux /proc/stat)."""
    with open("/proc/stat") as handle:
        fields = [float(v) for v in handle.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def run_process(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a command once; return wall and CPU seconds, peak RSS (MB) and the other processes' CPU share."""
    busy_before = _busy_seconds()
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    busy = _busy_seconds() - busy_before
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command)} failed with status {status}")
    own = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": own, "load": max(0.0, busy - own) / wall}


# Runs a command and prints its peak RSS in KiB. A child of this process
# would report this process's own peak (the kernel keeps the high-water mark
# of the memory a child starts from); a child of this small launcher does not.
_PEAK_RSS_LAUNCHER = ("import resource, subprocess, sys; "
                      "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                      "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss_mb(command: list[str], env: dict[str, str] | None = None) -> float:
    """Peak resident memory (MB) of one run of ``command``."""
    launched = subprocess.run([sys.executable, "-c", _PEAK_RSS_LAUNCHER, *command], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True)
    return int(launched.stdout.split()[-1]) / 1024


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


def _frame_times(steps) -> dict:
    """Time every step of an iterator of frames; RSS at the start and after every WINDOW frames."""
    times, rss = [], {"start": _rss_mb()}
    busy, own, start_wall = _busy_seconds(), _own_cpu_seconds(), time.perf_counter()
    while True:
        start = time.perf_counter()
        try:
            next(steps)
        except StopIteration:
            break
        times.append(time.perf_counter() - start)
        if len(times) % WINDOW == 0:
            rss.setdefault("windows", []).append(_rss_mb())
    wall = time.perf_counter() - start_wall
    load = max(0.0, (_busy_seconds() - busy) - (_own_cpu_seconds() - own)) / wall
    return {"times": np.array(times), "rss": rss, "load": load}


def app_frames(sequence_dir: Path, detection_file: Path, config: TrackingConfig):
    """The app's per-frame loop (selection, predict, update, output rows), one step per frame."""
    for frame_idx, _, tracker in iterate_tracking(read_sequence(sequence_dir), load_detections(detection_file),
                                                  config):
        yield frame_results(frame_idx, tracker)


def online_frames(sequence_dir: Path, detection_file: Path, config: TrackingConfig):
    """``DeepSort.update`` fed each frame's rows (tlwh, scores, descriptors), one step per frame."""
    detections = load_detections(detection_file)
    order, offsets = frame_offsets(detections[:, 0])
    rows = detections[order]
    empty = rows[:0]
    tracker = DeepSort(**config.as_dict())
    for frame_idx in frame_range(read_sequence(sequence_dir), detections):
        start, stop = offsets.get(frame_idx, (0, 0))
        frame_rows = rows[start:stop] if stop else empty
        yield tracker.update(frame_rows[:, 2:6], frame_rows[:, 6], features=frame_rows[:, 10:])


def _median_percentiles(rounds: list[dict]) -> dict[str, float]:
    """Per-frame percentiles of each round, and their medians over the rounds."""
    per_round = [percentiles(r["times"]) for r in rounds]
    return {key: statistics.median(p[key] for p in per_round) for key in per_round[0]}


def percentiles(times: np.ndarray) -> dict[str, float]:
    p50, p90, p99 = np.percentile(times, [50, 90, 99])
    return {"p50_ms": 1e3 * p50, "p90_ms": 1e3 * p90, "p99_ms": 1e3 * p99, "fps": len(times) / times.sum()}


def _options(config: TrackingConfig) -> list[str]:
    options = []
    for key, value in config.as_dict().items():
        options += [f"--{key}", "None" if value is None else str(value)]
    return options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", nargs="+", choices=sorted(SCENES), default=list(SCENES),
                        help="Scenes to measure. Default: %(default)s.")
    parser.add_argument("--dtypes", nargs="+", choices=["float32", "float64"], default=["float32", "float64"],
                        help="Detection file dtypes. Default: %(default)s.")
    parser.add_argument("--frames", type=int, default=None,
                        help="Sequence length (default: the presets' 1050 / 500 / 1050 frames).")
    parser.add_argument("--seed", type=int, default=0, help="Scene seed. Default: %(default)s.")
    parser.add_argument("--runs", type=int, default=5, help="Whole-process runs per app. Default: %(default)s.")
    parser.add_argument("--rounds", type=int, default=3,
                        help="In-process rounds (app loop and DeepSort.update alternating). Default: %(default)s.")
    parser.add_argument("--work_dir", type=Path, default=ROOT / "work" / "benchmarks" / "track_speed",
                        help="Where scenes and result files go. Default: %(default)s.")
    parser.add_argument("--baseline_root", type=Path, default=None,
                        help="Another checkout whose deep_sort_app.py is timed too (same files).")
    parser.add_argument("--no_oracle", action="store_true", help="Do not time the published reading.")
    parser.add_argument("--no_whole_process", action="store_true", help="Only the in-process per-frame timing.")
    parser.add_argument("--no_online", action="store_true", help="Do not time DeepSort.update.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the numbers to this JSON file.")
    parser.add_argument("--max_other_load", type=float, default=0.2,
                        help="A measurement during which other processes used more CPUs than this is repeated "
                             "(up to --attempts times; the quietest is kept). Default: %(default)s.")
    parser.add_argument("--wait_quiet", type=float, default=120.0,
                        help="Seconds to wait, before each measurement, for the other processes to be "
                             "quiet (at most --max_other_load). Default: %(default)s.")
    parser.add_argument("--attempts", type=int, default=3, help="See --max_other_load. Default: %(default)s.")
    args = parser.parse_args(argv)

    roots = {"this": ROOT}
    if args.baseline_root is not None:
        roots["baseline"] = args.baseline_root.resolve()
    for root in roots.values():
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "deep_sort")],
                       stdout=subprocess.DEVNULL, check=False)
    from deep_sort import compiled

    path = "compiled (deep_sort._kernels)" if compiled.kernels is not None else "pure Python"
    print(f"tracker path: {path}")
    quiet = (args.max_other_load, args.wait_quiet, args.attempts)
    report = {"path": path, "scenes": {}}
    for preset in args.scenes:
        config = TrackingConfig.paper(**SCENES[preset])
        options = _options(config)
        sequence_dir, files = ensure_scene(args.work_dir, preset, args.frames, args.seed)
        n_frames = read_sequence(sequence_dir).seq_length
        for dtype in args.dtypes:
            detection_file = files[dtype]
            key = f"{preset}/{dtype}"
            scene_report = report["scenes"][key] = {"frames": n_frames, "config": config.as_dict()}
            rounds: dict[str, list[dict]] = {"app": [], "online": []}
            for _ in range(args.rounds):
                rounds["app"].append(measured(
                    lambda: _frame_times(app_frames(sequence_dir, detection_file, config)), *quiet))
                if not args.no_online:
                    rounds["online"].append(measured(
                        lambda: _frame_times(online_frames(sequence_dir, detection_file, config)), *quiet))
            app = rounds["app"][0]
            stats = scene_report["per_frame_app"] = _median_percentiles(rounds["app"])
            print(f"\n{key}: {n_frames} frames, nn_budget {config.nn_budget}")
            print(f"  per frame, app loop: p50 {stats['p50_ms']:.3f} ms, p90 {stats['p90_ms']:.3f} ms, "
                  f"p99 {stats['p99_ms']:.3f} ms ({stats['p99_ms'] / stats['p50_ms']:.2f} x p50); "
                  f"{stats['fps']:.0f} frames/s; load " + ", ".join(f"{r['load']:.2f}" for r in rounds["app"]))
            if not args.no_online:
                online = scene_report["per_frame_online"] = _median_percentiles(rounds["online"])
                ratio = statistics.median(
                    np.percentile(o["times"], 50) / np.percentile(a["times"], 50)
                    for a, o in zip(rounds["app"], rounds["online"]))
                online["p50_vs_app"] = ratio
                print(f"  per frame, DeepSort.update: p50 {online['p50_ms']:.3f} ms, p90 {online['p90_ms']:.3f} ms, "
                      f"p99 {online['p99_ms']:.3f} ms; p50 = {ratio:.2f} x the app loop's (median of "
                      f"{args.rounds} paired rounds); load " + ", ".join(f"{r['load']:.2f}" for r in rounds["online"]))
            times = app["times"]
            if len(times) >= 2 * WINDOW:
                windows = [np.median(times[i:i + WINDOW]) for i in range(0, len(times) - WINDOW + 1, WINDOW)]
                rss = app["rss"]
                scene_report["growth"] = {"first_ms": 1e3 * windows[0], "last_ms": 1e3 * windows[-1], "rss_mb": rss,
                                          "windows_ms": [1e3 * w for w in windows]}
                print(f"  median of each {WINDOW} frames: first {1e3 * windows[0]:.3f} ms, last "
                      f"{1e3 * windows[-1]:.3f} ms (all {len(windows)} between {1e3 * min(windows):.3f} and "
                      f"{1e3 * max(windows):.3f} ms); RSS {rss['start']:.0f} MB before loading the detections, "
                      f"{rss['windows'][0]:.0f} MB after {WINDOW} frames, {rss['windows'][-1]:.0f} MB after "
                      f"{WINDOW * len(rss['windows'])} frames")
            if args.no_whole_process:
                continue
            commands, outputs, env = {}, {}, None
            for label, root in roots.items():
                outputs[label] = args.work_dir / f"{sequence_dir.name}.{dtype}.{label}.txt"
                commands[label] = [sys.executable, str(root / "deep_sort_app.py"), "--sequence_dir",
                                   str(sequence_dir), "--detection_file", str(detection_file), "--output_file",
                                   str(outputs[label]), "--display", "False", "--quiet", *options]
            if not args.no_oracle:
                outputs["oracle"] = args.work_dir / f"{sequence_dir.name}.{dtype}.oracle.txt"
                commands["oracle"] = [sys.executable, str(ROOT / "tests" / "oracle.py"), "--sequence_dir",
                                      str(sequence_dir), "--detection_file", str(detection_file), "--output_file",
                                      str(outputs["oracle"]), *options]
                env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
            runs: dict[str, list[dict]] = {label: [] for label in commands}
            for _ in range(args.runs):
                for label, command in commands.items():
                    runs[label].append(measured(lambda: run_process(command, env if label == "oracle" else None),
                                                *quiet))
            for label, command in commands.items():
                wall = statistics.median(r["wall"] for r in runs[label])
                cpu = statistics.median(r["cpu"] for r in runs[label])
                rss = peak_rss_mb(command, env if label == "oracle" else None)
                scene_report[f"whole_process_{label}"] = {
                    "median_wall_s": wall, "median_cpu_s": cpu, "fps": n_frames / wall,
                    "runs": runs[label], "peak_rss_mb": rss,
                }
                print(f"  whole process ({label}): median {wall:.3f} s wall, {cpu:.3f} s CPU = "
                      f"{n_frames / wall:.0f} frames/s; peak RSS {rss:.0f} MB; load "
                      + ", ".join(f"{r['load']:.2f}" for r in runs[label]))
            this = scene_report["whole_process_this"]
            for label in commands:
                if label == "this":
                    continue
                other = scene_report[f"whole_process_{label}"]
                identical = outputs[label].read_bytes() == outputs["this"].read_bytes()
                scene_report[f"vs_{label}"] = {"wall": other["median_wall_s"] / this["median_wall_s"],
                                               "cpu": other["median_cpu_s"] / this["median_cpu_s"],
                                               "identical": identical}
                print(f"  {label} / this: {other['median_wall_s'] / this['median_wall_s']:.1f} x wall, "
                      f"{other['median_cpu_s'] / this['median_cpu_s']:.1f} x CPU; "
                      f"identical result files: {identical}")

    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=float))
    return 0


if __name__ == "__main__":
    sys.exit(main())
