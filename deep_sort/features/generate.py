"""Append appearance descriptors to the detections of a MOTChallenge split.

The library behind ``tools/generate_detections.py`` (whose command line is
:mod:`deep_sort.app.generate_detections`). For every sequence ``SEQ`` of a
split, the rows of ``SEQ/det/det.txt`` (or ``DETECTION_DIR/SEQ/det/det.txt``)
are read, the image patch of every box is cut (:mod:`.patches`), the frozen
appearance network computes a descriptor per patch, and ``OUTPUT_DIR/SEQ.npy``
is written: float64, N x (10 + D), row i = det.txt row i (first 10 columns)
followed by its descriptor, in det.txt row order.

Speed: a producer thread decodes the JPEG frames and cuts patches into
batches (spanning frames) while the network runs on the previous batch; the
two meet in a bounded queue. JPEG decoding and ``cv2.resize`` release the
GIL, so on CPU the network stays the bottleneck.

Rows whose descriptor cannot be computed keep their place and get an
all-zero descriptor, counted in a warning: boxes without image pixels, and
(with ``--skip_missing_images``) detections in frames that have no image.
An image that is cut short, cannot be decoded or has another size than the
sequence's frames, and a model that outputs NaN or infinity, are errors
naming the file: they would give wrong descriptors.

Outputs are recorded in ``--output_dir/provenance.json`` (model, det.txt,
images, options, code version); a re-run skips a sequence only if its record
matches. One run at a time writes an output directory (a file lock).
"""
from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..io.atomic import atomic_write
from ..io.errors import InputError
from ..io.images import read_image
from ..io.mot import MOT_COLUMNS, frame_offsets, load_mot_text, read_sequence
from ..io.provenance import Provenance
from .encoder import ImageEncoder

logger = logging.getLogger(__name__)

#: Batches of patches the producer thread may prepare ahead of the network.
QUEUE_BATCHES = 4
#: The det file of sequence ``SEQ``, relative to ``--mot_dir`` or ``--detection_dir``.
DETECTION_FILE = Path("det") / "det.txt"


@dataclass(frozen=True)
class SequenceJob:
    """One sequence to encode.

    Attributes
    ----------
    name : str
        Sequence directory name; the output is ``name + ".npy"``.
    sequence_dir : Path
        The sequence directory (images).
    detection_path : Path
        Its det.txt.
    rows : ndarray of shape (N, 10), float64
        The det.txt rows in file order (first 10 columns).
    image_filenames : dict[int, Path]
        Frame index (1-based) to image file.
    output_path : Path
        Where the ``.npy`` goes.
    image_size : tuple of (int, int) or None
        (width, height) every frame must have (seqinfo.ini, else the first image).
    """

    name: str
    sequence_dir: Path
    detection_path: Path
    rows: npt.NDArray[np.float64]
    image_filenames: dict[int, Path]
    output_path: Path
    image_size: tuple[int, int] | None = None


@dataclass(frozen=True)
class SequenceReport:
    """What encoding one sequence did.

    Attributes
    ----------
    name : str
    n_detections : int
        Rows written.
    n_empty_patches : int
        Rows whose box has no image pixels (zero descriptor).
    n_missing_images : int
        Rows in frames without an image (zero descriptor; only with ``skip_missing_images``).
    seconds : float
        Wall time of decoding, cropping and inference.
    """

    name: str
    n_detections: int
    n_empty_patches: int
    n_missing_images: int
    seconds: float


def plan_sequences(
    mot_dir: str | Path,
    output_dir: str | Path,
    detection_dir: str | Path | None = None,
    sequences: Sequence[str] | None = None,
    overwrite: bool = False,
    skip_missing_images: bool = False,
    provenance: Provenance | None = None,
    settings: dict | None = None,
) -> tuple[list[SequenceJob], list[str]]:
    """Find the sequences to encode and check their inputs up front.

    Parameters
    ----------
    mot_dir : str or Path
        Split directory (one subdirectory per sequence, images in ``img1/``).
    output_dir : str or Path
        Where ``SEQ.npy`` files go.
    detection_dir : str or Path, optional
        Read ``detection_dir/SEQ/det/det.txt`` instead of ``mot_dir/SEQ/det/det.txt``.
    sequences : sequence of str, optional
        Only these sequences (directory names).
    overwrite : bool
        Encode sequences whose output exists too (default: skip them).
    skip_missing_images : bool
        Allow frames with detections but no image (zero descriptors).
    provenance : Provenance, optional
        The output directory's record; with ``settings`` (the options and
        the model) an existing output counts as done only if its record
        matches (see :func:`sequence_provenance`). Without it every existing
        output counts as done.
    settings : dict, optional
        Options that change the descriptors, and ``"model"``: its path.

    Returns
    -------
    jobs : list of SequenceJob
        Sorted by name.
    existing : list of str
        Sequences skipped because their output exists.

    Raises
    ------
    InputError
        ``mot_dir`` not a directory, no sequence with detections, a named
        sequence missing, a malformed det.txt, or (unless
        ``skip_missing_images``) a frame with detections but no image.
    """
    mot_dir, output_dir = Path(mot_dir), Path(output_dir)
    source_dir = Path(detection_dir) if detection_dir is not None else mot_dir
    if not mot_dir.is_dir():
        raise InputError(f"{mot_dir}: --mot_dir is not a directory")
    if not source_dir.is_dir():
        raise InputError(f"{source_dir}: --detection_dir is not a directory")
    subdirs = sorted(entry.name for entry in mot_dir.iterdir() if entry.is_dir())
    if sequences is not None:
        unknown = [name for name in sequences if name not in subdirs]
        if unknown:
            raise InputError(f"{mot_dir}: no sequence directory {', '.join(unknown)}")
        names = sorted(set(sequences))
    else:
        names = [name for name in subdirs if (source_dir / name / DETECTION_FILE).is_file()]
        without = [name for name in subdirs if name not in names]
        if without:
            listed = ", ".join(without[:5]) + (", ..." if len(without) > 5 else "")
            logger.warning(
                "skipping %d director%s without %s: %s",
                len(without), "y" if len(without) == 1 else "ies",
                source_dir / "SEQ" / DETECTION_FILE, listed,
            )
        if not names:
            raise InputError(f"{source_dir}: no sequence directory has {DETECTION_FILE}")
    jobs, existing = [], []
    for name in names:
        output_path = output_dir / f"{name}.npy"
        detection_path = source_dir / name / DETECTION_FILE
        if output_path.exists() and not overwrite:
            reason = None
            if provenance is not None and settings is not None and detection_path.is_file():
                info = read_sequence(mot_dir / name)
                expected = sequence_provenance(provenance, settings, detection_path, info.image_filenames)
                reason = provenance.why_not_done(output_path, expected)
            if reason is None:
                existing.append(name)
                continue
            logger.warning("%s: encoding again: the existing %s does not match this run (%s)",
                           name, output_path.name, reason)
        if not detection_path.is_file():
            raise InputError(f"{detection_path}: detection file does not exist")
        rows = load_mot_text(detection_path, MOT_COLUMNS, "detection file")[:, :MOT_COLUMNS]
        info = read_sequence(mot_dir / name)
        image_size = info.image_size if info.image_filenames else None
        job = SequenceJob(name, mot_dir / name, detection_path, rows, info.image_filenames, output_path,
                          image_size)
        if not skip_missing_images:
            _check_images(job)
        jobs.append(job)
    return jobs, existing


def sequence_provenance(provenance: Provenance, settings: dict, detection_path: Path,
                        image_filenames: dict[int, Path]) -> dict:
    """The provenance record of a sequence's descriptor file made now.

    Inputs: the det.txt and the model by content, the images by name and size
    (hashing every frame would cost as much as decoding it).
    """
    options = {key: value for key, value in settings.items() if key != "model"}
    listing = "\n".join(f"{path.name} {path.stat().st_size}" for path in image_filenames.values())
    import hashlib

    options["images"] = hashlib.sha256(listing.encode()).hexdigest()
    return provenance.expected(options, {"detections": detection_path, "model": settings["model"]})


def _check_images(job: SequenceJob) -> None:
    frames = np.unique(job.rows[:, 0].astype(np.int64))
    missing = [int(frame) for frame in frames if int(frame) not in job.image_filenames]
    if missing:
        more = f" ({len(missing)} of {len(frames)} frames with detections have none)" if len(missing) > 1 else ""
        raise InputError(
            f"{job.sequence_dir}: no image for frame {missing[0]}, which has detections{more}; "
            "--skip_missing_images gives them zero descriptors"
        )


class _Stopped(Exception):
    """The consumer went away; the producer thread ends quietly."""


def _put(items: queue.Queue, item: tuple, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            items.put(item, timeout=0.1)
            return
        except queue.Full:
            continue
    raise _Stopped


def produce_patch_batches(
    job: SequenceJob,
    image_shape: tuple[int, int, int],
    batch_size: int,
    items: queue.Queue,
    stop: threading.Event,
) -> None:
    """Decode frames in order and send batches of patches (spanning frames) to ``items``.

    Runs in the producer thread of :func:`encode_sequence`. Never raises:
    errors are sent to the consumer.

    Parameters
    ----------
    job : SequenceJob
        The sequence.
    image_shape : tuple of (int, int, int)
        Patch (height, width, channels).
    batch_size : int
        Patches per batch; the last batch may be shorter.
    items : queue.Queue
        Receives, in order: ``("batch", patches, row_indices)`` with patches
        (n, height, width, channels) uint8 and the det rows they belong to,
        ``("empty", row_indices)`` (boxes without pixels), ``("missing",
        row_indices)`` (frame without image), then ``("done",)``; or
        ``("error", exception)`` as the last item.
    stop : threading.Event
        Set by the consumer to make the producer end early.
    """
    import cv2

    from .patches import patch_regions

    height, width, channels = image_shape
    try:
        order, offsets = frame_offsets(job.rows[:, 0])
        batch = np.empty((batch_size, height, width, channels), np.uint8)
        indices: list[int] = []
        for frame_idx, (start, end) in offsets.items():
            row_indices = order[start:end]
            path = job.image_filenames.get(frame_idx)
            if path is None:
                _put(items, ("missing", row_indices), stop)
                continue
            image = read_image(path, job.image_size, f"frame {frame_idx} of {job.name}")
            regions, valid = patch_regions(job.rows[row_indices, 2:6], (image.shape[1], image.shape[0]), (height, width))
            if not valid.all():
                _put(items, ("empty", row_indices[~valid]), stop)
            for row, (sx, sy, ex, ey) in zip(row_indices[valid], regions[valid]):
                batch[len(indices)] = cv2.resize(image[sy:ey, sx:ex], (width, height))
                indices.append(int(row))
                if len(indices) == batch_size:
                    _put(items, ("batch", batch, np.array(indices)), stop)
                    batch = np.empty_like(batch)
                    indices = []
        if indices:
            _put(items, ("batch", batch[: len(indices)], np.array(indices)), stop)
        _put(items, ("done",), stop)
    except _Stopped:
        return
    except BaseException as exc:  # handed to the consumer, which re-raises it
        try:
            _put(items, ("error", exc), stop)
        except _Stopped:
            return


def encode_sequence(
    job: SequenceJob,
    image_encoder: ImageEncoder,
    progress: Callable[[int], object] | None = None,
) -> tuple[npt.NDArray[np.float32], SequenceReport]:
    """Compute the descriptor of every detection row of a sequence.

    JPEG decoding and cropping run in a producer thread, at most
    :data:`QUEUE_BATCHES` batches ahead of the network.

    Parameters
    ----------
    job : SequenceJob
        The sequence.
    image_encoder : ImageEncoder
        The network; its ``batch_size`` sets the batch size.
    progress : callable, optional
        Called with the number of rows just finished (e.g. ``tqdm.update``).

    Returns
    -------
    features : ndarray of shape (N, D), float32
        Row i is the descriptor of ``job.rows[i]``; all zeros for a box
        without pixels or a frame without image.
    report : SequenceReport

    Raises
    ------
    InputError
        An image that cannot be read (naming the file and frame).
    """
    started = time.perf_counter()
    features = np.zeros((len(job.rows), image_encoder.feature_dim), np.float32)
    items: queue.Queue = queue.Queue(maxsize=QUEUE_BATCHES)
    stop = threading.Event()
    producer = threading.Thread(
        target=produce_patch_batches,
        args=(job, image_encoder.image_shape, image_encoder.batch_size, items, stop),
        name=f"patches-{job.name}",
        daemon=True,
    )
    counts = {"empty": 0, "missing": 0}
    progress_lock = threading.Lock()

    def advance(n_rows: int) -> None:
        # Asynchronous backends report finished batches from their own threads.
        if progress is not None:
            with progress_lock:
                progress(n_rows)

    def store(row_indices: np.ndarray) -> Callable[[np.ndarray], None]:
        def on_done(batch_features: np.ndarray) -> None:
            features[row_indices] = batch_features
            advance(len(row_indices))

        return on_done

    producer.start()
    try:
        while True:
            item = items.get()
            kind = item[0]
            if kind == "done":
                break
            if kind == "error":
                raise item[1]
            if kind == "batch":
                image_encoder.submit(item[1], store(item[2]))
            else:
                counts[kind] += len(item[1])
                advance(len(item[1]))
    finally:
        stop.set()
        image_encoder.wait()
        producer.join()
    _check_finite_features(job, features, image_encoder)
    report = SequenceReport(
        job.name, len(job.rows), counts["empty"], counts["missing"], time.perf_counter() - started
    )
    return features, report


def _check_finite_features(job: SequenceJob, features: np.ndarray, image_encoder: ImageEncoder) -> None:
    """Refuse descriptors with NaN or infinity: the model (or its backend) is broken."""
    bad = ~np.isfinite(features).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{image_encoder.model_path}: the model output NaN or infinity for {int(bad.sum())} detection(s) of "
            f"{job.name} (first: det.txt row {row + 1}, frame {int(job.rows[row, 0])}); no descriptors written")


def write_detections(path: str | Path, rows: np.ndarray, features: np.ndarray) -> None:
    """Write the N x (10 + D) float64 detection file atomically.

    Parameters
    ----------
    path : str or Path
        Destination ``.npy``.
    rows : ndarray of shape (N, 10), float
        det.txt rows.
    features : ndarray of shape (N, D), float32
        Descriptors.
    """
    array = np.hstack([np.asarray(rows, np.float64), np.asarray(features, np.float64)])
    with atomic_write(path, "wb") as handle:
        np.save(handle, array, allow_pickle=False)


def _warn_incomplete(report: SequenceReport) -> None:
    if report.n_empty_patches:
        logger.warning(
            "%s: %d of %d boxes have no pixels in the image (outside it, or under one pixel "
            "inside); their descriptors are all zeros",
            report.name, report.n_empty_patches, report.n_detections,
        )
    if report.n_missing_images:
        logger.warning(
            "%s: %d of %d detections are in frames without an image; their descriptors are all zeros",
            report.name, report.n_missing_images, report.n_detections,
        )


def generate_detections(
    image_encoder: ImageEncoder,
    jobs: Sequence[SequenceJob],
    progress: bool = True,
    on_written: Callable[[SequenceJob], None] | None = None,
) -> list[SequenceReport]:
    """Encode and write every sequence of ``jobs``, with a progress bar in crops/s.

    Parameters
    ----------
    image_encoder : ImageEncoder
        The network (see :func:`deep_sort.features.encoder.load_image_encoder`).
    jobs : sequence of SequenceJob
        From :func:`plan_sequences`.
    progress : bool
        Show a tqdm bar on stderr.
    on_written : callable, optional
        ``on_written(job)`` after each sequence's file is written.

    Returns
    -------
    list of SequenceReport
        One per job, in order. Incomplete sequences are also logged as warnings.
    """
    from tqdm import tqdm

    reports = []
    bar = tqdm(
        total=sum(len(job.rows) for job in jobs), unit="crop", disable=not progress,
        file=sys.stderr, smoothing=0.05,
    )
    with bar:
        for job in jobs:
            bar.set_description(job.name)
            features, report = encode_sequence(job, image_encoder, bar.update)
            write_detections(job.output_path, job.rows, features)
            if on_written is not None:
                on_written(job)
            _warn_incomplete(report)
            logger.info(
                "%s: %d detections in %.1f s (%.1f crops/s) -> %s",
                job.name, report.n_detections, report.seconds,
                report.n_detections / max(report.seconds, 1e-9), job.output_path,
            )
            reports.append(report)
    return reports
