"""The tracking loop's sequence-level preparation gives each frame the detections of the per-frame reading."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from deep_sort.app.pipeline import frame_detections, iterate_tracking
from deep_sort.config import TrackingConfig
from deep_sort.io.mot import SequenceInfo


def _random_detections(rng: np.random.Generator, dtype: type, shuffle: bool) -> np.ndarray:
    rows = []
    for frame in range(1, 41):
        n = int(rng.integers(0, 9))
        boxes = np.column_stack([rng.uniform(0, 200, (n, 2)), rng.uniform(5, 60, (n, 2))])
        scores = rng.choice([0.2, 0.5, 0.5, 0.9], size=n)  # ties: their order follows the file's dtype
        features = rng.normal(size=(n, 8))
        rows.append(np.column_stack([np.full(n, frame), -np.ones(n), boxes, scores, -np.ones((n, 3)), features]))
    detections = np.concatenate(rows).astype(dtype)
    if shuffle:
        detections = detections[rng.permutation(len(detections))]
    return detections


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "shuffled"])
def test_iterate_tracking_feeds_the_per_frame_detections(rng, dtype, shuffle):
    detections = _random_detections(rng, dtype, shuffle)
    config = TrackingConfig(min_confidence=0.3, min_detection_height=20, nms_max_overlap=0.6)
    seq_info = SequenceInfo(name="synthetic", sequence_dir=Path("synthetic"))  # no images: frames of the detections
    seen = 0
    for frame_idx, frame_dets, _ in iterate_tracking(seq_info, detections, config, every_frame=True):
        # The per-frame reading: this frame's rows in file order, filters, NMS.
        rows = detections[detections[:, 0] == frame_idx]
        expected = frame_detections(rows, config)
        assert [d.tlwh.tolist() for d in frame_dets] == [d.tlwh.tolist() for d in expected]
        assert [float(d.confidence) for d in frame_dets] == [float(d.confidence) for d in expected]
        assert [d.feature.tolist() for d in frame_dets] == [d.feature.tolist() for d in expected]
        assert all(d.feature.dtype == np.float32 for d in frame_dets)
        seen += 1
    assert seen == 40
