"""Helpers of the evaluation tests: MOT split layouts in tmp_path, the official kit as a reference."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from deep_sort.evaluation.metrics import SequenceScores

#: The MOTChallenge MATLAB devkit's printout for the CEM tracker on two 2D MOT 2015
#: training sequences, as published in py-motmetrics' README (data shipped with motmetrics).
DEVKIT_TUD = {
    "TUD-Campus": {
        "IDF1": "55.8", "IDP": "73.0", "IDR": "45.1", "Rcll": "58.2", "Prcn": "94.1", "FAR": "0.18",
        "GT": "8", "MT": "1", "PT": "6", "ML": "1", "FP": "13", "FN": "150", "IDs": "7", "FM": "7",
        "MOTA": "52.6", "MOTP": "72.3",
    },
    "TUD-Stadtmitte": {
        "IDF1": "64.5", "IDP": "82.0", "IDR": "53.1", "Rcll": "60.9", "Prcn": "94.0", "FAR": "0.25",
        "GT": "10", "MT": "5", "PT": "4", "ML": "1", "FP": "45", "FN": "452", "IDs": "7", "FM": "6",
        "MOTA": "56.4", "MOTP": "65.4",
    },
}
#: Frames of the TUD sequences (2D MOT 2015 seqinfo.ini).
TUD_LENGTHS = {"TUD-Campus": 71, "TUD-Stadtmitte": 179}


def motmetrics_data_dir() -> Path:
    """The data directory shipped with motmetrics (TUD-Campus, TUD-Stadtmitte)."""
    import motmetrics

    return Path(motmetrics.__file__).parent / "data"


def write_seqinfo(sequence_dir: Path, name: str, seq_length: int) -> None:
    sequence_dir.mkdir(parents=True, exist_ok=True)
    (sequence_dir / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate=25\nseqLength={seq_length}\n"
        "imWidth=640\nimHeight=480\nimExt=.jpg\n"
    )


def make_tud_split(root: Path, seqinfo: bool = True) -> tuple[Path, Path]:
    """Copy the TUD data into ``root/split/SEQ/gt/gt.txt`` and ``root/res/SEQ.txt``."""
    data = motmetrics_data_dir()
    split, results = root / "split", root / "res"
    results.mkdir(parents=True)
    for name, length in TUD_LENGTHS.items():
        (split / name / "gt").mkdir(parents=True)
        shutil.copy(data / name / "gt.txt", split / name / "gt" / "gt.txt")
        shutil.copy(data / name / "test.txt", results / f"{name}.txt")
        if seqinfo:
            write_seqinfo(split / name, name, length)
    return split, results


def write_rows(path: Path, rows: np.ndarray, columns: int) -> None:
    """Write MOT text rows (frame and id as integers, the rest with 2 decimals)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for row in rows:
        values = [f"{int(row[0])}", f"{int(row[1])}"] + [f"{value:.2f}" for value in row[2:6]]
        values += [f"{value:g}" for value in row[6:columns]]
        lines.append(",".join(values))
    path.write_text("\n".join(lines) + ("\n" if lines else ""))


def synthetic_sequence(
    rng: np.random.Generator, n_frames: int = 40, n_objects: int = 14, mot15: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Random ground truth with distractors plus a noisy tracker output.

    Ground truth: mostly pedestrians, some distractor / other classes with
    consider 0, a few pedestrians with consider 0; objects appear and vanish.
    Tracker: noisy copies of ground-truth boxes of every class (so that some
    land on distractors), missed boxes, id switches, false positives, a frame
    without any output.

    Returns
    -------
    gt_rows : ndarray of shape (M, 9) or (M, 10) for ``mot15``
    result_rows : ndarray of shape (N, 10)
    """
    classes = rng.choice([1, 1, 1, 1, 1, 2, 3, 6, 7, 8, 12], size=n_objects)
    gt_rows, result_rows = [], []
    for obj in range(n_objects):
        start = int(rng.integers(1, n_frames // 2))
        stop = int(rng.integers(start + 3, n_frames + 1))
        x, y = rng.uniform(0, 500, 2)
        w, h = rng.uniform(20, 60), rng.uniform(50, 150)
        vx, vy = rng.normal(0, 3, 2)
        track_id = 100 + obj
        consider = 0 if classes[obj] != 1 or rng.random() < 0.15 else 1
        for frame in range(start, stop + 1):
            box = [x + vx * frame, y + vy * frame, w, h]
            if mot15:
                gt_rows.append([frame, obj + 1, *box, 1, -1, -1, -1])
            else:
                gt_rows.append([frame, obj + 1, *box, consider, classes[obj], rng.uniform(0, 1)])
            if frame == n_frames // 3 or rng.random() < 0.15:
                continue
            if rng.random() < 0.03:
                track_id += 10_000  # identity switch, to an id no other object uses
            noisy = np.array(box) + rng.normal(0, 0.08, 4) * [w, h, w, h]
            noisy[2:] = np.maximum(noisy[2:], 1)
            result_rows.append([frame, track_id, *noisy, 1, -1, -1, -1])
    for _ in range(n_frames // 2):
        frame = int(rng.integers(1, n_frames + 1))
        if frame != n_frames // 3:
            box = [*rng.uniform(0, 500, 2), rng.uniform(20, 60), rng.uniform(50, 150)]
            result_rows.append([frame, 10_000_000 + len(result_rows), *box, 1, -1, -1, -1])
    return np.array(gt_rows, dtype=float), np.array(result_rows, dtype=float)


def trackeval_reference(split: Path, results: Path, lengths: dict[str, int], benchmark: str) -> dict:
    """Score with the official kit's own pipeline (TrackEval's MotChallenge2DBox and Evaluator).

    Returns
    -------
    dict of str to dict
        Sequence name (and ``OVERALL``) to the summary columns.
    """
    import trackeval

    evaluator = trackeval.Evaluator({
        "PRINT_RESULTS": False, "PRINT_CONFIG": False, "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False,
        "PLOT_CURVES": False, "TIME_PROGRESS": False, "LOG_ON_ERROR": None,
    })
    dataset = trackeval.datasets.MotChallenge2DBox({
        "GT_FOLDER": str(split), "TRACKERS_FOLDER": str(results.parent), "TRACKERS_TO_EVAL": [results.name],
        "TRACKER_SUB_FOLDER": "", "BENCHMARK": benchmark, "SKIP_SPLIT_FOL": True, "SEQ_INFO": dict(lengths),
        "PRINT_CONFIG": False,
    })
    config = {"PRINT_CONFIG": False}
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(config), trackeval.metrics.Identity(config)]
    output, messages = evaluator.evaluate([dataset], metrics)
    assert messages["MotChallenge2DBox"][results.name] == "Success"
    by_sequence = output["MotChallenge2DBox"][results.name]
    summaries = {}
    for key, value in by_sequence.items():
        name = "OVERALL" if key == "COMBINED_SEQ" else key
        frames = sum(lengths.values()) if key == "COMBINED_SEQ" else lengths[key]
        raw = value["pedestrian"]
        summaries[name] = SequenceScores(frames, raw["CLEAR"], raw["Identity"], raw["HOTA"]).summary()
    return summaries
