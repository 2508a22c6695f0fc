"""MOTChallenge preprocessing: which boxes of a frame take part in the scoring.

The rules are those of the official MOTChallenge kit (TrackEval's
``MotChallenge2DBox``; docs/algorithm.md, evaluation rules):

1. Every tracker box of a frame is matched to *all* ground-truth boxes of the
   frame (any class, consider flag 0 or 1) by maximum-IoU assignment among
   pairs with IoU >= 0.5. Tracker boxes matched to a distractor class are
   removed: they count neither as true nor as false positives.
2. Ground-truth boxes are kept only if their consider flag is not 0 and (except
   for MOT15) their class is pedestrian.

MOT15 ground truth has no class column, so step 1 is skipped and step 2 only
looks at the consider flag (the 7th column, 1 in MOT15 files). Visibility is
not used. This module sees ids, classes and a similarity matrix only; the box
format is the concern of :mod:`deep_sort.evaluation.similarity`.
"""
from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

#: Smallest IoU of a ground-truth / tracker pair that can be matched.
MIN_MATCH_IOU = 0.5
#: Class id of the evaluated class.
PEDESTRIAN_CLASS = 1
#: Class ids of MOT16/17/20 ground truth (column 8 of gt.txt).
MOT_CLASSES = {
    1: "pedestrian",
    2: "person_on_vehicle",
    3: "car",
    4: "bicycle",
    5: "motorbike",
    6: "non_mot_vehicle",
    7: "static_person",
    8: "distractor",
    9: "occluder",
    10: "occluder_on_ground",
    11: "occluder_full",
    12: "reflection",
    13: "crowd",
}
#: Classes whose matched tracker boxes are removed (MOT16/17).
DISTRACTOR_CLASSES = frozenset({2, 7, 8, 12})
#: MOT20 also treats non-MOT vehicles as distractors.
MOT20_DISTRACTOR_CLASSES = DISTRACTOR_CLASSES | {6}
#: Column (0-based) of the consider flag and of the class in gt.txt rows.
CONSIDER_COLUMN = 6
CLASS_COLUMN = 7
#: Number of columns of a MOT16/17/20 gt.txt row; MOT15 rows have 10.
CLASS_GT_COLUMNS = 9

# The kit compares thresholds with a machine-epsilon tolerance; so do we.
_EPS = np.finfo(float).eps


class Benchmark(enum.Enum):
    """MOTChallenge benchmark whose scoring rules apply."""

    MOT15 = "MOT15"
    MOT16 = "MOT16"
    MOT17 = "MOT17"
    MOT20 = "MOT20"

    @property
    def uses_classes(self) -> bool:
        """Whether ground truth has a class column (distractor handling applies)."""
        return self is not Benchmark.MOT15

    @property
    def distractor_classes(self) -> frozenset[int]:
        """Ground-truth classes whose matched tracker boxes are removed."""
        if not self.uses_classes:
            return frozenset()
        return MOT20_DISTRACTOR_CLASSES if self is Benchmark.MOT20 else DISTRACTOR_CLASSES


def detect_benchmark(gt_rows: npt.NDArray[np.float64], sequence_name: str = "") -> Benchmark:
    """Choose the scoring rules from the ground truth's columns.

    A 9-column gt (frame, id, box, consider, class, visibility) gets the
    MOT16/17/20 rules; 10 or more columns (MOT15 style: consider, x, y, z)
    get the MOT15 rules. MOT16/17 rules are identical; MOT20 adds a distractor
    class, and is chosen when the sequence name starts with ``MOT20``.

    Parameters
    ----------
    gt_rows : ndarray of shape (N, C), float64
        gt.txt rows; an empty file with C columns works the same.
    sequence_name : str
        Sequence name, e.g. ``MOT20-01``.

    Returns
    -------
    Benchmark

    Examples
    --------
    >>> detect_benchmark(np.zeros((0, 9)), "MOT16-02")
    <Benchmark.MOT16: 'MOT16'>
    >>> detect_benchmark(np.zeros((0, 10)), "TUD-Campus")
    <Benchmark.MOT15: 'MOT15'>
    """
    if gt_rows.shape[1] != CLASS_GT_COLUMNS:
        return Benchmark.MOT15
    name = sequence_name.upper()
    for benchmark in (Benchmark.MOT16, Benchmark.MOT20):
        if name.startswith(benchmark.value):
            return benchmark
    return Benchmark.MOT17


def invalid_classes(gt_classes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Return the class values that are not MOTChallenge classes (sorted, unique).

    Parameters
    ----------
    gt_classes : array-like of shape (N,)
        Class column of gt rows (truncated to int as the kit does).

    Examples
    --------
    >>> invalid_classes([1, 7, -1, 14, 1])
    array([-1, 14])
    """
    classes = np.asarray(gt_classes).astype(np.int64)
    return np.setdiff1d(np.unique(classes), np.fromiter(MOT_CLASSES, dtype=np.int64))


def groundtruth_keep(
    gt_classes: npt.NDArray[np.int64], gt_consider: npt.NDArray[np.int64], benchmark: Benchmark
) -> npt.NDArray[np.bool_]:
    """Decide which ground-truth boxes are scored (rule 2); it does not depend on the tracker.

    Parameters
    ----------
    gt_classes : ndarray of shape (M,), int
        Class of each ground-truth box (ignored for MOT15).
    gt_consider : ndarray of shape (M,), int
        Consider flag of each ground-truth box; 0 drops the box.
    benchmark : Benchmark

    Returns
    -------
    ndarray of shape (M,), bool

    Examples
    --------
    >>> groundtruth_keep(np.array([1, 7, 1]), np.array([1, 0, 0]), Benchmark.MOT17)
    array([ True, False, False])
    """
    keep = np.asarray(gt_consider) != 0
    if benchmark.uses_classes:
        keep &= np.asarray(gt_classes) == PEDESTRIAN_CLASS
    return keep


def is_distractor(gt_classes: npt.ArrayLike, benchmark: Benchmark) -> npt.NDArray[np.bool_]:
    """Return which ground-truth boxes belong to a distractor class of ``benchmark``.

    Examples
    --------
    >>> is_distractor([1, 7, 6], Benchmark.MOT17), is_distractor([1, 7, 6], Benchmark.MOT20)
    (array([False,  True, False]), array([False,  True,  True]))
    """
    classes = np.asarray(gt_classes)
    if not benchmark.uses_classes:
        return np.zeros(classes.shape, dtype=bool)
    return np.isin(classes, list(benchmark.distractor_classes))


def tracker_keep(
    similarity: npt.NDArray[np.float64], gt_classes: npt.NDArray[np.int64], benchmark: Benchmark
) -> npt.NDArray[np.bool_]:
    """Decide which tracker boxes of one frame are scored (rule 1: distractor removal).

    Parameters
    ----------
    similarity : ndarray of shape (M, N), float64
        IoU of ground-truth box i (row) and tracker box j (column), over all
        ground-truth rows of the frame, distractors and consider = 0 included.
    gt_classes : ndarray of shape (M,), int
        Class of each ground-truth box (ignored for MOT15).
    benchmark : Benchmark

    Returns
    -------
    ndarray of shape (N,), bool
        False for the tracker boxes matched to a distractor.
    """
    n_gt, n_tracker = similarity.shape
    keep = np.ones(n_tracker, dtype=bool)
    if benchmark.uses_classes and n_gt > 0 and n_tracker > 0:
        scores = similarity.copy()
        scores[scores < MIN_MATCH_IOU - _EPS] = 0
        rows, cols = linear_sum_assignment(-scores)
        matched = scores[rows, cols] > _EPS
        rows, cols = rows[matched], cols[matched]
        keep[cols[is_distractor(gt_classes[rows], benchmark)]] = False
    return keep


def frame_masks(
    similarity: npt.NDArray[np.float64],
    gt_classes: npt.NDArray[np.int64],
    gt_consider: npt.NDArray[np.int64],
    benchmark: Benchmark,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Decide which ground-truth and tracker boxes of one frame are scored.

    Parameters
    ----------
    similarity : ndarray of shape (M, N), float64
        IoU of ground-truth box i (row) and tracker box j (column), over all
        ground-truth rows of the frame, distractors and consider = 0 included.
    gt_classes : ndarray of shape (M,), int
        Class of each ground-truth box (ignored for MOT15).
    gt_consider : ndarray of shape (M,), int
        Consider flag of each ground-truth box; 0 drops the box.
    benchmark : Benchmark

    Returns
    -------
    gt_keep : ndarray of shape (M,), bool
        Ground-truth boxes that are scored (:func:`groundtruth_keep`).
    tracker_keep : ndarray of shape (N,), bool
        Tracker boxes that are scored (False: matched to a distractor, :func:`tracker_keep`).

    Examples
    --------
    A tracker box on a static person (class 7) is dropped, as is the static
    person itself; the pedestrian stays:

    >>> gt_keep, tracker_keep = frame_masks(
    ...     np.array([[0.9], [0.0]]), np.array([7, 1]), np.array([0, 1]), Benchmark.MOT17)
    >>> gt_keep, tracker_keep
    (array([False,  True]), array([False]))
    """
    return groundtruth_keep(gt_classes, gt_consider, benchmark), tracker_keep(similarity, gt_classes, benchmark)
