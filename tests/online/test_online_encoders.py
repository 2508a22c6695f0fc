"""Appearance from a model file: the onnxruntime backend of deep_sort.features, frozen graphs, DeepSort(encoder=...)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")

from online_helpers import synthetic_scene, tiny_reference_features, write_tiny_frozen_graph, write_tiny_onnx  # noqa: E402

from deep_sort import DeepSort  # noqa: E402
from deep_sort.features.patches import extract_image_patches  # noqa: E402
from deep_sort.io.errors import InputError  # noqa: E402
from deep_sort.features.encoder import OnnxRuntimeEncoder, create_box_encoder  # noqa: E402


@pytest.fixture(scope="module")
def onnx_model(tmp_path_factory):
    return write_tiny_onnx(tmp_path_factory.mktemp("onnx") / "tiny.onnx")


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene(30, missing={12: {0, 2}, 13: {0, 2}, 14: {0}})


def reference_features(image: np.ndarray, tlwh: np.ndarray) -> np.ndarray:
    patches, valid = extract_image_patches(image, tlwh)
    assert valid.all()
    return tiny_reference_features(patches)


def test_onnx_encoder_computes_the_model_on_crops(onnx_model, scene):
    encoder = create_box_encoder(onnx_model, batch_size=2)
    assert encoder.image_encoder.backend == "onnxruntime"
    assert encoder.image_encoder.image_shape == (128, 64, 3) and encoder.image_encoder.feature_dim == 128
    frame = scene[3]
    features = encoder(frame.image, frame.tlwh)
    assert features.dtype == np.float32 and features.shape == (3, 128)
    np.testing.assert_allclose(features, reference_features(frame.image, frame.tlwh), atol=1e-5)


def test_deep_sort_with_onnx_model_equals_given_features(onnx_model, scene):
    with_model = DeepSort(encoder=onnx_model)
    actual = [with_model.update(f.tlwh, f.scores, frame=f.image) for f in scene]
    given = DeepSort()
    expected = [given.update(f.tlwh, f.scores, features=reference_features(f.image, f.tlwh)) for f in scene]
    for frame_idx, (a, b) in enumerate(zip(expected, actual), start=1):
        assert a.track_id.tolist() == b.track_id.tolist(), f"frame {frame_idx}"
        np.testing.assert_allclose(a.tlwh, b.tlwh, atol=1e-6)
    assert with_model.uses_appearance and sorted(actual[-1].track_id.tolist()) == [1, 2, 3]


@pytest.mark.parametrize("input_name,output_name", [
    ("net/images:0", "net/features:0"),  # tf2onnx export of a graph imported under net/
    ("images:0", "features:0"),  # tf2onnx keeps the ':0' suffix
])
def test_onnx_tensor_names_with_prefix_or_suffix(tmp_path, input_name, output_name):
    path = write_tiny_onnx(tmp_path / "named.onnx", input_name, output_name)
    encoder = OnnxRuntimeEncoder(path)
    assert (encoder.input_name, encoder.output_name) == (input_name, output_name)
    patches = np.random.default_rng(1).integers(0, 256, (3, 128, 64, 3)).astype(np.uint8)
    np.testing.assert_allclose(encoder(patches), tiny_reference_features(patches), atol=1e-5)


@pytest.mark.parametrize("content,message", [
    (b"not a model", r"onnxruntime cannot load this as an ONNX model"),  # garbage
    (b"", r"onnxruntime cannot load this as an ONNX model"),  # empty file
])
def test_unreadable_onnx_model(tmp_path, content, message):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        DeepSort(encoder=path)


def test_onnx_model_with_other_tensor_names(tmp_path):
    path = write_tiny_onnx(tmp_path / "other.onnx", "input", "embedding")
    with pytest.raises(InputError, match=r"no input tensor named 'images'.*candidates: input"):
        create_box_encoder(path)
    encoder = OnnxRuntimeEncoder(path, input_name="input", output_name="embedding")
    assert encoder.feature_dim == 128


@pytest.mark.parametrize("suffix,backend,message", [
    (".pb", "onnxruntime", r"the onnxruntime backend reads .onnx models only"),  # graph, ONNX backend
    (".onnx", "tensorflow", r"an ONNX model needs the onnxruntime backend, not tensorflow"),  # ONNX, TF backend
    (".onnx", "torch", r"unknown backend 'torch'; choose auto, openvino, tensorflow or onnxruntime"),
])
def test_backend_must_fit_the_file(tmp_path, suffix, backend, message):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"x")
    with pytest.raises(InputError, match=message):
        create_box_encoder(path, backend=backend)


@pytest.mark.slow
def test_frozen_graph_encoder_agrees_with_onnx(tmp_path, onnx_model, scene):
    pytest.importorskip("tensorflow")
    graph = write_tiny_frozen_graph(tmp_path / "tiny.pb")
    frame = scene[0]
    onnx_features = create_box_encoder(onnx_model)(frame.image, frame.tlwh)
    for backend in ("tensorflow", "openvino"):
        features = create_box_encoder(graph, backend=backend)(frame.image, frame.tlwh)
        np.testing.assert_allclose(features, onnx_features, atol=1e-5, err_msg=backend)
    with_graph = DeepSort(encoder=graph)
    with_onnx = DeepSort(encoder=onnx_model)
    for f in scene[:10]:
        a = with_graph.update(f.tlwh, f.scores, frame=f.image)
        b = with_onnx.update(f.tlwh, f.scores, frame=f.image)
        assert a.track_id.tolist() == b.track_id.tolist()
