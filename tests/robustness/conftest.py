"""Fixtures of the robustness tests: a small workspace (split, detections, results, video, model)."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")

#: Sequences, frames and frame size of the small workspace.
N_SEQUENCES, N_FRAMES, IMAGE_SIZE = 2, 40, (320, 180)


def _scene_config(n_frames: int, image_size: tuple[int, int], n_people: float = 6.0, seed: int = 7):
    from deep_sort.synthetic import SceneConfig

    return SceneConfig(n_frames=n_frames, image_size=image_size, n_people=n_people, min_person_height=30.0,
                       false_positives_per_frame=1.0, duplicate_probability=0.1, feature_dim=32, seed=seed)


def _write_video(images: list[Path], path: Path, fps: float = 10.0, repeat: int = 1) -> None:
    import cv2

    frames = [cv2.imread(str(image)) for image in images]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                             (frames[0].shape[1], frames[0].shape[0]))
    for _ in range(repeat):
        for frame in frames:
            writer.write(frame)
    writer.release()


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """``split/`` (SYN-01, SYN-02 with images), ``dets/*.npy``, ``res/`` (tracked), ``video.mp4`` of SYN-01."""
    from deep_sort.app.evaluate import main as evaluate
    from deep_sort.synthetic import generate_split

    root = tmp_path_factory.mktemp("robustness")
    generate_split(root / "split", N_SEQUENCES, _scene_config(N_FRAMES, IMAGE_SIZE), detection_dir=root / "dets")
    assert evaluate(["--mot_dir", str(root / "split"), "--detection_dir", str(root / "dets"),
                     "--output_dir", str(root / "res"), "--workers", "1", "--quiet"]) == 0
    _write_video(sorted((root / "split" / "SYN-01" / "img1").iterdir()), root / "video.mp4")
    return root


@pytest.fixture
def ws(template, tmp_path) -> Path:
    """A private copy of the workspace."""
    shutil.copytree(template, tmp_path / "ws")
    return tmp_path / "ws"


@pytest.fixture(scope="session")
def model(tmp_path_factory) -> Path:
    """The mars-small128 graph with seeded random weights (needs TensorFlow)."""
    pytest.importorskip("tensorflow")
    from deep_sort.features.mars_small128 import build_graph_def, random_weights, write_graph_def

    path = tmp_path_factory.mktemp("model") / "mars-random.pb"
    write_graph_def(build_graph_def(random_weights(seed=3)), path)
    return path


@pytest.fixture(scope="session")
def nan_model(tmp_path_factory) -> Path:
    """A graph with the descriptor model's interface (``images`` -> ``features``) that outputs NaN."""
    pytest.importorskip("tensorflow")
    from deep_sort.features._common import import_tensorflow

    tf = import_tensorflow()
    graph = tf.Graph()
    with graph.as_default():
        images = tf.compat.v1.placeholder(tf.uint8, [None, 128, 64, 3], name="images")
        pixels = tf.reshape(tf.cast(images, tf.float32), [-1, 128 * 64 * 3])
        tf.identity(pixels[:, :128] * np.float32(np.nan), name="features")
    path = tmp_path_factory.mktemp("model") / "nan.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


@pytest.fixture(scope="session")
def long_work(tmp_path_factory) -> Path:
    """Inputs that keep every tool busy for seconds: the signal tests interrupt them mid-work.

    ``dense/`` (two sequences of 4000 frames, detections only, ``dense_dets/*.npy``), ``images/`` (two
    sequences of 600 frames with images, tracked into ``images_res/``) and ``long.mp4`` (2400 frames).
    """
    from deep_sort.app.evaluate import main as evaluate
    from deep_sort.synthetic import PRESETS, generate_split

    root = tmp_path_factory.mktemp("long_work")
    generate_split(root / "dense", 2, PRESETS["dense"](4000, 0), with_images=False,
                   detection_dir=root / "dense_dets")
    generate_split(root / "images", 2, _scene_config(600, (480, 270), n_people=10.0),
                   detection_dir=root / "images_dets")
    assert evaluate(["--mot_dir", str(root / "images"), "--detection_dir", str(root / "images_dets"),
                     "--output_dir", str(root / "images_res"), "--workers", "1", "--quiet"]) == 0
    _write_video(sorted((root / "images" / "SYN-01" / "img1").iterdir()), root / "long.mp4", repeat=4)
    return root
