"""Helpers of the visualization tests: a tiny MOT sequence with images and one moving box."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

#: Frame size (width, height) and background (BGR) of the test sequences.
SIZE = (320, 240)
BACKGROUND = (90, 90, 90)
N_FRAMES = 10
TRACK_ID = 1


def box_at(frame_idx: int) -> tuple[float, float, float, float]:
    """The tlwh box of the single track in a frame: moves 20 px right per frame."""
    return (40.0 + 20.0 * (frame_idx - 1), 60.0, 50.0, 100.0)


def result_text(frames: range = range(1, N_FRAMES + 1)) -> str:
    return "".join(
        "%d,%d,%.2f,%.2f,%.2f,%.2f,1,-1,-1,-1\n" % (frame_idx, TRACK_ID, *box_at(frame_idx)) for frame_idx in frames
    )


def write_sequence(root: Path, name: str = "SEQ", n_frames: int = N_FRAMES, images: bool = True,
                   gt: bool = True, frame_rate: int = 10) -> Path:
    """Write ROOT/NAME with seqinfo.ini, img1/*.jpg (solid background), det and gt."""
    import cv2

    sequence_dir = root / name
    (sequence_dir / "det").mkdir(parents=True)
    (sequence_dir / "seqinfo.ini").write_text(
        f"[Sequence]\nname={name}\nimDir=img1\nframeRate={frame_rate}\nseqLength={n_frames}\n"
        f"imWidth={SIZE[0]}\nimHeight={SIZE[1]}\nimExt=.jpg\n"
    )
    if images:
        (sequence_dir / "img1").mkdir()
        image = np.empty((SIZE[1], SIZE[0], 3), dtype=np.uint8)
        image[:] = BACKGROUND
        for frame_idx in range(1, n_frames + 1):
            cv2.imwrite(str(sequence_dir / "img1" / f"{frame_idx:06d}.jpg"), image)
    (sequence_dir / "det" / "det.txt").write_text("".join(
        "%d,-1,%.2f,%.2f,%.2f,%.2f,0.9,-1,-1,-1\n" % (frame_idx, *box_at(frame_idx))
        for frame_idx in range(1, n_frames + 1)
    ))
    if gt:
        (sequence_dir / "gt").mkdir()
        (sequence_dir / "gt" / "gt.txt").write_text("".join(
            "%d,7,%.2f,%.2f,%.2f,%.2f,1,1,1.0\n" % (frame_idx, *box_at(frame_idx))
            for frame_idx in range(1, n_frames + 1)
        ))
    return sequence_dir


def read_video(path: Path) -> tuple[list[np.ndarray], float, str]:
    """Decode a video: (frames, fps, FourCC)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    assert capture.isOpened(), f"cannot open {path}"
    fps = capture.get(cv2.CAP_PROP_FPS)
    code = int(capture.get(cv2.CAP_PROP_FOURCC))
    fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return frames, fps, fourcc


def near_color(image: np.ndarray, x: int, y: int, color: tuple[int, int, int], radius: int = 1,
               tolerance: int = 45) -> bool:
    """Whether a pixel within ``radius`` of (x, y) is within ``tolerance`` of ``color`` per channel."""
    patch = image[max(0, y - radius): y + radius + 1, max(0, x - radius): x + radius + 1].astype(int)
    return bool((np.abs(patch - np.array(color)).max(axis=2) <= tolerance).any())


class FakeGui:
    """Stands in for OpenCV's highgui: records frames, replays scripted keys."""

    def __init__(self, keys: list[int]) -> None:
        self._keys: Iterator[int] = iter(keys)
        self.shown: list[int] = []
        self.closed = False

    def _wait_key(self, delay_ms: int) -> int:
        # Like the real one, a wait without a key press takes its time.
        key = next(self._keys, -1)
        if key == -1:
            time.sleep(delay_ms / 1000)
        return key

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import cv2

        monkeypatch.setattr(cv2, "namedWindow", lambda *args: None)
        monkeypatch.setattr(cv2, "resizeWindow", lambda *args: None)
        monkeypatch.setattr(cv2, "imshow", lambda title, image: self.shown.append(int(image[0, 0, 0])))
        monkeypatch.setattr(cv2, "waitKeyEx", self._wait_key)
        monkeypatch.setattr(cv2, "waitKey", lambda delay: -1)
        monkeypatch.setattr(cv2, "getWindowProperty", lambda *args: 0.0 if self.closed else 1.0)
        monkeypatch.setattr(cv2, "destroyWindow", lambda title: setattr(self, "closed", True))
