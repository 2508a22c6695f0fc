"""Fixtures for the appearance-descriptor tests: a random-init frozen graph and a tiny MOT split."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")

from feature_helpers import detection_rows, write_sequence  # noqa: E402


@pytest.fixture(scope="session")
def random_weights() -> dict[str, np.ndarray]:
    """Seeded random mars-small128 weights (not the default seed, to catch seed mix-ups)."""
    from deep_sort.features.mars_small128 import random_weights

    return random_weights(seed=3)


@pytest.fixture(scope="session")
def frozen_model(tmp_path_factory, random_weights) -> Path:
    """mars-small128 graph with seeded random weights, names ``images`` / ``features``."""
    pytest.importorskip("tensorflow")
    from deep_sort.features.mars_small128 import build_graph_def, write_graph_def

    path = tmp_path_factory.mktemp("model") / "mars-random.pb"
    write_graph_def(build_graph_def(random_weights), path)
    return path


@pytest.fixture(scope="session")
def prefixed_model(tmp_path_factory, frozen_model) -> Path:
    """The same graph re-exported after importing it under ``net/`` (``net/images:0``)."""
    from deep_sort.features._common import import_tensorflow

    tf = import_tensorflow()
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(frozen_model.read_bytes())
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="net")
    path = tmp_path_factory.mktemp("model") / "mars-random-net.pb"
    path.write_bytes(graph.as_graph_def().SerializeToString())
    return path


@pytest.fixture(scope="session")
def tf_encoder(frozen_model):
    """TensorFlow encoder of :func:`frozen_model`, batches of 8."""
    from deep_sort.features.encoder import TensorFlowEncoder

    return TensorFlowEncoder(frozen_model, batch_size=8)


@pytest.fixture(scope="session")
def ov_encoder(frozen_model):
    """OpenVINO encoder of :func:`frozen_model`, batches of 8."""
    pytest.importorskip("openvino")
    from deep_sort.features.encoder import OpenVINOEncoder

    return OpenVINOEncoder(frozen_model, batch_size=8)


@pytest.fixture
def mot_split(tmp_path) -> Path:
    """Split with two sequences: SEQ-A (frames out of order, edge boxes), SEQ-B (no seqinfo.ini)."""
    rng = np.random.default_rng(11)
    split = tmp_path / "train"
    # Frame 3 before frames 1 and 2: output rows must keep this file order.
    boxes_a = {
        3: [(10.5, 5.25, 20.0, 50.0), (100.0, 30.0, 30.0, 70.0)],
        1: [(0.0, 0.0, 40.0, 90.0), (-15.0, 10.0, 30.0, 60.0), (140.0, 60.0, 40.0, 80.0),
            (500.0, 10.0, 20.0, 40.0)],  # last: fully outside (no pixels)
        2: [(60.0, 20.0, 25.0, 60.0), (159.2, 0.0, 5.0, 10.0)],  # last: only in the last column
        4: [(30.0, 30.0, 30.0, 30.0)],
    }
    boxes_b = {
        1: [(20.0, 20.0, 30.0, 80.0)],
        2: [(25.0, 22.0, 30.0, 80.0), (70.0, 10.0, 35.0, 90.0)],
    }
    write_sequence(split / "SEQ-A", detection_rows(boxes_a), 4, rng)
    write_sequence(split / "SEQ-B", detection_rows(boxes_b), 2, rng, with_seqinfo=False)
    return split
