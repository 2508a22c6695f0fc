"""MOTChallenge preprocessing rules: distractors, consider flag, benchmark detection."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.evaluation.preprocess import Benchmark, detect_benchmark, frame_masks, invalid_classes


@pytest.mark.parametrize(
    "columns, name, expected",
    [
        (9, "MOT16-02", Benchmark.MOT16),  # MOT16 gt
        (9, "MOT17-02-FRCNN", Benchmark.MOT17),  # MOT17 gt
        (9, "MOT20-01", Benchmark.MOT20),  # MOT20: extra distractor class
        (9, "SYN-G2", Benchmark.MOT17),  # any other 9-column gt: MOT16/17 rules
        (10, "TUD-Campus", Benchmark.MOT15),  # MOT15 style (consider, x, y, z)
        (10, "MOT20-01", Benchmark.MOT15),  # the columns decide, not the name
    ],
)
def test_detect_benchmark(columns, name, expected):
    assert detect_benchmark(np.zeros((3, columns)), name) is expected


@pytest.mark.parametrize(
    "benchmark, classes",
    [
        (Benchmark.MOT15, set()),  # no class column
        (Benchmark.MOT16, {2, 7, 8, 12}),
        (Benchmark.MOT17, {2, 7, 8, 12}),
        (Benchmark.MOT20, {2, 6, 7, 8, 12}),  # non-MOT vehicle too
    ],
)
def test_distractor_classes(benchmark, classes):
    assert benchmark.distractor_classes == classes


def test_invalid_classes():
    assert invalid_classes([1, 2, 13, 0, -1, 14]).tolist() == [-1, 0, 14]


def masks(similarity, classes, consider, benchmark=Benchmark.MOT17):
    gt_keep, tracker_keep = frame_masks(
        np.array(similarity, dtype=float).reshape(len(classes), -1),
        np.array(classes), np.array(consider), benchmark)
    return gt_keep.tolist(), tracker_keep.tolist()


@pytest.mark.parametrize(
    "similarity, classes, consider, expected_gt, expected_tracker",
    [
        # A box on a pedestrian is kept, a box on a static person (7) removed, and the
        # static person itself is not scored.
        ([[0.9, 0.0], [0.0, 0.8]], [1, 7], [1, 0], [True, False], [True, False]),
        # Each distractor class removes its match.
        ([[0.6]], [2], [0], [False], [False]),  # person on vehicle
        ([[0.6]], [8], [0], [False], [False]),  # distractor
        ([[0.6]], [12], [0], [False], [False]),  # reflection
        # IoU just below 0.5: no match, the box stays (a false positive).
        ([[0.49]], [7], [0], [False], [True]),
        # IoU exactly 0.5 matches.
        ([[0.5]], [7], [0], [False], [False]),
        # Non-distractor, non-pedestrian classes (car 3, non-MOT vehicle 6 in MOT17) do not
        # remove boxes: those are false positives.
        ([[0.9]], [3], [0], [False], [True]),
        ([[0.9]], [6], [0], [False], [True]),
        # A pedestrian with consider 0 is not scored, and a box on it stays (false positive),
        # as in the kit: only distractor classes remove boxes.
        ([[0.9]], [1], [0], [False], [True]),
        # The box is matched one-to-one by maximum total IoU: box 0 goes to the distractor
        # (0.7) because box 1 covers the pedestrian better; box 0 is removed.
        ([[0.6, 0.9], [0.7, 0.0]], [1, 8], [1, 0], [True, False], [False, True]),
        # Here the pedestrian takes box 0, nothing is left for the distractor.
        ([[0.9], [0.7]], [1, 8], [1, 0], [True, False], [True]),
    ],
)
def test_mot17_frame_rules(similarity, classes, consider, expected_gt, expected_tracker):
    assert masks(similarity, classes, consider) == (expected_gt, expected_tracker)


def test_mot20_removes_boxes_on_non_mot_vehicles():
    assert masks([[0.9]], [6], [0], Benchmark.MOT20) == ([False], [False])


@pytest.mark.parametrize("benchmark", [Benchmark.MOT16, Benchmark.MOT17, Benchmark.MOT20])
def test_class_rule_alone_drops_a_considered_non_pedestrian(benchmark):
    # A car (class 3) with consider flag 1: only the class rule drops it. A
    # car is no distractor, so the box on it stays (a false positive).
    assert masks([[0.9]], [3], [1], benchmark) == ([False], [True])
    # The same row as a pedestrian is scored.
    assert masks([[0.9]], [1], [1], benchmark) == ([True], [True])


def test_class_rule_alone_in_a_sequence():
    from deep_sort.evaluation.sequence import build_sequence_data

    gt = np.array([[1, 1, 0, 0, 10, 10, 1, 3, 1.0], [1, 2, 50, 0, 10, 10, 1, 1, 1.0]])
    results = np.array([[1, 5, 0, 0, 10, 10], [1, 6, 50, 0, 10, 10]])
    mot17 = build_sequence_data("cars", gt, results, 1, Benchmark.MOT17)
    assert mot17.num_gt_dets == 1 and mot17.num_tracker_dets == 2  # the car is not scored, its box is
    mot15 = build_sequence_data("cars", gt, results, 1, Benchmark.MOT15)
    assert mot15.num_gt_dets == 2  # MOT15 has no classes: both are scored


def test_mot15_ignores_classes_and_uses_the_consider_flag_only():
    # In MOT15 files column 8 is a world coordinate, not a class.
    assert masks([[0.9, 0.0], [0.0, 0.9]], [7, -1], [1, 0], Benchmark.MOT15) == ([True, False], [True, True])


@pytest.mark.parametrize("n_gt, n_tracker", [(0, 2), (2, 0), (0, 0)])  # empty frames
def test_empty_frames(n_gt, n_tracker):
    gt_keep, tracker_keep = frame_masks(
        np.zeros((n_gt, n_tracker)), np.ones(n_gt, int), np.ones(n_gt, int), Benchmark.MOT17)
    assert gt_keep.tolist() == [True] * n_gt
    assert tracker_keep.tolist() == [True] * n_tracker
