"""Render one video per result file of a MOT split (generate_videos.py).

For every ``RESULT_DIR/SEQ.txt`` whose sequence ``MOT_DIR/SEQ`` exists, write
``OUTPUT_DIR/SEQ.mp4``. All inputs are read and checked before the first
video is rendered; sequences are rendered in parallel worker processes.
Every video is verified before it is moved into place and recorded in
``OUTPUT_DIR/provenance.json``; a re-run skips a video only if its record
matches (same inputs and options) and the file still holds every frame.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.atomic import remove_stale_temporaries
from ..io.errors import InputError
from ..io.mot import sequence_input_files
from ..io.outputs import check_output_file, claim_outputs
from ..io.provenance import Provenance
from ..runtime.workers import process_pool, stop_pool, submit_all
from .cli import ToolParser, configure_logging, positive_int, run_main, worker_logging
from .show import (
    RenderOptions,
    ShowInputs,
    add_render_arguments,
    check_render_dependencies,
    load_inputs,
    render_options,
    render_video,
)
from .video import verify_video

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoJob:
    """One sequence to render: checked inputs, destination, options and its provenance record."""

    inputs: ShowInputs
    output_file: Path
    options: RenderOptions
    provenance: dict[str, Any] | None = None


@dataclass(frozen=True)
class VideoPlan:
    """What :func:`plan_videos` found.

    Attributes
    ----------
    jobs : list of VideoJob
        Videos to render, in sequence-name order.
    skipped_existing : list of Path
        Verified videos that exist already (and ``overwrite`` was off).
    without_sequence : list of Path
        Result files with no matching sequence directory.
    redo : dict of Path to str
        Existing videos rendered again, and why (no record, other options or
        inputs, unreadable or incomplete file).
    """

    jobs: list[VideoJob]
    skipped_existing: list[Path]
    without_sequence: list[Path]
    redo: dict[Path, str] = dataclasses.field(default_factory=dict)


def plan_videos(mot_dir: str | os.PathLike[str], result_dir: str | os.PathLike[str],
                output_dir: str | os.PathLike[str], options: RenderOptions, *, show_gt: bool = False,
                show_detections: bool = False, frame_range: tuple[int | None, int | None] | None = None,
                overwrite: bool = False, sequences: Sequence[str] | None = None,
                provenance: Provenance | None = None) -> VideoPlan:
    """Match result files to sequences and load and check every input.

    Parameters
    ----------
    mot_dir : str or PathLike
        Split directory holding one directory per sequence (e.g. MOT16/train).
    result_dir : str or PathLike
        Directory of ``SEQ.txt`` tracker outputs.
    output_dir : str or PathLike
        Where ``SEQ.mp4`` videos go.
    options : RenderOptions
        Drawing and encoding options.
    show_gt : bool
        Draw each sequence's gt/gt.txt.
    show_detections : bool
        Draw each sequence's det/det.txt.
    frame_range : tuple of (int or None, int or None), optional
        Inclusive frame range of every video.
    overwrite : bool
        Re-render videos that exist already.
    sequences : sequence of str, optional
        Only the result files of these sequences (names); all by default.
    provenance : Provenance, optional
        The output directory's record: an existing video is skipped only if
        its record matches and the file holds the recorded frames (without
        it, every existing video is skipped).

    Returns
    -------
    VideoPlan

    Raises
    ------
    InputError
        Missing directories, no result files, no result file with a
        sequence, any bad input of a sequence to render, an output that is
        not a regular file or is an input.
    """
    mot_dir, result_dir, output_dir = Path(mot_dir), Path(result_dir), Path(output_dir)
    for what, directory in (("--mot_dir", mot_dir), ("--result_dir", result_dir)):
        if not directory.is_dir():
            raise InputError(f"{directory}: {what} directory does not exist")
    result_files = sorted(path for path in result_dir.glob("*.txt") if path.is_file())
    if sequences is not None:
        unknown = sorted(set(sequences) - {path.stem for path in result_files})
        if unknown:
            raise InputError(f"{result_dir}: no result file for sequence(s) {', '.join(unknown)}")
        result_files = [path for path in result_files if path.stem in set(sequences)]
    if not result_files:
        raise InputError(f"{result_dir}: no result files (*.txt)")
    jobs, skipped, orphans, redo = [], [], [], {}
    settings = {**dataclasses.asdict(options), "show_gt": show_gt, "show_detections": show_detections,
                "frames": list(frame_range) if frame_range is not None else None}
    for result_file in result_files:
        sequence_dir = mot_dir / result_file.stem
        if not sequence_dir.is_dir():
            logger.warning("skipping %s: no sequence %s", result_file, sequence_dir)
            orphans.append(result_file)
            continue
        output_file = output_dir / f"{result_file.stem}.mp4"
        check_output_file(output_file, {result_file: "--result_dir file", **sequence_input_files(sequence_dir)})
        detection_file = None
        if show_detections:
            detection_file = sequence_dir / "det" / "det.txt"
            if not detection_file.is_file():
                raise InputError(f"{sequence_dir}: no det/det.txt for --show_detections")
        expected = None
        if provenance is not None:
            sources = {"results": result_file, "seqinfo": sequence_dir / "seqinfo.ini",
                       "detections": detection_file, "groundtruth": sequence_dir / "gt" / "gt.txt" if show_gt else None}
            expected = provenance.expected(settings, {k: v for k, v in sources.items() if v is not None and v.exists()})
        if output_file.exists() and not overwrite:
            reason = _why_render_again(output_file, provenance, expected)
            if reason is None:
                logger.info("skipping %s: video exists (use --overwrite)", output_file)
                skipped.append(output_file)
                continue
            logger.warning("%s: rendering again: the existing video cannot be trusted (%s)", output_file, reason)
            redo[output_file] = reason
        inputs = load_inputs(sequence_dir, result_file, detection_file=detection_file,
                             show_gt=show_gt, frame_range=frame_range)
        jobs.append(VideoJob(inputs, output_file, options, expected))
    if len(orphans) == len(result_files):
        raise InputError(
            f"{result_dir}: none of the {len(result_files)} result files matches a sequence in {mot_dir}"
        )
    return VideoPlan(jobs, skipped, orphans, redo)


def _why_render_again(output_file: Path, provenance: Provenance | None, expected: dict | None) -> str | None:
    """Why an existing video must be rendered again, or None if it is verified."""
    if provenance is None or expected is None:
        return None
    reason = provenance.why_not_done(output_file, expected)
    if reason is not None:
        return reason
    n_frames = provenance.entry(output_file).get("frames")
    try:
        verify_video(output_file, int(n_frames))
    except (InputError, TypeError, ValueError):
        return "the file does not hold every frame"
    return None


def render_job(job: VideoJob, progress: bool = False, progress_position: int = 0) -> tuple[str, int]:
    """Render one video; return (sequence name, number of frames)."""
    n_frames = render_video(job.inputs, job.output_file, job.options, progress=progress,
                            progress_position=progress_position)
    return job.inputs.seq_info.name, n_frames


def _worker_init(quiet: bool, verbose: bool) -> None:
    # Each process encodes one video; OpenCV's own thread pool would only
    # oversubscribe the cores the pool already uses.
    import cv2

    cv2.setNumThreads(1)
    configure_logging(quiet, verbose)


def run_jobs(jobs: list[VideoJob], workers: int, progress: bool = True,
             on_done: Callable[[VideoJob, int], None] | None = None) -> int:
    """Render ``jobs`` with up to ``workers`` processes; return the number of frames.

    With one worker (or one job) everything runs in this process, with a
    per-frame progress bar. On the first failure or an interruption the
    pending jobs are cancelled, running ones are stopped and the error is
    raised; finished videos stay, unfinished ones leave no file.
    ``on_done(job, n_frames)`` is called in this process for every finished video.
    """
    from tqdm import tqdm

    total_frames = 0
    with tqdm(total=len(jobs), desc="videos", unit="video", disable=not progress) as bar:
        if workers == 1 or len(jobs) <= 1:
            for job in jobs:
                n_frames = render_job(job, progress=progress, progress_position=1)[1]
                total_frames += n_frames
                if on_done is not None:
                    on_done(job, n_frames)
                bar.update()
            return total_frames
        # Spawned workers that ignore Ctrl-C and die with this process (deep_sort.runtime.workers);
        # spawn, not fork: forking a process that has OpenCV's threads running can deadlock.
        executor = process_pool(min(workers, len(jobs)), _worker_init, worker_logging()[1])
        try:
            futures = submit_all(executor, render_job, jobs)
            for future in as_completed(futures):
                name, n_frames = future.result()
                total_frames += n_frames
                if on_done is not None:
                    on_done(futures[future], n_frames)
                bar.set_postfix_str(name)
                bar.update()
        except BaseException:
            stop_pool(executor)
            for directory in {job.output_file.parent for job in jobs}:
                remove_stale_temporaries(directory, [job.output_file.name for job in jobs
                                                     if job.output_file.parent == directory])
            raise
        executor.shutdown()
    return total_frames


def build_parser() -> ToolParser:
    """Return the generate_videos.py argument parser."""
    parser = ToolParser(
        "generate_videos.py", __name__,
        description="Render one video per tracker result file: OUTPUT_DIR/SEQ.mp4 for every "
                    "RESULT_DIR/SEQ.txt whose sequence MOT_DIR/SEQ exists. Needs no screen.",
    )
    parser.add_argument("--mot_dir", required=True, help="MOT split directory with one directory per sequence.")
    parser.add_argument("--result_dir", required=True, help="Directory of SEQ.txt tracker outputs.")
    parser.add_argument("--output_dir", required=True, help="Directory for the SEQ.mp4 videos (created).")
    parser.add_argument("--show_detections", action="store_true",
                        help="Also draw each sequence's det/det.txt detections (thin white boxes).")
    parser.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1,
                        help="Sequences rendered in parallel (default: all cores, %(default)s here).")
    parser.add_argument("--overwrite", action="store_true",
                        help="Re-render videos that exist already (default: skip them).")
    parser.add_argument("--sequences", nargs="+", metavar="SEQ", default=None,
                        help="Only these sequences (names). Default: every result file.")
    add_render_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run generate_videos.py; return the exit code (bad input raises InputError)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_render_dependencies(parser.prog, args)
    configure_logging(verbose=args.verbose)
    result_dir = Path(args.result_dir)
    result_files = sorted(result_dir.glob("*.txt")) if result_dir.is_dir() else []
    with claim_outputs(directories=[args.output_dir], inputs={path: "--result_dir file" for path in result_files}):
        provenance = Provenance(args.output_dir, "generate_videos")
        plan = plan_videos(args.mot_dir, args.result_dir, args.output_dir, render_options(args),
                           show_gt=args.show_gt, show_detections=args.show_detections,
                           frame_range=args.frames, overwrite=args.overwrite, sequences=args.sequences,
                           provenance=provenance)

        def recorded(job: VideoJob, n_frames: int) -> None:
            provenance.record(job.output_file, job.provenance, frames=n_frames)

        n_frames = run_jobs(plan.jobs, args.workers, progress=not args.quiet, on_done=recorded)
    summary = f"wrote {len(plan.jobs)} video(s), {n_frames} frames, to {args.output_dir}"
    if plan.skipped_existing:
        summary += f"; {len(plan.skipped_existing)} existing reused (--overwrite to redo)"
    if plan.without_sequence:
        summary += f"; {len(plan.without_sequence)} result file(s) without sequence"
    print(summary, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
