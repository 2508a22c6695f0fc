"""``tools/sweep.py``: sweep tracking parameters over a MOTChallenge split and score every configuration.

Every sequence (detections, ground truth) is loaded and checked once; each
configuration is tracked and scored in memory with the numbers of
``evaluate_motchallenge.py``. Writes ``--output_dir/trials.csv`` (one row per
trial: its parameters, then the OVERALL columns of summary.csv),
``trials_per_sequence.csv``, ``best.json`` and ``trials.png`` (plus
``pareto.png`` for two metrics). Finished work is cached in
``--output_dir/cache``: a re-run computes only what is missing.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from ..evaluation import OVERALL, Benchmark
from ..evaluation.summary import format_table
from ..io.errors import InputError
from .cli import ToolParser, configure_logging, positive_int, run_main
from .evaluate import available_cores, find_detection_file, find_sequence_dirs

logger = logging.getLogger(__name__)

#: File written into ``--output_dir`` besides the tables and plots.
BEST_FILENAME = "best.json"
#: Trials asked from the search at a time (and between checkpoints of the tables).
DEFAULT_BATCH_SIZE = 8


def build_parser() -> ToolParser:
    """Return the argument parser of tools/sweep.py."""
    from ..sweep.executors import EXECUTORS
    from ..sweep.search import SEARCHES

    parser = ToolParser(
        "tools/sweep.py", __name__,
        description="Track a MOTChallenge split with many tracking configurations and score each with "
                    "the MOTChallenge metrics (the numbers of evaluate_motchallenge.py), in memory.",
        epilog="Example: tools/sweep.py --mot_dir MOT16/train --detection_dir detections "
               "--output_dir sweep --grid max_age=10,30,60 --grid max_cosine_distance=0.1,0.2,0.3",
    )
    parser.add_argument("--mot_dir", required=True, help="Split directory (one directory per sequence, with gt/).")
    parser.add_argument(
        "--detection_dir", default=None,
        help="Directory of detection files SEQ.npy (or SEQ.txt, SEQ/det/det.txt), as for "
             "evaluate_motchallenge.py. Default: each sequence's det/det.txt (motion-only).")
    parser.add_argument("--output_dir", required=True, help="Directory for the tables, plots and cache.")
    parser.add_argument("--sequences", nargs="+", default=None, metavar="SEQ",
                        help="Only these sequences. Default: every sequence with gt/gt.txt and detections.")
    parser.add_argument(
        "--grid", action="append", default=[], metavar="NAME=VALUES", required=True,
        help="A tracking parameter of deep_sort_app.py and its values: NAME=V1,V2,... (one value fixes "
             "it), NAME=LOW:HIGH (a range, for random and optuna) or NAME=LOW:HIGH:STEP. Repeat for "
             "more parameters. Parameters not given keep evaluate_motchallenge.py's defaults.")
    parser.add_argument("--search", choices=SEARCHES, default="grid",
                        help="grid: every combination; random: --trials independent samples; optuna: "
                             "--trials suggestions of Optuna's TPE sampler (NSGA-II for two metrics). "
                             "Default: %(default)s.")
    parser.add_argument("--trials", type=positive_int, default=None,
                        help="Trials of a random or optuna search. Default: 20.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the random and optuna searches. "
                                                           "Default: %(default)s.")
    parser.add_argument("--metric", default="HOTA",
                        help="Summary column to optimise (HOTA, MOTA, IDF1, IDs, ...; lower is better for "
                             "FP, FN, IDs, FM, Frag, FAR, ML), or two separated by a comma for a Pareto "
                             "front (e.g. HOTA,IDs). Default: %(default)s.")
    parser.add_argument("--benchmark", choices=[benchmark.value for benchmark in Benchmark], default=None,
                        help="Scoring rules, as evaluate_motchallenge.py. Default: from each gt.txt.")
    parser.add_argument("--workers", type=positive_int, default=available_cores(),
                        help="Parallel workers (local processes; with --executor ray and no "
                             "--ray_address, the CPUs of the local Ray). Results do not depend on it. "
                             "Default: all cores (%(default)s).")
    parser.add_argument("--executor", choices=EXECUTORS, default="local",
                        help="local: worker processes on this machine; ray: Ray tasks. Default: %(default)s.")
    parser.add_argument("--ray_address", default=None,
                        help="Ray cluster to use (e.g. auto, HOST:6379 or ray://HOST:10001). Default: "
                             "start a local Ray.")
    parser.add_argument("--batch_size", type=positive_int, default=DEFAULT_BATCH_SIZE,
                        help="Trials asked from the search at a time; the tables are written after each "
                             "batch. Part of an optuna search's definition (the same value gives the same "
                             "trials). Default: %(default)s.")
    parser.add_argument("--recompute", action="store_true",
                        help="Ignore cached results in OUTPUT_DIR/cache and compute everything again.")
    parser.add_argument("--quiet", action="store_true", help="No progress bar.")
    parser.add_argument("--verbose", action="store_true", help="Log what is done and skipped.")
    return parser


def _plan_sequences(args: argparse.Namespace, benchmark: Benchmark | None) -> list:
    """Find the sequences with ground truth and detections; return their SequenceSource."""
    from ..sweep.executors import SequenceSource

    mot_dir = Path(args.mot_dir)
    detection_dir = Path(args.detection_dir) if args.detection_dir is not None else None
    if detection_dir is not None and not detection_dir.is_dir():
        raise InputError(f"{detection_dir}: --detection_dir is not a directory")
    sequence_dirs = [path for path in find_sequence_dirs(mot_dir, args.sequences)
                     if (path / "gt" / "gt.txt").is_file()]
    if not sequence_dirs:
        raise InputError(f"{mot_dir}: no sequence has gt/gt.txt; a sweep needs ground truth")
    plans, without = [], []
    for path in sequence_dirs:
        detection_file = find_detection_file(path, detection_dir)
        if detection_file is None:
            without.append(path.name)
        else:
            plans.append(SequenceSource(path, detection_file, benchmark, provenance=""))
    source = detection_dir if detection_dir is not None else "det/det.txt"
    if not plans:
        raise InputError(f"{mot_dir}: no sequence with gt/gt.txt has detections in {source}")
    if without:
        logger.warning("skipping %d sequence(s) without detections in %s: %s", len(without), source,
                       ", ".join(without))
    return plans


def _check_output_dir(output_dir: Path) -> None:
    try:
        (output_dir / "cache").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{output_dir}: cannot create the output directory ({exc.strerror})") from None
    if not os.access(output_dir / "cache", os.W_OK):
        raise InputError(f"{output_dir}: the output directory is not writable")


def _reproduce_command(args: argparse.Namespace, parameters: dict) -> str:
    options = ["--mot_dir", args.mot_dir]
    if args.detection_dir is not None:
        options += ["--detection_dir", args.detection_dir]
    if args.sequences:
        options += ["--sequences", *sorted(set(args.sequences))]
    if args.benchmark:
        options += ["--benchmark", args.benchmark]
    options += ["--output_dir", "results"]
    for name, value in parameters.items():
        options += [f"--{name}", "None" if value is None else str(value)]
    return "python evaluate_motchallenge.py " + shlex.join(options)


def _trial_record(trial, args: argparse.Namespace) -> dict:
    return {"trial": trial.index, "parameters": trial.parameters, OVERALL: trial.summary,
            "command": _reproduce_command(args, trial.parameters)}


def write_outputs(output_dir: Path, trials: list, space, metrics: list[str], args: argparse.Namespace,
                  sequences: list[str], plots: bool = True) -> dict:
    """Write trials.csv, trials_per_sequence.csv, best.json and the plots; return best.json's content."""
    from ..sweep.report import (
        DIRECTIONS,
        PARETO_PLOT_FILENAME,
        PLOT_FILENAME,
        best_trial,
        pareto_front,
        plot_pareto,
        plot_trials,
    )
    from ..sweep.store import PER_SEQUENCE_FILENAME, TRIALS_FILENAME, per_sequence_csv, trials_csv, write_text

    write_text(output_dir / TRIALS_FILENAME, trials_csv(trials, space.names))
    write_text(output_dir / PER_SEQUENCE_FILENAME, per_sequence_csv(trials, space.names))
    best = {
        "metrics": {metric: DIRECTIONS[metric] for metric in metrics},
        "search": args.search,
        "seed": args.seed if args.search != "grid" else None,
        "trials": len(trials),
        "sequences": sequences,
        "swept": list(space.swept),
        "best": {metric: _trial_record(best_trial(trials, metric), args) for metric in metrics},
    }
    if len(metrics) == 2:
        best["pareto_front"] = [_trial_record(trial, args) for trial in pareto_front(trials, metrics)]
    write_text(output_dir / BEST_FILENAME, json.dumps(best, indent=2) + "\n")
    if plots:
        plot_trials(output_dir / PLOT_FILENAME, trials, space, metrics)
        if len(metrics) == 2:
            plot_pareto(output_dir / PARETO_PLOT_FILENAME, trials, metrics)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Run tools/sweep.py; return the exit code.

    Raises
    ------
    InputError
        Bad options (unknown parameter, value out of range, empty grid,
        unknown metric, ...), a split without ground truth, malformed files,
        a missing optional dependency: all before any tracking.
    """
    args = build_parser().parse_args(argv)
    configure_logging(quiet=args.quiet, verbose=args.verbose)
    from ..sweep.executors import LocalExecutor, RayExecutor, import_ray
    from ..sweep.report import DIRECTIONS, parse_metrics
    from ..sweep.runner import run_sweep
    from ..sweep.search import make_search
    from ..sweep.space import parse_grid
    from ..sweep.store import CACHE_DIRNAME, ResultCache
    from ..sweep.trial import load_sequence

    metrics = parse_metrics(args.metric)
    space = parse_grid(args.grid)
    search = make_search(args.search, space, args.trials, args.batch_size, args.seed,
                         [DIRECTIONS[metric] for metric in metrics])
    if args.executor == "ray":
        import_ray()
    elif args.ray_address is not None:
        raise InputError("--ray_address needs --executor ray")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise InputError("the sweep's plots need matplotlib: pip install 'deep-sort-repro[sweep]'") from None
    benchmark = Benchmark(args.benchmark) if args.benchmark else None
    plans = _plan_sequences(args, benchmark)
    output_dir = Path(args.output_dir)
    if output_dir.exists() and not output_dir.is_dir():
        raise InputError(f"{output_dir}: --output_dir is not a directory")
    sequences = [load_sequence(plan.sequence_dir, plan.detection_file, benchmark) for plan in plans]
    _check_output_dir(output_dir)
    sources = {sequence.name: dataclasses.replace(plan, provenance=sequence.provenance)
               for plan, sequence in zip(plans, sequences)}
    names = sorted(sources)
    if not args.quiet:
        print(f"sweep: {search.n_trials} trial(s) x {len(names)} sequence(s) ({', '.join(names)}), "
              f"{args.search} search over {', '.join(space.swept)}; {args.executor} executor", file=sys.stderr)

    if args.executor == "ray":
        executor = RayExecutor(sequences, args.ray_address, args.workers if args.ray_address is None else None)
    else:
        executor = LocalExecutor(sequences, sources, args.workers)
    try:
        trials, reused = run_sweep(
            sequences, search, executor, ResultCache(output_dir / CACHE_DIRNAME), metrics,
            recompute=args.recompute, progress=not args.quiet,
            on_batch=lambda done: write_outputs(output_dir, done, space, metrics, args, names, plots=False),
        )
    finally:
        executor.close()
    best = write_outputs(output_dir, trials, space, metrics, args, names)
    rows = {}
    for metric in metrics:
        record = best["best"][metric]
        rows[f"best {metric}: trial {record['trial']}"] = record[OVERALL]
    units = len(trials) * len(names)
    print(f"{len(trials)} trial(s) x {len(names)} sequence(s): {units - reused} computed, {reused} reused "
          f"from {output_dir / CACHE_DIRNAME}")
    print(f"OVERALL of the best (parameters in {output_dir / BEST_FILENAME}):")
    print(format_table(rows), end="")
    for metric in metrics:
        swept = {name: best["best"][metric]["parameters"][name] for name in space.swept}
        print(f"best {metric}: " + ", ".join(f"{name}={value}" for name, value in swept.items()))
    print(f"tables, best.json and plots written to {output_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
