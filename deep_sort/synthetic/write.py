"""Write synthetic scenes as MOTChallenge sequence directories and detection files."""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from ..io.atomic import atomic_path, atomic_write, discard, make_directory, temporary_name
from ..io.errors import InputError
from .render import render_frame
from .scene import SceneConfig, SyntheticScene, _check_number, generate_scene, scene_statistics

logger = logging.getLogger(__name__)


def format_detection_rows(rows: np.ndarray) -> str:
    """det.txt text: 2 decimals for boxes, 4 for the confidence.

    Examples
    --------
    >>> format_detection_rows(np.array([[1, -1, 10, 20, 30, 40, 0.5, -1, -1, -1]]))
    '1,-1,10.00,20.00,30.00,40.00,0.5000,-1,-1,-1\\n'
    """
    return "".join(
        "%d,-1,%.2f,%.2f,%.2f,%.2f,%.4f,-1,-1,-1\n" % (r[0], r[2], r[3], r[4], r[5], r[6])
        for r in rows.tolist()
    )


def format_groundtruth_rows(rows: np.ndarray) -> str:
    """gt.txt text (MOT16): 2 decimals for boxes, 3 for the visibility.

    Examples
    --------
    >>> format_groundtruth_rows(np.array([[1, 3, 10, 20, 30, 40, 1, 1, 0.25]]))
    '1,3,10.00,20.00,30.00,40.00,1,1,0.250\\n'
    """
    return "".join(
        "%d,%d,%.2f,%.2f,%.2f,%.2f,%d,%d,%.3f\n" % (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8])
        for r in rows.tolist()
    )


_WRITE_CHUNK_ROWS = 65536


def _write_in_chunks(handle: IO[str], rows: np.ndarray, formatter: Callable[[np.ndarray], str]) -> None:
    # Formatting goes through Python lists; chunks keep that memory bounded.
    for start in range(0, len(rows), _WRITE_CHUNK_ROWS):
        handle.write(formatter(rows[start:start + _WRITE_CHUNK_ROWS]))


def write_sequence(
    scene: SyntheticScene,
    sequence_dir: str | os.PathLike[str],
    name: str | None = None,
    with_images: bool = True,
    jpeg_quality: int = 90,
    progress: Callable[[int], object] | None = None,
) -> Path:
    """Write a MOTChallenge sequence directory for a scene.

    Layout: ``seqinfo.ini``, ``img1/000001.jpg ...`` (if ``with_images``),
    ``det/det.txt``, ``gt/gt.txt``. The sequence is written whole into a
    temporary directory beside ``sequence_dir`` and then moved into place,
    so an interrupted run never leaves a partial sequence (images that do not
    cover seqLength, gt without images) and a sequence an earlier run wrote is
    replaced as a whole.

    Parameters
    ----------
    scene : SyntheticScene
        What to write.
    sequence_dir : str or PathLike
        Target directory (created).
    name : str, optional
        Sequence name in seqinfo.ini; defaults to the directory name.
    with_images : bool
        Render and write the JPEG frames.
    jpeg_quality : int
        JPEG quality in [0, 100].
    progress : callable, optional
        Called with a number of frames just finished (1 per image, or the
        whole sequence at once without images), e.g. ``tqdm.update``.

    Returns
    -------
    Path
        ``sequence_dir``.

    Raises
    ------
    InputError
        ``sequence_dir`` exists and holds files a sequence does not have (it
        is not replaced; see :func:`check_sequence_target`).
    """
    _check_number("jpeg_quality", jpeg_quality, 0, 100, integer=True)
    sequence_dir = Path(sequence_dir)
    check_sequence_target(sequence_dir)
    name = name or sequence_dir.resolve().name
    make_directory(sequence_dir.parent)
    staging = temporary_name(sequence_dir)
    try:
        staging.mkdir()
        _write_sequence_files(scene, staging, name, with_images, jpeg_quality, progress)
        _move_into_place(staging, sequence_dir)
    except BaseException:
        discard(staging)
        raise
    return sequence_dir


#: What a sequence directory written by :func:`write_sequence` holds.
SEQUENCE_ENTRIES = frozenset({"seqinfo.ini", "img1", "det", "gt"})


def check_sequence_target(sequence_dir: str | os.PathLike[str]) -> None:
    """Refuse to replace anything but a sequence directory (or nothing).

    Raises
    ------
    InputError
        ``sequence_dir`` is a file, or a directory with other entries than
        :data:`SEQUENCE_ENTRIES` (a user's directory is never deleted).
    """
    sequence_dir = Path(sequence_dir)
    if not os.path.lexists(sequence_dir):
        return
    if sequence_dir.is_symlink() or not sequence_dir.is_dir():
        raise InputError(f"{sequence_dir}: exists and is not a sequence directory; refusing to replace it")
    foreign = sorted(entry.name for entry in sequence_dir.iterdir() if entry.name not in SEQUENCE_ENTRIES)
    if foreign:
        raise InputError(f"{sequence_dir}: holds {', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}, "
                         "which a generated sequence does not; refusing to replace it")


def _move_into_place(staging: Path, sequence_dir: Path) -> None:
    """Rename ``staging`` onto ``sequence_dir``, replacing an earlier sequence there."""
    old = None
    if os.path.lexists(sequence_dir):
        old = temporary_name(sequence_dir, ".old")
        os.rename(sequence_dir, old)
    os.rename(staging, sequence_dir)
    discard(staging)  # forget the name (the directory moved on)
    if old is not None:
        discard(old)


def _write_sequence_files(scene: SyntheticScene, sequence_dir: Path, name: str, with_images: bool,
                          jpeg_quality: int, progress: Callable[[int], object] | None) -> None:
    width, height = scene.image_size
    image_dir = sequence_dir / "img1"
    seqinfo = (
        "[Sequence]\n"
        f"name={name}\n"
        "imDir=img1\n"
        f"frameRate={scene.config.frame_rate:g}\n"
        f"seqLength={scene.n_frames}\n"
        f"imWidth={width}\n"
        f"imHeight={height}\n"
        "imExt=.jpg\n"
    )
    with atomic_write(sequence_dir / "seqinfo.ini", "w", encoding="utf-8") as handle:
        handle.write(seqinfo)
    with atomic_write(sequence_dir / "gt" / "gt.txt", "w", encoding="utf-8") as handle:
        _write_in_chunks(handle, scene.gt, format_groundtruth_rows)
    with atomic_write(sequence_dir / "det" / "det.txt", "w", encoding="utf-8") as handle:
        _write_in_chunks(handle, scene.detections, format_detection_rows)
    if with_images:
        import cv2

        params = [int(cv2.IMWRITE_JPEG_QUALITY), int(jpeg_quality)]
        image_dir.mkdir(exist_ok=True)
        for frame_idx in range(1, scene.n_frames + 1):
            ok, encoded = cv2.imencode(".jpg", render_frame(scene, frame_idx), params)
            if not ok:
                raise RuntimeError(f"{image_dir}: JPEG encoding of frame {frame_idx} failed")
            # The directory is private until it is moved into place: no per-file atomic rename needed.
            (image_dir / f"{frame_idx:06d}.jpg").write_bytes(encoded.tobytes())
            if progress is not None:
                progress(1)
    elif progress is not None:
        progress(scene.n_frames)


def write_detection_npy(scene: SyntheticScene, path: str | os.PathLike[str]) -> Path:
    """Write the detection file with descriptors, N x (10 + D) float32, atomically.

    The format ``tools/generate_detections.py`` produces and the tracking
    app reads (det.txt row followed by the descriptor).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    with atomic_path(path, suffix=".npy") as tmp:
        # Header, then the rows in chunks: no second full copy in memory.
        n_rows, dim = len(scene.detections), scene.features.shape[1]
        header = {"descr": "<f4", "fortran_order": False, "shape": (n_rows, 10 + dim)}
        with open(tmp, "wb") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            for start in range(0, n_rows, _WRITE_CHUNK_ROWS):
                stop = min(start + _WRITE_CHUNK_ROWS, n_rows)
                chunk = np.empty((stop - start, 10 + dim), dtype="<f4")
                chunk[:, :10] = scene.detections[start:stop]
                chunk[:, 10:] = scene.features[start:stop]
                handle.write(chunk.tobytes())
    return path


def sequence_seed(seed: int, index: int) -> int:
    """Seed of sequence ``index`` (1-based) of a split generated with ``seed``."""
    state = np.random.SeedSequence([int(seed), int(index)]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


def sequence_name(index: int, n_sequences: int) -> str:
    """``SYN-01``, ``SYN-02`` ... (more digits for 100 or more sequences)."""
    return f"SYN-{index:0{max(2, len(str(n_sequences)))}d}"


def generate_split(
    output_dir: str | os.PathLike[str],
    n_sequences: int,
    config: SceneConfig,
    with_images: bool = True,
    detection_dir: str | os.PathLike[str] | None = None,
    jpeg_quality: int = 90,
    progress: Callable[[int], object] | None = None,
) -> list[Path]:
    """Generate and write sequences SYN-01, SYN-02 ... into ``output_dir``.

    Sequence i uses ``config`` with ``seed = sequence_seed(config.seed, i)``,
    so the split is reproducible and its sequences differ.

    Parameters
    ----------
    output_dir : str or PathLike
        Parent directory of the sequence directories.
    n_sequences : int
        How many, in [1, 9999].
    config : SceneConfig
        Parameters shared by all sequences (the seed is derived per sequence).
    with_images : bool
        Render img1/ frames.
    detection_dir : str or PathLike, optional
        Also write ``detection_dir/SYN-XX.npy`` (det rows + descriptors).
    jpeg_quality : int
        JPEG quality in [0, 100].
    progress : callable, optional
        Called with numbers of frames finished (see :func:`write_sequence`).

    Returns
    -------
    list of Path
        The sequence directories, in order.
    """
    _check_number("n_sequences", n_sequences, 1, 9999, integer=True)
    output_dir = Path(output_dir)
    paths = []
    names = [sequence_name(index, int(n_sequences)) for index in range(1, int(n_sequences) + 1)]
    for name in names:  # refuse before anything is written
        check_sequence_target(output_dir / name)
    for index, name in enumerate(names, start=1):
        scene = generate_scene(config.replace(seed=sequence_seed(config.seed, index)))
        sequence_dir = write_sequence(
            scene, output_dir / name, name, with_images, jpeg_quality, progress
        )
        if detection_dir is not None:
            write_detection_npy(scene, Path(detection_dir) / f"{name}.npy")
        stats = scene_statistics(scene)
        logger.info(
            "%s: %d frames, %.1f people and %.1f detections per frame, %d identities",
            name, scene.n_frames, stats["gt_per_frame"], stats["detections_per_frame"],
            stats["n_identities"],
        )
        paths.append(sequence_dir)
    return paths
