"""Play frames in an OpenCV window, and tell whether a window can be opened at all.

Keys: space pauses and resumes, right/left arrow (or ``d``/``a``) step one
frame forward/back and pause, Esc or ``q`` quits; closing the window quits too.

Nothing here opens a window at import time or in :func:`screen_available`;
OpenCV is imported inside the functions.
"""
from __future__ import annotations

import enum
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

#: How often (ms) a paused viewer checks for keys and for its window being closed.
POLL_MS = 50
#: Largest initial window size (width, height); bigger frames are shown scaled down.
MAX_WINDOW_SIZE = (1280, 960)


class Command(enum.Enum):
    """What a key press asks the viewer to do."""

    TOGGLE_PAUSE = "toggle_pause"
    STEP_FORWARD = "step_forward"
    STEP_BACK = "step_back"
    QUIT = "quit"


class Action(enum.Enum):
    """What the caller of :meth:`ImageViewer.wait` should do next."""

    NEXT = "next"
    PREVIOUS = "previous"
    QUIT = "quit"


# cv2.waitKeyEx codes: X11 keysyms (GTK and Qt on Linux), Windows virtual
# keys shifted by 16 bits, macOS Cocoa function keys.
_KEY_COMMANDS = {
    27: Command.QUIT,
    ord("q"): Command.QUIT,
    ord(" "): Command.TOGGLE_PAUSE,
    ord("d"): Command.STEP_FORWARD,
    ord("a"): Command.STEP_BACK,
    65363: Command.STEP_FORWARD,
    65361: Command.STEP_BACK,
    0x270000: Command.STEP_FORWARD,
    0x250000: Command.STEP_BACK,
    63235: Command.STEP_FORWARD,
    63234: Command.STEP_BACK,
}


def key_command(key: int) -> Command | None:
    """Map a ``cv2.waitKeyEx`` code to a viewer command (None: not a viewer key).

    Examples
    --------
    >>> key_command(27), key_command(ord(" ")), key_command(-1)
    (<Command.QUIT: 'quit'>, <Command.TOGGLE_PAUSE: 'toggle_pause'>, None)
    """
    return _KEY_COMMANDS.get(int(key))


def gui_backend() -> str | None:
    """Return OpenCV's highgui backend (``"QT5"``, ``"GTK3"``, ...) or None without one.

    None when OpenCV cannot be imported or was built without GUI support
    (``opencv-python-headless``).
    """
    try:
        import cv2
    except ImportError:
        return None
    for line in cv2.getBuildInformation().splitlines():
        name, _, value = line.strip().partition(":")
        if name.strip() == "GUI":
            value = value.strip().split()[0] if value.strip() else ""
            return None if value.upper() in {"", "NONE", "NO"} else value
    return None


def _x11_display_reachable(display: str) -> bool:
    # DISPLAY is [host]:number[.screen]; a local display is a Unix socket,
    # a remote one (ssh -X forwarding) a TCP port 6000 + number.
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return False
    if host in {"", "unix"} or host.startswith("/"):
        if host.startswith("/"):  # macOS XQuartz launchd socket path
            return Path(display).exists() or Path(host).exists()
        return Path(f"/tmp/.X11-unix/X{number}").exists()
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=0.5):
            return True
    except OSError:
        return False


def _wayland_display_reachable(display: str) -> bool:
    path = Path(display)
    if not path.is_absolute():
        path = Path(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent")) / display
    return path.exists()


def screen_available() -> bool:
    """Tell whether an OpenCV window can be opened here, without opening one.

    False when OpenCV has no GUI backend, or, on Linux and other X11
    systems, when no display is reachable: ``DISPLAY`` unset or its socket
    missing (Qt builds, as in the opencv-python wheels, only speak X11), and
    for GTK builds also no ``WAYLAND_DISPLAY`` socket. A Qt window on an
    unreachable display aborts the whole process, which is why this is
    checked before any window is created.

    Returns
    -------
    bool
    """
    backend = gui_backend()
    if backend is None:
        return False
    if sys.platform.startswith("win") or sys.platform == "darwin":
        return True
    display = os.environ.get("DISPLAY", "").strip()
    if display and _x11_display_reachable(display):
        return True
    wayland = os.environ.get("WAYLAND_DISPLAY", "").strip()
    if wayland and not backend.upper().startswith("QT"):
        return _wayland_display_reachable(wayland)
    return False


class ImageViewer:
    """An OpenCV window that shows frames at a fixed pace, with pause and stepping.

    Parameters
    ----------
    update_ms : int
        Milliseconds each frame stays on screen while playing.
    title : str
        Window title.

    Examples
    --------
    Random-access playback (stepping back works)::

        viewer = ImageViewer(update_ms=40, title="MOT16-02")
        viewer.run([1, 2, 3], render=lambda frame_idx: images[frame_idx])

    Push-style playback from a loop that cannot go back::

        for frame_idx, image in frames:
            viewer.show(image)
            if viewer.wait() is Action.QUIT:
                break
        viewer.close()
    """

    def __init__(self, update_ms: int = 40, title: str = "deep_sort") -> None:
        if update_ms < 1:
            raise ValueError(f"update_ms must be >= 1, got {update_ms}")
        self.update_ms = int(update_ms)
        self.title = title
        self.paused = False
        self._window_open = False

    def show(self, image: np.ndarray) -> None:
        """Display ``image`` (BGR, (H, W, 3) uint8), opening the window on first use."""
        import cv2

        if not self._window_open:
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL | cv2.WINDOW_KEEPRATIO)
            height, width = image.shape[:2]
            scale = min(1.0, MAX_WINDOW_SIZE[0] / width, MAX_WINDOW_SIZE[1] / height)
            cv2.resizeWindow(self.title, int(width * scale), int(height * scale))
            self._window_open = True
        cv2.imshow(self.title, image)

    def _window_closed(self) -> bool:
        import cv2

        try:
            return cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1
        except cv2.error:
            return True

    def wait(self, can_step_back: bool = False) -> Action:
        """Wait for the frame's time on screen (or, when paused, for a key).

        Parameters
        ----------
        can_step_back : bool
            Whether the caller can show the previous frame; when False the
            step-back key is ignored.

        Returns
        -------
        Action
            NEXT when the frame's time is up or the user stepped forward,
            PREVIOUS when the user stepped back, QUIT on Esc/q or when the
            window was closed.
        """
        import cv2

        deadline = time.monotonic() + self.update_ms / 1000
        while True:
            # waitKeyEx also lets the GUI paint the frame: call it at least once.
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            timeout = POLL_MS if self.paused else min(POLL_MS, max(1, remaining_ms))
            command = key_command(cv2.waitKeyEx(timeout))
            if command is Command.QUIT or (self._window_open and self._window_closed()):
                return Action.QUIT
            if command is Command.TOGGLE_PAUSE:
                self.paused = not self.paused
                deadline = time.monotonic() + self.update_ms / 1000
            elif command is Command.STEP_FORWARD:
                self.paused = True
                return Action.NEXT
            elif command is Command.STEP_BACK and can_step_back:
                self.paused = True
                return Action.PREVIOUS
            if not self.paused and time.monotonic() >= deadline:
                return Action.NEXT

    def run(self, frame_indices: Sequence[int], render: Callable[[int], np.ndarray]) -> int:
        """Play ``frame_indices`` in order, rendering each with ``render(frame_idx)``.

        Stepping back re-renders the previous frame. Playback ends after the
        last frame or on quit; the window is closed.

        Parameters
        ----------
        frame_indices : sequence of int
            Frames to play, in order.
        render : callable
            ``render(frame_idx) -> ndarray of shape (H, W, 3), uint8``.

        Returns
        -------
        int
            Number of frames shown (counting repeats).
        """
        position, n_shown = 0, 0
        try:
            while 0 <= position < len(frame_indices):
                self.show(render(frame_indices[position]))
                n_shown += 1
                action = self.wait(can_step_back=position > 0)
                if action is Action.QUIT:
                    break
                position += -1 if action is Action.PREVIOUS else 1
        finally:
            self.close()
        return n_shown

    def close(self) -> None:
        """Close the window if it is open."""
        if not self._window_open:
            return
        import cv2

        self._window_open = False
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)  # let the GUI thread process the close
        except cv2.error:
            logger.debug("window %r was already closed", self.title)
