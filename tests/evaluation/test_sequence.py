"""Building the scoring input of a sequence: preprocessing, relabelling, validation."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.evaluation.preprocess import Benchmark
from deep_sort.evaluation.sequence import build_sequence_data, check_groundtruth, check_results


def gt_row(frame, gt_id, left, consider=1, cls=1):
    return [frame, gt_id, left, 0, 10, 10, consider, cls, 1.0]


def result_row(frame, track_id, left):
    return [frame, track_id, left, 0, 10, 10, 1, -1, -1, -1]


def test_preprocessing_and_relabelling():
    gt = np.array([
        gt_row(1, 5, 0), gt_row(1, 40, 100, consider=0, cls=7),  # frame 1: pedestrian, static person
        gt_row(3, 5, 2), gt_row(3, 9, 50),  # frame 3: two pedestrians; frame 2 is empty
    ])
    results = np.array([
        result_row(3, 77, 50), result_row(1, 12, 1), result_row(1, 13, 100),  # any order
        result_row(3, 12, 2),
    ])
    data = build_sequence_data("toy", gt, results, num_frames=4, benchmark=Benchmark.MOT17)
    assert data.num_frames == 4
    # Ids relabelled 0..n-1 in increasing order of the file's ids; the static person and
    # track 13 (on it) are gone.
    assert [ids.tolist() for ids in data.gt_ids] == [[0], [], [0, 1], []]
    assert [ids.tolist() for ids in data.tracker_ids] == [[0], [], [1, 0], []]
    assert (data.num_gt_ids, data.num_tracker_ids, data.num_gt_dets, data.num_tracker_dets) == (2, 2, 3, 3)
    assert [s.shape for s in data.similarity_scores] == [(1, 1), (0, 0), (2, 2), (0, 0)]
    np.testing.assert_allclose(data.similarity_scores[0], [[90 / 110]])
    trackeval = data.to_trackeval()
    assert trackeval["num_timesteps"] == 4 and len(trackeval["gt_ids"]) == 4


def test_mot15_keeps_rows_regardless_of_column_8():
    gt = np.array([[1, 1, 0, 0, 10, 10, 1, 7.5, -1, -1], [1, 2, 50, 0, 10, 10, 0, -1, -1, -1]])
    data = build_sequence_data("mot15", gt, np.array([result_row(1, 3, 0)]), 1, Benchmark.MOT15)
    assert data.num_gt_dets == 1 and data.num_tracker_dets == 1


def test_empty_results():
    gt = np.array([gt_row(1, 1, 0), gt_row(2, 1, 0)])
    data = build_sequence_data("empty", gt, np.zeros((0, 10)), 2, Benchmark.MOT17)
    assert data.num_tracker_dets == 0 and data.num_tracker_ids == 0 and data.num_gt_dets == 2


@pytest.mark.parametrize(
    "rows, benchmark, message",
    [
        ([gt_row(1, 1, 0), gt_row(1, 1, 5)], Benchmark.MOT17, "frame 1: id 1 appears more than once"),
        ([gt_row(6, 1, 0)], Benchmark.MOT17, "frame 6 is outside the sequence's frames 1..5"),
        ([gt_row(2, 1, 0, cls=-1)], Benchmark.MOT17, "frame 2: class -1 is not a MOTChallenge class"),
        ([gt_row(2, 1, 0, cls=14)], Benchmark.MOT20, "class 14"),
        ([gt_row(1, 1, 0, cls=14), gt_row(2, 1, 0, cls=-1)], Benchmark.MOT17, "frame 1: class 14"),  # first row
        ([[1, 1, 0, 0, 10, 10]], Benchmark.MOT15, "at least 7 columns"),  # no consider flag
    ],
)
def test_bad_groundtruth(rows, benchmark, message):
    with pytest.raises(ValueError, match=message):
        check_groundtruth(np.array(rows, dtype=float), 5, benchmark)


def test_class_minus_one_is_fine_for_mot15():
    # In MOT15 files column 8 is a world coordinate (-1): the row is checked,
    # kept and scored; MOT16/17 rules reject the same row.
    gt = np.array([gt_row(2, 1, 0, cls=-1)], dtype=float)
    check_groundtruth(gt, 5, Benchmark.MOT15)
    data = build_sequence_data("mot15", gt, np.array([result_row(2, 7, 0)], dtype=float), 5, Benchmark.MOT15)
    assert [ids.tolist() for ids in data.gt_ids] == [[], [0], [], [], []]
    assert [ids.tolist() for ids in data.tracker_ids] == [[], [0], [], [], []]
    np.testing.assert_allclose(data.similarity_scores[1], [[1.0]])
    with pytest.raises(ValueError, match="frame 2: class -1"):
        check_groundtruth(gt, 5, Benchmark.MOT17)


@pytest.mark.parametrize(
    "rows, benchmark, message",
    [
        ([result_row(1, 4, 0), result_row(1, 4, 9)], Benchmark.MOT17, "frame 1: id 4 appears more than once"),
        ([result_row(9, 4, 0)], Benchmark.MOT15, "frame 9 is outside"),
        ([[1, 4, 0, 0, 10, 10, 1, 3, -1, -1]], Benchmark.MOT17, "class 3 .* pedestrians only"),
        ([[1, 4, 0, 0, 10]], Benchmark.MOT17, "at least 6 columns"),
    ],
)
def test_bad_results(rows, benchmark, message):
    with pytest.raises(ValueError, match=message):
        check_results(np.array(rows, dtype=float), 5, benchmark)


@pytest.mark.parametrize("cls", [1, -1])  # pedestrian, unknown
def test_result_classes_accepted(cls):
    results = np.array([[1, 4, 0, 0, 10, 10, 1, cls, -1, -1]], dtype=float)
    check_results(results, 5, Benchmark.MOT17)
    # The row is scored: matched to the pedestrian it covers, not dropped.
    data = build_sequence_data("classes", np.array([gt_row(1, 1, 0)], dtype=float), results, 5, Benchmark.MOT17)
    assert data.num_tracker_dets == 1 and data.tracker_ids[0].tolist() == [0]
    np.testing.assert_allclose(data.similarity_scores[0], [[1.0]])
    # The next class is not a pedestrian: rejected.
    results[0, 7] = 2
    with pytest.raises(ValueError, match="class 2"):
        check_results(results, 5, Benchmark.MOT17)


def test_build_validates_and_needs_frames():
    gt = np.array([gt_row(1, 1, 0)])
    with pytest.raises(ValueError, match="num_frames"):
        build_sequence_data("x", gt, np.zeros((0, 10)), 0, Benchmark.MOT17)
    with pytest.raises(ValueError, match="appears more than once"):
        build_sequence_data("x", gt, np.array([result_row(1, 2, 0), result_row(1, 2, 0)]), 1, Benchmark.MOT17)
