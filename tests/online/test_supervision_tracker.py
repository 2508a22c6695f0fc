"""DeepSORTTracker: the roboflow trackers surface on supervision.Detections, golden ids, fields, parameters."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import supervision as sv

from online_helpers import FEATURE_DIM, colour_encoder, synthetic_scene, write_tiny_onnx
from support import GOLDEN, ROOT, golden_cases
from test_online_api import golden_config, golden_frames

from deep_sort import DeepSort, DeepSORTFeatureExtractor, DeepSORTTracker
from deep_sort.config import TrackingConfig
from deep_sort.io.mot import MOT_COLUMNS, load_results
from deep_sort.supervision_tracker import tracking_parameters


class DataDescriptors:
    """A feature extractor reading each row's descriptor from ``detections.data["descriptor"]`` (no frame)."""

    def __init__(self) -> None:
        self.rows_seen = 0

    def extract_features(self, frame, detections):
        assert frame is None
        self.rows_seen += len(detections)
        return detections.data["descriptor"]


class ColourExtractor:
    """A frame-based extractor: mean colours of each box (tests/online/online_helpers.colour_encoder)."""

    def extract_features(self, frame, detections):
        tlwh = detections.xyxy.astype(np.float64)
        tlwh[:, 2:] -= tlwh[:, :2]
        return colour_encoder(frame, tlwh)


def golden_detections(rows: np.ndarray) -> sv.Detections:
    """A golden frame's rows as supervision detections, descriptors in ``data``."""
    xyxy = rows[:, 2:6].astype(np.float64)
    xyxy[:, 2:] += xyxy[:, :2]
    return sv.Detections(xyxy=xyxy, confidence=rows[:, 6], class_id=np.zeros(len(rows), dtype=int),
                         data={"descriptor": rows[:, MOT_COLUMNS:]})


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one xyxy box with (K, 4) xyxy boxes."""
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2]) + np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area - inter)


# --- the published code's ids, frame by frame ----------------------------------------------------


@pytest.mark.parametrize("seq,params,options", golden_cases(), ids=lambda v: v if isinstance(v, str) else None)
def test_tracker_ids_are_the_published_ids(seq, params, options):
    expected_rows = load_results(GOLDEN / "expected" / f"{seq}.{params}.txt")
    expected = {}
    for row in expected_rows:
        expected.setdefault(int(row[0]), {})[int(row[1])] = np.r_[row[2:4], row[2:4] + row[4:6]]
    extractor = DataDescriptors()
    tracker = DeepSORTTracker(extractor, **golden_config(options).as_dict())
    n_tracked = n_rows = 0
    for frame_idx, rows in golden_frames(seq):
        detections = golden_detections(rows)
        result = tracker.update(detections, None)
        assert len(result) == len(rows) and result.tracker_id.dtype == np.int64
        published = expected.get(frame_idx, {})
        ids = list(published)
        tracks = tracker.tracks
        kalman_box = dict(zip(tracks.track_id.tolist(), tracks.xyxy))
        for row in np.flatnonzero(result.tracker_id != -1):
            track_id = int(result.tracker_id[row])
            assert track_id in published, f"frame {frame_idx}: id {track_id} is not in the published output"
            # The track given to this row is the published track of that id: the same box, in this frame.
            np.testing.assert_allclose(kalman_box[track_id], published[track_id], atol=0.01,
                                       err_msg=f"frame {frame_idx}, row {row}, id {track_id}")
            # ... and it covers the row's box (the filter's correction pulls it towards the detection).
            overlap = iou(result.xyxy[row], published[track_id][None])[0]
            assert overlap > 0.5, f"frame {frame_idx}, row {row}: IoU {overlap:.2f} with track {track_id}"
        # Every published track of the frame is either matched to a row here or coasting (missed once).
        coasting = tracks.track_id[tracks.is_confirmed & (tracks.time_since_update == 1)]
        assert sorted(set(result.tracker_id[result.tracker_id != -1].tolist()) | set(coasting.tolist())) \
            == sorted(ids), f"frame {frame_idx}"
        assert len(set(result.tracker_id[result.tracker_id != -1].tolist())) == np.count_nonzero(
            result.tracker_id != -1), f"frame {frame_idx}: an id given to two rows"
        n_tracked += int(np.count_nonzero(result.tracker_id != -1))
        n_rows += len(rows)
    assert n_tracked > 0.3 * n_rows  # the test looked at many matches
    assert extractor.rows_seen == n_rows


class CountingEncoder:
    """An image encoder (uint8 patches in, descriptors out) that counts the patches it was given."""

    image_shape = (32, 16, 3)
    feature_dim = 3

    def __init__(self) -> None:
        self.n_patches = 0

    def __call__(self, patches: np.ndarray) -> np.ndarray:
        self.n_patches += len(patches)
        return patches.reshape(len(patches), -1, 3).mean(axis=1).astype(np.float32) + 1.0


def test_which_rows_the_extractor_sees():
    """Our extractor crops only rows above min_confidence; an extractor of one's own sees every row."""
    encoder = CountingEncoder()
    own, other = DeepSORTFeatureExtractor(encoder, "box"), DataDescriptors()
    rng = np.random.default_rng(0)
    detections = sv.Detections(xyxy=np.array([[0, 0, 10, 20], [50, 0, 60, 20], [100, 0, 110, 20.0]]),
                               confidence=np.array([0.9, 0.2, 0.8]), data={"descriptor": rng.normal(size=(3, 8))})
    frame = rng.integers(0, 256, (40, 160, 3)).astype(np.uint8)
    for extractor, frame_given in ((own, frame), (other, None)):
        tracker = DeepSORTTracker(extractor, min_confidence=0.5, n_init=1)
        for _ in range(2):
            result = tracker.update(detections, frame_given)
        assert result.tracker_id.tolist() == [1, -1, 2]
    assert encoder.n_patches == 4 and other.rows_seen == 6


def test_same_ids_as_deep_sort_with_the_colour_encoder():
    """With a frame-based extractor the ids are those DeepSort gives with the same descriptors."""
    frames = synthetic_scene(40, missing={12: {0}, 13: {0}, 20: {1}})
    tracker = DeepSORTTracker(ColourExtractor(), n_init=2)
    reference = DeepSort(n_init=2, encoder=colour_encoder, box_format="xyxy")
    for frame in frames:
        xyxy = frame.tlwh.copy()
        xyxy[:, 2:] += xyxy[:, :2]
        result = tracker.update(sv.Detections(xyxy=xyxy, confidence=frame.scores), frame.image)
        tracks = reference.update(xyxy, frame.scores, frame=frame.image, return_all=True)
        matched = tracks.is_confirmed & (tracks.time_since_update == 0)
        expected = np.full(len(xyxy), -1)
        expected[tracks.detection_index[matched]] = tracks.track_id[matched]
        np.testing.assert_array_equal(result.tracker_id, expected)
    assert sorted(set(result.tracker_id.tolist())) == [1, 2, 3]


# --- detections in, detections out -----------------------------------------------------------------


def frame_detections(x: float, with_mask: bool = True) -> sv.Detections:
    xyxy = np.array([[x, 10, x + 20, 50], [200, 30, 230, 90], [400, 5, 420, 60]], dtype=np.float32)
    mask = np.zeros((3, 120, 480), dtype=bool) if with_mask else None
    if with_mask:
        for i, (x1, y1, x2, y2) in enumerate(xyxy.astype(int)):
            mask[i, y1:y2, x1:x2] = True
    return sv.Detections(
        xyxy=xyxy, mask=mask, confidence=np.array([0.9, 0.8, 0.1], dtype=np.float32),
        class_id=np.array([0, 2, 0]), data={"class_name": np.array(["person", "car", "person"])},
        metadata={"source": "camera 1"},
    )


def test_fields_are_kept_and_the_input_is_not_modified():
    tracker = DeepSORTTracker(n_init=2)
    for frame_idx in range(3):
        detections = frame_detections(10.0 + 2 * frame_idx)
        before = {name: np.copy(getattr(detections, name)) for name in ("xyxy", "mask", "confidence", "class_id")}
        result = tracker.update(detections)
        assert detections.tracker_id is None and set(detections.data) == {"class_name"}
        for name, array in before.items():
            np.testing.assert_array_equal(getattr(detections, name), array)
            np.testing.assert_array_equal(getattr(result, name), array)
        assert result.data["class_name"].tolist() == ["person", "car", "person"]
        assert result.metadata == {"source": "camera 1"}
    assert isinstance(result, sv.Detections)
    # Row 2 is below min_confidence 0.3 (paper default): never tracked.
    assert result.tracker_id.tolist() == [1, 2, -1]
    result.data["extra"] = np.zeros(3)
    assert "extra" not in detections.data
    # The result works with supervision's own tools.
    assert len(result[result.tracker_id != -1]) == 2
    assert sv.LabelAnnotator().annotate(np.zeros((120, 480, 3), np.uint8), result,
                                        labels=[str(i) for i in result.tracker_id]).shape == (120, 480, 3)


def test_class_ids_are_reported_not_used_for_association():
    tracker = DeepSORTTracker(n_init=1)
    first = sv.Detections(xyxy=np.array([[10.0, 10, 30, 50]]), confidence=np.array([0.9]), class_id=np.array([3]))
    second = sv.Detections(xyxy=np.array([[11.0, 10, 31, 50]]), confidence=np.array([0.9]), class_id=np.array([5]))
    assert tracker.update(first).tracker_id.tolist() == [-1]
    result = tracker.update(second)
    assert result.tracker_id.tolist() == [1] and result.class_id.tolist() == [5]
    assert tracker.tracks.class_id.tolist() == [5]


def test_empty_detections():
    extractor = DataDescriptors()
    tracker = DeepSORTTracker(extractor, n_init=1)
    empty = sv.Detections.empty()
    result = tracker.update(empty, None)
    assert len(result) == 0 and result.tracker_id.shape == (0,) and result.tracker_id.dtype == np.int64
    assert extractor.rows_seen == 0  # not called for no rows
    low = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.1]),
                        data={"descriptor": np.ones((1, 4))})
    good = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.9]),
                         data={"descriptor": np.ones((1, 4))})
    assert tracker.update(low, None).tracker_id.tolist() == [-1]
    tracker.update(good, None)
    assert tracker.update(good, None).tracker_id.tolist() == [1]
    assert tracker.update(empty, None).tracker_id.tolist() == []
    assert tracker.update(good, None).tracker_id.tolist() == [1]


def test_empty_and_unmatchable_frames_with_our_extractor():
    encoder = CountingEncoder()
    tracker = DeepSORTTracker(DeepSORTFeatureExtractor(encoder, "box"), n_init=1)
    frame = np.full((40, 160, 3), 128, np.uint8)
    low = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.1]))
    good = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.9]))
    assert tracker.update(sv.Detections.empty(), frame).tracker_id.tolist() == []
    assert tracker.update(low, frame).tracker_id.tolist() == [-1]
    assert encoder.n_patches == 0  # nothing that could be matched: nothing cropped
    tracker.update(good, frame)
    assert tracker.update(good, frame).tracker_id.tolist() == [1]
    assert tracker.update(low, frame).tracker_id.tolist() == [-1]
    assert encoder.n_patches == 2
    with pytest.raises(ValueError, match=r"frame: required"):
        tracker.update(low, None)  # checked even when nothing is cropped


def test_no_confidence_means_every_row_counts():
    tracker = DeepSORTTracker(n_init=1)
    detections = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0], [50, 0, 60, 20]]))
    tracker.update(detections)
    # Both rows are tracked; with tied scores the published pick order (argsort, reversed) starts row 1 first.
    assert tracker.update(detections).tracker_id.tolist() == [2, 1]


def test_frame_is_required_only_by_a_frame_based_extractor(tmp_path):
    detections = sv.Detections(xyxy=np.array([[10.0, 10, 40, 90]]), confidence=np.array([0.9]))
    DeepSORTTracker().update(detections)  # motion only: no frame needed
    extractor = DeepSORTFeatureExtractor.from_onnx(write_tiny_onnx(tmp_path / "tiny.onnx"))
    with pytest.raises(ValueError, match=r"frame: required to crop the detections"):
        DeepSORTTracker(extractor).update(detections)
    with pytest.raises(ValueError, match=r"frame: expected an \(H, W, 3\) uint8 BGR image"):
        DeepSORTTracker(extractor).update(detections, np.zeros((100, 100), np.uint8))
    frame = np.full((120, 160, 3), 90, np.uint8)
    assert DeepSORTTracker(extractor).update(detections, frame).tracker_id.tolist() == [-1]


def test_reset_starts_ids_again():
    tracker = DeepSORTTracker(n_init=1)
    detections = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.9]))
    for _ in range(2):
        tracker.update(detections)
        tracker.update(detections)
        assert tracker.update(detections).tracker_id.tolist() == [1]
        assert tracker.frame_count == 3
        tracker.reset()
    assert tracker.frame_count == 0 and len(tracker.tracks) == 0


# --- bad input -------------------------------------------------------------------------------------


def test_bad_detections_and_extractor_output():
    tracker = DeepSORTTracker()
    with pytest.raises(TypeError, match=r"expected supervision.Detections"):
        tracker.update(np.zeros((2, 4)))
    nan = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0]]), confidence=np.array([0.9]))
    nan.xyxy[0, 2] = np.nan  # supervision checks at construction only
    with pytest.raises(ValueError, match=r"boxes: row 0 holds NaN"):
        DeepSORTTracker(DataDescriptors()).update(nan, None)

    class Short:
        def extract_features(self, frame, detections):
            return np.zeros((len(detections) - 1, 4))

    two = sv.Detections(xyxy=np.array([[0, 0, 10, 20.0], [30, 0, 40, 20]]), confidence=np.array([0.9, 0.9]))
    short = DeepSORTTracker(Short())
    with pytest.raises(ValueError, match=r"extract_features: expected shape \(2, D\) for 2 detections, got \(1, 4\)"):
        short.update(two)
    assert short.frame_count == 0


def test_feature_extractor_argument(tmp_path):
    with pytest.raises(TypeError, match=r"object with extract_features"):
        DeepSORTTracker(feature_extractor=42)
    with pytest.raises(ValueError, match=r"not a model file \(.onnx or .pb\); for a timm model use"):
        DeepSORTTracker(feature_extractor="mobilenetv4_conv_small.e1200_r224_in1k")
    with pytest.raises(ValueError, match=r"device: set it where the feature extractor is made"):
        DeepSORTTracker(feature_extractor=DataDescriptors(), device="cuda")
    path = write_tiny_onnx(tmp_path / "tiny.onnx")
    tracker = DeepSORTTracker(feature_extractor=str(path), device="cpu")
    assert isinstance(tracker.feature_extractor, DeepSORTFeatureExtractor)
    assert tracker.feature_extractor.feature_dim == FEATURE_DIM
    with pytest.raises(ValueError, match=r"a model file runs on the CPU"):
        DeepSORTTracker(feature_extractor=path, device="cuda")


# --- parameters --------------------------------------------------------------------------------------


def test_defaults_are_the_papers():
    assert DeepSORTTracker().config == TrackingConfig.paper()


@pytest.mark.parametrize("params,expected", [
    ({"track_activation_threshold": 0.5}, {"min_confidence": 0.5}),
    ({"minimum_consecutive_frames": 5}, {"n_init": 5}),
    ({"minimum_iou_threshold": 0.3}, {"max_iou_distance": 0.7}),
    ({"appearance_threshold": 0.8}, {"max_cosine_distance": 1 - 0.8}),
    ({"lost_track_buffer": 60}, {"max_age": 60}),
    ({"lost_track_buffer": 30, "frame_rate": 15}, {"max_age": 15}),
    ({"frame_rate": 60}, {"max_age": 60}),
    ({"lost_track_buffer": 1, "frame_rate": 10}, {"max_age": 1}),
    ({"distance_metric": "cosine", "nn_budget": None}, {"nn_budget": None}),
    ({"max_age": 50, "nms_max_overlap": 0.7, "min_detection_height": 10}, {"max_age": 50, "nms_max_overlap": 0.7,
                                                                           "min_detection_height": 10}),
])
def test_trackers_names_map_to_ours(params, expected):
    assert tracking_parameters(params) == TrackingConfig.paper(**expected)


@pytest.mark.parametrize("params,error,message", [
    ({"appearance_weight": 0.5}, ValueError, r"appearance_weight: not supported: the published DeepSORT does not mix"),
    ({"distance_metric": "euclidean"}, ValueError, r"distance_metric: only 'cosine'"),
    ({"max_agee": 3}, TypeError, r"unknown parameter 'max_agee'; did you mean max_age\?"),
    ({"n_init": 2, "minimum_consecutive_frames": 3}, ValueError, r"give one of them"),
    ({"max_age": 2, "lost_track_buffer": 3}, ValueError, r"lost_track_buffer/frame_rate and max_age: give one"),
    ({"minimum_iou_threshold": 1.5}, ValueError, r"minimum_iou_threshold must be in \[0, 1\]"),
    ({"appearance_threshold": "high"}, ValueError, r"appearance_threshold must be a cosine similarity"),
    ({"frame_rate": 0}, ValueError, r"frame_rate must be a positive number"),
    ({"n_init": 0}, ValueError, r"n_init must be a positive integer"),
])
def test_parameter_errors(params, error, message):
    with pytest.raises(error, match=message):
        DeepSORTTracker(**params)


# --- import cost ---------------------------------------------------------------------------------------


def test_import_deep_sort_stays_light():
    code = (
        "import sys, deep_sort\n"
        "assert 'DeepSORTTracker' in dir(deep_sort) and 'DeepSORTFeatureExtractor' in dir(deep_sort)\n"
        "from deep_sort import DeepSORTTracker\n"
        "heavy = {'torch', 'timm', 'supervision', 'tensorflow', 'cv2', 'onnxruntime', 'openvino'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
