"""``tools/generate_detections.py``: append appearance descriptors to MOTChallenge detections.

The command line of :mod:`deep_sort.features.generate`: for every sequence
``SEQ`` of ``--mot_dir`` it writes ``--output_dir/SEQ.npy`` (det.txt rows
followed by their descriptors). Inputs, the model file and the backend are
checked before the network is loaded; sequences whose output exists are
skipped, so a re-run resumes.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ..features.encoder import (
    BACKENDS,
    DEFAULT_BATCH_SIZE,
    ONNX_BACKEND,
    OPENVINO_HINTS,
    default_n_threads,
    load_image_encoder,
    resolve_backend,
)
from ..features.generate import (
    DETECTION_FILE,
    SequenceJob,
    generate_detections,
    plan_sequences,
    sequence_provenance,
)
from ..io.errors import InputError
from ..io.outputs import claim_outputs
from ..io.provenance import Provenance
from .cli import ToolParser, configure_logging, positive_int, run_main

logger = logging.getLogger(__name__)


def build_parser() -> ToolParser:
    """Return the argument parser of tools/generate_detections.py."""
    parser = ToolParser(
        "tools/generate_detections.py", __name__,
        description="Append appearance descriptors (mars-small128) to the detections of a "
        "MOTChallenge split: writes OUTPUT_DIR/SEQ.npy, N x (10 + 128), det.txt rows in order.",
    )
    parser.add_argument(
        "--model", default="resources/networks/mars-small128.pb",
        help="Frozen TensorFlow graph (.pb) or ONNX model (.onnx). Default: %(default)s.")
    parser.add_argument(
        "--mot_dir", required=True,
        help="MOTChallenge split directory (train or test), one subdirectory per sequence.")
    parser.add_argument(
        "--detection_dir", default=None,
        help="Read DETECTION_DIR/SEQ/det/det.txt instead of MOT_DIR/SEQ/det/det.txt.")
    parser.add_argument(
        "--output_dir", default="detections",
        help="Directory for SEQ.npy (created). Default: %(default)s.")
    parser.add_argument(
        "--sequences", nargs="+", default=None, metavar="SEQ",
        help="Only these sequences (directory names). Default: every sequence with detections.")
    parser.add_argument(
        "--overwrite", action="store_true",
        help="Encode sequences whose SEQ.npy exists too (default: skip them, so a re-run resumes).")
    parser.add_argument(
        "--skip_missing_images", action="store_true",
        help="Give detections in frames without an image all-zero descriptors instead of failing.")
    parser.add_argument(
        "--backend", choices=("auto",) + BACKENDS + (ONNX_BACKEND,), default="auto",
        help="Inference backend; auto = onnxruntime for a .onnx model, else the fastest installed "
             "(openvino, else tensorflow). Default: %(default)s.")
    parser.add_argument(
        "--openvino_hint", choices=OPENVINO_HINTS, default=OPENVINO_HINTS[0],
        help="OpenVINO PERFORMANCE_HINT: THROUGHPUT runs one stream per core with several "
             "batches in flight, LATENCY one stream on all cores. Default: %(default)s.")
    parser.add_argument(
        "--batch_size", type=positive_int, default=DEFAULT_BATCH_SIZE,
        help="Patches per inference call. Default: %(default)s.")
    parser.add_argument(
        "--n_threads", type=positive_int, default=None,
        help="Inference threads. Default: all CPUs available to the process (%d here)."
             % default_n_threads())
    parser.add_argument(
        "--input_name", default=None,
        help="Input tensor of the graph. Default: 'images', with or without an import prefix.")
    parser.add_argument(
        "--output_name", default=None,
        help="Output tensor of the graph. Default: 'features', with or without an import prefix.")
    parser.add_argument(
        "--executor", choices=("local", "ray"), default="local",
        help="local: this process; ray: one Ray task per sequence (a GPU per task where the backend "
             "uses one), see docs/sweep.md. Default: %(default)s.")
    parser.add_argument(
        "--ray_address", default=None,
        help="Ray cluster for --executor ray (auto, HOST:6379 or ray://HOST:10001). Default: start a local Ray.")
    parser.add_progress_options()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run tools/generate_detections.py; return the exit code.

    Raises
    ------
    InputError
        Bad options or inputs, a missing model file or backend, a refused
        output (before any work).
    """
    args = build_parser().parse_args(argv)
    configure_logging(verbose=args.verbose)
    backend = resolve_backend(args.model, args.backend)
    if args.executor == "ray":
        from ..distributed import import_ray

        import_ray()
    elif args.ray_address is not None:
        raise InputError("--ray_address needs --executor ray")
    inputs = _inputs_read(args)
    outputs = [Path(args.output_dir) / f"{path.parent.name}.npy" for path, what in inputs.items()
               if what.startswith("image directory")]
    with claim_outputs(files=outputs, directories=[args.output_dir], inputs=inputs):
        return _generate(args, backend)


def _inputs_read(args: argparse.Namespace) -> dict[Path, str]:
    """What a run reads: the model, and each sequence's det.txt and images (never to be overwritten)."""
    inputs: dict[Path, str] = {Path(args.model): "--model"}
    source_dir = Path(args.detection_dir) if args.detection_dir is not None else Path(args.mot_dir)
    if Path(args.mot_dir).is_dir():
        for sequence_dir in sorted(path for path in Path(args.mot_dir).iterdir() if path.is_dir()):
            inputs[source_dir / sequence_dir.name / DETECTION_FILE] = f"det/det.txt of sequence {sequence_dir.name}"
            inputs[sequence_dir / "img1"] = f"image directory of sequence {sequence_dir.name}"
    return inputs


def _generate(args: argparse.Namespace, backend: str) -> int:
    """The work of :func:`main` once the outputs are claimed."""
    provenance = Provenance(args.output_dir, "generate_detections")
    # The backend is not a setting of the record: backends agree to 1e-5 (tests/features).
    settings = {"model": args.model, "input_name": args.input_name, "output_name": args.output_name,
                "skip_missing_images": args.skip_missing_images}
    jobs, existing = plan_sequences(
        args.mot_dir, args.output_dir, args.detection_dir, args.sequences,
        args.overwrite, args.skip_missing_images, provenance, settings,
    )
    if existing:
        logger.info(
            "skipping %d sequence(s) whose output exists (--overwrite to redo): %s",
            len(existing), ", ".join(existing),
        )
    if not jobs:
        print(f"nothing to do: all {len(existing)} sequence(s) exist in {args.output_dir} "
              "(--overwrite to redo)", file=sys.stderr)
        return 0
    encoder_options = {"backend": backend, "batch_size": args.batch_size, "input_name": args.input_name,
                       "output_name": args.output_name, "n_threads": args.n_threads,
                       "openvino_hint": args.openvino_hint}

    def recorded(job: SequenceJob) -> None:
        provenance.record(job.output_path, sequence_provenance(provenance, settings, job.detection_path,
                                                               job.image_filenames))

    started = time.perf_counter()
    if args.executor == "ray":
        from ..features.distributed import generate_detections_ray

        reports = generate_detections_ray(jobs, args.model, encoder_options, args.ray_address,
                                          progress=not args.quiet)
        for job in jobs:  # written by this process as the tasks finished
            recorded(job)
        backend = f"{backend} backend on Ray"
    else:
        image_encoder = load_image_encoder(args.model, **encoder_options)
        started = time.perf_counter()
        reports = generate_detections(image_encoder, jobs, progress=not args.quiet, on_written=recorded)
        backend = image_encoder.backend
    seconds = time.perf_counter() - started
    n_crops = sum(report.n_detections for report in reports)
    n_zero = sum(report.n_empty_patches + report.n_missing_images for report in reports)
    print(
        f"wrote {len(reports)} detection file(s) (SEQ.npy) to {args.output_dir}: {n_crops} detections in "
        f"{seconds:.1f} s ({n_crops / max(seconds, 1e-9):.1f} crops/s, {backend})"
        + (f", {n_zero} zero descriptors" if n_zero else "")
        + (f"; {len(existing)} existing skipped" if existing else ""),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
