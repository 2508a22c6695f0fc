"""DeepSORTFeatureExtractor.from_timm: ONNX export against torch, the cache, tracking a synthetic video.

Needs the [timm] extra (``python3 run.py test --extra timm``); uses random weights
(``pretrained=False``), so nothing is downloaded.
"""
from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest

import supervision as sv

from support import ROOT

from deep_sort import DeepSORTFeatureExtractor, DeepSORTTracker
from deep_sort.features.timm_export import EXPORT_TOLERANCE, import_timm, weights_digest
from deep_sort.synthetic import SceneConfig, generate_scene, render_frame

try:  # through the package, which loads torch safely after TensorFlow (other tests load TensorFlow)
    torch, timm = import_timm()
except ImportError as exc:
    pytest.skip(f"the [timm] extra is not installed: python3 run.py test --extra timm ({exc})",
                allow_module_level=True)

#: The model of roboflow trackers' documentation (random weights here).
MODEL = "mobilenetv4_conv_small.e1200_r224_in1k"


def seeded_extractor(cache_dir, seed: int = 0, **options) -> DeepSORTFeatureExtractor:
    torch.manual_seed(seed)
    return DeepSORTFeatureExtractor.from_timm(MODEL, pretrained=False, cache_dir=cache_dir, **options)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("timm-cache")


@pytest.fixture(scope="module")
def scene():
    return generate_scene(SceneConfig.small(n_frames=60, seed=1))


def scene_detections(scene, frame_idx: int) -> sv.Detections:
    rows = scene.frame_detections(frame_idx)
    xyxy = rows[:, 2:6].copy()
    xyxy[:, 2:] += xyxy[:, :2]
    return sv.Detections(xyxy=xyxy, confidence=rows[:, 6], class_id=np.zeros(len(rows), dtype=int))


def test_onnx_descriptors_match_torch(cache_dir, scene):
    exported = seeded_extractor(cache_dir, input_size=(128, 64))
    eager = seeded_extractor(cache_dir, input_size=(128, 64), runtime="torch")
    assert exported.image_encoder.backend == "onnxruntime" and eager.image_encoder.backend == "torch"
    assert exported.crop_rule == "box" and exported.input_size == (128, 64)
    frame = render_frame(scene, 10)
    detections = scene_detections(scene, 10)
    outside = sv.Detections(xyxy=np.array([[-80.0, 10, -20, 100]]), confidence=np.array([0.9]), class_id=np.array([0]))
    detections = sv.Detections.merge([detections, outside])
    a, b = exported.extract_features(frame, detections), eager.extract_features(frame, detections)
    assert a.shape == (len(detections), exported.feature_dim) and a.dtype == np.float32
    assert np.max(np.abs(a - b)) <= EXPORT_TOLERANCE
    np.testing.assert_allclose(np.linalg.norm(a[:-1], axis=1), 1.0, atol=1e-5)
    assert not a[-1].any()  # a box without pixels in the frame: zeros (no appearance)
    # Different people give different descriptors.
    assert np.max(a[:-1] @ a[:-1].T - np.eye(len(a) - 1)) < 0.999


def test_export_is_cached_by_weights(cache_dir, caplog):
    seeded_extractor(cache_dir, input_size=(128, 64))
    files = sorted(cache_dir.glob("*.onnx"))
    assert len(files) == 1 and files[0].name.startswith(f"{MODEL}-128x64-")
    modified = files[0].stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="deep_sort.features.timm_export"):
        seeded_extractor(cache_dir, input_size=(128, 64))
    assert "cached ONNX export" in caplog.text and "exporting" not in caplog.text
    assert files[0].stat().st_mtime_ns == modified and sorted(cache_dir.glob("*.onnx")) == files
    assert not list(cache_dir.glob("*.tmp"))
    # The key is the weights: the same seed gives the same digest, another seed another one.
    digests = []
    for seed in (0, 0, 1):
        torch.manual_seed(seed)
        digests.append(weights_digest(torch, timm.create_model("resnet10t", pretrained=False, num_classes=0)))
    assert digests[0] == digests[1] != digests[2]


def test_tracks_a_synthetic_video(cache_dir, scene, tmp_path):
    """pretrained=False at the model's own input size (224 x 224), through a real video file."""
    import cv2

    extractor = seeded_extractor(cache_dir)
    assert extractor.input_size == (224, 224)
    video = tmp_path / "synthetic.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, scene.image_size)
    for frame_idx in range(1, scene.n_frames + 1):
        writer.write(render_frame(scene, frame_idx))
    writer.release()

    tracker = DeepSORTTracker(feature_extractor=extractor)
    pairs = []

    def callback(frame, index):
        detections = tracker.update(scene_detections(scene, index + 1), frame)
        identity = scene.detection_identity[scene._frame_slice(index + 1, scene.detections)]
        pairs.extend((int(g), int(t)) for g, t in zip(identity, detections.tracker_id) if g >= 0 and t >= 0)
        return frame

    sv.process_video(source_path=str(video), target_path=str(tmp_path / "out.mp4"), callback=callback)
    assert tracker.frame_count == scene.n_frames
    assert tracker._online.uses_appearance
    pairs = np.array(pairs)
    people_rows = int(np.count_nonzero(scene.detection_identity >= 0))
    assert len(pairs) > 0.7 * people_rows
    # Each person keeps one id: the share of a person's tracked rows under its most frequent id.
    purity = [np.unique(pairs[pairs[:, 0] == g, 1], return_counts=True)[1].max() / np.count_nonzero(pairs[:, 0] == g)
              for g in np.unique(pairs[:, 0])]
    assert np.mean(purity) > 0.95, purity


def test_parameter_errors(cache_dir):
    with pytest.raises(ValueError, match=r"timm has no model 'mobilenetv4_conv_smal'; did you mean mobilenetv4_conv_small"):
        DeepSORTFeatureExtractor.from_timm("mobilenetv4_conv_smal", pretrained=False)
    with pytest.raises(ValueError, match=r"runtime 'onnxruntime' runs on the CPU"):
        DeepSORTFeatureExtractor.from_timm(MODEL, pretrained=False, device="cuda", runtime="onnxruntime")
    with pytest.raises(ValueError, match=r"runtime: expected one of auto, onnxruntime, torch"):
        DeepSORTFeatureExtractor.from_timm(MODEL, pretrained=False, runtime="tensorrt")
    with pytest.raises(ValueError, match=r"input_size: expected a positive int or \(height, width\)"):
        DeepSORTFeatureExtractor.from_timm(MODEL, pretrained=False, input_size=(0, 64), cache_dir=cache_dir)
    with pytest.raises(ValueError, match=r"timm.create_model"):
        DeepSORTFeatureExtractor.from_timm(MODEL, pretrained=False, no_such_option=3, cache_dir=cache_dir)


def test_example_script_with_timm(tmp_path):
    output = tmp_path / "tracked.mp4"
    env = {"PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "supervision_tracking.py"), "--timm", MODEL, "--no-pretrained",
         "--frames", "20", "--output", str(output)],
        capture_output=True, text=True, env=env, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "tracked 20 frames" in result.stdout and output.stat().st_size > 0
    assert list((tmp_path / "cache" / "deep_sort" / "timm").glob(f"{MODEL}-224x224-*.onnx"))


def test_after_tensorflow_in_the_same_process():
    """triton (loaded by torch) crashes when loaded after TensorFlow unless from_timm loads it apart."""
    pytest.importorskip("tensorflow")
    code = (
        "import tensorflow\n"
        "import numpy as np\n"
        "from deep_sort import DeepSORTFeatureExtractor\n"
        f"extractor = DeepSORTFeatureExtractor.from_timm({MODEL!r}, pretrained=False, runtime='torch')\n"
        "print(extractor.encode_boxes(np.zeros((90, 60, 3), np.uint8), [[5.0, 5, 40, 80]]).shape)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["(1,", "1280)"]
