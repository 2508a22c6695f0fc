"""Read and write MOTChallenge files: seqinfo.ini, det/gt/result text, detection .npy.

Formats (docs/algorithm.md):

- det.txt / result rows: ``frame, id, left, top, width, height, conf, x, y, z``,
  comma separated, frames 1-based, pixels.
- gt.txt (MOT16/17/20): ``frame, id, left, top, width, height, consider, class,
  visibility``; MOT15 gt has the 10 det columns.
- detection ``.npy``: float array N x (10 + D), a det.txt row followed by a
  D-dimensional appearance descriptor.

Every reader validates once, where the data enters, and raises
:class:`~deep_sort.io.errors.MOTFormatError` with a one-line message naming
the file (and the row where it applies).
"""
from __future__ import annotations

import configparser
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .atomic import atomic_write
from .errors import MOTFormatError

#: Number of leading columns of a det.txt / result row.
MOT_COLUMNS = 10
#: Columns of a MOT16/17/20 gt.txt row.
GT_COLUMNS = 9
#: Keys of the ``[Sequence]`` section that must be present in seqinfo.ini.
SEQINFO_REQUIRED_KEYS = ("name", "frameRate", "seqLength", "imWidth", "imHeight")


@dataclass(frozen=True)
class SequenceInfo:
    """What is known about one MOT sequence directory.

    Attributes
    ----------
    name : str
        Sequence name (seqinfo.ini ``name``, else the directory name).
    sequence_dir : Path
        The sequence directory.
    image_filenames : dict[int, Path]
        Frame index (1-based, the image file stem as int) to image path; empty
        when the image directory is missing (detection-only runs).
    frame_rate : float or None
        Frames per second from seqinfo.ini.
    seq_length : int or None
        Number of frames from seqinfo.ini.
    image_size : tuple of (int, int) or None
        (width, height) in pixels from seqinfo.ini, else from the first image.
    groundtruth_path : Path or None
        ``gt/gt.txt`` when it exists.
    detection_path : Path or None
        ``det/det.txt`` when it exists.
    """

    name: str
    sequence_dir: Path
    image_filenames: dict[int, Path] = field(default_factory=dict)
    frame_rate: float | None = None
    seq_length: int | None = None
    image_size: tuple[int, int] | None = None
    groundtruth_path: Path | None = None
    detection_path: Path | None = None

    @property
    def update_ms(self) -> int | None:
        """Milliseconds per frame at the sequence's frame rate, or None."""
        if not self.frame_rate:
            return None
        return int(1000 / self.frame_rate)


def read_seqinfo(path: str | os.PathLike[str]) -> dict[str, str]:
    """Read the ``[Sequence]`` section of a seqinfo.ini file.

    Raises
    ------
    MOTFormatError
        If the file cannot be parsed, has no ``[Sequence]`` section or misses
        one of :data:`SEQINFO_REQUIRED_KEYS`.
    """
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keep camelCase keys such as frameRate
    try:
        with open(path, encoding="utf-8") as handle:
            parser.read_file(handle)
    except (OSError, UnicodeDecodeError) as exc:
        raise MOTFormatError(f"{path}: cannot read ({_reason(exc)})") from None
    except configparser.Error as exc:
        raise MOTFormatError(f"{path}: not a valid INI file ({str(exc).splitlines()[0]})") from None
    if "Sequence" not in parser:
        raise MOTFormatError(f"{path}: no [Sequence] section")
    section = dict(parser["Sequence"])
    missing = [key for key in SEQINFO_REQUIRED_KEYS if key not in section]
    if missing:
        raise MOTFormatError(f"{path}: [Sequence] misses key(s) {', '.join(missing)}")
    return section


def _seqinfo_number(info: dict[str, str], key: str, path: Path, kind: type) -> float | int:
    text = info[key].strip()
    try:
        value = kind(float(text)) if kind is int else float(text)
    except ValueError:
        raise MOTFormatError(f"{path}: {key} = {text!r} is not a number") from None
    if kind is int and float(text) != int(float(text)):
        raise MOTFormatError(f"{path}: {key} = {text!r} is not a whole number")
    if not np.isfinite(value) or value <= 0:
        raise MOTFormatError(f"{path}: {key} = {text!r} must be positive")
    return value


def read_sequence(sequence_dir: str | os.PathLike[str]) -> SequenceInfo:
    """Describe a MOT sequence directory (seqinfo.ini, images, det, gt).

    seqinfo.ini is optional (published tools run without it); when present it
    must be complete. Images are optional: detection-only runs take their frame
    range from the detections.

    Raises
    ------
    MOTFormatError
        If ``sequence_dir`` is not a directory or seqinfo.ini is malformed.
    """
    sequence_dir = Path(sequence_dir)
    if not sequence_dir.is_dir():
        raise MOTFormatError(f"{sequence_dir}: sequence directory does not exist")
    name = sequence_dir.resolve().name
    image_dir_name, image_ext = "img1", None
    frame_rate = seq_length = image_size = None
    seqinfo_path = sequence_dir / "seqinfo.ini"
    if seqinfo_path.exists():
        info = read_seqinfo(seqinfo_path)
        name = info["name"].strip() or name
        image_dir_name = info.get("imDir", image_dir_name).strip() or image_dir_name
        image_ext = info.get("imExt", "").strip() or None
        frame_rate = float(_seqinfo_number(info, "frameRate", seqinfo_path, float))
        seq_length = int(_seqinfo_number(info, "seqLength", seqinfo_path, int))
        image_size = (
            int(_seqinfo_number(info, "imWidth", seqinfo_path, int)),
            int(_seqinfo_number(info, "imHeight", seqinfo_path, int)),
        )
    image_filenames = _list_images(sequence_dir / image_dir_name, image_ext)
    if image_size is None and image_filenames:
        image_size = _image_size(next(iter(image_filenames.values())))
    gt_path = sequence_dir / "gt" / "gt.txt"
    det_path = sequence_dir / "det" / "det.txt"
    return SequenceInfo(
        name=name,
        sequence_dir=sequence_dir,
        image_filenames=image_filenames,
        frame_rate=frame_rate,
        seq_length=seq_length,
        image_size=image_size,
        groundtruth_path=gt_path if gt_path.is_file() else None,
        detection_path=det_path if det_path.is_file() else None,
    )


_IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".bmp"}


def _list_images(image_dir: Path, image_ext: str | None) -> dict[int, Path]:
    if not image_dir.is_dir():
        return {}
    extensions = {image_ext.lower()} if image_ext else _IMAGE_EXTENSIONS
    filenames = {}
    for entry in sorted(image_dir.iterdir()):
        if entry.suffix.lower() in extensions and entry.stem.isdigit():
            filenames[int(entry.stem)] = entry
    return dict(sorted(filenames.items()))


def _image_size(path: Path) -> tuple[int, int] | None:
    # Imported here: the io module must stay importable without OpenCV.
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        return None
    return int(image.shape[1]), int(image.shape[0])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def load_mot_text(
    path: str | os.PathLike[str],
    min_columns: int = MOT_COLUMNS,
    what: str = "MOT text file",
    allow_empty: bool = False,
    check_size: bool = True,
) -> npt.NDArray[np.float64]:
    """Load a comma-separated MOT text file (det.txt, gt.txt, results).

    Parameters
    ----------
    path : str or PathLike
        The file.
    min_columns : int
        Rows must have at least this many columns (all rows the same number).
    what : str
        What the file is, for error messages ("detection file", ...).
    allow_empty : bool
        Whether a file with no rows is accepted (a result file of a tracker
        that output nothing is legitimate; an empty det.txt is not).
    check_size : bool
        Whether width and height must be positive.

    Returns
    -------
    ndarray of shape (N, C), float64
        The rows in file order, C >= ``min_columns``.

    Raises
    ------
    MOTFormatError
        Unreadable file, no rows (unless ``allow_empty``), text where numbers
        belong, a ragged or short row, NaN/inf, a non-integer frame number or
        a non-positive width/height; the message names the row (1-based line).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MOTFormatError(f"{path}: cannot read {what} ({_reason(exc)})") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        if allow_empty:
            return np.zeros((0, min_columns), dtype=np.float64)
        raise MOTFormatError(f"{path}: {what} is empty")
    try:
        rows = np.array(
            [[float(token) for token in line.replace(" ", "").split(",")] for _, line in lines],
            dtype=np.float64,
        )
    except ValueError:
        rows = None
    if rows is None or rows.ndim != 2:
        _raise_first_bad_line(path, lines, what)
    if rows.shape[1] < min_columns:
        raise MOTFormatError(
            f"{path}: {what} has {rows.shape[1]} columns per row, expected at least {min_columns}"
        )
    validate_mot_rows(rows, path, what, row_numbers=np.array([number for number, _ in lines]),
                      check_size=check_size)
    return rows


def _raise_first_bad_line(path: Path, lines: list[tuple[int, str]], what: str) -> None:
    width = None
    for number, line in lines:
        tokens = line.replace(" ", "").split(",")
        for token in tokens:
            try:
                float(token)
            except ValueError:
                raise MOTFormatError(f"{path}: line {number}: {token!r} is not a number") from None
        if width is None:
            width = len(tokens)
        elif len(tokens) != width:
            raise MOTFormatError(
                f"{path}: line {number}: {len(tokens)} columns, earlier rows have {width}"
            )
    raise MOTFormatError(f"{path}: cannot parse {what}")


def validate_mot_rows(
    rows: np.ndarray,
    path: str | os.PathLike[str],
    what: str,
    row_numbers: np.ndarray | None = None,
    check_size: bool = True,
) -> None:
    """Check MOT rows: finite values, whole positive frame numbers, positive w/h.

    Parameters
    ----------
    rows : ndarray of shape (N, C), C >= 6
        frame, id, left, top, width, height, ...
    path : str or PathLike
        Named in the error message.
    what : str
        What the file is, for the error message.
    row_numbers : ndarray of shape (N,), int, optional
        Line numbers to report; defaults to 1..N ("row" instead of "line").
    check_size : bool
        Whether width and height must be positive.

    Raises
    ------
    MOTFormatError
        Naming the first offending row.
    """
    label = "line" if row_numbers is not None else "row"
    if row_numbers is None:
        row_numbers = np.arange(1, len(rows) + 1)

    def fail(mask: np.ndarray, problem: str) -> None:
        first = int(np.flatnonzero(mask)[0])
        raise MOTFormatError(f"{path}: {label} {int(row_numbers[first])}: {problem}")

    finite = np.isfinite(rows)
    if not finite.all():
        bad = ~finite.all(axis=1)
        first = int(np.flatnonzero(bad)[0])
        fail(bad, f"value {rows[first][~finite[first]][0]} is not finite")
    frames = rows[:, 0]
    bad = frames != np.round(frames)
    if bad.any():
        fail(bad, f"frame number {frames[bad][0]:g} is not a whole number")
    bad = frames < 1
    if bad.any():
        fail(bad, f"frame number {frames[bad][0]:g} is below 1 (MOT frames are 1-based)")
    if check_size:
        bad = (rows[:, 4] <= 0) | (rows[:, 5] <= 0)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            fail(bad, f"width/height {rows[first, 4]:g}x{rows[first, 5]:g} must be positive")


def load_detections(path: str | os.PathLike[str]) -> npt.NDArray[np.float64]:
    """Load a detection file: N x (10 + D) ``.npy`` or a plain MOT ``det.txt``.

    Parameters
    ----------
    path : str or PathLike
        ``.npy`` (float32 or float64, det rows with descriptors appended) or
        a text file in det.txt format (no descriptors, D = 0).

    Returns
    -------
    ndarray of shape (N, 10 + D), float32 or float64
        Rows in file order. A float32 or float64 ``.npy`` keeps its dtype (the
        published tracker sorts confidences in the file's dtype, which decides
        the order of tied scores); integer arrays and text files give float64.

    Raises
    ------
    MOTFormatError
        Missing or unreadable file, wrong shape or dtype, no rows, NaN/inf,
        non-integer frame numbers, non-positive width/height.
    """
    path = Path(path)
    if not path.exists():
        raise MOTFormatError(f"{path}: detection file does not exist")
    if path.suffix.lower() != ".npy":
        return load_mot_text(path, MOT_COLUMNS, "detection file")
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise MOTFormatError(f"{path}: cannot read detection file as .npy ({_reason(exc)})") from None
    if array.ndim != 2 or array.shape[1] < MOT_COLUMNS:
        raise MOTFormatError(
            f"{path}: expected an N x (10 + D) array, got shape {tuple(array.shape)}"
        )
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise MOTFormatError(f"{path}: expected a float array, got dtype {array.dtype}")
    if len(array) == 0:
        raise MOTFormatError(f"{path}: detection file is empty")
    rows = array if array.dtype in (np.float32, np.float64) else array.astype(np.float64)
    validate_mot_rows(rows, path, "detection file")
    return rows


def load_groundtruth(path: str | os.PathLike[str]) -> npt.NDArray[np.float64]:
    """Load a gt.txt: 9 columns (MOT16/17/20) or 10 (MOT15 style).

    Returns
    -------
    ndarray of shape (N, 9) or (N, 10), float64

    Raises
    ------
    MOTFormatError
        As :func:`load_mot_text`; fewer than 9 columns.
    """
    return load_mot_text(path, GT_COLUMNS, "ground-truth file", allow_empty=True)


def load_results(path: str | os.PathLike[str]) -> npt.NDArray[np.float64]:
    """Load a tracker result file (MOT format, at least the first 6 columns used).

    Boxes with zero or negative width/height are accepted, as the official
    MOTChallenge kit accepts them (they overlap nothing).

    Returns
    -------
    ndarray of shape (N, C), float64, C >= 6
        An empty result file gives a (0, 6) array.
    """
    return load_mot_text(path, 6, "result file", allow_empty=True, check_size=False)


def format_results(rows: np.ndarray) -> str:
    """Format tracker output rows as MOT text, 2 decimals for the box.

    Parameters
    ----------
    rows : array-like of shape (N, 6) or (N, 6 + K)
        frame, track_id, left, top, width, height (further columns are ignored).

    Returns
    -------
    str
        One ``frame,id,left,top,width,height,1,-1,-1,-1`` line per row.

    Examples
    --------
    >>> format_results([[1, 2, 10.0, 20.0, 30.5, 40.25]])
    '1,2,10.00,20.00,30.50,40.25,1,-1,-1,-1\\n'
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.size == 0:
        return ""
    rows = rows.reshape(len(rows), -1)[:, :6]  # extra columns are not written
    # One format operation over the whole file: a third faster than one per row.
    return ("%d,%d,%.2f,%.2f,%.2f,%.2f,1,-1,-1,-1\n" * len(rows)) % tuple(rows.ravel().tolist())


def round_as_written(rows: np.ndarray) -> npt.NDArray[np.float64]:
    """Return tracker output rows as a reader of the written result file gets them back.

    Scoring rows in memory gives the numbers of scoring the file only if
    the values are the same: frame and id as whole numbers, boxes rounded
    to the 2 decimals of :func:`format_results` (the nearest float64 to the
    decimal text, as ``float()`` parses it).

    Parameters
    ----------
    rows : array-like of shape (N, 6) or (N, 6 + K)
        frame, track_id, left, top, width, height (further columns are dropped).

    Returns
    -------
    ndarray of shape (N, 6), float64

    Examples
    --------
    >>> round_as_written([[1, 2, 10.005, 20.0049, 30.5, 1 / 3]])
    array([[ 1.  ,  2.  , 10.01, 20.  , 30.5 ,  0.33]])
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.size == 0:
        return np.zeros((0, 6))
    rows = rows.reshape(len(rows), -1)[:, :6]
    rounded = np.empty_like(rows)
    rounded[:, :2] = np.trunc(rows[:, :2])  # "%d"
    scaled = rows[:, 2:] * 100
    # rint(x * 100) / 100 is the correctly rounded decimal except where x * 100
    # lies within rounding error of a half; those few values are formatted.
    boxes = np.rint(scaled) / 100
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        boxes[near_half] = [float("%.2f" % value) for value in rows[:, 2:][near_half].tolist()]
    rounded[:, 2:] = boxes
    return rounded


def write_results(path: str | os.PathLike[str], rows: np.ndarray) -> None:
    """Write tracker output atomically (temporary file, then rename).

    Parameters
    ----------
    path : str or PathLike
        Destination; parent directories are created.
    rows : array-like of shape (N, 6)
        frame, track_id, left, top, width, height.
    """
    text = format_results(rows)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def frame_offsets(frames: np.ndarray) -> tuple[np.ndarray, dict[int, tuple[int, int]]]:
    """Index rows by frame once, keeping file order within a frame.

    Parameters
    ----------
    frames : ndarray of shape (N,)
        Frame number of each row.

    Returns
    -------
    order : ndarray of shape (N,), int
        Stable permutation that groups rows by frame (file order kept inside a frame).
    offsets : dict[int, tuple[int, int]]
        Frame number to ``(start, stop)`` into ``order``.
    """
    frames = np.asarray(frames).astype(np.int64)
    order = np.argsort(frames, kind="stable")
    sorted_frames = frames[order]
    unique, starts = np.unique(sorted_frames, return_index=True)
    stops = np.append(starts[1:], len(sorted_frames))
    return order, {int(f): (int(a), int(b)) for f, a, b in zip(unique, starts, stops)}
