#!/usr/bin/env python3
"""Measure parameter-sweep speed: scoring, a sweep against the naive loop, trials per hour.

Three measurements on synthetic MOT16-like sequences (generated once into
``--work_dir`` with :mod:`deep_sort.synthetic`: seqinfo.ini, det/, gt/ and a
float32 ``.npy`` with 128-d descriptors, no images):

1. ``scoring``: one tracker output of the ``dense`` scene (1050 frames,
   :meth:`SceneConfig.dense_mot16_04_like`, paper settings) scored
   in-process, side by side and alternating: TrackEval as
   ``evaluate_motchallenge.py`` calls it (``build_sequence_data`` +
   ``score_sequence``) against the sweep's vectorised scorer on ground truth
   prepared once (``score_results``). Both give identical numbers (checked).
2. ``sweep``: N configurations x 2 dense sequences (seeds 0 and 1), the
   naive loop (``deep_sort_app.py`` per sequence and configuration, then
   ``evaluate_motchallenge.py --eval_only`` per configuration, each a new
   process) against ``tools/sweep.py`` (one process, ``--workers``), both
   from scratch, alternating; the OVERALL rows are checked to be equal.
3. ``mot16``: a sweep over 7 sequences of the MOT16 train lengths (5316
   frames), reported as trials (configurations on the whole split) per hour.

Times are wall-clock medians; ``load`` is the 1-minute load average of the
machine at the end of each measurement (other processes distort timings on
a shared machine).

Usage::

    python benchmarks/sweep_speed.py                       # all three, default sizes
    python benchmarks/sweep_speed.py --only scoring --runs 9
    python benchmarks/sweep_speed.py --only sweep --configs 6 50 --runs 3
"""
from __future__ import annotations

import argparse
import csv
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deep_sort.app.pipeline import track_detections  # noqa: E402
from deep_sort.config import TrackingConfig  # noqa: E402
from deep_sort.evaluation import build_sequence_data, detect_benchmark  # noqa: E402
from deep_sort.evaluation.metrics import score_sequence  # noqa: E402
from deep_sort.evaluation.pairs import prepare_groundtruth  # noqa: E402
from deep_sort.evaluation.vectorized import score_results  # noqa: E402
from deep_sort.io.mot import load_detections, load_groundtruth, read_sequence, round_as_written  # noqa: E402
from deep_sort.synthetic import SceneConfig, generate_scene, write_detection_npy, write_sequence  # noqa: E402

#: Frames of the MOT16 training sequences (02, 04, 05, 09, 10, 11, 13): 5316 in all.
MOT16_TRAIN_LENGTHS = (600, 1050, 837, 525, 654, 900, 750)


def ensure_split(work_dir: Path, name: str, lengths: tuple[int, ...]) -> tuple[Path, Path]:
    """Generate (once) a split of dense sequences with the given lengths; return (split, detection dir)."""
    split, detections = work_dir / name / "split", work_dir / name / "detections"
    for index, n_frames in enumerate(lengths):
        sequence = f"DENSE-{index + 1:02d}"
        if (detections / f"{sequence}.npy").exists():
            continue
        print(f"generating {name}/{sequence} ({n_frames} frames) ...", file=sys.stderr, flush=True)
        scene = generate_scene(SceneConfig.dense_mot16_04_like(n_frames=n_frames, seed=index))
        write_sequence(scene, split / sequence, name=sequence, with_images=False)
        write_detection_npy(scene, detections / f"{sequence}.npy")
    return split, detections


def load_average() -> float:
    return os.getloadavg()[0]


#: Grids of each sweep size: max_age x max_cosine_distance x n_init values, around the paper settings.
GRIDS = {
    4: ((10, 30), (0.2, 0.3), (3,)),
    6: ((10, 30, 60), (0.2, 0.3), (3,)),
    8: ((10, 30, 60, 90), (0.2, 0.3), (3,)),
    50: ((10, 20, 30, 45, 60), (0.1, 0.15, 0.2, 0.25, 0.3), (2, 3)),
}


def grid(n_configs: int) -> list[dict]:
    """The configurations of a sweep size (see :data:`GRIDS`), as complete parameter dicts."""
    if n_configs not in GRIDS:
        raise SystemExit(f"no grid of {n_configs} configurations; choose from {sorted(GRIDS)}")
    ages, distances, inits = GRIDS[n_configs]
    return [TrackingConfig.paper(max_age=age, max_cosine_distance=distance, n_init=init).as_dict()
            for age, distance, init in itertools.product(ages, distances, inits)]


def options(config: dict) -> list[str]:
    return [item for name, value in config.items() for item in (f"--{name}", str(value))]


def measure_scoring(work_dir: Path, runs: int) -> None:
    split, detections = ensure_split(work_dir, "dense2", (1050, 1050))
    seq_info = read_sequence(split / "DENSE-01")
    gt = load_groundtruth(seq_info.groundtruth_path)
    rows = round_as_written(track_detections(seq_info, load_detections(detections / "DENSE-01.npy"),
                                             TrackingConfig.paper()))
    benchmark = detect_benchmark(gt, seq_info.name)
    started = time.perf_counter()
    prepared = prepare_groundtruth(seq_info.name, gt, benchmark, seq_info.seq_length)
    prepare_seconds = time.perf_counter() - started
    times = {"trackeval": [], "vectorised": []}
    reference = ours = None
    for _ in range(runs):
        started = time.perf_counter()
        reference = score_sequence(build_sequence_data(seq_info.name, gt, rows, seq_info.seq_length, benchmark))
        times["trackeval"].append(time.perf_counter() - started)
        started = time.perf_counter()
        ours = score_results(prepared, rows)
        times["vectorised"].append(time.perf_counter() - started)
    assert reference.summary() == ours.summary(), "the scorers disagree"
    trackeval, vectorised = (statistics.median(times[key]) for key in ("trackeval", "vectorised"))
    print(f"\nscoring one dense sequence (1050 frames, {len(rows)} result rows, {len(gt)} gt rows), "
          f"median of {runs}, load {load_average():.1f}")
    print(f"  TrackEval (build_sequence_data + score_sequence): {trackeval:.3f} s")
    print(f"  vectorised (score_results):                       {vectorised:.3f} s  "
          f"({trackeval / vectorised:.1f}x faster); ground truth prepared once in {prepare_seconds:.3f} s")
    print(f"  identical summaries: HOTA {ours.summary()['HOTA']:.4f}, MOTA {ours.summary()['MOTA']:.4f}")


def naive_loop(split: Path, detections: Path, configs: list[dict], out: Path) -> dict[int, dict]:
    """deep_sort_app.py per sequence and configuration, then evaluate --eval_only; return OVERALL rows."""
    sequences = sorted(path.name for path in split.iterdir() if path.is_dir())
    overall = {}
    for index, config in enumerate(configs):
        result_dir = out / f"config{index}"
        for sequence in sequences:
            subprocess.run([sys.executable, str(ROOT / "deep_sort_app.py"), "--sequence_dir", str(split / sequence),
                            "--detection_file", str(detections / f"{sequence}.npy"),
                            "--output_file", str(result_dir / f"{sequence}.txt"), "--display", "False", "--quiet",
                            *options(config)], check=True, cwd=ROOT)
        subprocess.run([sys.executable, str(ROOT / "evaluate_motchallenge.py"), "--mot_dir", str(split),
                        "--output_dir", str(result_dir), "--eval_only", "--quiet"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        with open(result_dir / "summary.csv", newline="") as handle:
            overall[index] = next(row for row in csv.DictReader(handle) if row["sequence"] == "OVERALL")
    return overall


def sweep(split: Path, detections: Path, configs: list[dict], out: Path, workers: int) -> dict[int, dict]:
    """tools/sweep.py over exactly ``configs`` (a grid over the parameters that vary); return OVERALL rows."""
    names = [name for name in configs[0] if len({config[name] for config in configs}) > 1]
    values = {name: list(dict.fromkeys(config[name] for config in configs)) for name in names}
    if len(list(itertools.product(*values.values()))) != len(configs):
        raise SystemExit("the configurations are not a full grid")
    grid_options = [item for name in names for item in ("--grid", f"{name}={','.join(map(str, values[name]))}")]
    subprocess.run([sys.executable, str(ROOT / "tools" / "sweep.py"), "--mot_dir", str(split), "--detection_dir",
                    str(detections), "--output_dir", str(out), "--workers", str(workers), "--quiet",
                    *grid_options], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    with open(out / "trials.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_params = {tuple(str(row[name]) for name in names): row for row in rows}
    return {index: by_params[tuple(str(config[name]) for name in names)] for index, config in enumerate(configs)}


def measure_sweep(work_dir: Path, n_configs: int, runs: int, workers: int) -> None:
    split, detections = ensure_split(work_dir, "dense2", (1050, 1050))
    configs = grid(n_configs)
    times = {"naive": [], "sweep": []}
    loads = []
    for run in range(runs):
        for kind in ("naive", "sweep") if run % 2 == 0 else ("sweep", "naive"):
            out = work_dir / "runs" / kind
            shutil.rmtree(out, ignore_errors=True)
            started = time.perf_counter()
            if kind == "naive":
                naive_rows = naive_loop(split, detections, configs, out)
            else:
                sweep_rows = sweep(split, detections, configs, out, workers)
            times[kind].append(time.perf_counter() - started)
            loads.append(load_average())
        metric_columns = [column for column in naive_rows[0] if column != "sequence"]
        for index in naive_rows:
            assert [naive_rows[index][c] for c in metric_columns] == [sweep_rows[index][c] for c in metric_columns], \
                f"configuration {index}: the sweep's numbers differ from evaluate_motchallenge.py's"
    naive, swept = statistics.median(times["naive"]), statistics.median(times["sweep"])
    print(f"\nsweep of {n_configs} configurations x 2 dense sequences (1050 frames each), median of {runs}, "
          f"load {min(loads):.1f}-{max(loads):.1f}")
    print(f"  naive loop (deep_sort_app.py + evaluate_motchallenge.py --eval_only): {naive:.1f} s "
          f"({naive / n_configs:.2f} s per configuration)")
    print(f"  tools/sweep.py --workers {workers}:                                    {swept:.1f} s "
          f"({swept / n_configs:.2f} s per configuration)  {naive / swept:.1f}x faster")
    print("  identical OVERALL rows for every configuration")


def measure_mot16(work_dir: Path, n_configs: int, workers: int) -> None:
    split, detections = ensure_split(work_dir, "mot16train", MOT16_TRAIN_LENGTHS)
    configs = grid(n_configs)
    out = work_dir / "runs" / "mot16"
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    sweep(split, detections, configs, out, workers)
    seconds = time.perf_counter() - started
    print(f"\nMOT16-train-sized sweep (7 sequences, {sum(MOT16_TRAIN_LENGTHS)} frames), {n_configs} configurations, "
          f"--workers {workers}, load {load_average():.1f}")
    print(f"  {seconds:.1f} s: {n_configs / seconds * 3600:.0f} trials per hour "
          f"({seconds / n_configs:.2f} s per trial, including start-up and loading)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work_dir", type=Path, default=ROOT / "work" / "sweep_speed",
                        help="Where the generated data and runs go. Default: %(default)s.")
    parser.add_argument("--only", choices=("scoring", "sweep", "mot16"), nargs="+",
                        default=["scoring", "sweep", "mot16"], help="Measurements to run.")
    parser.add_argument("--runs", type=int, default=5, help="Repetitions of scoring and the 6-config sweep.")
    parser.add_argument("--configs", type=int, nargs="+", default=[6, 50], choices=sorted(GRIDS),
                        help="Sweep sizes to compare with the naive loop. Default: 6 50 (50 runs once).")
    parser.add_argument("--mot16_configs", type=int, default=8, choices=sorted(GRIDS),
                        help="Configurations of the MOT16-sized sweep. Default: %(default)s.")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                        help="--workers of tools/sweep.py. Default: all cores (%(default)s).")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    if "scoring" in args.only:
        measure_scoring(args.work_dir, args.runs)
    if "sweep" in args.only:
        for n_configs in args.configs:
            measure_sweep(args.work_dir, n_configs, args.runs if n_configs <= 10 else 1, args.workers)
    if "mot16" in args.only:
        measure_mot16(args.work_dir, args.mot16_configs, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
