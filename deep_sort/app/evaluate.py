"""``evaluate_motchallenge.py``: track every sequence of a MOTChallenge split, then score it.

Stage 1 (skipped with ``--eval_only``) runs the tracker on each sequence
directory of ``--mot_dir`` that has detections and writes
``--output_dir/SEQ.txt``; sequences run in parallel worker processes, each
result file is written atomically and recorded in
``--output_dir/provenance.json`` (settings, detection file, code version,
digest). A sequence whose result file exists and whose record matches this
run is skipped (a re-run resumes an interrupted one) unless ``--overwrite``;
one made with other settings, detections or code is tracked again, with a
warning. One run at a time writes an output directory (a file lock).

Stage 2 scores the result files of the sequences that have ``gt/gt.txt`` with
the MOTChallenge rules (:mod:`deep_sort.evaluation`), prints a table and
writes ``--output_dir/summary.csv``.

A sequence that fails (bad input, or a bug) is reported and the others go on;
the exit code is then 1.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import extras
from ..evaluation import OVERALL, Benchmark, build_sequence_data, check_groundtruth, check_results, detect_benchmark
from ..evaluation.metrics import SequenceScores, combine_scores, score_sequence
from ..evaluation.summary import format_table, summary_csv
from ..io.atomic import atomic_write, remove_stale_temporaries
from ..io.errors import InputError, MOTFormatError, OutputError
from ..io.mot import load_groundtruth, load_results, read_sequence, sequence_input_files
from ..io.outputs import claim_outputs
from ..io.provenance import Provenance
from ..runtime.workers import process_pool, stop_pool, submit_all
from ..config import TrackingConfig
from .cli import ToolParser, configure_logging, positive_int, run_main, worker_logging
from .options import add_tracking_arguments, tracking_config_from_args
from .pipeline import track_sequence

logger = logging.getLogger(__name__)

#: Detection files looked up in ``--detection_dir``, in this order ({name} = sequence directory name):
#: descriptors from tools/generate_detections.py, a det.txt-format file, a split-like layout.
DETECTION_FILE_PATTERNS = ("{name}.npy", "{name}.txt", "{name}/det/det.txt")
#: File the summary table is written to, in ``--output_dir``.
SUMMARY_FILENAME = "summary.csv"
#: Entries of a directory that make it a sequence directory.
_SEQUENCE_MARKERS = ("seqinfo.ini", "img1", "det", "gt")
#: Exit code when at least one sequence failed.
EXIT_SEQUENCE_FAILED = 1


@dataclass(frozen=True)
class TrackingJob:
    """One sequence to track.

    Attributes
    ----------
    name : str
        Sequence directory name; the result file is ``name + ".txt"``.
    sequence_dir : Path
    detection_file : Path
        ``.npy`` with appearance descriptors, or a det.txt-format file (motion only).
    result_file : Path
    num_frames : int
        Frames, for the progress bar (1 if unknown).
    """

    name: str
    sequence_dir: Path
    detection_file: Path
    result_file: Path
    num_frames: int


@dataclass(frozen=True)
class ScoringJob:
    """One sequence to score: its ground truth against a result file."""

    name: str
    sequence_dir: Path
    result_file: Path
    benchmark: Benchmark | None


def build_parser() -> ToolParser:
    """Return the argument parser of evaluate_motchallenge.py."""
    parser = ToolParser(
        "evaluate_motchallenge.py", __name__,
        description="Run DeepSORT on every sequence of a MOTChallenge split and score the results "
                    "with the official MOTChallenge metrics (CLEAR MOT, identity, HOTA) where "
                    "ground truth exists.",
    )
    parser.add_argument(
        "--mot_dir", required=True,
        help="Split directory holding one directory per sequence (e.g. MOT16/train).")
    parser.add_argument(
        "--detection_dir", default=None,
        help="Directory of detection files: SEQ.npy (from tools/generate_detections.py), else "
             "SEQ.txt or SEQ/det/det.txt (MOT det.txt format: motion-only tracking). Sequences "
             "without one are skipped. Default: each sequence's own det/det.txt, motion-only.")
    parser.add_argument(
        "--output_dir", default="results",
        help="Directory for the result files SEQ.txt and summary.csv. Default: %(default)s.")
    parser.add_argument(
        "--sequences", nargs="+", default=None, metavar="SEQ",
        help="Process only these sequences (directory names). Default: all.")
    parser.add_argument(
        "--workers", type=positive_int, default=available_cores(),
        help="Sequences processed in parallel (1: in this process). Results do not depend on "
             "it. Default: all cores (%(default)s).")
    parser.add_argument(
        "--overwrite", action="store_true",
        help="Track sequences again even if their result file exists (default: skip them, "
             "so that an interrupted run resumes).")
    parser.add_argument(
        "--eval_only", action="store_true",
        help="Do not track: score the existing result files in --output_dir (any tracker's).")
    parser.add_argument(
        "--benchmark", choices=[benchmark.value for benchmark in Benchmark], default=None,
        help="Scoring rules: MOT16/MOT17 (distractor classes 2, 7, 8, 12), MOT20 (also 6) or "
             "MOT15 (no classes). Default: from each gt.txt (9 columns: MOT17, or MOT16/MOT20 "
             "by sequence name; 10 columns: MOT15).")
    add_tracking_arguments(parser, TrackingConfig.paper())
    parser.add_progress_options()
    return parser


def available_cores() -> int:
    """CPUs this process may run on (the default number of workers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def find_sequence_dirs(mot_dir: Path, names: Sequence[str] | None = None) -> list[Path]:
    """List the sequence directories of a split, sorted by name.

    Parameters
    ----------
    mot_dir : Path
        The split directory.
    names : sequence of str, optional
        Only these sequences.

    Returns
    -------
    list of Path
        Subdirectories holding seqinfo.ini, img1/, det/ or gt/.

    Raises
    ------
    InputError
        ``mot_dir`` is not a directory, holds no sequence, or lacks one of ``names``.
    """
    if not mot_dir.is_dir():
        raise InputError(f"{mot_dir}: --mot_dir is not a directory")
    found = {
        entry.name: entry
        for entry in sorted(mot_dir.iterdir())
        if entry.is_dir() and any((entry / marker).exists() for marker in _SEQUENCE_MARKERS)
    }
    if names is None:
        if not found:
            raise InputError(f"{mot_dir}: no sequence directories (with seqinfo.ini, img1/, det/ or gt/)")
        return list(found.values())
    missing = [name for name in names if name not in found]
    if missing:
        raise InputError(f"{mot_dir}: no sequence directory {', '.join(missing)}")
    return [found[name] for name in sorted(set(names))]


def find_detection_file(sequence_dir: Path, detection_dir: Path | None) -> Path | None:
    """Return the detection file of a sequence, or None if there is none.

    With ``detection_dir``: the first of ``detection_dir/SEQ.npy``, ``detection_dir/SEQ.txt``,
    ``detection_dir/SEQ/det/det.txt`` that exists (see :data:`DETECTION_FILE_PATTERNS`).
    Without: the sequence's own ``det/det.txt``.
    """
    if detection_dir is None:
        own = sequence_dir / "det" / "det.txt"
        return own if own.is_file() else None
    for pattern in DETECTION_FILE_PATTERNS:
        candidate = detection_dir / pattern.format(name=sequence_dir.name)
        if candidate.is_file():
            return candidate
    return None


def _num_frames_hint(sequence_dir: Path) -> int:
    try:
        seq_info = read_sequence(sequence_dir)
    except InputError:
        return 1  # the tracking job reports the problem
    return seq_info.seq_length or len(seq_info.image_filenames) or 1


def _track_job(job: TrackingJob, config: TrackingConfig) -> int:
    """Worker: track one sequence, write its result file; return the number of rows."""
    rows = track_sequence(job.sequence_dir, job.detection_file, job.result_file, config)
    return len(rows)


def _score_job(job: ScoringJob) -> tuple[SequenceScores, Benchmark]:
    """Worker: load one sequence's ground truth and results, preprocess and score them."""
    seq_info = read_sequence(job.sequence_dir)
    gt_path = seq_info.groundtruth_path
    if gt_path is None:
        raise InputError(f"{job.sequence_dir}: no gt/gt.txt")
    gt_rows = load_groundtruth(gt_path)
    if not job.result_file.is_file():
        raise InputError(f"{job.result_file}: result file does not exist")
    result_rows = load_results(job.result_file)
    benchmark = job.benchmark or detect_benchmark(gt_rows, seq_info.name)
    num_frames = seq_info.seq_length or _last_frame(gt_rows, result_rows, seq_info.image_filenames)
    for path, check, rows in ((gt_path, check_groundtruth, gt_rows), (job.result_file, check_results, result_rows)):
        try:
            check(rows, num_frames, benchmark)
        except ValueError as exc:
            raise MOTFormatError(f"{path}: {exc}") from None
    data = build_sequence_data(job.name, gt_rows, result_rows, num_frames, benchmark)
    return score_sequence(data), benchmark


def _last_frame(gt_rows: np.ndarray, result_rows: np.ndarray, image_filenames: dict) -> int:
    """Frame count of a sequence without seqLength: the last frame with data or an image."""
    last = [int(rows[:, 0].max()) for rows in (gt_rows, result_rows) if len(rows)]
    last += [max(image_filenames)] if image_filenames else []
    return max(last, default=1)


def run_parallel(
    function: Callable[..., Any],
    jobs: Sequence[Any],
    workers: int,
    *,
    args: tuple = (),
    weights: Sequence[int] | None = None,
    desc: str = "",
    unit: str = "seq",
    progress: bool = True,
    on_success: Callable[[Any, Any], None] | None = None,
    initializer: Callable[..., object] | None = None,
    initargs: tuple = (),
) -> tuple[dict[str, Any], dict[str, BaseException]]:
    """Call ``function(job, *args)`` for every job; one job's exception does not stop the others.

    Parameters
    ----------
    function : callable
        A module-level function (it is pickled to worker processes).
    jobs : sequence
        Objects with a ``name`` attribute, picklable.
    workers : int
        Worker processes; 1 runs the jobs in this process, one after the other.
    args : tuple
        Extra arguments passed to every call.
    weights : sequence of int, optional
        Progress-bar units of each job (e.g. its frames); default 1 each.
    desc : str
        Progress-bar label.
    unit : str
        Progress-bar unit (what ``weights`` count).
    progress : bool
        Show a progress bar (stderr).
    on_success : callable, optional
        ``on_success(job, result)``, called in this process as each job succeeds.
    initializer, initargs
        Run once in every worker process (see :func:`deep_sort.runtime.workers.process_pool`);
        default: the tools' logging (:func:`~deep_sort.app.cli.worker_logging`).

    Returns
    -------
    results : dict of str to object
        Job name to return value, for the jobs that succeeded.
    failures : dict of str to BaseException
        Job name to the exception it raised. Each is logged when it happens.

    Raises
    ------
    OutputError
        A job could not store its output (disk full, ...): the run stops.
    """
    from tqdm import tqdm

    weights = list(weights) if weights is not None else [1] * len(jobs)
    results: dict[str, Any] = {}
    failures: dict[str, BaseException] = {}
    n_workers = min(workers, len(jobs))
    bar = tqdm(total=sum(weights), desc=desc, unit=unit, disable=not progress or not jobs, file=sys.stderr)

    def record(job: Any, weight: int, outcome: Callable[[], Any]) -> None:
        try:
            results[job.name] = outcome()
            if on_success is not None:
                on_success(job, results[job.name])
        except OutputError:
            raise  # the storage failed: the other sequences cannot be stored either
        except Exception as exc:  # noqa: BLE001 -- reported, the other sequences go on
            failures[job.name] = exc
            _log_failure(job.name, exc)
        bar.update(weight)

    with bar:
        if n_workers <= 1:
            for job, weight in zip(jobs, weights):
                record(job, weight, lambda: function(job, *args))
            return results, failures
        # Spawned workers that ignore Ctrl-C and die with this process (deep_sort.runtime.workers).
        if initializer is None:
            initializer, initargs = worker_logging()
        executor = process_pool(n_workers, initializer, initargs)
        try:
            futures = submit_all(executor, function, jobs, *args)
            weight_of = {job.name: weight for job, weight in zip(jobs, weights)}
            for future in concurrent.futures.as_completed(futures):
                job = futures[future]
                record(job, weight_of[job.name], future.result)
        except BaseException:
            stop_pool(executor)
            raise
        executor.shutdown()
    return results, failures


def _log_failure(name: str, exc: BaseException) -> None:
    if isinstance(exc, InputError):
        logger.error("%s: %s", name, exc)
    else:
        logger.error("%s: %s: %s", name, type(exc).__name__, exc, exc_info=exc)


@dataclass(frozen=True)
class TrackingPlan:
    """What :func:`plan_tracking` decided.

    Attributes
    ----------
    jobs : list of TrackingJob
        Sequences to track.
    done : list of str
        Sequences whose result file exists and is verified (skipped).
    no_detections : list of str
        Sequences without a detection file (skipped).
    redo : dict of str to str
        Sequences with a result file that is tracked again, and why (other
        settings, changed detections, no provenance record, ...).
    """

    jobs: list[TrackingJob]
    done: list[str]
    no_detections: list[str]
    redo: dict[str, str]


def plan_tracking(
    sequence_dirs: Sequence[Path], detection_dir: Path | None, output_dir: Path, overwrite: bool,
    provenance: Provenance | None = None, config: TrackingConfig | None = None,
) -> TrackingPlan:
    """Decide which sequences to track.

    A sequence with detections is tracked unless its result file exists and
    (given ``provenance`` and ``config``) its provenance record matches this
    run: same settings, same detection file, same code, file unchanged.
    """
    jobs, done, no_detections, redo = [], [], [], {}
    for sequence_dir in sequence_dirs:
        name = sequence_dir.name
        detection_file = find_detection_file(sequence_dir, detection_dir)
        result_file = output_dir / f"{name}.txt"
        if detection_file is None:
            no_detections.append(name)
            continue
        if result_file.exists() and not overwrite:
            reason = None
            if provenance is not None and config is not None:
                reason = provenance.why_not_done(result_file, tracking_provenance(provenance, config, detection_file))
            if reason is None:
                done.append(name)
                continue
            redo[name] = reason
        jobs.append(TrackingJob(
            name=name,
            sequence_dir=sequence_dir,
            detection_file=detection_file,
            result_file=result_file,
            num_frames=_num_frames_hint(sequence_dir),
        ))
    return TrackingPlan(jobs, done, no_detections, redo)


def tracking_provenance(provenance: Provenance, config: TrackingConfig, detection_file: Path) -> dict[str, Any]:
    """The provenance record of a result file tracked now with ``config`` from ``detection_file``."""
    return provenance.expected(config.as_dict(), {"detections": detection_file})


def score_results(
    jobs: Sequence[ScoringJob], workers: int, progress: bool
) -> tuple[dict[str, dict[str, float]], dict[str, BaseException], set[Benchmark]]:
    """Score result files; return summary rows (sequences sorted, then OVERALL), failures, rules used."""
    outcomes, failures = run_parallel(_score_job, jobs, workers, desc="scoring", progress=progress)
    if not outcomes:
        return {}, failures, set()
    names = sorted(outcomes)
    scores = [outcomes[name][0] for name in names]
    rows = {name: score.summary() for name, score in zip(names, scores)}
    rows[OVERALL] = combine_scores(scores).summary()
    return rows, failures, {outcomes[name][1] for name in names}


def _track_stage(
    args: argparse.Namespace,
    config: TrackingConfig,
    sequence_dirs: list[Path],
    detection_dir: Path | None,
    output_dir: Path,
) -> tuple[list[Path], dict[str, BaseException]]:
    """Track the sequences that need it; return the sequences with results to score, and failures."""
    provenance = Provenance(output_dir, "evaluate_motchallenge")
    plan = plan_tracking(sequence_dirs, detection_dir, output_dir, args.overwrite, provenance, config)
    source = detection_dir if detection_dir is not None else "det/det.txt"
    if not plan.jobs and not plan.done:
        raise InputError(f"{args.mot_dir}: no sequence has detections in {source}")
    if plan.no_detections:
        logger.warning("skipping %d sequence(s) without detections in %s: %s",
                       len(plan.no_detections), source, ", ".join(plan.no_detections))
    if plan.done:
        logger.info("skipping %d sequence(s) with a result file (--overwrite tracks them again): %s",
                    len(plan.done), ", ".join(plan.done))
    for name, reason in plan.redo.items():
        logger.warning("%s: tracking again: the existing result file does not match this run (%s)", name, reason)
    motion_only = [job.name for job in plan.jobs if job.detection_file.suffix.lower() != ".npy"]
    if motion_only:
        logger.info("%d sequence(s) without appearance descriptors (det.txt format), tracked motion-only: %s",
                    len(motion_only), ", ".join(motion_only))
    _report_coverage([path for path in sequence_dirs if path.name in plan.done])

    def recorded(job: TrackingJob, _: int) -> None:
        provenance.record(job.result_file, tracking_provenance(provenance, config, job.detection_file))

    try:
        _, failures = run_parallel(
            _track_job, plan.jobs, args.workers, args=(config,), weights=[job.num_frames for job in plan.jobs],
            desc="tracking", unit="frame", progress=not args.quiet, on_success=recorded)
    finally:
        remove_stale_temporaries(output_dir)  # of workers stopped by an interruption
    failed = f" ({len(failures)} failed: {', '.join(sorted(failures))})" if failures else ""
    print(f"wrote result files of {len(plan.jobs) - len(failures)} sequence(s) to {output_dir}{failed}"
          + (f"; {len(plan.done)} existing reused (--overwrite to redo)" if plan.done else ""), file=sys.stderr)
    skipped = set(plan.no_detections) | set(failures)
    return [path for path in sequence_dirs if path.name not in skipped], failures


def _report_coverage(sequence_dirs: Sequence[Path]) -> None:
    """Warn about sequences whose images do not cover seqLength (their scores may mislead)."""
    for sequence_dir in sequence_dirs:
        try:
            problem = read_sequence(sequence_dir).image_coverage_problem()
        except InputError:
            continue  # reported where the sequence is read for its work
        if problem:
            logger.warning("%s: %s; scored over all seqLength frames", sequence_dir.name, problem)


def _score_stage(
    args: argparse.Namespace, sequence_dirs: list[Path], output_dir: Path
) -> dict[str, BaseException] | None:
    """Score the sequences with ground truth, print the table, write summary.csv.

    Returns the failures, or None if no sequence has ground truth.
    """
    benchmark = Benchmark(args.benchmark) if args.benchmark else None
    jobs = [
        ScoringJob(path.name, path, output_dir / f"{path.name}.txt", benchmark)
        for path in sequence_dirs
        if (path / "gt" / "gt.txt").is_file()
    ]
    if not jobs:
        return None
    rows, failures, rules = score_results(jobs, args.workers, progress=not args.quiet)
    if rows:
        summary_path = output_dir / SUMMARY_FILENAME
        with atomic_write(summary_path, "w", encoding="utf-8", newline="") as handle:
            handle.write(summary_csv(rows))
        rules_text = ", ".join(sorted(rule.value for rule in rules))
        how = "--benchmark" if benchmark else "detected from gt.txt"
        print(f"MOTChallenge metrics ({rules_text} rules, {how}); OVERALL over {len(rows) - 1} sequence(s)")
        print(format_table(rows), end="", flush=True)
        failed = f" ({len(failures)} failed: {', '.join(sorted(failures))})" if failures else ""
        print(f"wrote the metrics table to {summary_path}{failed}", file=sys.stderr)
    return failures


def _output_files(sequence_dirs: Sequence[Path], output_dir: Path, eval_only: bool) -> list[Path]:
    """The files a run may write: result files (unless ``eval_only``) and the summary."""
    results = [] if eval_only else [output_dir / f"{path.name}.txt" for path in sequence_dirs]
    return [*results, output_dir / SUMMARY_FILENAME]


def _run_inputs(sequence_dirs: Sequence[Path], detection_dir: Path | None) -> dict[Path, str]:
    """Every file a run reads, with what it is (to refuse an output that is one of them)."""
    inputs: dict[Path, str] = {}
    for sequence_dir in sequence_dirs:
        detection_file = find_detection_file(sequence_dir, detection_dir)
        if detection_file is not None:
            inputs[detection_file] = f"detection file of {sequence_dir.name}"
        inputs.update(sequence_input_files(sequence_dir))
    return inputs


def main(argv: Sequence[str] | None = None) -> int:
    """Run evaluate_motchallenge.py; return the exit code (0, or 1 if a sequence failed).

    Raises
    ------
    InputError
        Bad options or directories, nothing to track or (``--eval_only``) nothing to score.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbose=args.verbose)
    config = tracking_config_from_args(args)
    mot_dir, output_dir = Path(args.mot_dir), Path(args.output_dir)
    detection_dir = Path(args.detection_dir) if args.detection_dir is not None else None
    if detection_dir is not None and not detection_dir.is_dir():
        raise InputError(f"{detection_dir}: --detection_dir is not a directory")
    sequence_dirs = find_sequence_dirs(mot_dir, args.sequences)
    if any((path / "gt" / "gt.txt").is_file() for path in sequence_dirs):
        extras.require(f"{parser.prog} (scoring)", extras.EVALUATION)

    failures: dict[str, BaseException] = {}
    with claim_outputs(files=_output_files(sequence_dirs, output_dir, args.eval_only),
                       directories=[output_dir], inputs=_run_inputs(sequence_dirs, detection_dir)):
        if args.eval_only:
            _report_coverage(sequence_dirs)
        else:
            sequence_dirs, failures = _track_stage(args, config, sequence_dirs, detection_dir, output_dir)
        scoring_failures = _score_stage(args, sequence_dirs, output_dir)
    if scoring_failures is None:
        if args.eval_only:
            raise InputError(f"{mot_dir}: no sequence has gt/gt.txt; nothing to score")
        logger.info("no ground truth (gt/gt.txt): results not scored")
    else:
        failures.update(scoring_failures)
    # Each failure was reported when it happened and is counted in the closing lines.
    return EXIT_SEQUENCE_FAILED if failures else 0


if __name__ == "__main__":
    sys.exit(run_main(main))
