"""Helpers for the online API tests: a synthetic scene, a toy appearance, tiny models."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: Canvas (width, height) of the synthetic scene.
SCENE_SIZE = (320, 240)
#: Patch (height, width) the tiny models take, as mars-small128.
PATCH_SHAPE = (128, 64)
#: Descriptor length of the tiny models.
FEATURE_DIM = 128


@dataclass(frozen=True)
class SceneFrame:
    """One frame of :func:`synthetic_scene`.

    Attributes
    ----------
    image : ndarray of shape (240, 320, 3), uint8
    tlwh : ndarray of shape (N, 4), float64
        Detections (with jitter), in an order that changes from frame to frame.
    scores : ndarray of shape (N,), float64
    identities : ndarray of shape (N,), int64
        True identity of each detection (0-based person index).
    """

    image: np.ndarray
    tlwh: np.ndarray
    scores: np.ndarray
    identities: np.ndarray


#: Per person: start (x, y), velocity (px/frame), size (w, h), top and bottom BGR colours.
PEOPLE = (
    ((20.0, 60.0), (4.0, 0.5), (30.0, 80.0), (40, 40, 220), (200, 60, 20)),
    ((250.0, 40.0), (-3.0, 1.0), (28.0, 76.0), (30, 200, 30), (30, 30, 30)),
    ((140.0, 120.0), (0.5, -1.0), (34.0, 90.0), (220, 220, 40), (120, 0, 160)),
)


def synthetic_scene(n_frames: int, seed: int = 0, missing: dict[int, set[int]] | None = None) -> list[SceneFrame]:
    """Three people (two-coloured boxes) walking on a textured background.

    Parameters
    ----------
    n_frames : int
    seed : int
        Seeds jitter, scores, detection order and the background.
    missing : dict[int, set of int], optional
        Frame index (1-based) to the people not detected in that frame.

    Returns
    -------
    list of SceneFrame
        Frame 1 first.
    """
    rng = np.random.default_rng(seed)
    width, height = SCENE_SIZE
    background = rng.integers(40, 90, (height // 8, width // 8, 3)).astype(np.uint8).repeat(8, 0).repeat(8, 1)
    frames = []
    for frame_idx in range(1, n_frames + 1):
        image = background.copy()
        boxes, identities = [], []
        for person, ((x0, y0), (vx, vy), (w, h), top, bottom) in enumerate(PEOPLE):
            x, y = x0 + vx * (frame_idx - 1), y0 + vy * (frame_idx - 1)
            x1, y1, x2, y2 = int(round(x)), int(round(y)), int(round(x + w)), int(round(y + h))
            image[max(y1, 0):max(y1 + (y2 - y1) // 2, 0), max(x1, 0):max(x2, 0)] = top
            image[max(y1 + (y2 - y1) // 2, 0):max(y2, 0), max(x1, 0):max(x2, 0)] = bottom
            if person in (missing or {}).get(frame_idx, set()):
                continue
            boxes.append([x + rng.normal(0, 0.7), y + rng.normal(0, 0.7), w + rng.normal(0, 0.5),
                          h + rng.normal(0, 0.5)])
            identities.append(person)
        order = rng.permutation(len(boxes))
        frames.append(SceneFrame(
            image=image,
            tlwh=np.asarray(boxes, dtype=np.float64).reshape(-1, 4)[order],
            scores=rng.uniform(0.5, 1.0, len(boxes))[order],
            identities=np.asarray(identities, dtype=np.int64)[order],
        ))
    return frames


def colour_encoder(image: np.ndarray, boxes_tlwh: np.ndarray) -> np.ndarray:
    """Toy appearance: mean BGR of the upper and lower half of each box, shape (N, 6).

    Boxes without pixels in the image get all-zero rows (as BoxEncoder does).
    """
    features = np.zeros((len(boxes_tlwh), 6))
    height, width = image.shape[:2]
    for i, (x, y, w, h) in enumerate(np.asarray(boxes_tlwh, dtype=np.float64)):
        x1, y1 = max(int(x), 0), max(int(y), 0)
        x2, y2 = min(int(x + w), width), min(int(y + h), height)
        if x2 <= x1 or y2 <= y1 + 1:
            continue
        middle = (y1 + y2) // 2
        features[i, :3] = image[y1:middle, x1:x2].reshape(-1, 3).mean(axis=0) + 1.0
        features[i, 3:] = image[middle:y2, x1:x2].reshape(-1, 3).mean(axis=0) + 1.0
    return features


def projection_weights(seed: int = 5) -> np.ndarray:
    """Weights (96, 128), float32, of the tiny models' linear layer."""
    return np.random.default_rng(seed).normal(size=(96, FEATURE_DIM)).astype(np.float32)


def tiny_reference_features(patches: np.ndarray) -> np.ndarray:
    """What the tiny models compute, in numpy: 8x4 grid of mean colours, projection, L2 norm."""
    grid = patches.astype(np.float32).reshape(-1, 8, 16, 4, 16, 3).mean(axis=(2, 4)).reshape(-1, 96)
    features = grid @ projection_weights()
    return features / np.linalg.norm(features, axis=1, keepdims=True)


def write_tiny_onnx(path: Path, input_name: str = "images", output_name: str = "features") -> Path:
    """Write a tiny ONNX appearance model: uint8 [N, 128, 64, 3] in, L2-normalised float32 [N, 128] out."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes = [
        helper.make_node("Cast", [input_name], ["pixels"], to=TensorProto.FLOAT),
        helper.make_node("Reshape", ["pixels", "cells_shape"], ["cells"]),
        helper.make_node("ReduceMean", ["cells"], ["grid"], axes=[2, 4], keepdims=0),
        helper.make_node("Reshape", ["grid", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "weights"], ["projected"]),
        helper.make_node("LpNormalization", ["projected"], [output_name], axis=1, p=2),
    ]
    initializers = [
        numpy_helper.from_array(np.array([-1, 8, 16, 4, 16, 3], np.int64), "cells_shape"),
        numpy_helper.from_array(np.array([-1, 96], np.int64), "flat_shape"),
        numpy_helper.from_array(projection_weights(), "weights"),
    ]
    graph = helper.make_graph(
        nodes, "tiny_appearance",
        [helper.make_tensor_value_info(input_name, TensorProto.UINT8, ["N", *PATCH_SHAPE, 3])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", FEATURE_DIM])],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def write_tiny_frozen_graph(path: Path) -> Path:
    """Write the same tiny model as a frozen TensorFlow graph (``images`` -> ``features``)."""
    from deep_sort.features._common import import_tensorflow

    tf = import_tensorflow()
    graph = tf.Graph()
    with graph.as_default():
        images = tf.compat.v1.placeholder(tf.uint8, [None, *PATCH_SHAPE, 3], name="images")
        cells = tf.reshape(tf.cast(images, tf.float32), [-1, 8, 16, 4, 16, 3])
        grid = tf.reshape(tf.reduce_mean(cells, axis=[2, 4]), [-1, 96])
        projected = tf.matmul(grid, tf.constant(projection_weights()))
        tf.identity(tf.math.l2_normalize(projected, axis=1), name="features")
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


def write_scene_video(path: Path, frames: list[SceneFrame], fps: float = 10.0) -> Path:
    """Write the frames' images as an MPEG-4 video (OpenCV's mp4v)."""
    import cv2

    width, height = SCENE_SIZE
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame.image)
    writer.release()
    return path


def scene_detection_rows(frames: list[SceneFrame], with_features: bool = False) -> np.ndarray:
    """MOT det rows (frame, -1, tlwh, score, -1, -1, -1) of the frames, with colour descriptors if asked."""
    rows = []
    for frame_idx, frame in enumerate(frames, start=1):
        for tlwh, score, feature in zip(frame.tlwh, frame.scores, colour_encoder(frame.image, frame.tlwh)):
            rows.append([frame_idx, -1, *tlwh, score, -1, -1, -1, *(feature if with_features else [])])
    return np.asarray(rows, dtype=np.float64)
