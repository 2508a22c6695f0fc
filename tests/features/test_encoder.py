"""Encoders: TensorFlow and OpenVINO backends, tensor-name variants, box encoder, bad models."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from feature_helpers import run_graph, spec_patch, textured_image

from deep_sort.features.encoder import (
    BoxEncoder,
    TensorFlowEncoder,
    available_backends,
    create_box_encoder,
    load_image_encoder,
)
from deep_sort.io.errors import InputError

pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def patches() -> np.ndarray:
    """19 patches: random noise and smooth crops (19 is not a multiple of the batch size)."""
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (9, 128, 64, 3)).astype(np.uint8)
    smooth = np.stack([textured_image(rng, (64, 128)) for _ in range(10)])
    return np.concatenate([noise, smooth])


def test_tensorflow_encoder_matches_the_graph(tf_encoder, frozen_model, patches):
    assert tf_encoder.image_shape == (128, 64, 3)
    assert tf_encoder.feature_dim == 128
    assert (tf_encoder.input_name, tf_encoder.output_name) == ("images:0", "features:0")
    features = tf_encoder(patches)
    assert features.shape == (19, 128) and features.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(features, run_graph(frozen_model, patches), atol=1e-6)
    # Descriptors depend on the content: no two patches give the same one.
    assert np.min(np.linalg.norm(features[:, None] - features[None], axis=2) + np.eye(19)) > 1e-3


@pytest.mark.parametrize(
    "model, input_name, output_name, resolved",
    [
        ("frozen_model", None, None, ("images:0", "features:0")),  # published names
        ("frozen_model", "images:0", "features", ("images:0", "features:0")),  # with and without :0
        ("prefixed_model", None, None, ("net/images:0", "net/features:0")),  # import prefix found
        ("prefixed_model", "net/images:0", "net/features:0", ("net/images:0", "net/features:0")),
        ("prefixed_model", "images", "features", ("net/images:0", "net/features:0")),  # short names
    ],
)
def test_tensor_name_variants_load(request, patches, tf_encoder, model, input_name, output_name, resolved):
    encoder = TensorFlowEncoder(request.getfixturevalue(model), 8, input_name, output_name)
    assert (encoder.input_name, encoder.output_name) == resolved
    np.testing.assert_allclose(encoder(patches[:3]), tf_encoder(patches[:3]), atol=1e-6)


@pytest.mark.parametrize("backend", ["tensorflow", "openvino"])
@pytest.mark.parametrize(
    "names, message",
    [
        (("pixels", None), "no input tensor named 'pixels'"),
        ((None, "embedding"), "no output tensor named 'embedding'"),
    ],
    ids=["input", "output"],
)
def test_wrong_tensor_names_are_one_line_errors(frozen_model, backend, names, message):
    pytest.importorskip(backend)
    with pytest.raises(InputError, match=message) as info:
        load_image_encoder(frozen_model, backend, 8, *names)
    assert "\n" not in str(info.value) and str(frozen_model) in str(info.value)


@pytest.mark.parametrize("backend", ["tensorflow", "openvino"])
def test_bad_model_files_are_one_line_errors(tmp_path, backend):
    pytest.importorskip(backend)
    missing = tmp_path / "missing.pb"
    with pytest.raises(InputError) as info:
        load_image_encoder(missing, backend)
    assert str(info.value) == f"{missing}: model file does not exist"
    garbage = tmp_path / "garbage.pb"
    garbage.write_bytes(b"\xff\x00 this is not a protobuf GraphDef \x12\x34" * 10)
    with pytest.raises(InputError, match="garbage.pb: .*(graph|GraphDef)") as info:
        load_image_encoder(garbage, backend)
    assert "\n" not in str(info.value)


def test_unknown_backend_is_an_error(frozen_model):
    with pytest.raises(InputError, match="unknown backend 'onnx'"):
        load_image_encoder(frozen_model, "onnx")


def test_backends_agree(tf_encoder, ov_encoder, patches):
    assert ov_encoder.simplified  # the map_fn flip was replaced (and checked against the graph)
    assert ov_encoder.image_shape == tf_encoder.image_shape
    np.testing.assert_allclose(ov_encoder(patches), tf_encoder(patches), atol=1e-4)
    assert available_backends()[0] == "openvino"


def test_openvino_reads_prefixed_graph(tf_encoder, prefixed_model, patches):
    pytest.importorskip("openvino")
    from deep_sort.features.encoder import OpenVINOEncoder

    encoder = OpenVINOEncoder(prefixed_model, batch_size=4)
    assert (encoder.input_name, encoder.output_name) == ("net/images:0", "net/features:0")
    np.testing.assert_allclose(encoder(patches[:5]), tf_encoder(patches[:5]), atol=1e-4)


def test_box_encoder_cuts_spec_patches_and_zeroes_boxes_without_pixels(tf_encoder, frozen_model):
    image = textured_image(np.random.default_rng(6))
    boxes = np.array([
        [10.5, 5.25, 20.0, 50.0],
        [500.0, 10.0, 20.0, 40.0],  # outside: zero descriptor
        [-15.0, 10.0, 30.0, 60.0],
        [140.0, 60.0, 40.0, 80.0],
        [159.2, 0.0, 5.0, 10.0],  # only the last column: zero descriptor
    ])
    encoder = BoxEncoder(tf_encoder)
    features = encoder(image, boxes)
    assert features.shape == (5, 128) and features.dtype == np.float32
    assert encoder.n_empty_patches == 2
    np.testing.assert_array_equal(features[[1, 4]], 0.0)
    reference = run_graph(frozen_model, np.stack([spec_patch(image, boxes[i]) for i in (0, 2, 3)]))
    np.testing.assert_allclose(features[[0, 2, 3]], reference, atol=1e-5)
    assert encoder(image, np.zeros((0, 4))).shape == (0, 128)


@pytest.mark.parametrize(
    "image, boxes, message",
    [
        (np.zeros((120, 160), np.uint8), [[0, 0, 10, 20]], "H x W x 3 uint8 image"),  # grey
        (np.zeros((120, 160, 3), np.float32), [[0, 0, 10, 20]], "H x W x 3 uint8 image"),  # float
        (np.zeros((120, 160, 3), np.uint8), [[0, 0, 10]], r"boxes of shape \(N, 4\)"),  # 3 columns
        (np.zeros((120, 160, 3), np.uint8), [[0, np.nan, 10, 20]], "NaN"),  # not finite
    ],
)
def test_box_encoder_rejects_bad_arguments(tf_encoder, image, boxes, message):
    with pytest.raises(ValueError, match=message):
        BoxEncoder(tf_encoder)(image, boxes)


def test_create_box_encoder_is_the_library_entry_point(frozen_model):
    encoder = create_box_encoder(frozen_model, batch_size=4, backend="tensorflow")
    image = textured_image(np.random.default_rng(7))
    features = encoder(image, [[10.0, 10.0, 30.0, 60.0], [50.0, 20.0, 30.0, 60.0]])
    assert features.shape == (2, 128)
    assert abs(float(features[0] @ features[1])) < 1.0 - 1e-6


def test_importing_the_feature_modules_loads_no_framework():
    code = (
        "import sys\n"
        "import deep_sort.features.encoder, deep_sort.features.generate, deep_sort.app.freeze_model\n"
        "import deep_sort.app.generate_detections\n"
        "import deep_sort.features.mars_small128\n"
        "loaded = [m for m in ('tensorflow', 'openvino') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
