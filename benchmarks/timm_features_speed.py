#!/usr/bin/env python3
"""Measure DeepSORTFeatureExtractor.from_timm: torch eager vs the exported ONNX model.

The same timm model with the same weights, side by side in one process,
runs alternating, medians over ``--repeats``:

- model: crops/s of the network (preprocessing included) on one batch of
  random uint8 patches: torch in eager mode (``runtime="torch"``, CPU) and
  the ONNX export run by onnxruntime (``runtime="onnxruntime"``, the default
  on the CPU); with ``--openvino`` also OpenVINO on the same ONNX file;
- end to end: crops/s of ``extract_features`` (crop, resize, model) over
  rendered synthetic frames (960 x 540, about 9 people per frame);
- the largest difference of the (unit-length) descriptors between the two.

The machine's load average is printed before and after: on a shared
machine only the ratios of one run are comparable.

Needs the [timm] extra (``python3 run.py python --extra timm benchmarks/timm_features_speed.py``).
Random weights by default (no download); ``--pretrained`` loads timm's.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deep_sort import DeepSORTFeatureExtractor  # noqa: E402

MODEL = "mobilenetv4_conv_small.e1200_r224_in1k"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=MODEL, help=f"timm model name (default: {MODEL}).")
    parser.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"), default=None,
                        help="Patch height and width (default: the model's own).")
    parser.add_argument("--batch", type=int, default=32, help="Patches per model call (default: 32).")
    parser.add_argument("--repeats", type=int, default=9, help="Alternating runs per measurement (default: 9).")
    parser.add_argument("--frames", type=int, default=20, help="Synthetic frames for end to end (default: 20).")
    parser.add_argument("--pretrained", action="store_true", help="timm's pretrained weights (from the hub).")
    parser.add_argument("--openvino", action="store_true", help="Also run the ONNX export with OpenVINO.")
    parser.add_argument("--threads", type=int, default=None,
                        help="Threads of every runtime (default: all CPUs of the process).")
    return parser


def alternate(functions: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median seconds of each function, called in turn ``repeats`` times after one warm-up call each."""
    for function in functions.values():
        function()
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def openvino_runner(path: Path, n_threads: int) -> Callable[[np.ndarray], np.ndarray]:
    import openvino as ov

    core = ov.Core()
    compiled = core.compile_model(core.read_model(str(path)), "CPU", {
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": n_threads, "INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    return lambda patches: request.infer({0: patches})[0]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import torch

    from deep_sort.features.encoder import default_n_threads
    from deep_sort.synthetic import SceneConfig, generate_scene, render_frame

    load_before = os.getloadavg()
    n_threads = args.threads or default_n_threads()
    torch.set_num_threads(n_threads)
    input_size = tuple(args.input_size) if args.input_size else None
    with tempfile.TemporaryDirectory() as cache_dir:
        extractors = {}
        for runtime in ("torch", "onnxruntime"):
            torch.manual_seed(0)  # the same random weights for both
            extractors[runtime] = DeepSORTFeatureExtractor.from_timm(
                args.model, pretrained=args.pretrained, device="cpu", runtime=runtime, input_size=input_size,
                cache_dir=cache_dir, batch_size=args.batch, n_threads=n_threads)
        eager, exported = extractors["torch"], extractors["onnxruntime"]
        height, width = exported.input_size
        patches = np.random.default_rng(0).integers(0, 256, (args.batch, height, width, 3)).astype(np.uint8)
        model_calls = {"torch eager": lambda: eager.image_encoder(patches),
                       "onnxruntime": lambda: exported.image_encoder(patches)}
        if args.openvino:
            run_openvino = openvino_runner(Path(exported.image_encoder.model_path), n_threads)
            model_calls["openvino"] = lambda: run_openvino(patches)
        difference = float(np.max(np.abs(eager.image_encoder(patches) - exported.image_encoder(patches))))
        model_seconds = alternate(model_calls, args.repeats)

        scene = generate_scene(SceneConfig.small(n_frames=args.frames, seed=0))
        frames = [render_frame(scene, i) for i in range(1, scene.n_frames + 1)]
        boxes = []
        for frame_idx in range(1, scene.n_frames + 1):
            xyxy = scene.frame_detections(frame_idx)[:, 2:6].copy()
            xyxy[:, 2:] += xyxy[:, :2]
            boxes.append(xyxy)
        n_crops = sum(len(b) for b in boxes)

        def end_to_end(extractor: DeepSORTFeatureExtractor) -> Callable[[], None]:
            return lambda: [extractor.encode_boxes(frame, b) for frame, b in zip(frames, boxes)]

        e2e_seconds = alternate({"torch eager": end_to_end(eager), "onnxruntime": end_to_end(exported)},
                                max(3, args.repeats // 3))
    load_after = os.getloadavg()

    print(f"model {args.model} ({'pretrained' if args.pretrained else 'random weights'}), patches {height}x{width}, "
          f"batch {args.batch}, {n_threads} threads, torch {torch.__version__}")
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (1 min)")
    print(f"{'':14s}{'model crops/s':>15s}{'end to end crops/s':>20s}")
    for name, seconds in model_seconds.items():
        e2e = f"{n_crops / e2e_seconds[name]:20.0f}" if name in e2e_seconds else f"{'':>20s}"
        print(f"{name:14s}{args.batch / seconds:15.0f}{e2e}")
    print(f"onnxruntime / torch eager: model {model_seconds['torch eager'] / model_seconds['onnxruntime']:.2f}x, "
          f"end to end {e2e_seconds['torch eager'] / e2e_seconds['onnxruntime']:.2f}x "
          f"({n_crops} crops over {len(frames)} frames)")
    print(f"largest descriptor difference (unit-length descriptors): {difference:.2g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
