"""Parity with the MOTChallenge devkit on the TUD sequences shipped with motmetrics."""
from __future__ import annotations

import csv

import numpy as np
import pytest

from deep_sort.app.evaluate import main
from deep_sort.evaluation.summary import LABEL_COLUMN, SUMMARY_COLUMNS
from mot_eval_helpers import DEVKIT_TUD, TUD_LENGTHS, make_tud_split, trackeval_reference

pytest.importorskip("motmetrics")
pytest.importorskip("trackeval")


def printed_table(text: str) -> dict[str, dict[str, str]]:
    lines = [line.split() for line in text.splitlines()]
    header_index = next(index for index, line in enumerate(lines) if line[:2] == ["HOTA", "DetA"])
    header = lines[header_index]
    return {line[0]: dict(zip(header, line[1:])) for line in lines[header_index + 1:] if line}


@pytest.mark.parametrize("seqinfo", [True, False])  # frame count from seqinfo.ini / from the files
def test_eval_only_gives_the_devkit_numbers(tmp_path, capsys, seqinfo):
    split, results = make_tud_split(tmp_path, seqinfo=seqinfo)
    assert main(["--mot_dir", str(split), "--output_dir", str(results), "--eval_only", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "MOT15 rules" in out
    table = printed_table(out)
    assert list(table) == ["TUD-Campus", "TUD-Stadtmitte", "OVERALL"]
    assert list(table["OVERALL"]) == list(SUMMARY_COLUMNS)
    for name, published in DEVKIT_TUD.items():
        for column, value in published.items():
            assert table[name][column] == value, (name, column)


def test_summary_csv_layout_and_overall(tmp_path, capsys):
    split, results = make_tud_split(tmp_path)
    main(["--mot_dir", str(split), "--output_dir", str(results), "--eval_only", "--quiet", "--workers", "1"])
    with open(results / "summary.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == [LABEL_COLUMN, *SUMMARY_COLUMNS]
        rows = {row[LABEL_COLUMN]: row for row in reader}
    assert list(rows) == ["TUD-Campus", "TUD-Stadtmitte", "OVERALL"]
    campus, stadtmitte, overall = rows["TUD-Campus"], rows["TUD-Stadtmitte"], rows["OVERALL"]
    # Percent, not fractions; MOTP is the mean IoU of matches (devkit 72.3), not motmetrics' 0.277.
    assert float(campus["MOTA"]) == pytest.approx(52.6462, abs=1e-4)
    assert float(campus["MOTP"]) == pytest.approx(72.2799, abs=1e-4)
    for column in ("GT", "MT", "PT", "ML", "FP", "FN", "IDs", "FM", "Frag"):
        assert int(overall[column]) == int(campus[column]) + int(stadtmitte[column]), column
    # OVERALL over all boxes together: MOTA = 1 - (FN + FP + IDs) / n_gt_boxes, not the mean of the two.
    n_gt = 359 + 1156
    assert float(overall["MOTA"]) == pytest.approx(100 * (1 - (602 + 58 + 14) / n_gt), abs=1e-4)
    assert float(overall["MOTA"]) != pytest.approx((52.6462 + 56.4014) / 2, abs=0.1)
    assert float(overall["FAR"]) == pytest.approx(58 / (71 + 179), abs=1e-4)
    # HOTA (no devkit number exists) and OVERALL equal the official kit's (TrackEval) pipeline.
    expected = trackeval_reference(split, results, TUD_LENGTHS, "MOT15")
    for name, row in rows.items():
        for column in SUMMARY_COLUMNS:
            assert float(row[column]) == pytest.approx(expected[name][column], abs=1e-4), (name, column)


def test_motmetrics_agrees(tmp_path):
    """py-motmetrics, fed with our IoU matrices (its own helper needs numpy < 2), gives the same CLEAR/ID metrics."""
    import motmetrics as mm

    from deep_sort.evaluation.similarity import iou_matrix
    from deep_sort.io.mot import load_groundtruth, load_results

    split, results = make_tud_split(tmp_path)
    accumulators = []
    for name, length in TUD_LENGTHS.items():
        gt = load_groundtruth(split / name / "gt" / "gt.txt")
        hyp = load_results(results / f"{name}.txt")
        accumulator = mm.MOTAccumulator(auto_id=True)
        for frame in range(1, length + 1):
            gt_frame, hyp_frame = gt[gt[:, 0] == frame], hyp[hyp[:, 0] == frame]
            distance = 1 - iou_matrix(gt_frame[:, 2:6], hyp_frame[:, 2:6])
            distance[distance > 0.5] = np.nan
            accumulator.update(gt_frame[:, 1].astype(int), hyp_frame[:, 1].astype(int), distance)
        accumulators.append(accumulator)
    host = mm.metrics.create()
    summary = host.compute_many(accumulators, metrics=mm.metrics.motchallenge_metrics,
                                names=list(TUD_LENGTHS), generate_overall=True)
    main(["--mot_dir", str(split), "--output_dir", str(results), "--eval_only", "--quiet", "--workers", "1"])
    with open(results / "summary.csv", newline="") as handle:
        ours = {row[LABEL_COLUMN]: row for row in csv.DictReader(handle)}
    for name in [*TUD_LENGTHS, "OVERALL"]:
        theirs = summary.loc[name]
        assert float(ours[name]["MOTA"]) == pytest.approx(100 * theirs["mota"], abs=1e-3)
        assert float(ours[name]["MOTP"]) == pytest.approx(100 * (1 - theirs["motp"]), abs=1e-3)
        assert float(ours[name]["IDF1"]) == pytest.approx(100 * theirs["idf1"], abs=1e-3)
        for column, key in [("FP", "num_false_positives"), ("FN", "num_misses"), ("IDs", "num_switches"),
                            ("FM", "num_fragmentations"), ("MT", "mostly_tracked"), ("ML", "mostly_lost")]:
            assert int(ours[name][column]) == int(theirs[key]), (name, column)
