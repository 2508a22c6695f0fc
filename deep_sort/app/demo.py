"""The end-to-end demo on a synthetic split (``python3 run.py demo``, ``deep-sort-demo``).

One run shows everything the toolkit does, on data it makes itself:

1. generate a small synthetic MOTChallenge split with images (deterministic);
2. build appearance descriptors with ``tools/generate_detections.py`` from a
   random-init mars-small128 graph made by ``tools/freeze_model.py
   --random_init`` (``--precomputed``: use the generator's own per-identity
   descriptors instead and skip TensorFlow);
3. track and score the split with ``evaluate_motchallenge.py``;
4. render one result video with ``generate_videos.py``.

Every step reuses what an earlier run left in the output folder unless
``--fresh`` is given. Each step runs the same tool a user would run, and
prints it as a command line that works as printed: ``python SCRIPT ...``
in a checkout (inside the project's environment), the console script
(``deep-sort-...``) for an installed package.
"""
from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .. import extras
from ..io.errors import InputError
from .cli import ToolParser, configure_logging, positive_int, run_main

_CHECKOUT = Path(__file__).resolve().parents[2]
#: Whether this module runs from a source checkout (with run.py and the scripts) or an installed package.
IN_CHECKOUT = (_CHECKOUT / "run.py").is_file() and (_CHECKOUT / "tools").is_dir()
#: Default output folder: the checkout's working data folder ``work/demo``, or
#: ``deep_sort_demo`` in the current directory for an installed package.
DEFAULT_OUTPUT_DIR = _CHECKOUT / "work" / "demo" if IN_CHECKOUT else Path("deep_sort_demo")

#: Each step's tool: module of its ``main``, script in a checkout, console script when installed.
_TOOLS = {
    "synthetic": ("deep_sort.app.generate_synthetic", "tools/generate_synthetic.py", "deep-sort-synthetic"),
    "freeze": ("deep_sort.app.freeze_model", "tools/freeze_model.py", "deep-sort-freeze-model"),
    "descriptors": ("deep_sort.app.generate_detections", "tools/generate_detections.py",
                    "deep-sort-generate-detections"),
    "evaluate": ("deep_sort.app.evaluate", "evaluate_motchallenge.py", "deep-sort-evaluate"),
    "videos": ("deep_sort.app.videos", "generate_videos.py", "deep-sort-videos"),
}


def build_parser() -> ToolParser:
    """Return the argument parser of the demo."""
    parser = ToolParser(
        "python3 run.py demo", __name__,
        description="Run the whole DeepSORT toolkit end to end on a generated synthetic split.",
    )
    parser.add_argument("--output_dir", type=Path, default=DEFAULT_OUTPUT_DIR,
                        help="Where every artefact goes. Default: work/demo in the checkout "
                             "(deep_sort_demo/ in the current directory for an installed package).")
    parser.add_argument("--precomputed", action="store_true",
                        help="Use the generator's per-identity descriptors instead of running the "
                             "CNN (no TensorFlow, a faster first look).")
    parser.add_argument("--fresh", action="store_true",
                        help="Delete the output folder first and redo every step.")
    parser.add_argument("--sequences", type=positive_int, default=2,
                        help="Number of sequences. Default: %(default)s.")
    parser.add_argument("--frames", type=int, default=300, help="Frames per sequence (>= 10). Default: %(default)s.")
    parser.add_argument("--people", type=float, default=None,
                        help="Mean number of people in view. Default: the generator's small preset.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic split. Default: %(default)s.")
    parser.add_argument("--backend", choices=("auto", "openvino", "tensorflow"), default="auto",
                        help="Descriptor inference backend. Default: %(default)s (the fastest installed).")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help="Parallel processes for tracking and video rendering. Default: all cores.")
    parser.add_argument("--no_video", action="store_true", help="Skip the video.")
    parser.add_progress_options(verbose=False)
    return parser


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when inside it (shorter commands), else absolute."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _run_tool(tool: str, argv: list[str], title: str, quiet: bool) -> None:
    """Run a tool's ``main`` in this process, echoing the equivalent command line."""
    module, script, console_script = _TOOLS[tool]
    command = f"python {script}" if IN_CHECKOUT else console_script
    print(f"\n== {title}\n$ {command} {' '.join(argv)}", flush=True)
    started = time.perf_counter()
    code = importlib.import_module(module).main(argv + (["--quiet"] if quiet else []))
    if code != 0:
        raise InputError(f"{script} failed (exit code {code}); see the messages above")
    print(f"   done in {time.perf_counter() - started:.1f} s", flush=True)


def _split_is_current(split_dir: Path, stamp: dict) -> bool:
    stamp_file = split_dir / ".demo.json"
    try:
        return json.loads(stamp_file.read_text()) == stamp
    except (OSError, ValueError):
        return False


def _check_dependencies(prog: str, precomputed: bool, backend: str, video: bool) -> None:
    needs = [extras.EVALUATION]
    if not precomputed:
        needs.append(extras.TENSORFLOW)  # freeze_model builds the graph; with it "auto" has a backend
        if backend not in ("auto", "tensorflow"):
            needs.append(("features", (backend,)))
    if video:
        needs.append(extras.VIDEO)
    extras.require(prog, *needs)


def run_demo(args) -> dict[str, Path]:
    """Run every step of the demo; return the artefacts' paths by name."""
    out = args.output_dir.resolve()
    if args.fresh and out.exists():
        shutil.rmtree(out)
    split_dir, model = out / "split", out / "model" / "mars-small128-random.pb"
    detection_dir = out / ("detections_precomputed" if args.precomputed else "detections")
    result_dir = out / ("results_precomputed" if args.precomputed else "results")
    video_dir = out / ("videos_precomputed" if args.precomputed else "videos")
    workers = [] if args.workers is None else ["--workers", str(args.workers)]

    stamp = {"sequences": args.sequences, "frames": args.frames, "people": args.people, "seed": args.seed}
    if _split_is_current(split_dir, stamp):
        print(f"\n== 1. Synthetic split: reusing {_shown(split_dir)}")
    else:
        # A different split invalidates everything computed from it.
        for stale in ("detections", "detections_precomputed", "results", "results_precomputed",
                      "videos", "videos_precomputed", "split"):
            shutil.rmtree(out / stale, ignore_errors=True)
        argv = ["--output_dir", _shown(split_dir), "--detection_dir", _shown(out / "detections_precomputed"),
                "--sequences", str(args.sequences), "--frames", str(args.frames), "--seed", str(args.seed)]
        if args.people is not None:
            argv += ["--people", str(args.people)]
        _run_tool("synthetic", argv, "1. Generate a synthetic MOT split with images", args.quiet)
        (split_dir / ".demo.json").write_text(json.dumps(stamp))

    if not args.precomputed:
        if model.exists():
            print(f"\n== 2a. Random-init mars-small128 graph: reusing {_shown(model)}")
        else:
            _run_tool("freeze", ["--random_init", "--graphdef_out", _shown(model)],
                      "2a. Build a random-init mars-small128 frozen graph (descriptors NOT meaningful)",
                      args.quiet)
        _run_tool("descriptors",
                  ["--model", _shown(model), "--mot_dir", _shown(split_dir), "--output_dir", _shown(detection_dir),
                   "--backend", args.backend],
                  "2b. Compute appearance descriptors (existing .npy files are reused)", args.quiet)
    else:
        print(f"\n== 2. Appearance descriptors: the generator's own, in {_shown(detection_dir)}")

    _run_tool("evaluate",
              ["--mot_dir", _shown(split_dir), "--detection_dir", _shown(detection_dir),
               "--output_dir", _shown(result_dir), *workers],
              "3. Track every sequence and score it (existing results are reused)", args.quiet)

    artefacts = {
        "split": split_dir,
        "detections": detection_dir,
        "results": result_dir,
        "summary": result_dir / "summary.csv",
    }
    if not args.precomputed:
        artefacts["model"] = model
    if not args.no_video:
        first = sorted(p.name for p in split_dir.iterdir() if p.is_dir())[0]
        _run_tool("videos",
                  ["--mot_dir", _shown(split_dir), "--result_dir", _shown(result_dir), "--output_dir",
                   _shown(video_dir), "--sequences", first, "--convert_h264", *workers],
                  f"4. Render a result video of {first} (an existing video is reused)", args.quiet)
        artefacts["video"] = video_dir / f"{first}.mp4"
    return artefacts


def main(argv: Sequence[str] | None = None) -> int:
    """Run the demo; return the exit code.

    Raises
    ------
    InputError
        Bad sizes, or a missing optional dependency (before any work).
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.frames < 10:
        raise InputError(f"--frames must be >= 10, got {args.frames}")
    _check_dependencies(parser.prog, args.precomputed, args.backend, not args.no_video)
    configure_logging()
    if IN_CHECKOUT and not os.environ.get("VIRTUAL_ENV"):
        print("Each step prints the command that does it; to run one yourself, activate the project's "
              "environment first (source .venv/bin/activate) or prefix it with python3 run.py.")
    started = time.perf_counter()
    artefacts = run_demo(args)
    print(f"\n== Artefacts (demo took {time.perf_counter() - started:.0f} s)")
    width = max(map(len, artefacts))
    for name, path in artefacts.items():
        print(f"  {name:<{width}}  {_shown(path)}")
    if not args.precomputed:
        print("\nThe descriptors come from a randomly initialised network: identities are kept mostly by "
              "motion here. With the real mars-small128.pb see docs/evaluation.md.")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
