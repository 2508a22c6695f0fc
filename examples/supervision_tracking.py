"""Track a video with supervision and DeepSORT, as roboflow ``trackers`` users do.

The script makes a synthetic street video (``deep_sort.synthetic``), then runs
``supervision.process_video`` over it: a detector stand-in gives each frame's
detections (the scene's own; put your detector there), ``DeepSORTTracker``
sets their ``tracker_id``, supervision draws boxes and ids into the output video.

Appearance comes from a small colour-histogram extractor written below (to show
the ``extract_features(frame, detections)`` protocol), a timm backbone
(``--timm MODEL``, needs ``pip install 'deep-sort-repro[timm]'``; pretrained
weights come from the Hugging Face hub unless ``--no-pretrained``), or a model
file (``--model mars-small128.pb`` or ``.onnx``)::

    python3 run.py python examples/supervision_tracking.py --output tracked.mp4
    python3 run.py python examples/supervision_tracking.py --timm mobilenetv4_conv_small.e1200_r224_in1k
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from deep_sort import DeepSORTFeatureExtractor, DeepSORTTracker
from deep_sort.synthetic import SceneConfig, generate_scene, render_frame


class ColourHistogramExtractor:
    """Appearance as a hue-saturation histogram of each box: (N, 64) descriptors."""

    def extract_features(self, frame: np.ndarray, detections: sv.Detections) -> np.ndarray:
        hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
        height, width = frame.shape[:2]
        features = np.zeros((len(detections), 64), np.float32)
        for i, (x1, y1, x2, y2) in enumerate(detections.xyxy.astype(int)):
            x1, y1, x2, y2 = max(x1, 0), max(y1, 0), min(x2, width), min(y2, height)
            if x2 > x1 and y2 > y1:
                histogram = cv2.calcHist([hsv[y1:y2, x1:x2]], [0, 1], None, [8, 8], [0, 180, 0, 256])
                features[i] = histogram.ravel()
        return features


class SceneDetector:
    """Detector stand-in: the synthetic scene's detections of a frame, as ``sv.Detections``."""

    def __init__(self, scene) -> None:
        self.scene = scene

    def __call__(self, frame: np.ndarray, index: int) -> sv.Detections:
        rows = self.scene.frame_detections(index + 1)  # MOT rows: frame, id, left, top, width, height, score
        xyxy = rows[:, 2:6].copy()
        xyxy[:, 2:] += xyxy[:, :2]
        return sv.Detections(xyxy=xyxy, confidence=rows[:, 6], class_id=np.zeros(len(rows), dtype=int),
                             data={"class_name": np.array(["person"] * len(rows))})


def write_video(scene, path: Path, fps: float) -> None:
    """Render every frame of the scene into an MPEG-4 video."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, scene.image_size)
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot write MPEG-4 video here")
    for frame_idx in range(1, scene.n_frames + 1):
        writer.write(render_frame(scene, frame_idx))
    writer.release()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supervision_tracking.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=Path("tracked.mp4"),
                        help="Video with boxes and track ids (default: tracked.mp4).")
    parser.add_argument("--frames", type=int, default=100, help="Frames of the synthetic video (default: 100).")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the synthetic scene (default: 0).")
    appearance = parser.add_mutually_exclusive_group()
    appearance.add_argument("--timm", metavar="MODEL", help="Appearance from a timm model, e.g. "
                            "mobilenetv4_conv_small.e1200_r224_in1k.")
    appearance.add_argument("--model", type=Path, help="Appearance from mars-small128.pb or an .onnx model.")
    parser.add_argument("--no-pretrained", action="store_true",
                        help="With --timm: random weights (no download from the hub).")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.frames < 1:
        print("supervision_tracking.py: --frames must be at least 1", file=sys.stderr)
        return 2
    if args.timm:
        feature_extractor = DeepSORTFeatureExtractor.from_timm(args.timm, pretrained=not args.no_pretrained)
    elif args.model:
        feature_extractor = str(args.model)  # DeepSORTTracker opens .pb and .onnx files itself
    else:
        feature_extractor = ColourHistogramExtractor()
    tracker = DeepSORTTracker(feature_extractor=feature_extractor)

    scene = generate_scene(SceneConfig.small(n_frames=args.frames, seed=args.seed))
    detector = SceneDetector(scene)
    box_annotator = sv.BoxAnnotator(color_lookup=sv.ColorLookup.TRACK)
    label_annotator = sv.LabelAnnotator(text_position=sv.Position.TOP_LEFT, color_lookup=sv.ColorLookup.TRACK)
    ids_seen: set[int] = set()

    def callback(frame: np.ndarray, index: int) -> np.ndarray:
        detections = tracker.update(detector(frame, index), frame)
        tracked = detections[detections.tracker_id != -1]
        ids_seen.update(tracked.tracker_id.tolist())
        frame = box_annotator.annotate(frame.copy(), tracked)
        return label_annotator.annotate(frame, tracked, labels=[f"#{i}" for i in tracked.tracker_id])

    args.output.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the output, then renamed: the output appears whole or not at all.
    partial = args.output.with_name(f".{args.output.stem}.part{args.output.suffix}")
    with tempfile.TemporaryDirectory() as workdir:
        source = Path(workdir) / "synthetic.mp4"
        write_video(scene, source, fps=30.0)
        start = time.perf_counter()
        try:
            sv.process_video(source_path=str(source), target_path=str(partial), callback=callback)
            os.replace(partial, args.output)
        finally:
            partial.unlink(missing_ok=True)
        seconds = time.perf_counter() - start
    print(f"tracked {tracker.frame_count} frames in {seconds:.1f} s ({tracker.frame_count / seconds:.0f} frames/s), "
          f"{len(ids_seen)} track ids; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
