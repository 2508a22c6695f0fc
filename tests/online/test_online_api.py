"""The online API: golden output frame by frame, box formats, appearance sources, reset, validation."""
from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

from online_helpers import colour_encoder, synthetic_scene
from support import GOLDEN, ROOT, assert_same_results, golden_cases

from deep_sort import DeepSort, Tracks
from deep_sort.app.pipeline import frame_detections, frame_range
from deep_sort.config import TrackingConfig
from deep_sort.app.track_app import build_parser
from deep_sort.app.options import tracking_config_from_args
from deep_sort.boxes import tlwh_to_tlbr
from deep_sort.io.errors import InputError
from deep_sort.io.mot import MOT_COLUMNS, frame_offsets, load_detections, read_sequence, write_results
from deep_sort.preprocessing import select_detections
from deep_sort.online import TrackRecord
from deep_sort.track import TrackState


def golden_frames(seq: str):
    """(frame_idx, rows) for every frame the app processes, rows in file order and dtype."""
    detections = load_detections(GOLDEN / "detections" / f"{seq}.npy")
    order, offsets = frame_offsets(detections[:, 0])
    for frame_idx in frame_range(read_sequence(GOLDEN / "sequences" / seq), detections):
        start, stop = offsets.get(frame_idx, (0, 0))
        yield frame_idx, detections[order[start:stop]]


def golden_config(options: list[str]) -> TrackingConfig:
    """The app's configuration for a golden case's command-line options."""
    return tracking_config_from_args(build_parser().parse_args(["--sequence_dir", ".", *options]))


def run_scene(tracker: DeepSort, frames, **update_kwargs) -> list[Tracks]:
    return [tracker.update(frame.tlwh, frame.scores, **update_kwargs) for frame in frames]


def assert_same_tracks(expected: list[Tracks], actual: list[Tracks]) -> None:
    assert len(expected) == len(actual)
    for frame_idx, (a, b) in enumerate(zip(expected, actual), start=1):
        assert a.track_id.tolist() == b.track_id.tolist(), f"frame {frame_idx}"
        assert a.detection_index.tolist() == b.detection_index.tolist(), f"frame {frame_idx}"
        np.testing.assert_allclose(a.tlwh, b.tlwh, atol=1e-9, err_msg=f"frame {frame_idx}")


# --- the published app, frame by frame ---------------------------------------------------------


@pytest.mark.parametrize("seq,params,options", golden_cases(), ids=lambda v: v if isinstance(v, str) else None)
def test_api_matches_golden(tmp_path, seq, params, options):
    tracker = DeepSort(**golden_config(options).as_dict())
    results = []
    for frame_idx, rows in golden_frames(seq):
        tracks = tracker.update(rows[:, 2:6], rows[:, 6], features=rows[:, MOT_COLUMNS:])
        results.append(tracks.to_mot_rows(frame_idx))
        # Every output track matched in this frame points at its detection row.
        matched = tracks.time_since_update == 0
        assert np.all(tracks.detection_index[matched] >= 0) and np.all(tracks.detection_index[~matched] == -1)
    output = tmp_path / f"{seq}.{params}.txt"
    write_results(output, np.concatenate(results))
    assert_same_results(GOLDEN / "expected" / f"{seq}.{params}.txt", output)


def test_golden_cases_present():
    assert golden_cases(), f"no golden cases found under {GOLDEN}"


@pytest.mark.parametrize("seq,options", [
    ("SYN-G1", ["--min_confidence", "0.3"]),  # plain filter, NMS at 1.0
    ("SYN-G2", ["--min_confidence", "0.3", "--nms_max_overlap", "0.7", "--min_detection_height", "40"]),  # float32, NMS
])
def test_select_detections_is_the_app_selection(seq, options):
    config = golden_config(options)
    for frame_idx, rows in golden_frames(seq):
        if frame_idx > 60:
            break
        selected = select_detections(rows[:, 2:6].astype(np.float64), rows[:, 6], config)
        expected = np.array([d.tlwh for d in frame_detections(rows, config)]).reshape(-1, 4)
        np.testing.assert_array_equal(rows[selected, 2:6], expected)


# --- detection_index through filtering and NMS --------------------------------------------------


def test_detection_index_maps_to_input_rows():
    tracker = DeepSort(min_confidence=0.3, nms_max_overlap=0.5, n_init=2)
    # Frame 1: row 0 is below min_confidence, row 3 lies inside row 2 and is suppressed;
    # new tracks start in descending score: row 2 (id 1), then row 1 (id 2).
    boxes = [[300, 10, 20, 40], [10, 10, 20, 40], [100, 10, 20, 40], [102, 12, 16, 36]]
    tracks = tracker.update(boxes, [0.1, 0.6, 0.9, 0.5], return_all=True)
    assert tracks.track_id.tolist() == [1, 2]
    assert tracks.detection_index.tolist() == [2, 1]
    assert tracks.state_names == ["Tentative", "Tentative"]
    # Frame 2: the second hit confirms both tracks (n_init = 2): they are output from now on.
    assert tracker.update(boxes, [0.1, 0.6, 0.9, 0.5]).detection_index.tolist() == [2, 1]
    # Frame 3: the same objects in another order.
    tracks = tracker.update([[101, 10, 20, 40], [11, 10, 20, 40]], [0.9, 0.8])
    assert tracks.track_id.tolist() == [1, 2]
    assert tracks.detection_index.tolist() == [0, 1]
    # Frame 4: object 2 missed: still output (time_since_update 1, predicted box), no detection.
    tracks = tracker.update([[102, 10, 20, 40]], [0.9])
    assert tracks.detection_index.tolist() == [0, -1]
    assert tracks.time_since_update.tolist() == [0, 1]
    # Frame 5: missed twice: no longer output, but still alive.
    tracks = tracker.update([[103, 10, 20, 40]], [0.9])
    assert tracks.track_id.tolist() == [1]
    assert tracker.tracks.track_id.tolist() == [1, 2]


def test_class_ids_follow_the_last_match():
    tracker = DeepSort(n_init=1)
    tracker.update([[10, 10, 20, 40]], [0.9], class_ids=[3])
    tracks = tracker.update([[11, 10, 20, 40]], [0.9], class_ids=[5])
    assert tracks.class_id.tolist() == [5]
    tracks = tracker.update([[12, 10, 20, 40]], [0.9])
    assert tracks.class_id.tolist() == [5]  # no class given this frame: the last one stays
    assert DeepSort(n_init=1).update([[1, 1, 5, 5]], [1.0], return_all=True).class_id.tolist() == [-1]


# --- box formats --------------------------------------------------------------------------------


def test_xyxy_boxes_give_the_same_tracks():
    frames = synthetic_scene(25, missing={8: {0}, 9: {0}, 15: {2}})
    expected = run_scene(DeepSort(), frames)
    by_constructor = DeepSort(box_format="xyxy")
    actual = [by_constructor.update(tlwh_to_tlbr(f.tlwh), f.scores) for f in frames]
    assert_same_tracks(expected, actual)
    per_call = DeepSort()
    actual = [per_call.update(tlwh_to_tlbr(f.tlwh), f.scores, box_format="tlbr") for f in frames]
    assert_same_tracks(expected, actual)
    assert sum(len(t) for t in expected) > 40


def test_tracks_boxes_in_both_formats():
    tracker = DeepSort(n_init=1)
    tracks = tracker.update([[10, 20, 30, 40]], [0.9], return_all=True)
    np.testing.assert_allclose(tracks.tlwh, [[10, 20, 30, 40]])
    np.testing.assert_allclose(tracks.xyxy, [[10, 20, 40, 60]])


# --- appearance: features, encoder, none -------------------------------------------------------


def _reappearing_person(tracker: DeepSort, with_features: bool) -> list[list[int]]:
    """One person walks right, is hidden for 15 frames while stopping, reappears off the prediction."""
    ids = []
    for frame_idx in range(1, 31):
        if 6 <= frame_idx <= 20:
            boxes = np.zeros((0, 4))
        else:
            boxes = np.array([[10 + 5 * min(frame_idx, 12), 50, 30, 80]], dtype=np.float64)
        features = np.ones((len(boxes), 4)) if with_features else None
        ids.append(tracker.update(boxes, np.full(len(boxes), 0.9), features=features).track_id.tolist())
    return ids


def test_appearance_reidentifies_after_occlusion_motion_only_does_not():
    with_features = DeepSort(n_init=2)
    ids = _reappearing_person(with_features, True)
    assert with_features.uses_appearance
    assert ids[-1] == [1] and ids[20] == [1]  # the cascade matched the returning person by appearance
    motion_only = DeepSort(n_init=2)
    ids = _reappearing_person(motion_only, False)
    assert motion_only.uses_appearance is False
    assert ids[-1] == [2]  # IoU with the extrapolated box is 0: a new track


def test_encoder_equals_given_features():
    frames = synthetic_scene(30, missing={10: {1}, 11: {1}, 12: {1}})
    given = DeepSort()
    expected = [given.update(f.tlwh, f.scores, features=colour_encoder(f.image, f.tlwh)) for f in frames]
    with_encoder = DeepSort(encoder=colour_encoder)
    actual = [with_encoder.update(f.tlwh, f.scores, frame=f.image) for f in frames]
    assert_same_tracks(expected, actual)
    assert with_encoder.uses_appearance


def test_features_take_precedence_over_the_encoder():
    def failing_encoder(image, boxes):
        raise AssertionError("the encoder must not run when features are given")

    tracker = DeepSort(encoder=failing_encoder)
    tracks = tracker.update([[10, 10, 20, 40]], [0.9], features=[[1.0, 0.0]], return_all=True)
    assert len(tracks) == 1


def test_encoder_runs_only_on_selected_boxes():
    seen = []

    def encoder(image, boxes_tlwh):
        seen.append(np.array(boxes_tlwh))
        return np.ones((len(boxes_tlwh), 3))

    tracker = DeepSort(encoder=encoder, min_confidence=0.5)
    image = np.zeros((100, 200, 3), np.uint8)
    tracker.update([[10, 10, 20, 40], [50, 10, 20, 40]], [0.9, 0.2], frame=image)
    np.testing.assert_array_equal(seen[0], [[10, 10, 20, 40]])
    tracker.update(np.zeros((0, 4)), [], frame=image)
    assert len(seen) == 1  # no boxes: no encoder call


def test_zero_descriptors_are_kept_without_appearance(caplog):
    # Row 1 lies outside the image: the encoder gives it an all-zero descriptor. As in
    # deep_sort_app.py it still starts a track (and can match in the IoU stage).
    tracker = DeepSort(encoder=colour_encoder, n_init=1)
    image = synthetic_scene(1)[0].image
    with caplog.at_level("WARNING", logger="deep_sort.online"):
        tracks = tracker.update([[20, 60, 30, 80], [900, 10, 20, 40]], [0.8, 0.9], frame=image, return_all=True)
    assert tracks.track_id.tolist() == [1, 2] and tracks.detection_index.tolist() == [1, 0]
    assert tracker.n_zero_descriptors == 1
    assert "1 detection(s) with an all-zero descriptor" in caplog.text
    # Given zero descriptors (generate_detections.py's mark for such boxes) are handled the same way.
    tracks = tracker.update([[21, 60, 30, 80], [901, 10, 20, 40]], [0.8, 0.9],
                            features=[[1.0, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]], return_all=True)
    assert tracks.track_id.tolist() == [1, 2] and tracks.detection_index.tolist() == [1, 0]
    assert tracker.n_zero_descriptors == 2


def test_motion_only_without_features():
    frames = synthetic_scene(20)
    tracker = DeepSort()
    tracks = run_scene(tracker, frames)
    assert tracker.uses_appearance is False
    assert sorted(tracks[-1].track_id.tolist()) == [1, 2, 3]


def test_empty_frames_before_the_first_detection_change_nothing():
    frames = synthetic_scene(12)
    expected = run_scene(DeepSort(), frames)
    tracker = DeepSort()
    for _ in range(3):
        assert len(tracker.update([], [])) == 0
    assert tracker.uses_appearance is None
    assert_same_tracks(expected, run_scene(tracker, frames))
    assert tracker.frame_count == 15


@pytest.mark.parametrize("boxes, scores", [
    ([[10, 10, 20, 40]], [0.1]),  # every box below min_confidence
    (np.zeros((0, 4)), np.zeros(0)),  # no boxes, an empty (0, D) descriptor array
], ids=["all-filtered", "no-boxes"])
def test_frames_without_selected_boxes_keep_the_tracks(boxes, scores):
    tracker = DeepSort(min_confidence=0.5, n_init=1)
    tracker.update([[10, 10, 20, 40]], [0.9], features=[[1.0, 0.0]])
    tracker.update([[11, 10, 20, 40]], [0.9], features=[[1.0, 0.0]])
    tracks = tracker.update(boxes, scores, features=np.zeros((len(scores), 2)))
    assert tracks.track_id.tolist() == [1] and tracks.detection_index.tolist() == [-1]
    assert tracker.frame_count == 3


# --- reset ---------------------------------------------------------------------------------------


def test_reset_starts_over():
    frames = synthetic_scene(15)
    tracker = DeepSort(encoder=colour_encoder)
    first = [tracker.update(f.tlwh, f.scores, frame=f.image) for f in frames]
    assert tracker.tracks.track_id.max() == 3
    tracker.reset()
    assert len(tracker.tracks) == 0 and tracker.frame_count == 0 and tracker.uses_appearance is None
    again = [tracker.update(f.tlwh, f.scores, frame=f.image) for f in frames]
    assert_same_tracks(first, again)  # ids from 1 again, galleries forgotten


def test_reset_allows_switching_to_motion_only():
    tracker = DeepSort()
    tracker.update([[10, 10, 20, 40]], [0.9], features=[[1.0, 0.0]])
    with pytest.raises(ValueError, match="features: required"):
        tracker.update([[10, 10, 20, 40]], [0.9])
    tracker.reset()
    tracker.update([[10, 10, 20, 40]], [0.9])
    assert tracker.uses_appearance is False


# --- validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs,message", [
    (dict(boxes=[1, 2, 3, 4], scores=[0.9]), r"boxes: expected shape \(N, 4\), got \(4,\)"),  # one box, 1-D
    (dict(boxes=[[1, 2, 3, 4, 5]], scores=[0.9]), r"boxes: expected shape \(N, 4\), got \(1, 5\)"),  # 5 columns
    (dict(boxes=[[1, 2, np.nan, 4]], scores=[0.9]), r"boxes: row 0 holds NaN or infinity"),  # NaN
    (dict(boxes=[[1, 2, 3, 4], [1, np.inf, 3, 4]], scores=[0.9, 0.8]), r"boxes: row 1 holds NaN"),  # infinity
    (dict(boxes=[[1, 2, -3, 4]], scores=[0.9]), r"boxes: row 0 \(tlwh\) .* non-positive size"),  # negative width
    (dict(boxes=[[1, 2, 3, 0]], scores=[0.9]), r"non-positive size; expected width > 0 and height > 0"),  # zero height
    (dict(boxes=[[5, 5, 1, 9]], scores=[0.9], box_format="xyxy"), r"\(xyxy\).*expected x2 > x1"),  # x2 < x1
    (dict(boxes=[["a", "b", "c", "d"]], scores=[0.9]), r"boxes: expected an array of numbers"),  # text
    (dict(boxes=[[1, 2], [1, 2, 3, 4]], scores=[0.9]), r"boxes: expected an array of numbers.*ragged"),  # ragged
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9, 0.8]), r"scores: expected shape \(1,\), one per box, got \(2,\)"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[[0.9]]), r"scores: expected shape \(1,\), one per box, got \(1, 1\)"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[np.nan]), r"scores: row 0 holds NaN"),  # NaN score
    (dict(boxes=[[1, 2, 3, 4]], scores=[True]), r"scores: expected an array of numbers"),  # booleans
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], features=[[1.0], [2.0]]),
     r"features: expected 1 rows \(one per box\), got 2"),  # more features than boxes
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], features=[1.0, 2.0]),
     r"features: expected shape \(1, D\), got \(2,\)"),  # 1-D features
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], features=[[1.0, np.nan]]), r"features: row 0 holds NaN"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], features=np.zeros((1, 0))), r"with D >= 1, got \(1, 0\)"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], class_ids=[1, 2]), r"class_ids: expected shape \(1,\)"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], class_ids=[1.5]), r"class_ids: row 0 is 1.5, expected a whole"),
    (dict(boxes=[[1, 2, 3, 4]], scores=[0.9], box_format="cxcywh"), r"box_format: expected one of tlwh, xyxy"),
])
def test_bad_update_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepSort().update(**kwargs)


def test_bad_update_leaves_the_tracker_unchanged():
    tracker = DeepSort(n_init=1)
    tracker.update([[1, 2, 3, 4]], [0.9])
    with pytest.raises(ValueError):
        tracker.update([[1, 2, 3, 4]], [0.9, 0.1])
    assert tracker.frame_count == 1 and tracker.tracks.time_since_update.tolist() == [0]


def test_feature_length_must_stay_the_same():
    tracker = DeepSort()
    tracker.update([[1, 2, 3, 4]], [0.9], features=[[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"expected descriptors of length 3 \(as in earlier frames\), got shape \(1, 2\)"):
        tracker.update([[1, 2, 3, 4]], [0.9], features=[[1.0, 0.0]])
    tracker.update([], [], features=np.zeros((0, 3)))  # empty frames may carry (0, D) or no features
    tracker.update([], [])


def test_features_after_motion_only_frames():
    tracker = DeepSort()
    tracker.update([[1, 2, 3, 4]], [0.9])
    with pytest.raises(ValueError, match="started motion-only"):
        tracker.update([[1, 2, 3, 4]], [0.9], features=[[1.0]])


@pytest.mark.parametrize("frame,message", [
    (None, r"frame: required with an encoder"),  # no frame
    (np.zeros((10, 10), np.uint8), r"frame: expected an \(H, W, 3\) uint8 BGR image, got ndarray of shape \(10, 10\)"),
    (np.zeros((10, 10, 3)), r"got ndarray of shape \(10, 10, 3\) and dtype float64"),  # float image
])
def test_encoder_needs_a_frame(frame, message):
    tracker = DeepSort(encoder=colour_encoder)
    with pytest.raises(ValueError, match=message):
        tracker.update([[1, 2, 3, 4]], [0.9], frame=frame)


@pytest.mark.parametrize("encoder_output,message", [
    (np.ones((2, 3)), r"encoder output: expected shape \(1, D\), got \(2, 3\)"),  # a row too many
    (np.full((1, 3), np.nan), r"encoder output: row 0 holds NaN"),  # broken model
])
def test_bad_encoder_output(encoder_output, message):
    tracker = DeepSort(encoder=lambda image, boxes: encoder_output)
    with pytest.raises(ValueError, match=message):
        tracker.update([[1, 2, 3, 4]], [0.9], frame=np.zeros((10, 10, 3), np.uint8))
    assert tracker.frame_count == 0 and tracker.uses_appearance is None


@pytest.mark.parametrize("kwargs,message", [
    (dict(max_age=0), r"max_age must be a positive integer, got 0"),
    (dict(n_init=1.5), r"n_init must be a positive integer"),
    (dict(nn_budget=0), r"nn_budget must be a positive integer or None, got 0"),
    (dict(max_cosine_distance=-0.1), r"max_cosine_distance must be in \[0, 2\]"),
    (dict(max_iou_distance=1.5), r"max_iou_distance must be in \[0, 1\]"),
    (dict(nms_max_overlap=float("nan")), r"nms_max_overlap must be in \[0, 1\]"),
    (dict(min_confidence=float("inf")), r"min_confidence must be a finite number"),
    (dict(min_detection_height=-1), r"min_detection_height must be >= 0"),
    (dict(box_format="xywh"), r"box_format: expected one of tlwh, xyxy, tlbr, got 'xywh'"),
    (dict(encoder=42), r"encoder: expected a model path, a callable or None, got int"),
])
def test_bad_constructor_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeepSort(**kwargs)


def test_missing_model_file(tmp_path):
    with pytest.raises(InputError, match=r"model file does not exist"):
        DeepSort(encoder=tmp_path / "missing.onnx")


# --- the Tracks container -----------------------------------------------------------------------


def _some_tracks() -> Tracks:
    return Tracks(track_id=[4, 7], tlwh=[[1, 2, 3, 4], [5, 6, 7, 8]], state=[2, 1], hits=[5, 1], age=[6, 1],
                  time_since_update=[0, 0], detection_index=[1, 0], class_id=[-1, 2])


def test_tracks_is_a_read_only_array_view():
    tracks = _some_tracks()
    assert len(tracks) == 2 and tracks.track_id.dtype == np.int64 and tracks.tlwh.dtype == np.float64
    with pytest.raises(dataclasses.FrozenInstanceError):
        tracks.track_id = np.array([1, 2])
    with pytest.raises(ValueError, match="read-only"):
        tracks.tlwh[0, 0] = 9.0


def test_tracks_rows_and_selection():
    tracks = _some_tracks()
    records = list(tracks)
    assert records[0] == TrackRecord(4, records[0].tlwh, TrackState.Confirmed, 5, 6, 0, 1, -1)
    assert records[1].state is TrackState.Tentative and records[1].class_id == 2
    assert tracks[tracks.is_confirmed].track_id.tolist() == [4]
    assert tracks[-1].track_id.tolist() == [7] and tracks[0].track_id.tolist() == [4]
    assert tracks[::-1].track_id.tolist() == [7, 4]
    assert tracks.state_names == ["Confirmed", "Tentative"]


def test_tracks_to_mot_rows():
    np.testing.assert_array_equal(
        _some_tracks().to_mot_rows(12),
        [[12, 4, 1, 2, 3, 4, 1, -1, -1, -1], [12, 7, 5, 6, 7, 8, 1, -1, -1, -1]],
    )


def test_tracks_reject_inconsistent_lengths():
    with pytest.raises(ValueError, match=r"Tracks.tlwh: expected shape \(K, 4\) with K = 1, got \(2, 4\)"):
        Tracks(track_id=[1], tlwh=[[1, 2, 3, 4], [1, 2, 3, 4]], state=[1], hits=[1], age=[1],
               time_since_update=[0], detection_index=[0], class_id=[-1])


# --- import cost --------------------------------------------------------------------------------


def test_import_stays_light():
    code = (
        "import sys, deep_sort\n"
        "assert 'deep_sort.online' not in sys.modules\n"
        "tracker = deep_sort.DeepSort(encoder=lambda image, boxes: [[1.0]] * len(boxes))\n"
        "import numpy as np\n"
        "tracker.update([[1, 2, 3, 4]], [0.9], frame=np.zeros((8, 8, 3), np.uint8))\n"
        "import deep_sort.interop\n"
        "heavy = {'cv2', 'tensorflow', 'openvino', 'onnxruntime', 'pandas', 'supervision'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
