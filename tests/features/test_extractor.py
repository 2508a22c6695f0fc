"""DeepSORTFeatureExtractor: the mars rule for frozen graphs and ONNX models, the box rule, the protocol."""
from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
import pytest
import supervision as sv

from feature_helpers import textured_image
from support import ROOT

from deep_sort import DeepSort, DeepSORTFeatureExtractor
from deep_sort.features.encoder import create_box_encoder
from deep_sort.features.patches import box_regions, extract_box_patches
from deep_sort.io.errors import InputError
from online.online_helpers import tiny_reference_features, write_tiny_onnx

#: Boxes (x1, y1, x2, y2) on a 160 x 120 image: inside, across the left edge, outside, sub-pixel.
BOXES = np.array([[10.0, 12.5, 40.0, 100.0], [-15.0, 10.0, 15.0, 70.0], [500.0, 10.0, 520.0, 50.0],
                  [60.2, 30.0, 60.7, 60.0]])


@pytest.fixture
def image():
    return textured_image(np.random.default_rng(4))


def test_frozen_graph_is_the_published_encoder(frozen_model, image):
    extractor = DeepSORTFeatureExtractor.from_frozen_graph(frozen_model, backend="tensorflow")
    assert extractor.crop_rule == "mars" and extractor.input_size == (128, 64) and extractor.feature_dim == 128
    tlwh = BOXES.copy()
    tlwh[:, 2:] -= tlwh[:, :2]
    expected = create_box_encoder(frozen_model, backend="tensorflow")(image, tlwh)
    actual = extractor.extract_features(image, sv.Detections(xyxy=BOXES))
    np.testing.assert_allclose(actual, expected, atol=1e-6)
    assert not actual[2].any()  # outside the image: zeros
    np.testing.assert_allclose(extractor(image, tlwh), expected, atol=1e-6)  # DeepSort's encoder protocol


def test_onnx_model_with_the_mars_rule(tmp_path, image):
    extractor = DeepSORTFeatureExtractor.from_onnx(write_tiny_onnx(tmp_path / "tiny.onnx"))
    assert extractor.crop_rule == "mars" and extractor.image_encoder.backend == "onnxruntime"
    from deep_sort.features.patches import extract_image_patches

    tlwh = BOXES.copy()
    tlwh[:, 2:] -= tlwh[:, :2]
    patches, valid = extract_image_patches(image, tlwh)
    features = extractor.extract_features(image, sv.Detections(xyxy=BOXES))
    np.testing.assert_allclose(features[valid], tiny_reference_features(patches), atol=1e-5)
    assert not features[~valid].any()
    # Usable as DeepSort's encoder: same tracks as with the descriptors given.
    tracker = DeepSort(encoder=extractor, n_init=1, box_format="xyxy")
    with_features = DeepSort(n_init=1, box_format="xyxy")
    for _ in range(3):
        a = tracker.update(BOXES[:2], [0.9, 0.8], frame=image)
        b = with_features.update(BOXES[:2], [0.9, 0.8], features=features[:2])
    assert a.track_id.tolist() == b.track_id.tolist() == [1, 2]


def test_constructor_errors(tmp_path, frozen_model):
    onnx_path = write_tiny_onnx(tmp_path / "tiny.onnx")
    with pytest.raises(InputError, match=r"an ONNX model; use DeepSORTFeatureExtractor.from_onnx"):
        DeepSORTFeatureExtractor.from_frozen_graph(onnx_path)
    with pytest.raises(InputError, match=r"reads .onnx models only"):
        DeepSORTFeatureExtractor.from_onnx(frozen_model)
    with pytest.raises(InputError, match=r"model file does not exist"):
        DeepSORTFeatureExtractor.from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(ValueError, match=r"crop_rule: expected one of mars, box"):
        DeepSORTFeatureExtractor(DeepSORTFeatureExtractor.from_onnx(onnx_path).image_encoder, "square")


def test_bad_frames_and_boxes(tmp_path, image):
    extractor = DeepSORTFeatureExtractor.from_onnx(write_tiny_onnx(tmp_path / "tiny.onnx"))
    detections = sv.Detections(xyxy=BOXES[:1])
    with pytest.raises(ValueError, match=r"frame: required"):
        extractor.extract_features(None, detections)
    with pytest.raises(ValueError, match=r"frame: expected an \(H, W, 3\) uint8 BGR image, got ndarray of shape "
                                         r"\(120, 160, 3\) and dtype float64"):
        extractor.extract_features(image.astype(np.float64), detections)
    with pytest.raises(TypeError, match=r"expected supervision.Detections"):
        extractor.extract_features(image, BOXES)
    with pytest.raises(ValueError, match=r"boxes: row 1 holds NaN"):
        extractor.encode_boxes(image, [[0, 0, 10, 10], [0, 0, np.nan, 10]])
    assert extractor.extract_features(image, sv.Detections.empty()).shape == (0, 128)


def test_box_rule():
    regions, valid = box_regions(BOXES, (160, 120))
    assert regions.tolist() == [[10, 12, 40, 100], [0, 10, 15, 70], [160, 10, 160, 50], [60, 30, 61, 60]]
    assert valid.tolist() == [True, True, False, True]
    image = np.zeros((120, 160, 3), np.uint8)
    image[12:100, 10:40] = (10, 20, 30)
    patches, valid = extract_box_patches(image, BOXES, (32, 16))
    assert patches.shape == (3, 32, 16, 3)
    assert (patches[0] == (10, 20, 30)).all()  # the box's own pixels, stretched
    np.testing.assert_array_equal(patches[1], cv2.resize(image[10:70, 0:15], (16, 32)))


def test_from_timm_without_the_extra_names_it():
    code = (
        "import sys; sys.modules['timm'] = None\n"
        "from deep_sort import DeepSORTFeatureExtractor\n"
        "try:\n"
        "    DeepSORTFeatureExtractor.from_timm('resnet18')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "pip install 'deep-sort-repro[timm]'" in result.stdout
