"""Helpers for the appearance-descriptor tests: images, MOT sequences, reference crops."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

#: Image (width, height) of the tiny test sequences.
IMAGE_SIZE = (160, 120)


def run_graph(model_path: Path, patches: np.ndarray, input_name: str = "images:0",
              output_name: str = "features:0") -> np.ndarray:
    """Run a frozen graph directly with TensorFlow (reference for the encoders)."""
    from deep_sort.features._common import import_tensorflow

    tf = import_tensorflow()
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(Path(model_path).read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        return session.run(output_name, {input_name: patches})


def textured_image(rng: np.random.Generator, size: tuple[int, int] = IMAGE_SIZE) -> np.ndarray:
    """A smooth random BGR image (JPEG keeps it close, so crops differ visibly)."""
    width, height = size
    small = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3)).astype(np.uint8)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)


def write_sequence(sequence_dir: Path, rows: np.ndarray, n_frames: int, rng: np.random.Generator,
                   with_seqinfo: bool = True) -> list[Path]:
    """Write img1/ JPEGs, det/det.txt (rows as given) and seqinfo.ini; return the image paths."""
    image_dir = sequence_dir / "img1"
    image_dir.mkdir(parents=True)
    (sequence_dir / "det").mkdir()
    paths = []
    for frame_idx in range(1, n_frames + 1):
        path = image_dir / f"{frame_idx:06d}.jpg"
        assert cv2.imwrite(str(path), textured_image(rng))
        paths.append(path)
    lines = [",".join(f"{value:g}" for value in row) for row in rows]
    (sequence_dir / "det" / "det.txt").write_text("\n".join(lines) + "\n")
    if with_seqinfo:
        width, height = IMAGE_SIZE
        (sequence_dir / "seqinfo.ini").write_text(
            f"[Sequence]\nname={sequence_dir.name}\nimDir=img1\nframeRate=30\nseqLength={n_frames}\n"
            f"imWidth={width}\nimHeight={height}\nimExt=.jpg\n"
        )
    return paths


def detection_rows(boxes_per_frame: dict[int, list[tuple[float, float, float, float]]]) -> np.ndarray:
    """det.txt rows (frame, -1, box, confidence, -1, -1, -1) in the given frame order."""
    rows = []
    for frame_idx, boxes in boxes_per_frame.items():
        for i, (x, y, w, h) in enumerate(boxes):
            rows.append([frame_idx, -1, x, y, w, h, 0.5 + 0.01 * i, -1, -1, -1])
    return np.array(rows, dtype=np.float64)


def spec_patch(image: np.ndarray, tlwh, patch_shape: tuple[int, int] = (128, 64)) -> np.ndarray | None:
    """SPEC.md section 6 crop written out with Python scalars (independent of patches.py)."""
    x, y, w, h = (float(value) for value in tlwh)
    new_width = patch_shape[1] / patch_shape[0] * h
    x -= (new_width - w) / 2
    w = new_width
    x1, y1, x2, y2 = int(x), int(y), int(x + w), int(y + h)
    x1, y1 = max(0, x1), max(0, y1)
    x2, y2 = min(image.shape[1] - 1, x2), min(image.shape[0] - 1, y2)
    if x1 >= x2 or y1 >= y2:
        return None
    return cv2.resize(image[y1:y2, x1:x2], (patch_shape[1], patch_shape[0]))
