"""supervision adapters: with a stand-in module (supervision is optional), and the real one if installed."""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass, field

import numpy as np
import pytest

from deep_sort import DeepSort
from deep_sort.interop import from_supervision, to_supervision


@dataclass
class StandInDetections:
    """The part of ``supervision.Detections`` the adapters use."""

    xyxy: np.ndarray
    confidence: np.ndarray | None = None
    class_id: np.ndarray | None = None
    tracker_id: np.ndarray | None = None
    data: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: np.ndarray) -> StandInDetections:
        def pick(array):
            return None if array is None else np.asarray(array)[index]

        return StandInDetections(pick(self.xyxy), pick(self.confidence), pick(self.class_id),
                                 pick(self.tracker_id), {k: pick(v) for k, v in self.data.items()})


@pytest.fixture
def stand_in_supervision(monkeypatch):
    module = types.ModuleType("supervision")
    module.Detections = StandInDetections
    monkeypatch.setitem(sys.modules, "supervision", module)
    return module


def _frame_detections(frame_idx: int) -> StandInDetections:
    x = 10.0 + 2 * frame_idx
    return StandInDetections(
        xyxy=np.array([[200.0, 10, 230, 90], [x, 20, x + 30, 100], [400.0, 5, 420, 60]]),
        confidence=np.array([0.9, 0.8, 0.1]),
        class_id=np.array([0, 2, 0]),
        data={"class_name": np.array(["person", "car", "person"])},
    )


def test_from_supervision_gives_update_arguments():
    arguments = from_supervision(_frame_detections(1))
    assert arguments["box_format"] == "xyxy"
    np.testing.assert_array_equal(arguments["scores"], [0.9, 0.8, 0.1])
    np.testing.assert_array_equal(arguments["class_ids"], [0, 2, 0])
    no_scores = from_supervision(StandInDetections(xyxy=np.zeros((0, 4))))
    assert no_scores["boxes"].shape == (0, 4) and no_scores["class_ids"] is None
    np.testing.assert_array_equal(from_supervision(StandInDetections(np.ones((2, 4))))["scores"], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"expected supervision.Detections \(with .xyxy\), got list"):
        from_supervision([[1, 2, 3, 4]])


def test_round_trip_with_detections(stand_in_supervision):
    tracker = DeepSort(n_init=2)
    for frame_idx in range(1, 4):
        detections = _frame_detections(frame_idx)
        tracks = tracker.update(**from_supervision(detections))
    tracked = to_supervision(tracks, detections)
    # Row 2 is below min_confidence: the two others come back with their ids, in track order.
    np.testing.assert_array_equal(tracked.tracker_id, [1, 2])
    np.testing.assert_array_equal(tracked.xyxy, detections.xyxy[[0, 1]])
    assert tracked.data["class_name"].tolist() == ["person", "car"]
    np.testing.assert_array_equal(tracks.class_id, [0, 2])


def test_tracks_to_new_detections(stand_in_supervision):
    tracker = DeepSort(n_init=1)
    tracker.update(**from_supervision(_frame_detections(1)))
    tracks = tracker.update(**from_supervision(_frame_detections(2)))
    converted = to_supervision(tracks)
    np.testing.assert_array_equal(converted.tracker_id, tracks.track_id)
    np.testing.assert_allclose(converted.xyxy, tracks.xyxy)
    np.testing.assert_array_equal(converted.class_id, [0, 2])
    assert converted.confidence is None
    no_classes = DeepSort(n_init=1)
    no_classes.update([[1, 2, 30, 40]], [0.9])
    assert to_supervision(no_classes.update([[1, 2, 30, 40]], [0.9])).class_id is None


def test_clear_error_without_supervision(monkeypatch):
    monkeypatch.setitem(sys.modules, "supervision", None)  # makes `import supervision` fail
    tracks = DeepSort(n_init=1).update([[1, 2, 30, 40]], [0.9])
    with pytest.raises(ImportError, match=r"needs the supervision package: pip install supervision"):
        to_supervision(tracks)


def test_with_real_supervision():
    sv = pytest.importorskip("supervision")
    tracker = DeepSort(n_init=2)
    for frame_idx in range(1, 4):
        stand_in = _frame_detections(frame_idx)
        detections = sv.Detections(xyxy=stand_in.xyxy, confidence=stand_in.confidence, class_id=stand_in.class_id)
        tracks = tracker.update(**from_supervision(detections))
    tracked = to_supervision(tracks, detections)
    assert isinstance(tracked, sv.Detections)
    np.testing.assert_array_equal(tracked.tracker_id, [1, 2])
    converted = to_supervision(tracks)
    assert isinstance(converted, sv.Detections) and len(converted) == 2
