"""The vectorised scorer gives TrackEval's numbers exactly: every field, bit for bit.

TrackEval (through :func:`deep_sort.evaluation.metrics.score_sequence` on
:func:`deep_sort.evaluation.sequence.build_sequence_data`) is the reference.
"""
from __future__ import annotations

import numpy as np
import pytest

from support import GOLDEN, golden_cases
from deep_sort.app.options import add_tracking_arguments
from deep_sort.app.pipeline import track_detections
from deep_sort.config import TrackingConfig
from deep_sort.evaluation import Benchmark, build_sequence_data
from deep_sort.evaluation.metrics import combine_scores as trackeval_combine
from deep_sort.evaluation.metrics import score_sequence
from deep_sort.evaluation.pairs import pair_frames, prepare_groundtruth
from deep_sort.evaluation.vectorized import combine_scores, score_results
from deep_sort.io.mot import load_detections, load_groundtruth, read_sequence, round_as_written

pytest.importorskip("trackeval")


def assert_identical(expected, actual) -> None:
    """Every field of every metric family equal (arrays elementwise, NaN never expected)."""
    for family in ("clear", "identity", "hota"):
        reference, ours = getattr(expected, family), getattr(actual, family)
        assert set(ours) == set(reference), family
        for field, value in reference.items():
            assert np.array_equal(np.asarray(ours[field]), np.asarray(value)), (family, field, ours[field], value)
    assert actual.num_frames == expected.num_frames
    assert actual.summary() == expected.summary()


def reference_scores(name, gt, results, num_frames, benchmark):
    return score_sequence(build_sequence_data(name, gt, results, num_frames, benchmark))


def random_sequence(rng: np.random.Generator, benchmark: Benchmark) -> tuple[np.ndarray, np.ndarray, int]:
    """Ground truth with distractors and crowds, and a tracker output with duplicates, ties and id swaps."""
    num_frames = int(rng.integers(1, 40))
    n_people = int(rng.integers(0, 12))
    gt, results = [], []
    boxes = rng.uniform([0, 0, 10, 20], [200, 100, 60, 120], size=(n_people, 4))
    velocity = rng.normal(0, 3, size=(n_people, 2))
    classes = rng.choice([1, 1, 1, 1, 2, 7, 8, 12, 6, 3], size=n_people)
    consider = np.where(classes == 1, 1, 0) * (rng.random(n_people) > 0.1)
    track_of = rng.integers(1, max(2, n_people // 2 + 2), size=n_people)  # shared ids: id switches
    for frame in range(1, num_frames + 1):
        boxes[:, :2] += velocity
        for person in range(n_people):
            if rng.random() < 0.15:
                continue  # out of view
            box = np.round(boxes[person], 2)
            gt.append([frame, person + 1, *box, consider[person], classes[person], 1.0])
            if rng.random() < 0.25:
                continue  # missed by the tracker
            if rng.random() < 0.05:
                track_of[person] = rng.integers(1, n_people + 3)
            noisy = box + (0 if rng.random() < 0.2 else rng.normal(0, 3, 4))  # exact copies make ties
            results.append([frame, track_of[person], *noisy])
            if rng.random() < 0.1:  # a duplicate track on the same person
                results.append([frame, 100 + track_of[person], *(noisy + rng.normal(0, 1, 4))])
        for _ in range(rng.poisson(0.7)):  # false positives
            results.append([frame, int(rng.integers(200, 210)), *rng.uniform([0, 0, 5, 5], [200, 100, 60, 100])])
    gt = np.array(gt, dtype=float).reshape(-1, 9)
    if benchmark is Benchmark.MOT15:
        gt = np.column_stack([gt[:, :6], np.ones(len(gt)), -np.ones((len(gt), 3))])
    results = np.array(results, dtype=float).reshape(-1, 6)
    # One row per (frame, id), as a tracker writes.
    _, first = np.unique(results[:, :2], axis=0, return_index=True)
    results = results[np.sort(first)]
    results[:, 4:6] = np.abs(results[:, 4:6])
    return gt, round_as_written(results), num_frames


@pytest.mark.parametrize("benchmark", [Benchmark.MOT17, Benchmark.MOT20, Benchmark.MOT15])
def test_random_sequences_match_trackeval(benchmark):
    rng = np.random.default_rng({"MOT17": 1, "MOT20": 2, "MOT15": 3}[benchmark.value])
    ours, reference = [], []
    for trial in range(150):
        gt, results, num_frames = random_sequence(rng, benchmark)
        seq_length = num_frames if trial % 4 else None  # no seqinfo.ini: frames from gt and results
        last = max([num_frames] + [int(results[:, 0].max())] * bool(len(results)))
        expected = reference_scores(f"SEQ-{trial}", gt, results, seq_length or last, benchmark)
        prepared = prepare_groundtruth(f"SEQ-{trial}", gt, benchmark, seq_length, last_image_frame=num_frames)
        actual = score_results(prepared, results)
        assert_identical(expected, actual)
        ours.append(actual)
        reference.append(expected)
    assert_identical(trackeval_combine(reference), combine_scores(ours))


def test_pairs_match_sequence_data(rng):
    """The sparse pairs hold exactly the non-zero entries of the per-frame matrices."""
    for _ in range(30):
        gt, results, num_frames = random_sequence(rng, Benchmark.MOT17)
        data = build_sequence_data("SEQ", gt, results, num_frames, Benchmark.MOT17)
        pairs = pair_frames(prepare_groundtruth("SEQ", gt, Benchmark.MOT17, num_frames), results)
        assert pairs.num_gt_ids == data.num_gt_ids and pairs.num_tracker_ids == data.num_tracker_ids
        starts = pairs.pair_start
        for t in range(num_frames):
            assert np.array_equal(pairs.gt_ids[pairs.gt_start[t]:pairs.gt_start[t + 1]], data.gt_ids[t])
            assert np.array_equal(pairs.tracker_ids[pairs.tracker_start[t]:pairs.tracker_start[t + 1]],
                                  data.tracker_ids[t])
            assert np.array_equal(pairs.frame_matrix(t, pairs.similarity, starts), data.similarity_scores[t])


@pytest.mark.parametrize("empty", ["tracker", "gt", "both"])
def test_empty_sides_match_trackeval(rng, empty):
    gt, results, num_frames = random_sequence(rng, Benchmark.MOT17)
    if empty in ("tracker", "both"):
        results = results[:0]
    if empty in ("gt", "both"):
        gt = gt[:0]
    expected = reference_scores("SEQ", gt, results, num_frames, Benchmark.MOT17)
    assert_identical(expected, score_results(prepare_groundtruth("SEQ", gt, Benchmark.MOT17, num_frames), results))


def _golden_config(options: list[str]) -> TrackingConfig:
    import argparse

    parser = argparse.ArgumentParser()
    add_tracking_arguments(parser, TrackingConfig())
    args = parser.parse_args(options)
    return TrackingConfig(**{name: getattr(args, name) for name in TrackingConfig.names()})


@pytest.mark.parametrize("seq,params,options", golden_cases(), ids=lambda v: v if isinstance(v, str) else None)
def test_golden_cases_match_trackeval(seq, params, options):
    seq_info = read_sequence(GOLDEN / "sequences" / seq)
    gt = load_groundtruth(seq_info.groundtruth_path)
    results = round_as_written(track_detections(seq_info, load_detections(GOLDEN / "detections" / f"{seq}.npy"),
                                                _golden_config(options)))
    num_frames = seq_info.seq_length
    expected = reference_scores(seq, gt, results, num_frames, Benchmark.MOT17)
    assert_identical(expected, score_results(prepare_groundtruth(seq, gt, Benchmark.MOT17, num_frames), results))


def test_result_frame_outside_sequence_is_an_error(rng):
    gt, results, num_frames = random_sequence(rng, Benchmark.MOT17)
    prepared = prepare_groundtruth("SEQ", gt, Benchmark.MOT17, num_frames)
    late = np.array([[num_frames + 1, 1, 0, 0, 10, 10]], dtype=float)
    with pytest.raises(ValueError, match=f"frame {num_frames + 1} is outside"):
        score_results(prepared, late)
