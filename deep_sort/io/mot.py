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
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from .atomic import atomic_write
from .errors import MOTFormatError, os_reason
from .limits import MAX_COORDINATE, MAX_DESCRIPTOR_VALUE, MAX_FRAME, MAX_ID, MAX_IMAGE_SIDE, MIN_BOX_SIZE

logger = logging.getLogger(__name__)

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

    def image_coverage_problem(self) -> str | None:
        """Say how the images fail to cover frames 1..seqLength, or None if they do (or there are none).

        A sequence without images is a detection-only sequence; one whose
        images stop early was copied or generated only in part.
        """
        if not self.image_filenames or not self.seq_length:
            return None
        frames = self.image_filenames.keys()
        inside = sum(1 for frame in frames if 1 <= frame <= self.seq_length)
        outside = len(self.image_filenames) - inside
        if inside == self.seq_length and not outside:
            return None
        missing = [frame for frame in range(1, self.seq_length + 1) if frame not in self.image_filenames]
        text = f"images cover {inside} of its {self.seq_length} frames (seqLength)"
        if missing:
            text += f", first missing frame {missing[0]}"
        if outside:
            text += f", {outside} image(s) beyond seqLength"
        return text

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
        raise MOTFormatError(f"{path}: cannot read ({os_reason(exc)})") from None
    except configparser.Error as exc:
        raise MOTFormatError(f"{path}: not a valid INI file ({str(exc).splitlines()[0]})") from None
    if "Sequence" not in parser:
        raise MOTFormatError(f"{path}: no [Sequence] section")
    section = dict(parser["Sequence"])
    missing = [key for key in SEQINFO_REQUIRED_KEYS if key not in section]
    if missing:
        raise MOTFormatError(f"{path}: [Sequence] misses key(s) {', '.join(missing)}")
    return section


def _seqinfo_number(info: dict[str, str], key: str, path: Path, kind: type,
                    maximum: float = float("inf")) -> float | int:
    text = info[key].strip()
    try:
        value = kind(float(text)) if kind is int else float(text)
    except ValueError:
        raise MOTFormatError(f"{path}: {key} = {text!r} is not a number") from None
    if kind is int and float(text) != int(float(text)):
        raise MOTFormatError(f"{path}: {key} = {text!r} is not a whole number")
    if not np.isfinite(value) or value <= 0:
        raise MOTFormatError(f"{path}: {key} = {text!r} must be positive")
    if value > maximum:
        raise MOTFormatError(f"{path}: {key} = {text!r} is implausible (at most {maximum:g})")
    return value


def sequence_input_files(sequence_dir: str | os.PathLike[str]) -> dict[Path, str]:
    """The files of a MOT sequence directory a run must never overwrite, with what each is.

    seqinfo.ini, det/det.txt, gt/gt.txt and the image directory (img1/ or the
    seqinfo.ini ``imDir``), whether or not they exist.
    """
    sequence_dir = Path(sequence_dir)
    name = sequence_dir.name
    image_dir = "img1"
    try:
        image_dir = read_seqinfo(sequence_dir / "seqinfo.ini").get("imDir", image_dir).strip() or image_dir
    except MOTFormatError:
        pass
    return {
        sequence_dir / "seqinfo.ini": f"seqinfo.ini of sequence {name}",
        sequence_dir / "det" / "det.txt": f"det/det.txt of sequence {name}",
        sequence_dir / "gt" / "gt.txt": f"gt/gt.txt of sequence {name}",
        sequence_dir / image_dir: f"image directory of sequence {name}",
    }


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
        seq_length = int(_seqinfo_number(info, "seqLength", seqinfo_path, int, MAX_FRAME))
        image_size = (
            int(_seqinfo_number(info, "imWidth", seqinfo_path, int, MAX_IMAGE_SIDE)),
            int(_seqinfo_number(info, "imHeight", seqinfo_path, int, MAX_IMAGE_SIDE)),
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


#: Bytes of text parsed at a time by :func:`load_mot_text` (memory beyond the parsed array).
TEXT_CHUNK_BYTES = 4 << 20


def _count_lines(handle: BinaryIO) -> int:
    count = 0
    last = b"\n"
    for block in iter(lambda: handle.read(TEXT_CHUNK_BYTES), b""):
        count += block.count(b"\n")
        last = block[-1:]
    return count + (last != b"\n")


def _text_chunks(handle: BinaryIO, path: Path, what: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (number of the chunk's first line, its lines) for chunks of whole lines."""
    first_line = 1
    rest = b""
    while True:
        block = handle.read(TEXT_CHUNK_BYTES)
        data = rest + block
        if not data:
            return
        cut = data.rfind(b"\n") + 1 if block else len(data)
        if cut == 0:  # one line longer than a chunk
            rest = data
            continue
        data, rest = data[:cut], data[cut:]
        if b"\0" in data:
            line = first_line + data.count(b"\n", 0, data.index(b"\0"))
            raise MOTFormatError(f"{path}: line {line}: binary data (a NUL byte), not a text {what}")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first_line + data.count(b"\n", 0, exc.start)
            raise MOTFormatError(f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text; "
                                 f"is this a binary file rather than a text {what}?") from None
        lines = text.splitlines()
        yield first_line, lines
        first_line += len(lines)
        if not block:
            return


def _parse_lines_slowly(path: Path, first_line: int, lines: list[str], width: int | None = None) -> np.ndarray:
    """Parse lines one by one (the reference reading): skip blank lines, name the first bad one.

    ``width``: the number of columns of earlier rows, if any.
    """
    numbered = [(first_line + i, line) for i, line in enumerate(lines) if line.strip()]
    rows = []
    for number, line in numbered:
        tokens = line.replace(" ", "").split(",")
        try:
            rows.append([float(token) for token in tokens])
        except ValueError:
            for token in tokens:
                try:
                    float(token)
                except ValueError:
                    shown = token if len(token) <= 24 else token[:24] + "..."
                    raise MOTFormatError(f"{path}: line {number}: {shown!r} is not a number") from None
        if width is None:
            width = len(tokens)
        elif len(tokens) != width:
            raise MOTFormatError(f"{path}: line {number}: {len(tokens)} columns, earlier rows have {width}")
    return np.array(rows, dtype=np.float64).reshape(len(rows), width or 0)


def _parse_lines(path: Path, first_line: int, lines: list[str]) -> np.ndarray:
    """Parse whole lines of comma-separated numbers; fast path numpy's C parser."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data" for blank chunks
            return np.loadtxt(lines, delimiter=",", comments=None, dtype=np.float64, ndmin=2)
    except ValueError:
        # Whitespace-only lines, number forms numpy does not take, or a real error: the
        # line-by-line reading decides, with the message naming the line.
        return _parse_lines_slowly(path, first_line, lines)


def line_of_row(path: str | os.PathLike[str], index: int) -> int:
    """Line number (1-based) of row ``index`` (0-based) of a MOT text file; blank lines do not count."""
    row = -1
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                row += 1
                if row == index:
                    return number
    return index + 1


def load_mot_text(
    path: str | os.PathLike[str],
    min_columns: int = MOT_COLUMNS,
    what: str = "MOT text file",
    allow_empty: bool = False,
    check_size: bool = True,
    min_size: float = 0.0,
) -> npt.NDArray[np.float64]:
    """Load a comma-separated MOT text file (det.txt, gt.txt, results).

    The file is parsed in chunks of :data:`TEXT_CHUNK_BYTES` into an array
    allocated once (from a count of its lines), so memory stays about the size
    of the parsed array, at the speed of numpy's C parser.

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
        Whether width and height must be positive (and at least ``min_size``).
    min_size : float
        Smallest width and height accepted with ``check_size``.

    Returns
    -------
    ndarray of shape (N, C), float64
        The rows in file order, C >= ``min_columns``.

    Raises
    ------
    MOTFormatError
        Unreadable or binary file, no rows (unless ``allow_empty``), text where
        numbers belong, a ragged or short row, NaN/inf, a frame number that is
        not whole or outside 1..:data:`~deep_sort.io.limits.MAX_FRAME`, an id
        that is not whole, a coordinate beyond
        :data:`~deep_sort.io.limits.MAX_COORDINATE` or a non-positive
        width/height; the message names the line (1-based).
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            capacity = _count_lines(handle)
            handle.seek(0)
            rows = None
            n_rows = 0
            for first_line, lines in _text_chunks(handle, path, what):
                parsed = _parse_lines(path, first_line, lines)
                if len(parsed) == 0:
                    continue
                if rows is None:
                    rows = np.empty((capacity, parsed.shape[1]), dtype=np.float64)
                elif parsed.shape[1] != rows.shape[1]:
                    _parse_lines_slowly(path, first_line, lines, width=rows.shape[1])
                rows[n_rows:n_rows + len(parsed)] = parsed
                n_rows += len(parsed)
    except OSError as exc:
        raise MOTFormatError(f"{path}: cannot read {what} ({os_reason(exc)})") from None
    if rows is None:
        if allow_empty:
            return np.zeros((0, min_columns), dtype=np.float64)
        raise MOTFormatError(f"{path}: {what} is empty")
    if n_rows < len(rows):  # blank lines: give back the unused rows
        rows = rows[:n_rows].copy()
    if rows.shape[1] < min_columns:
        raise MOTFormatError(
            f"{path}: {what} has {rows.shape[1]} columns per row, expected at least {min_columns}"
        )
    validate_mot_rows(rows, path, what, check_size=check_size, min_size=min_size,
                      locate=lambda index: f"line {line_of_row(path, index)}")
    return rows


def validate_mot_rows(
    rows: np.ndarray,
    path: str | os.PathLike[str],
    what: str,
    check_size: bool = True,
    *,
    locate: Callable[[int], str] | None = None,
    min_size: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Check MOT rows: finite values, plausible frames, ids and boxes.

    Every row must have a whole frame number in 1..:data:`~deep_sort.io.limits.MAX_FRAME`,
    a whole id within :data:`~deep_sort.io.limits.MAX_ID`, and box values
    (left, top, width, height) within :data:`~deep_sort.io.limits.MAX_COORDINATE`.
    The checks use the minimum and maximum of the array (two passes) and of
    the first six columns; only a failing check looks for the offending row.

    Parameters
    ----------
    rows : ndarray of shape (N, C), C >= 6
        frame, id, left, top, width, height, ...
    path : str or PathLike
        Named in the error message.
    what : str
        What the file is, for the error message.
    check_size : bool
        Whether width and height must be positive (and at least ``min_size``).
    locate : callable, optional
        ``locate(index) -> "line 12"``: where row ``index`` is, for the message;
        by default ``"row N"`` (1-based).
    min_size : float
        Smallest width and height accepted with ``check_size``.

    Returns
    -------
    smallest, largest : float
        The smallest and the largest value of the whole array (for further
        checks of the caller).

    Raises
    ------
    MOTFormatError
        Naming the first offending row.
    """
    if locate is None:
        locate = lambda index: f"row {index + 1}"  # noqa: E731
    if len(rows) == 0:
        return 0.0, 0.0

    def fail(mask: np.ndarray, problem: Callable[[int], str]) -> None:
        first = int(np.flatnonzero(mask)[0])
        raise MOTFormatError(f"{path}: {locate(first)}: {problem(first)}")

    # NaN propagates through min and max: two fast passes over the whole array find
    # any non-finite value; the first six columns are checked from a compact copy.
    smallest, largest = float(rows.min()), float(rows.max())
    if not (np.isfinite(smallest) and np.isfinite(largest)):
        finite = np.isfinite(rows)
        fail(~finite.all(axis=1), lambda i: f"value {rows[i][~finite[i]][0]} is not finite")
    head = np.ascontiguousarray(rows[:, :6].T)
    lowest, highest = head.min(axis=1), head.max(axis=1)
    frames, ids = head[0], head[1]
    if lowest[0] < 1:
        fail(frames < 1, lambda i: f"frame number {frames[i]:g} is below 1 (MOT frames are 1-based)")
    if highest[0] > MAX_FRAME:
        fail(frames > MAX_FRAME, lambda i: f"frame number {frames[i]:g} is beyond {MAX_FRAME}, the largest "
                                           "MOT frame number (6-digit image names)")
    bad = frames != np.floor(frames)
    if bad.any():
        fail(bad, lambda i: f"frame number {frames[i]:g} is not a whole number")
    if max(-lowest[1], highest[1]) > MAX_ID:
        fail(np.abs(ids) > MAX_ID, lambda i: f"id {ids[i]:g} is beyond +-{MAX_ID}")
    bad = ids != np.floor(ids)
    if bad.any():
        fail(bad, lambda i: f"id {ids[i]:g} is not a whole number")
    if max(-lowest[2:6].min(), highest[2:6].max()) > MAX_COORDINATE:
        boxes = rows[:, 2:6]
        fail((np.abs(boxes) > MAX_COORDINATE).any(axis=1),
             lambda i: f"box {boxes[i].tolist()} lies beyond +-{MAX_COORDINATE:g} pixels (implausible)")
    if check_size and min(lowest[4], lowest[5]) <= 0:
        fail((rows[:, 4] <= 0) | (rows[:, 5] <= 0),
             lambda i: f"width/height {rows[i, 4]:g}x{rows[i, 5]:g} must be positive")
    if check_size and min(lowest[4], lowest[5]) < min_size:
        fail((rows[:, 4] < min_size) | (rows[:, 5] < min_size),
             lambda i: f"width/height {rows[i, 4]:g}x{rows[i, 5]:g} is below {min_size:g} pixels")
    return smallest, largest


def load_detections(path: str | os.PathLike[str]) -> npt.NDArray[np.float64]:
    """Load a detection file: N x (10 + D) ``.npy`` or a plain MOT ``det.txt``.

    Parameters
    ----------
    path : str or PathLike
        ``.npy`` (float32 or float64, det rows with descriptors appended) or
        a text file in det.txt format (no descriptors, D = 0: columns after
        the 10th are ignored with a warning).

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
        implausible frames, ids or boxes (see :func:`validate_mot_rows`),
        boxes smaller than :data:`~deep_sort.io.limits.MIN_BOX_SIZE`,
        descriptor values whose square overflows float32.
    """
    path = Path(path)
    if not path.exists():
        raise MOTFormatError(f"{path}: detection file does not exist")
    if path.suffix.lower() != ".npy":
        rows = load_mot_text(path, MOT_COLUMNS, "detection file", min_size=MIN_BOX_SIZE)
        if rows.shape[1] > MOT_COLUMNS:
            logger.warning("%s: columns %d-%d ignored: a text detection file has 10 columns; appearance "
                           "descriptors come only from .npy files", path, MOT_COLUMNS + 1, rows.shape[1])
            rows = np.ascontiguousarray(rows[:, :MOT_COLUMNS])
        return rows
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise MOTFormatError(f"{path}: cannot read detection file as .npy ({os_reason(exc)})") from None
    if array.ndim != 2 or array.shape[1] < MOT_COLUMNS:
        raise MOTFormatError(
            f"{path}: expected an N x (10 + D) array, got shape {tuple(array.shape)}"
        )
    if not np.issubdtype(array.dtype, np.floating) and not np.issubdtype(array.dtype, np.integer):
        raise MOTFormatError(f"{path}: expected a float array, got dtype {array.dtype}")
    if len(array) == 0:
        raise MOTFormatError(f"{path}: detection file is empty")
    rows = array if array.dtype in (np.float32, np.float64) else array.astype(np.float64)
    smallest, largest = validate_mot_rows(rows, path, "detection file", min_size=MIN_BOX_SIZE)
    if rows.shape[1] > MOT_COLUMNS and max(-smallest, largest) > MAX_DESCRIPTOR_VALUE:
        descriptors = rows[:, MOT_COLUMNS:]
        if max(-float(descriptors.min()), float(descriptors.max())) > MAX_DESCRIPTOR_VALUE:
            bad = np.flatnonzero((np.abs(descriptors) > MAX_DESCRIPTOR_VALUE).any(axis=1))[0]
            raise MOTFormatError(
                f"{path}: row {bad + 1}: descriptor value {np.abs(descriptors[bad]).max():g} is too large: "
                f"beyond {MAX_DESCRIPTOR_VALUE:.3g} its square overflows float32, the tracker's descriptor dtype")
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
