"""``tools/freeze_model.py``: write the frozen mars-small128 graph from a checkpoint.

Rebuilds the network of :mod:`deep_sort.features.mars_small128` with
TensorFlow 2 (no tf_slim), restores the weights of the published checkpoint
(``--checkpoint_in``, variable names as tf_slim created them) and writes a
frozen GraphDef with input ``images`` and output ``features``.
``--random_init`` writes the same graph with seeded random weights instead:
for tests, demos and speed measurements only, its descriptors carry no
identity information. The checkpoint and TensorFlow's presence are checked
before TensorFlow is imported (which takes seconds).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .. import extras
from ..features import mars_small128
from ..io.outputs import claim_outputs
from .cli import ToolParser, configure_logging, non_negative_int, run_main


def build_parser() -> ToolParser:
    """Return the argument parser of tools/freeze_model.py."""
    parser = ToolParser(
        "tools/freeze_model.py", __name__,
        description="Freeze the mars-small128 appearance network into a TensorFlow graph (.pb) "
        "with input 'images' (uint8, N x 128 x 64 x 3, BGR) and output 'features' (float32, N x 128).",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--checkpoint_in", default="resources/networks/mars-small128.ckpt-68577",
        help="Checkpoint prefix (PREFIX.index + PREFIX.data-*) or directory. Default: %(default)s.")
    source.add_argument(
        "--random_init", action="store_true",
        help="Use seeded random weights instead of a checkpoint (tests and demos; the "
             "descriptors are NOT meaningful for tracking).")
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="Seed of --random_init. Default: %(default)s.")
    parser.add_argument(
        "--graphdef_out", default="resources/networks/mars-small128.pb",
        help="Output frozen graph. Default: %(default)s.")
    parser.add_progress_options(verbose=False)
    return parser


def _checkpoint_files(args: argparse.Namespace) -> dict[Path, str]:
    """The checkpoint's files (never to be overwritten by the output)."""
    if args.random_init:
        return {}
    path = Path(args.checkpoint_in)
    if path.is_dir():
        return {path: "--checkpoint_in"}
    prefix = mars_small128.checkpoint_prefix(path)
    files = [Path(prefix), *Path(prefix).parent.glob(Path(prefix).name + ".*")]
    return {file: "--checkpoint_in" for file in files}


def main(argv: Sequence[str] | None = None) -> int:
    """Run tools/freeze_model.py; return the exit code.

    Raises
    ------
    InputError
        A missing checkpoint or TensorFlow (before TensorFlow is imported),
        an unreadable checkpoint, a refused output (see :func:`deep_sort.io.outputs.claim_outputs`).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging()
    if not args.random_init:
        mars_small128.check_checkpoint_path(args.checkpoint_in)
    with claim_outputs(files=[args.graphdef_out], inputs=_checkpoint_files(args)):
        extras.require(parser.prog, extras.TENSORFLOW)
        if args.random_init:
            weights = mars_small128.random_weights(args.seed)
            source = f"random weights (seed {args.seed})"
        else:
            weights = mars_small128.load_checkpoint_weights(args.checkpoint_in)
            source = args.checkpoint_in
        graph_def = mars_small128.build_graph_def(weights)
        mars_small128.write_graph_def(graph_def, args.graphdef_out)
    print(f"wrote {args.graphdef_out} ({graph_def.ByteSize() / 1e6:.1f} MB) from {source}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
