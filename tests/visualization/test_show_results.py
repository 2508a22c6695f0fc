"""show_results: render a synthetic sequence to video and read it back; bad input; the visualizer API."""
from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from vis_helpers import (
    BACKGROUND,
    FakeGui,
    N_FRAMES,
    SIZE,
    TRACK_ID,
    box_at,
    near_color,
    read_video,
    result_text,
    write_sequence,
)

from deep_sort.app import show, visualization
from deep_sort.app.show import load_inputs, main, parse_frame_range
from deep_sort.app.visualization import DETECTION_COLOR, GROUNDTRUTH_COLOR, SequenceVisualizer, track_color
from deep_sort.io import read_sequence
from deep_sort.io.errors import InputError, MOTFormatError

ROOT = Path(__file__).resolve().parents[2]
COLOR = track_color(TRACK_ID)


@pytest.fixture
def sequence(tmp_path: Path) -> Path:
    """A 10-frame 320x240 sequence with images, det and gt."""
    return write_sequence(tmp_path)


@pytest.fixture
def result_file(tmp_path: Path) -> Path:
    """Results for ``sequence``: track 1 at ``box_at(frame)`` in every frame."""
    path = tmp_path / "SEQ.txt"
    path.write_text(result_text())
    return path


def left_edge(frame_idx: int) -> tuple[int, int]:
    """A point on the middle of the track box's left edge (away from the id tag)."""
    left, top, _, height = box_at(frame_idx)
    return int(left), int(top + height / 2)


def render(argv: list[str]) -> int:
    return main([*argv, "--quiet"])


def test_video_has_every_frame_and_the_track_in_its_colour(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    assert render(["--sequence_dir", str(sequence), "--result_file", str(result_file),
                   "--output_file", str(output)]) == 0
    frames, fps, _ = read_video(output)
    assert len(frames) == N_FRAMES
    assert frames[0].shape == (SIZE[1], SIZE[0], 3)
    assert fps == pytest.approx(10)  # seqinfo.ini frameRate
    for frame_idx in (2, 6, 9):
        image = frames[frame_idx - 1]
        x, y = left_edge(frame_idx)
        assert near_color(image, x, y, COLOR), f"frame {frame_idx}: no track colour at {(x, y)}"
        # The box moves: the previous frame's edge position is background now.
        x_before, _ = left_edge(frame_idx - 1)
        assert near_color(image, x_before, y, BACKGROUND, radius=0, tolerance=12)
        assert not near_color(image, x_before, y, COLOR, radius=0)


def test_update_ms_sets_the_frame_rate(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    render(["--sequence_dir", str(sequence), "--result_file", str(result_file),
            "--output_file", str(output), "--update_ms", "40"])
    assert read_video(output)[1] == pytest.approx(25)


def test_h264_output(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    assert render(["--sequence_dir", str(sequence), "--result_file", str(result_file),
                   "--output_file", str(output), "--convert_h264"]) == 0
    frames, _, fourcc = read_video(output)
    assert fourcc in {"avc1", "h264"} and len(frames) == N_FRAMES
    x, y = left_edge(5)
    assert near_color(frames[4], x, y, COLOR)


def test_frame_range(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    render(["--sequence_dir", str(sequence), "--result_file", str(result_file),
            "--output_file", str(output), "--frames", "3:6"])
    frames, _, _ = read_video(output)
    assert len(frames) == 4
    x, y = left_edge(3)
    assert near_color(frames[0], x, y, COLOR)


def test_detections_and_groundtruth_on_request(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    render(["--sequence_dir", str(sequence), "--result_file", str(result_file), "--output_file", str(output),
            "--detection_file", str(sequence / "det" / "det.txt"), "--show_gt", "--hide_info"])
    frames, _, _ = read_video(output)
    # Result, detection and gt boxes coincide: the box's right edge carries
    # the track colour, and the white detection and gold gt lines are drawn
    # underneath; the gt tag hangs below the bottom-left corner.
    left, top, width, height = box_at(4)
    image = frames[3]
    assert near_color(image, int(left + width), int(top + height / 2), COLOR)
    assert near_color(image, int(left) + 8, int(top + height) + 6, GROUNDTRUTH_COLOR, radius=3)


def test_detections_are_drawn_where_no_track_is(sequence, tmp_path):
    results = tmp_path / "empty.txt"
    results.write_text("")
    output = tmp_path / "video.mp4"
    render(["--sequence_dir", str(sequence), "--result_file", str(results), "--output_file", str(output),
            "--detection_file", str(sequence / "det" / "det.txt"), "--hide_info"])
    frames, _, _ = read_video(output)
    x, y = left_edge(4)
    assert near_color(frames[3], x, y, DETECTION_COLOR, tolerance=50)


def test_detection_only_sequence_uses_a_blank_canvas_and_says_so_once(tmp_path, caplog):
    sequence = write_sequence(tmp_path, images=False)
    results = tmp_path / "SEQ.txt"
    results.write_text(result_text())
    output = tmp_path / "video.mp4"
    with caplog.at_level(logging.WARNING, logger="deep_sort"):
        render(["--sequence_dir", str(sequence), "--result_file", str(results), "--output_file", str(output)])
    frames, _, _ = read_video(output)
    assert len(frames) == N_FRAMES and frames[0].shape == (SIZE[1], SIZE[0], 3)
    blank_messages = [record for record in caplog.records if "blank" in record.getMessage()]
    assert len(blank_messages) == 1 and "320x240" in blank_messages[0].getMessage()


def test_result_frame_outside_the_sequence_is_a_clear_error(sequence, tmp_path):
    results = tmp_path / "res.txt"
    results.write_text(result_text() + "\n11,1,10,10,20,20,1,-1,-1,-1\n")
    with pytest.raises(InputError, match=r"res\.txt: line 12: frame 11 is outside sequence SEQ \(frames 1\.\.10\)"):
        render(["--sequence_dir", str(sequence), "--result_file", str(results), "--output_file",
                str(tmp_path / "video.mp4")])
    assert not (tmp_path / "video.mp4").exists()


def test_malformed_result_line_is_a_clear_error(sequence, tmp_path):
    results = tmp_path / "res.txt"
    results.write_text("1,1,10,10,20,20,1,-1,-1,-1\n2,1,ten,10,20,20,1,-1,-1,-1\n")
    with pytest.raises(MOTFormatError, match=r"res\.txt: line 2: 'ten' is not a number"):
        render(["--sequence_dir", str(sequence), "--result_file", str(results), "--output_file",
                str(tmp_path / "video.mp4")])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--frames", "20:30"], r"--frames 20:30 is outside sequence SEQ \(frames 1\.\.10\)"),  # past the end
        (["--show_gt"], r"no gt/gt\.txt"),  # sequence without gt
        (["--output_file", "{tmp}/video.gif"], "unsupported video file extension"),  # not a video
    ],
)
def test_bad_options_are_clear_errors(tmp_path, argv, message):
    sequence = write_sequence(tmp_path, gt=False)
    results = tmp_path / "SEQ.txt"
    results.write_text(result_text())
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    if "--output_file" not in argv:
        argv += ["--output_file", str(tmp_path / "video.mp4")]
    with pytest.raises(InputError, match=message):
        render(["--sequence_dir", str(sequence), "--result_file", str(results), *argv])


def test_window_without_screen_is_a_clear_error(sequence, result_file, monkeypatch):
    monkeypatch.setattr(show, "screen_available", lambda: False)
    with pytest.raises(InputError, match="--output_file"):
        render(["--sequence_dir", str(sequence), "--result_file", str(result_file)])


@pytest.mark.parametrize(
    ("keys", "n_shown"),
    [
        ([], N_FRAMES),  # plays to the end
        ([ord(" "), 65363, 65361, 65361, 27], 3),  # pause, step forward, back twice (once ignored), quit
    ],
)
def test_window_playback(sequence, result_file, monkeypatch, keys, n_shown):
    monkeypatch.setattr(show, "screen_available", lambda: True)
    monkeypatch.setattr(visualization, "screen_available", lambda: True)
    gui = FakeGui(keys)
    gui.install(monkeypatch)
    assert render(["--sequence_dir", str(sequence), "--result_file", str(result_file), "--update_ms", "1"]) == 0
    assert len(gui.shown) == n_shown and gui.closed


def test_convert_h264_needs_an_output_file(sequence, result_file):
    with pytest.raises(SystemExit) as raised:
        render(["--sequence_dir", str(sequence), "--result_file", str(result_file), "--convert_h264"])
    assert raised.value.code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3:7", (3, 7)),  # closed range
        ("3:", (3, None)),  # to the end
        (":7", (None, 7)),  # from the start
        ("5", (5, 5)),  # one frame
        (":", (None, None)),  # everything
    ],
)
def test_parse_frame_range(text, expected):
    assert parse_frame_range(text) == expected


@pytest.mark.parametrize("text", ["0:5", "7:3", "a:b", "1.5:3", "-2:4"])
def test_parse_frame_range_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError):
        parse_frame_range(text)


def test_load_inputs_without_seqinfo_takes_the_range_from_the_results(tmp_path):
    sequence = tmp_path / "bare"
    sequence.mkdir()
    results = tmp_path / "res.txt"
    results.write_text(result_text(range(3, 8)))
    inputs = load_inputs(sequence, results)
    assert inputs.frames == range(3, 8)
    assert inputs.canvas_size[0] >= box_at(7)[0] + box_at(7)[2]
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(InputError, match="nothing to show"):
        load_inputs(sequence, empty)


# --- the visualizer API used by the tracking loop ----------------------------


def test_sequence_visualizer_per_frame(sequence, tmp_path):
    output = tmp_path / "out.mp4"
    with SequenceVisualizer(read_sequence(sequence), output_file=output, trail_length=5) as visualizer:
        for frame_idx in range(1, N_FRAMES + 1):
            tracks = np.array([[TRACK_ID, *box_at(frame_idx)]])
            assert visualizer.update(frame_idx, tracks, np.array([box_at(frame_idx)])) is True
    frames, _, _ = read_video(output)
    assert len(frames) == N_FRAMES
    x, y = left_edge(N_FRAMES)
    assert near_color(frames[-1], x, y, COLOR)


def test_sequence_visualizer_draw_frame_without_image_or_tracks(tmp_path):
    sequence = write_sequence(tmp_path, images=False)
    visualizer = SequenceVisualizer(read_sequence(sequence), show_gt=True, show_info=False)
    image = visualizer.draw_frame(1, np.zeros((0, 5)))
    assert image.shape == (SIZE[1], SIZE[0], 3)
    assert near_color(image, int(box_at(1)[0]) + 8, int(box_at(1)[1] + box_at(1)[3]) + 6,
                      GROUNDTRUTH_COLOR, radius=3, tolerance=0)
    assert visualizer.close() is None


def test_sequence_visualizer_discards_the_video_on_error(sequence, tmp_path):
    output = tmp_path / "out.mp4"
    with pytest.raises(KeyError), SequenceVisualizer(read_sequence(sequence), output_file=output) as visualizer:
        visualizer.update(1, np.array([[TRACK_ID, *box_at(1)]]))
        raise KeyError("tracker failed")
    assert not output.exists()
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(".out")]


def test_sequence_visualizer_window_reports_quit(sequence, monkeypatch):
    monkeypatch.setattr(visualization, "screen_available", lambda: True)
    gui = FakeGui([-1, 27])
    gui.install(monkeypatch)
    visualizer = SequenceVisualizer(read_sequence(sequence), window=True, update_ms=1)
    tracks = np.array([[TRACK_ID, *box_at(1)]])
    assert visualizer.update(1, tracks) is True
    assert visualizer.update(2, tracks) is False  # Esc
    visualizer.close()
    assert gui.shown and gui.closed


def test_sequence_visualizer_window_needs_a_screen(sequence, monkeypatch):
    monkeypatch.setattr(visualization, "screen_available", lambda: False)
    with pytest.raises(InputError, match="cannot open a window"):
        SequenceVisualizer(read_sequence(sequence), window=True)


# --- the script, as a user runs it -----------------------------------------------


def run_script(argv: list[str]) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env["QT_QPA_PLATFORM"] = "offscreen-not-allowed"  # any window attempt would abort loudly
    return subprocess.run([sys.executable, str(ROOT / "show_results.py"), *argv], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120, check=False)


def test_script_renders_headless_and_fails_cleanly(sequence, result_file, tmp_path):
    output = tmp_path / "video.mp4"
    base = ["--sequence_dir", str(sequence), "--result_file", str(result_file)]
    completed = run_script([*base, "--output_file", str(output), "--quiet"])
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == f"wrote {output} ({N_FRAMES} frames of SEQ)\n"
    assert len(read_video(output)[0]) == N_FRAMES
    # Without --output_file on a machine without a screen: one line, exit 2, no window.
    completed = run_script(base)
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: no screen") and completed.stderr.count("\n") == 1


def test_show_tracking_frame_takes_the_trackers_objects(sequence, tmp_path):
    from deep_sort.detection import Detections
    from deep_sort.tracker import Tracker

    output = tmp_path / "out.mp4"
    tracker = Tracker(None, n_init=2)
    with SequenceVisualizer(read_sequence(sequence), output_file=output) as visualizer:
        for frame_idx in range(1, 4):
            detections = Detections([box_at(frame_idx)], [0.9])
            tracker.predict()
            tracker.update(detections)
            assert visualizer.show_tracking_frame(frame_idx, detections, tracker.tracks)
    frames, _, _ = read_video(output)
    # The confirmed track is drawn at its Kalman box (which lags behind the moving detection).
    left, top, _, height = tracker.to_tlwh()[0]
    assert tracker.tracks[0].is_confirmed() and len(frames) == 3
    assert near_color(frames[2], int(left), int(top + height / 2), COLOR)
