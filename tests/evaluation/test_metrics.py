"""CLEAR MOT, identity and HOTA scores: hand-derived toy sequences and the official kit as reference."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.evaluation.metrics import combine_scores, score_sequence
from deep_sort.evaluation.preprocess import Benchmark
from deep_sort.evaluation.sequence import build_sequence_data
from deep_sort.evaluation.summary import SUMMARY_COLUMNS
from mot_eval_helpers import synthetic_sequence, trackeval_reference, write_rows, write_seqinfo

pytest.importorskip("trackeval")


def box(left):
    return [left, 0, 10, 20]


def toy_sequence():
    """Two pedestrians A, B and a static person S over 4 frames; exact tracker boxes.

    gt:      A (id 1) x=0, B (id 2) x=100, S (id 3, class 7, consider 0) x=200, frames 1-4
    tracker: track 1 on A frames 1-4; track 2 on B frames 1-2, track 5 on B frames 3-4 (a switch);
             track 3 on S frames 1-4; track 4 on empty ground at x=300 in frame 2.
    """
    gt, results = [], []
    for frame in range(1, 5):
        gt += [[frame, 1, *box(0), 1, 1, 1.0], [frame, 2, *box(100), 1, 1, 1.0], [frame, 3, *box(200), 0, 7, 1.0]]
        results += [[frame, 1, *box(0)], [frame, 2 if frame <= 2 else 5, *box(100)], [frame, 3, *box(200)]]
    results.append([2, 4, *box(300)])
    return np.array(gt, dtype=float), np.array(results, dtype=float)


def test_toy_sequence_by_hand():
    gt, results = toy_sequence()
    summary = score_sequence(build_sequence_data("toy", gt, results, 4, Benchmark.MOT17)).summary()
    # Track 3 sits on the static person: neither TP nor FP. TP 8, FP 1 (track 4), FN 0, 1 switch.
    counts = {key: summary[key] for key in ("GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM", "Frag")}
    assert counts == {"GT": 2, "MT": 2, "PT": 0, "ML": 0, "FP": 1, "FN": 0, "IDs": 1, "FM": 0, "Frag": 0}
    expected = {
        "MOTA": 100 * (8 - 1 - 1) / 8,
        "MOTP": 100.0,  # exact boxes: mean IoU 1
        "Rcll": 100.0,
        "Prcn": 100 * 8 / 9,
        "FAR": 1 / 4,
        # Identity: A-1 (4 frames) and B-2 or B-5 (2 frames): IDTP 6, IDFN 2, IDFP 3.
        "IDF1": 100 * 6 / (6 + 0.5 * 3 + 0.5 * 2),
        "IDP": 100 * 6 / 9,
        "IDR": 100 * 6 / 8,
        # HOTA at every IoU threshold: DetA = 8 / 9; AssA = (4 * 1 + 2 * 0.5 + 2 * 0.5) / 8.
        "DetA": 100 * 8 / 9,
        "AssA": 100 * 0.75,
        "HOTA": 100 * np.sqrt(8 / 9 * 0.75),
        "LocA": 100.0,
    }
    for key, value in expected.items():
        assert summary[key] == pytest.approx(value), key


def test_toy_sequence_without_distractor_rules():
    # MOT15 rules ignore classes: the consider flag still drops S from the ground truth,
    # but track 3 is not removed and counts as 4 false positives.
    gt, results = toy_sequence()
    summary = score_sequence(build_sequence_data("toy", gt, results, 4, Benchmark.MOT15)).summary()
    assert (summary["FP"], summary["FN"], summary["IDs"]) == (5, 0, 1)
    assert summary["MOTA"] == pytest.approx(100 * (8 - 5 - 1) / 8)


def test_empty_results_score_as_all_missed():
    gt, _ = toy_sequence()
    summary = score_sequence(build_sequence_data("toy", gt, np.zeros((0, 10)), 4, Benchmark.MOT17)).summary()
    assert (summary["FN"], summary["FP"], summary["ML"], summary["MOTA"], summary["HOTA"]) == (8, 0, 2, 0, 0)


def test_overall_sums_counts_instead_of_averaging():
    gt, results = toy_sequence()
    toy = score_sequence(build_sequence_data("toy", gt, results, 4, Benchmark.MOT17))
    empty = score_sequence(build_sequence_data("empty", gt, np.zeros((0, 10)), 4, Benchmark.MOT17))
    overall = combine_scores([toy, empty]).summary()
    assert (overall["FN"], overall["FP"], overall["IDs"], overall["GT"]) == (8, 1, 1, 4)
    assert overall["MOTA"] == pytest.approx(100 * (8 - 1 - 1) / 16)  # not (75 + 0) / 2
    assert overall["FAR"] == pytest.approx(1 / 8)
    with pytest.raises(ValueError, match="no sequence"):
        combine_scores([])


@pytest.mark.parametrize(
    "benchmark, seed",
    [
        ("MOT17", 1),  # distractor classes 2, 7, 8, 12
        ("MOT20", 2),  # class 6 as well
        ("MOT15", 3),  # 10-column gt, no classes
    ],
)
def test_same_as_official_kit(tmp_path, benchmark, seed):
    """Every summary column, per sequence and OVERALL, equals TrackEval's own pipeline."""
    rng = np.random.default_rng(seed)
    split, results_dir = tmp_path / "split", tmp_path / "res"
    lengths, data = {}, []
    for index in range(3):
        name = f"SEQ-{index}"
        lengths[name] = int(rng.integers(30, 50))
        gt, results = synthetic_sequence(rng, lengths[name], mot15=benchmark == "MOT15")
        write_seqinfo(split / name, name, lengths[name])
        write_rows(split / name / "gt" / "gt.txt", gt, gt.shape[1])
        write_rows(results_dir / f"{name}.txt", results, results.shape[1])
        data.append((name, gt, results))
    expected = trackeval_reference(split, results_dir, lengths, benchmark)

    from deep_sort.io.mot import load_groundtruth, load_results

    scores = {}
    for name, _, _ in data:
        gt = load_groundtruth(split / name / "gt" / "gt.txt")
        results = load_results(results_dir / f"{name}.txt")
        scores[name] = score_sequence(build_sequence_data(name, gt, results, lengths[name], Benchmark(benchmark)))
    actual = {name: score.summary() for name, score in scores.items()}
    actual["OVERALL"] = combine_scores(list(scores.values())).summary()
    assert set(actual) == set(expected)
    for name in actual:
        for column in SUMMARY_COLUMNS:
            assert actual[name][column] == pytest.approx(expected[name][column], abs=1e-9), (name, column)
    if benchmark != "MOT15":
        # The synthetic data does exercise the distractor removal.
        plain = [score_sequence(build_sequence_data(name, gt, results, lengths[name], Benchmark.MOT15))
                 for name, gt, results in data]
        assert combine_scores(plain).summary()["FP"] > actual["OVERALL"]["FP"]
