"""``tools/generate_synthetic.py``: generate deterministic synthetic MOTChallenge sequences.

The command line of :mod:`deep_sort.synthetic`.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..io.errors import InputError, output_error
from ..io.outputs import claim_outputs
from .cli import ToolParser, configure_logging, non_negative_int, positive_int, run_main

logger = logging.getLogger(__name__)


def build_parser() -> ToolParser:
    """Return the argument parser of tools/generate_synthetic.py."""
    parser = ToolParser(
        "tools/generate_synthetic.py", __name__,
        description=(
            "Generate deterministic synthetic MOTChallenge sequences (SYN-01, SYN-02, ...): "
            "seqinfo.ini, img1/ frames, det/det.txt and gt/gt.txt, optionally detection "
            ".npy files with appearance descriptors."
        ),
    )
    parser.add_argument("--output_dir", type=Path, required=True,
                        help="Directory that receives the sequence directories.")
    parser.add_argument("--detection_dir", type=Path, default=None,
                        help="Also write SEQ.npy detection files (det rows + descriptors) here.")
    parser.add_argument("--sequences", type=positive_int, default=1,
                        help="Number of sequences (default: 1).")
    parser.add_argument("--preset", choices=["small", "dense", "mot20"], default="small",
                        help="Scene preset: small (960x540, ~10 people), dense (MOT16-04-like, "
                             "1920x1080, ~45 people), mot20 (~150 people). Default: small.")
    parser.add_argument("--frames", type=positive_int, default=None,
                        help="Frames per sequence (default: the preset's: 200, 1050, 500).")
    parser.add_argument("--people", type=float, default=None,
                        help="Mean number of people in view (default: the preset's).")
    parser.add_argument("--width", type=positive_int, default=None,
                        help="Image width in pixels (default: the preset's).")
    parser.add_argument("--height", type=positive_int, default=None,
                        help="Image height in pixels (default: the preset's).")
    parser.add_argument("--seed", type=non_negative_int, default=0,
                        help="Random seed; sequence seeds are derived from it (default: 0).")
    parser.add_argument("--no_images", action="store_true",
                        help="Do not render img1/ JPEG frames (detection-only sequences, much faster).")
    parser.add_argument("--jpeg_quality", type=int, default=90,
                        help="JPEG quality 0-100 (default: 90).")
    parser.add_progress_options()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Generate synthetic sequences as the command line asks; return the exit code.

    Raises
    ------
    InputError
        For parameter values outside their allowed range (printed as one line
        by :func:`~deep_sort.app.cli.run_main`).
    """
    args = build_parser().parse_args(argv)
    configure_logging(verbose=args.verbose)
    # Imported here so that ``--help`` stays instant.
    from ..synthetic import PRESETS, generate_split

    preset = PRESETS[args.preset]
    try:
        config = preset(seed=args.seed) if args.frames is None else preset(args.frames, args.seed)
        changes: dict[str, object] = {}
        if args.people is not None:
            changes["n_people"] = args.people
        if args.width is not None or args.height is not None:
            width, height = config.image_size
            changes["image_size"] = (args.width or width, args.height or height)
            # Small images cannot show the preset's 40 px minimum below the
            # largest person; shrink it so the depth range stays usable.
            tallest = config.max_person_height * changes["image_size"][1]
            changes["min_person_height"] = max(8.0, min(config.min_person_height, tallest / 3.0))
        if changes:
            config = config.replace(**changes)
        if not 0 <= args.jpeg_quality <= 100:
            raise ValueError(f"jpeg_quality must be an integer in [0, 100], got {args.jpeg_quality}")
    except ValueError as exc:
        raise InputError(f"invalid scene parameters: {exc}") from None

    total = args.sequences * config.n_frames
    bar = None
    if not args.quiet:
        from tqdm import tqdm

        bar = tqdm(total=total, unit="frame", desc="synthetic", dynamic_ncols=True)
    try:
        with claim_outputs(directories=[args.output_dir, args.detection_dir]):
            paths = generate_split(
                args.output_dir,
                args.sequences,
                config,
                with_images=not args.no_images,
                detection_dir=args.detection_dir,
                jpeg_quality=args.jpeg_quality,
                progress=bar.update if bar is not None else None,
            )
    except OSError as exc:
        raise output_error(exc.filename or args.output_dir, exc) from None
    finally:
        if bar is not None:
            bar.close()
    where = f" and their .npy detection files to {args.detection_dir}" if args.detection_dir is not None else ""
    print(
        f"wrote {len(paths)} sequence(s) of {config.n_frames} frames "
        f"({config.image_size[0]}x{config.image_size[1]}) to {args.output_dir}{where}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
