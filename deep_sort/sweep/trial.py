"""One unit of sweep work: track a loaded sequence with one configuration and score it in memory.

A :class:`SweepSequence` is loaded, checked and preprocessed once (detections,
ground truth, scoring rules); :func:`run_trial` then runs any number of
configurations on it without touching a file. The scores are those of
``deep_sort_app.py`` followed by ``evaluate_motchallenge.py --eval_only``:
the result rows are rounded as the result file stores them and scored with
:mod:`deep_sort.evaluation.vectorized` (TrackEval's numbers).
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..app.pipeline import frame_range, track_detections
from ..config import TrackingConfig
from ..evaluation import Benchmark, detect_benchmark
from ..evaluation.metrics import SequenceScores
from ..evaluation.pairs import PreparedGroundTruth, prepare_groundtruth
from ..evaluation.vectorized import HOTA_ARRAY_FIELDS, score_results
from ..io.errors import InputError, MOTFormatError
from ..io.provenance import file_digest
from ..io.mot import SequenceInfo, load_detections, load_groundtruth, read_sequence, round_as_written

@dataclass(frozen=True)
class SweepSequence:
    """A sequence loaded for a sweep.

    Attributes
    ----------
    name : str
        Sequence directory name.
    seq_info : SequenceInfo
    detections : ndarray of shape (N, 10 + D), float32 or float64
        Detection rows (D = 0: motion-only tracking).
    groundtruth : PreparedGroundTruth
    provenance : str
        Digest of what the scores of a configuration depend on besides the
        parameters: the detection and ground-truth files' contents, the
        scoring rules and the frame count.
    """

    name: str
    seq_info: SequenceInfo
    detections: npt.NDArray[np.floating]
    groundtruth: PreparedGroundTruth
    provenance: str


def load_sequence(
    sequence_dir: str | os.PathLike[str], detection_file: str | os.PathLike[str], benchmark: Benchmark | None = None
) -> SweepSequence:
    """Load, check and preprocess one sequence for a sweep.

    Parameters
    ----------
    sequence_dir : str or PathLike
        Sequence directory with ``gt/gt.txt`` (seqinfo.ini, img1/ optional).
    detection_file : str or PathLike
        ``.npy`` with descriptors or a det.txt (motion-only).
    benchmark : Benchmark, optional
        Scoring rules; default: from gt.txt as ``evaluate_motchallenge.py`` does.

    Returns
    -------
    SweepSequence

    Raises
    ------
    InputError
        Missing or malformed files (naming the file), detections outside
        the sequence's frames.
    """
    sequence_dir = Path(sequence_dir)
    seq_info = read_sequence(sequence_dir)
    if seq_info.groundtruth_path is None:
        raise InputError(f"{sequence_dir}: no gt/gt.txt")
    gt_rows = load_groundtruth(seq_info.groundtruth_path)
    detections = load_detections(detection_file)
    benchmark = benchmark or detect_benchmark(gt_rows, seq_info.name)
    last_image = max(seq_info.image_filenames, default=0)
    try:
        groundtruth = prepare_groundtruth(sequence_dir.name, gt_rows, benchmark, seq_info.seq_length, last_image)
    except ValueError as exc:
        raise MOTFormatError(f"{seq_info.groundtruth_path}: {exc}") from None
    frames = frame_range(seq_info, detections)
    if seq_info.seq_length and len(frames) and frames.stop - 1 > seq_info.seq_length:
        raise MOTFormatError(f"{detection_file}: frame {frames.stop - 1} is beyond the sequence's "
                             f"seqLength={seq_info.seq_length}")
    provenance = hashlib.sha256(json.dumps({
        "detections": file_digest(detection_file),
        "groundtruth": file_digest(seq_info.groundtruth_path),
        "benchmark": benchmark.value,
        "seq_length": seq_info.seq_length,
        "frames": [frames.start, frames.stop],
    }, sort_keys=True).encode()).hexdigest()
    return SweepSequence(sequence_dir.name, seq_info, detections, groundtruth, provenance)


def run_trial(sequence: SweepSequence, parameters: dict) -> SequenceScores:
    """Track ``sequence`` with ``parameters`` and score the result (no file I/O).

    Parameters
    ----------
    sequence : SweepSequence
    parameters : dict
        Every field of :class:`~deep_sort.config.TrackingConfig`.

    Returns
    -------
    SequenceScores
    """
    rows = track_detections(sequence.seq_info, sequence.detections, TrackingConfig(**parameters))
    return score_results(sequence.groundtruth, round_as_written(rows))


def scores_to_json(scores: SequenceScores) -> dict:
    """Convert scores to plain JSON types (floats keep every bit through ``json``)."""

    def plain(value):
        return np.asarray(value).tolist()

    return {
        "num_frames": scores.num_frames,
        "clear": {key: plain(value) for key, value in scores.clear.items()},
        "identity": {key: plain(value) for key, value in scores.identity.items()},
        "hota": {key: plain(value) for key, value in scores.hota.items()},
    }


def scores_from_json(data: dict) -> SequenceScores:
    """Inverse of :func:`scores_to_json` (HOTA's per-alpha fields as arrays again)."""
    hota = {key: np.asarray(value, dtype=float) if key in HOTA_ARRAY_FIELDS else value
            for key, value in data["hota"].items()}
    return SequenceScores(num_frames=int(data["num_frames"]), clear=dict(data["clear"]),
                          identity=dict(data["identity"]), hota=hota)
