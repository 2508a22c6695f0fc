#!/usr/bin/env python3
"""Measure how fast and in how much memory a text detection file (det.txt format) loads.

Writes a det.txt of about ``--megabytes`` MB (random boxes, MOT number
formats) into ``--work_dir`` once, then loads it with
:func:`deep_sort.io.load_mot_text` in fresh processes, ``--runs`` times, and
prints per run the throughput in MB/s (file size / CPU time of the load, and
/ wall time) and the process's peak RSS growth over its state before the
load, next to the size of the parsed array. CPU time is the fairer figure on
a shared machine; both are medians.

``--baseline_root DIR`` also loads the file with another checkout's reader
(runs alternate), e.g. the code before the chunked reader::

    python benchmarks/read_speed.py --megabytes 100
    python benchmarks/read_speed.py --megabytes 100 --baseline_root /tmp/base_checkout
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: Measures one load in a fresh interpreter and prints JSON.
_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from deep_sort.io.mot import load_mot_text
def status_mb(key):
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(key + ":"))
    return int(line.split()[1]) / 1024
before = status_mb("VmRSS")
cpu, wall = time.process_time(), time.perf_counter()
rows = load_mot_text(sys.argv[2], 10, "detection file")
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
print(json.dumps({"cpu_s": cpu, "wall_s": wall, "peak_growth_mb": status_mb("VmHWM") - before,
                  "array_mb": rows.nbytes / 2**20, "rows": len(rows)}))
"""


def write_detections(path: Path, megabytes: float, seed: int = 0) -> None:
    """Write about ``megabytes`` MB of det.txt rows (about 52 bytes each), in frame order."""
    rng = np.random.default_rng(seed)
    n_rows = int(megabytes * 1e6 / 52)
    frames = np.sort(rng.integers(1, 5000, n_rows))
    boxes = np.column_stack([rng.uniform(0, 1800, n_rows), rng.uniform(0, 1000, n_rows),
                             rng.uniform(10, 200, n_rows), rng.uniform(20, 400, n_rows)])
    scores = rng.uniform(0, 1, n_rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        for start in range(0, n_rows, 100_000):
            stop = min(start + 100_000, n_rows)
            handle.write("".join(
                "%d,-1,%.2f,%.2f,%.2f,%.2f,%.6f,-1,-1,-1\n" % (f, *b, s)
                for f, b, s in zip(frames[start:stop].tolist(), boxes[start:stop].tolist(),
                                   scores[start:stop].tolist())))


def measure(root: Path, path: Path) -> dict:
    completed = subprocess.run([sys.executable, "-c", _PROBE, str(root), str(path)], capture_output=True,
                               text=True, check=False)
    if completed.returncode != 0:
        last = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else completed.returncode
        return {"failed": str(last)}
    return json.loads(completed.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=100.0, help="File size. Default: %(default)s.")
    parser.add_argument("--runs", type=int, default=3, help="Loads per checkout. Default: %(default)s.")
    parser.add_argument("--work_dir", type=Path, default=ROOT / "work" / "benchmarks" / "read_speed",
                        help="Where the file goes. Default: %(default)s.")
    parser.add_argument("--baseline_root", type=Path, default=None, help="Another checkout to compare with.")
    args = parser.parse_args(argv)

    path = args.work_dir / f"det-{args.megabytes:g}MB.txt"
    if not path.exists():
        print(f"writing {path} ...", flush=True)
        write_detections(path, args.megabytes)
    size_mb = path.stat().st_size / 1e6
    roots = {"this": ROOT}
    if args.baseline_root is not None:
        roots["baseline"] = args.baseline_root
    runs: dict[str, list[dict]] = {label: [] for label in roots}
    for _ in range(args.runs):
        for label, root in roots.items():
            runs[label].append(measure(root, path))
    print(f"{path.name}: {size_mb:.1f} MB")
    for label, results in runs.items():
        done = [r for r in results if "failed" not in r]
        if not done:
            print(f"  {label}: failed ({results[0]['failed']})")
            continue
        cpu = statistics.median(size_mb / r["cpu_s"] for r in done)
        wall = statistics.median(size_mb / r["wall_s"] for r in done)
        growth = max(r["peak_growth_mb"] for r in done)
        print(f"  {label} ({roots[label]}): {cpu:.0f} MB/s CPU, {wall:.0f} MB/s wall (medians of {len(done)}); "
              f"peak RSS growth {growth:.0f} MB for a {done[0]['array_mb']:.0f} MB array")
    return 0


if __name__ == "__main__":
    sys.exit(main())
