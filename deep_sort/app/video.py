"""Write videos that only appear once complete, optionally re-encoded to H.264.

Frames are encoded by OpenCV (MPEG-4 Part 2, ``mp4v``) into a temporary file
beside the destination. With ``convert_h264`` the result is re-encoded with
the ffmpeg binary shipped by the ``imageio-ffmpeg`` wheel (no system ffmpeg
needed): H.264 plays in browsers and is several times smaller. Only a
finished and verified video is renamed onto the destination: OpenCV's writer
reports no write errors (a full disk gives an unplayable file), so the file
is opened again and must hold every frame (:func:`verify_video`). On error or
abort nothing is left behind and an older file at the destination is kept.
"""
from __future__ import annotations

import contextlib
import logging
import os
import subprocess
from pathlib import Path
from types import TracebackType

import numpy as np

from ..io.atomic import atomic_path, discard, temporary_name
from ..io.errors import InputError, OutputError

logger = logging.getLogger(__name__)

#: OpenCV FourCC of the intermediate encoding.
MP4V_FOURCC = "mp4v"
#: Container extensions OpenCV's mp4v writer and ffmpeg both handle.
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov")
#: x264 constant rate factor: 23 is ffmpeg's default, visually clean for boxes.
H264_CRF = 23


class _Aborted(Exception):
    """Thrown into the temporary-path context to discard the file."""


def check_video_path(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path if its extension is a supported video container.

    Raises
    ------
    InputError
        If the extension is not one of :data:`VIDEO_EXTENSIONS`.
    """
    path = Path(path)
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        raise InputError(
            f"{path}: unsupported video file extension {path.suffix!r} "
            f"(expected one of {', '.join(VIDEO_EXTENSIONS)})"
        )
    return path


def ffmpeg_executable() -> str:
    """Return the path of the ffmpeg binary bundled with ``imageio-ffmpeg``.

    Raises
    ------
    InputError
        If imageio-ffmpeg is not installed or has no binary for this platform.
    """
    try:
        import imageio_ffmpeg
    except ImportError:
        raise InputError(
            "H.264 conversion needs the imageio-ffmpeg package (pip install imageio-ffmpeg)"
        ) from None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"H.264 conversion: no ffmpeg binary available ({reason})") from None


def convert_to_h264(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> None:
    """Re-encode ``source`` as H.264 (yuv420p, ``+faststart``) into ``destination``.

    Odd frame sizes are padded by one pixel, as yuv420p needs even ones.
    ``destination`` is overwritten; the container follows its extension.

    Raises
    ------
    InputError
        No ffmpeg binary (see :func:`ffmpeg_executable`).
    OutputError
        ffmpeg failed (a full disk, ...); the message holds its last error line.
    """
    command = [
        ffmpeg_executable(), "-y", "-nostdin", "-loglevel", "error",
        "-i", os.fspath(source),
        "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", str(H264_CRF),
        "-pix_fmt", "yuv420p", "-movflags", "+faststart",
        os.fspath(destination),
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        lines = [line for line in completed.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit code {completed.returncode}"
        raise OutputError(f"{destination}: ffmpeg could not convert the video to H.264 ({reason})")


def quiet_ffmpeg() -> None:
    """Keep FFmpeg's own log lines (inside OpenCV) off stderr; the tools report failures themselves.

    OpenCV reads ``OPENCV_FFMPEG_LOGLEVEL`` when it first opens a video, so
    this is called before that; a value the user set is kept.
    """
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET


def count_video_frames(path: str | os.PathLike[str]) -> int | None:
    """Return the number of frames a video file holds, or None if it cannot be opened.

    The container's frame count is trusted only if its last frame decodes.
    """
    import cv2

    quiet_ffmpeg()
    capture = cv2.VideoCapture(os.fspath(path))
    try:
        if not capture.isOpened():
            return None
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        if count <= 0:
            return None
        capture.set(cv2.CAP_PROP_POS_FRAMES, count - 1)
        ok, _ = capture.read()
        return count if ok else None
    finally:
        capture.release()


def verify_video(path: str | os.PathLike[str], n_frames: int, shown: str | os.PathLike[str] | None = None) -> None:
    """Check that the video at ``path`` holds ``n_frames`` decodable frames.

    Raises
    ------
    OutputError
        Naming ``shown`` (default ``path``): the file cannot be opened or
        holds another number of frames (a full disk, a failing encoder).
    """
    count = count_video_frames(path)
    if count != n_frames:
        found = "cannot be opened" if count is None else f"holds {count} of the {n_frames} frames written"
        raise OutputError(f"{shown or path}: the video writer failed: the file {found} "
                          f"({_storage_state(path)}); nothing was kept")


def _storage_state(path: str | os.PathLike[str]) -> str:
    """Why a video writer (which reports no errors of its own) may have failed, from the file system."""
    try:
        free = os.statvfs(os.path.dirname(os.path.abspath(path)))
    except OSError:
        return "cannot inspect its file system"
    if free.f_bavail * free.f_frsize < 1 << 20:
        return "no space left on device"
    return "is the disk full or the encoder broken?"


def _set_default_permissions(path: Path) -> None:
    # Temporary files are created private (0600); a finished video should get
    # the permissions any new file would get.
    umask = os.umask(0)
    os.umask(umask)
    with contextlib.suppress(OSError):
        os.chmod(path, 0o666 & ~umask)


class CloseOnExit:
    """Context manager: ``close()`` on success, ``abort()`` when the block raises."""

    def __enter__(self):
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


class VideoWriter(CloseOnExit):
    """Write BGR frames to a video file that appears only when complete.

    Use as a context manager (an exception inside discards the video) or call
    :meth:`close` / :meth:`abort` yourself.

    Parameters
    ----------
    path : str or PathLike
        Destination (``.mp4``, ``.avi``, ``.mkv`` or ``.mov``); parent
        directories are created; an existing file is replaced on success.
    fps : float
        Frames per second.
    convert_h264 : bool
        Re-encode to H.264 with imageio-ffmpeg's ffmpeg on :meth:`close`.

    Notes
    -----
    The frame size is fixed by the first frame; later frames of another size
    are resized to it. An odd width or height is padded by one pixel
    (repeating the last row/column), as MPEG-4 and H.264 need even sizes.

    Examples
    --------
    ::

        with VideoWriter("out.mp4", fps=30) as writer:
            for image in images:
                writer.write(image)
    """

    def __init__(self, path: str | os.PathLike[str], fps: float, *, convert_h264: bool = False) -> None:
        self.path = check_video_path(path)
        if not np.isfinite(fps) or fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.fps = float(fps)
        self.convert_h264 = convert_h264
        if convert_h264:
            ffmpeg_executable()  # fail before any frame is rendered
        self.n_frames = 0
        self.frame_size: tuple[int, int] | None = None
        self._writer = None
        self._closed = False
        self._stack = contextlib.ExitStack()
        self._temporary = self._stack.enter_context(atomic_path(self.path, suffix=self.path.suffix))
        self._encoded = self._temporary
        if convert_h264:
            self._encoded = temporary_name(self._temporary.with_name(self.path.name), ".mp4v" + self.path.suffix)
            self._stack.callback(discard, self._encoded)

    def _open(self, width: int, height: int) -> None:
        import cv2

        quiet_ffmpeg()
        # MPEG-4 and yuv420p need even sizes: OpenCV would crop an odd one silently.
        even_size = (width + width % 2, height + height % 2)
        writer = cv2.VideoWriter(os.fspath(self._encoded), cv2.VideoWriter_fourcc(*MP4V_FOURCC),
                                 self.fps, even_size)
        if not writer.isOpened():
            raise OutputError(f"{self.path}: OpenCV cannot open a {MP4V_FOURCC} video writer "
                              f"({_storage_state(self._encoded)})")
        self._writer = writer
        self.frame_size = (width, height)

    def write(self, image: np.ndarray) -> None:
        """Append one frame.

        Parameters
        ----------
        image : ndarray of shape (H, W, 3), uint8
            BGR frame.
        """
        import cv2

        if self._closed:
            raise ValueError(f"{self.path}: video writer is closed")
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise ValueError(f"image: expected shape (H, W, 3) uint8, got {image.shape} {image.dtype}")
        height, width = image.shape[:2]
        if self._writer is None:
            self._open(width, height)
        elif (width, height) != self.frame_size:
            image = cv2.resize(image, self.frame_size, interpolation=cv2.INTER_AREA)
        width, height = self.frame_size
        if width % 2 or height % 2:
            image = cv2.copyMakeBorder(image, 0, height % 2, 0, width % 2, cv2.BORDER_REPLICATE)
        self._writer.write(np.ascontiguousarray(image))
        self.n_frames += 1

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def close(self) -> Path:
        """Finish the video: release, convert if asked, rename onto the destination.

        Returns
        -------
        Path
            The written video.

        Raises
        ------
        ValueError
            If no frame was written (nothing is created).
        OutputError
            The video could not be written completely (it is discarded; an
            older file at the destination is kept).
        """
        if self._closed:
            return self.path
        if self.n_frames == 0:
            self.abort()
            raise ValueError(f"{self.path}: no frames were written, no video created")
        try:
            self._release()
            if self.convert_h264:
                verify_video(self._encoded, self.n_frames, self.path)
                convert_to_h264(self._encoded, self._temporary)
            verify_video(self._temporary, self.n_frames, self.path)
        except BaseException as exc:
            self._discard(exc)
            raise
        self._closed = True
        _set_default_permissions(self._temporary)
        self._stack.close()
        logger.info("wrote %s (%d frames)", self.path, self.n_frames)
        return self.path

    def abort(self) -> None:
        """Discard the video; the destination is left as it was."""
        if not self._closed:
            self._discard(_Aborted())

    def _discard(self, exc: BaseException) -> None:
        self._closed = True
        self._release()
        # Throwing into the atomic_path context makes it delete its temporary file.
        with contextlib.suppress(type(exc)):
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
