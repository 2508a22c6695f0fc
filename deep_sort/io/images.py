"""Read sequence images, refusing the ones that would give silently wrong pixels.

OpenCV decodes a truncated JPEG or PNG without an error (the missing part
is grey), and a frame of another size than its sequence would be cropped
and scaled by other factors than its neighbours. :func:`read_image`
decodes exactly as ``cv2.imread`` does, but first checks that the file ends
where its format says it ends, and afterwards that the frame has the
sequence's size.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .errors import InputError, os_reason

#: How many bytes at the end of a file may follow the end marker (some writers pad).
_TAIL_BYTES = 4096
_JPEG_START, _JPEG_END = b"\xff\xd8", b"\xff\xd9"
_PNG_START, _PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND"


def truncation_problem(data: bytes) -> str | None:
    """Say why an encoded JPEG or PNG is cut short, or None (also for other formats).

    Parameters
    ----------
    data : bytes
        The file's content.
    """
    tail = data[-_TAIL_BYTES:]
    if data.startswith(_JPEG_START):
        if _JPEG_END not in tail:
            return "the JPEG data is cut short (no end-of-image marker)"
    elif data.startswith(_PNG_START):
        if _PNG_END not in tail:
            return "the PNG data is cut short (no IEND chunk)"
    return None


def read_image(path: str | os.PathLike[str], expected_size: tuple[int, int] | None = None,
               what: str = "") -> npt.NDArray[np.uint8]:
    """Decode a frame as ``cv2.imread(path, cv2.IMREAD_COLOR)`` would, after checking the file.

    Parameters
    ----------
    path : str or PathLike
        JPEG, PNG or any format OpenCV reads.
    expected_size : tuple of (int, int), optional
        (width, height) the frame must have, in pixels.
    what : str
        Added to the message, e.g. "frame 12 of MOT16-02".

    Returns
    -------
    ndarray of shape (H, W, 3), uint8
        BGR image.

    Raises
    ------
    InputError
        Unreadable, truncated or undecodable file; a frame of another size.
    """
    import cv2

    where = f" ({what})" if what else ""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read image{where} ({os_reason(exc)})") from None
    problem = truncation_problem(data)
    if problem:
        raise InputError(f"{path}: {problem}{where}")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise InputError(f"{path}: cannot decode image{where}")
    if expected_size is not None and (image.shape[1], image.shape[0]) != tuple(expected_size):
        raise InputError(f"{path}: image is {image.shape[1]}x{image.shape[0]} px, the sequence's frames are "
                         f"{expected_size[0]}x{expected_size[1]}{where}")
    return image
