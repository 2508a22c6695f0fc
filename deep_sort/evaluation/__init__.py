"""MOTChallenge scoring: preprocessing, CLEAR MOT / identity / HOTA metrics, summaries.

Pure metric code working on arrays; files are read by :mod:`deep_sort.io` and
the batch runner lives in :mod:`deep_sort.app.evaluate`. The metric backend
(TrackEval) is imported lazily by :mod:`deep_sort.evaluation.metrics`.
"""
from .preprocess import Benchmark, detect_benchmark, frame_masks
from .sequence import SequenceData, build_sequence_data, check_groundtruth, check_results
from .similarity import iou_matrix
from .summary import OVERALL, SUMMARY_COLUMNS, format_table, summary_csv

__all__ = [
    "OVERALL",
    "SUMMARY_COLUMNS",
    "Benchmark",
    "SequenceData",
    "build_sequence_data",
    "check_groundtruth",
    "check_results",
    "detect_benchmark",
    "format_table",
    "frame_masks",
    "iou_matrix",
    "summary_csv",
]
