"""Window player: key handling with a scripted fake OpenCV GUI, and the headless check."""
from __future__ import annotations

import socket
import numpy as np
import pytest
from vis_helpers import FakeGui

from deep_sort.app import image_viewer
from deep_sort.app.image_viewer import Action, Command, ImageViewer, key_command, screen_available

LEFT, RIGHT, SPACE, ESC = 65361, 65363, ord(" "), 27


@pytest.mark.parametrize(
    ("key", "command"),
    [
        (ESC, Command.QUIT),  # Esc
        (ord("q"), Command.QUIT),  # q
        (SPACE, Command.TOGGLE_PAUSE),  # space
        (RIGHT, Command.STEP_FORWARD),  # right arrow, X11 keysym (GTK, Qt)
        (LEFT, Command.STEP_BACK),  # left arrow, X11 keysym
        (0x270000, Command.STEP_FORWARD),  # right arrow, Windows
        (63234, Command.STEP_BACK),  # left arrow, macOS
        (-1, None),  # no key within the timeout
        (ord("x"), None),  # unrelated key
    ],
)
def test_key_commands(key, command):
    assert key_command(key) is command


def frame(frame_idx: int) -> np.ndarray:
    return np.full((4, 4, 3), frame_idx, dtype=np.uint8)


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        ([], [1, 2, 3, 4]),  # plays to the end
        ([ESC], [1]),  # Esc quits at once
        ([RIGHT, LEFT, LEFT, RIGHT, ord("q")], [1, 2, 1, 2]),  # step, step back; back at the start is ignored
        ([SPACE, -1, -1, SPACE], [1, 2, 3, 4]),  # pause, then resume
        ([SPACE, RIGHT, RIGHT, ESC], [1, 2, 3]),  # paused stepping
    ],
)
def test_run_follows_the_keys(monkeypatch, keys, shown):
    gui = FakeGui(keys)
    gui.install(monkeypatch)
    viewer = ImageViewer(update_ms=1)
    assert viewer.run([1, 2, 3, 4], frame) == len(shown)
    assert gui.shown == shown
    assert gui.closed


def test_closing_the_window_quits(monkeypatch):
    gui = FakeGui([])
    gui.install(monkeypatch)
    viewer = ImageViewer(update_ms=1)
    viewer.show(frame(1))
    gui.closed = True
    assert viewer.wait() is Action.QUIT


def test_push_mode_ignores_step_back(monkeypatch):
    gui = FakeGui([LEFT, RIGHT])
    gui.install(monkeypatch)
    viewer = ImageViewer(update_ms=1)
    viewer.show(frame(1))
    assert viewer.wait(can_step_back=False) is Action.NEXT
    assert viewer.paused


def test_update_ms_must_be_positive():
    with pytest.raises(ValueError, match="update_ms"):
        ImageViewer(update_ms=0)


# --- headless detection ------------------------------------------------------


def test_no_screen_without_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(image_viewer.sys, "platform", "linux")
    assert screen_available() is False


def test_no_screen_without_gui_backend(monkeypatch):
    monkeypatch.setattr(image_viewer, "gui_backend", lambda: None)
    monkeypatch.setattr(image_viewer.sys, "platform", "win32")
    assert screen_available() is False


def test_gui_backend_reads_the_opencv_build():
    backend = image_viewer.gui_backend()
    assert backend is None or backend.strip() == backend and backend


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        (":987", False),  # local display without its X socket
        ("nonsense", False),  # not host:number
        ("127.0.0.1:{port}", True),  # remote display (ssh -X) that accepts connections
        ("127.0.0.1:{closed}", False),  # remote display nobody listens on
    ],
)
def test_x11_display_must_be_reachable(monkeypatch, display, expected):
    monkeypatch.setattr(image_viewer, "gui_backend", lambda: "QT5")
    monkeypatch.setattr(image_viewer.sys, "platform", "linux")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with socket.socket() as server, socket.socket() as unused:
        server.bind(("127.0.0.1", 0))
        server.listen()
        unused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port, closed = server.getsockname()[1] - 6000, unused.getsockname()[1] - 6000
        monkeypatch.setenv("DISPLAY", display.format(port=port, closed=closed))
        assert screen_available() is expected


def test_wayland_only_needs_a_gtk_build(monkeypatch, tmp_path):
    (tmp_path / "wayland-0").touch()
    monkeypatch.setattr(image_viewer.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    monkeypatch.setattr(image_viewer, "gui_backend", lambda: "GTK3")
    assert screen_available() is True
    # The opencv-python wheels' Qt only ships the X11 (xcb) platform plugin.
    monkeypatch.setattr(image_viewer, "gui_backend", lambda: "QT5")
    assert screen_available() is False
