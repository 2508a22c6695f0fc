"""Video writing: complete files only, H.264 via imageio-ffmpeg, clear failures."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vis_helpers import read_video

from deep_sort.app import video
from deep_sort.app.video import VideoWriter, check_video_path, ffmpeg_executable
from deep_sort.io.errors import InputError


def frames(n: int = 5, width: int = 64, height: int = 48) -> list[np.ndarray]:
    return [np.full((height, width, 3), 20 * i, dtype=np.uint8) for i in range(n)]


def listing(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def test_writes_all_frames_at_the_given_rate(tmp_path):
    path = tmp_path / "out" / "video.mp4"
    with VideoWriter(path, fps=12.5) as writer:
        for image in frames():
            writer.write(image)
    decoded, fps, fourcc = read_video(path)
    assert len(decoded) == 5 and decoded[0].shape == (48, 64, 3)
    assert fps == pytest.approx(12.5) and fourcc in {"mp4v", "FMP4"}
    assert abs(int(decoded[3].mean()) - 60) <= 3
    assert listing(path.parent) == ["video.mp4"]  # no temporary left


def test_frames_of_another_size_are_resized(tmp_path):
    path = tmp_path / "video.mp4"
    with VideoWriter(path, fps=10) as writer:
        writer.write(frames(1)[0])
        writer.write(frames(1, width=128, height=96)[0])
    decoded, _, _ = read_video(path)
    assert [image.shape for image in decoded] == [(48, 64, 3)] * 2


def test_h264_conversion(tmp_path):
    path = tmp_path / "video.mp4"
    with VideoWriter(path, fps=10, convert_h264=True) as writer:
        for image in frames(4, width=65, height=47):  # odd sizes are padded, not cropped
            writer.write(image)
    decoded, _, fourcc = read_video(path)
    assert fourcc in {"avc1", "h264"}
    assert len(decoded) == 4 and decoded[0].shape == (48, 66, 3)
    assert listing(tmp_path) == ["video.mp4"]


def test_ffmpeg_binary_ships_with_imageio_ffmpeg():
    assert Path(ffmpeg_executable()).is_file()


def test_error_while_writing_leaves_no_file(tmp_path):
    path = tmp_path / "video.mp4"
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(path, fps=10) as writer:
        writer.write(frames(1)[0])
        raise RuntimeError("boom")
    assert listing(tmp_path) == []


def test_abort_keeps_the_previous_video(tmp_path):
    path = tmp_path / "video.mp4"
    path.write_bytes(b"previous")
    writer = VideoWriter(path, fps=10)
    writer.write(frames(1)[0])
    writer.abort()
    assert path.read_bytes() == b"previous"
    assert listing(tmp_path) == ["video.mp4"]


def test_failed_h264_conversion_leaves_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(video, "ffmpeg_executable", lambda: "false")
    path = tmp_path / "video.mp4"
    writer = VideoWriter(path, fps=10, convert_h264=True)
    writer.write(frames(1)[0])
    with pytest.raises(video.OutputError, match="could not convert"):
        writer.close()
    assert listing(tmp_path) == []


def test_missing_ffmpeg_is_reported_before_rendering(tmp_path, monkeypatch):
    import imageio_ffmpeg

    def no_binary():
        raise RuntimeError("No ffmpeg exe could be found.\nInstall ffmpeg on your system.")

    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_exe", no_binary)
    with pytest.raises(InputError, match="no ffmpeg binary available"):
        VideoWriter(tmp_path / "video.mp4", fps=10, convert_h264=True)
    assert listing(tmp_path) == []


def test_closing_without_frames_creates_nothing(tmp_path):
    writer = VideoWriter(tmp_path / "video.mp4", fps=10)
    with pytest.raises(ValueError, match="no frames"):
        writer.close()
    assert listing(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("v.mp4", True),  # default
        ("v.AVI", True),  # case-insensitive
        ("v.mkv", True),  # matroska
        ("v.gif", False),  # not a video container we write
        ("video", False),  # no extension
    ],
)
def test_video_extensions(tmp_path, name, ok):
    if ok:
        assert check_video_path(tmp_path / name).name == name
    else:
        with pytest.raises(InputError, match="unsupported video file extension"):
            check_video_path(tmp_path / name)


@pytest.mark.parametrize("fps", [0, -5, float("nan")])
def test_bad_fps_rejected(tmp_path, fps):
    with pytest.raises(ValueError, match="fps"):
        VideoWriter(tmp_path / "v.mp4", fps=fps)
    assert listing(tmp_path) == []


def test_bad_frame_rejected(tmp_path):
    with VideoWriter(tmp_path / "v.mp4", fps=10) as writer:
        writer.write(frames(1)[0])
        with pytest.raises(ValueError, match=r"\(H, W, 3\) uint8"):
            writer.write(np.zeros((48, 64), np.uint8))
