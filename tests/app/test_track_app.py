"""deep_sort_app.py as a user runs it: options, detection-only mode, bad input, headless display."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from support import GOLDEN, ROOT
from deep_sort.app.track_app import main
from deep_sort.io.mot import load_results

APP = ROOT / "deep_sort_app.py"
SEQ = GOLDEN / "sequences" / "SYN-G1"


def run_app(*args, env=None):
    return subprocess.run([sys.executable, str(APP), *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=300)


def write_sequence(tmp_path, det_text, seqinfo=True):
    seq = tmp_path / "SEQ"
    (seq / "det").mkdir(parents=True)
    (seq / "det" / "det.txt").write_text(det_text)
    if seqinfo:
        (seq / "seqinfo.ini").write_text(
            "[Sequence]\nname=SEQ\nimDir=img1\nframeRate=10\nseqLength=20\nimWidth=640\nimHeight=480\nimExt=.jpg\n")
    return seq


def moving_box_rows(n_frames=8):
    return "".join(f"{f},-1,{100 + 3 * f},50,40,80,0.95,-1,-1,-1\n" for f in range(1, n_frames + 1))


def test_detection_only_mode_from_sequence_det_txt(tmp_path):
    seq = write_sequence(tmp_path, moving_box_rows())
    output = tmp_path / "out.txt"
    assert main(["--sequence_dir", str(seq), "--output_file", str(output), "--display", "False", "--quiet"]) == 0
    rows = load_results(output)
    # Confirmed at frame 3 (n_init 3), then output every frame with id 1.
    assert rows[:, 0].tolist() == [3, 4, 5, 6, 7, 8]
    assert set(rows[:, 1].tolist()) == {1}


def test_options_are_applied(tmp_path):
    seq = write_sequence(tmp_path, moving_box_rows())
    output = tmp_path / "out.txt"
    main(["--sequence_dir", str(seq), "--output_file", str(output), "--display=False", "--quiet", "--n_init", "1"])
    assert load_results(output)[:, 0].tolist() == [2, 3, 4, 5, 6, 7, 8]
    main(["--sequence_dir", str(seq), "--output_file", str(output), "--display", "False", "--quiet",
          "--min_confidence", "0.99"])
    assert len(load_results(output)) == 0


def test_defaults_are_the_published_ones():
    from deep_sort.app.track_app import build_parser

    args = build_parser().parse_args(["--sequence_dir", "x"])
    assert (args.min_confidence, args.min_detection_height, args.nms_max_overlap) == (0.8, 0, 1.0)
    assert (args.max_cosine_distance, args.nn_budget, args.display) == (0.2, None, True)
    assert (args.max_iou_distance, args.max_age, args.n_init) == (0.7, 30, 3)
    assert build_parser().parse_args(["--sequence_dir", "x", "--display", "false"]).display is False
    assert build_parser().parse_args(["--sequence_dir", "x", "--nn_budget", "None"]).nn_budget is None


@pytest.mark.parametrize("det_text,extra,problem", [
    ("1,-1,10,20,30,40,0.9\n", [], "7 columns per row, expected at least 10"),  # wrong column count
    ("1,-1,10,20,30,40,nan,-1,-1,-1\n", [], "line 1: value nan is not finite"),  # NaN
    ("1,-1,10,20,30,-4,0.9,-1,-1,-1\n", [], "line 1: width/height 30x-4 must be positive"),  # size
    ("", [], "detection file is empty"),  # empty file
    (moving_box_rows(), ["--detection_file", "missing.npy"], "missing.npy: detection file does not exist"),
    (moving_box_rows(), ["--nms_max_overlap", "2"], "nms_max_overlap must be in [0, 1], got 2.0"),
])
def test_bad_input_is_one_line_exit_2_no_output(tmp_path, det_text, extra, problem):
    seq = write_sequence(tmp_path, det_text)
    output = tmp_path / "out.txt"
    extra = [str(tmp_path / a) if a.endswith(".npy") else a for a in extra]
    result = run_app("--sequence_dir", seq, "--output_file", output, "--display", "False", *extra)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: ") and problem in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not output.exists() and not any(p.name.startswith(".out") for p in tmp_path.iterdir())


def test_missing_seqinfo_key_is_reported(tmp_path):
    seq = write_sequence(tmp_path, moving_box_rows())
    (seq / "seqinfo.ini").write_text("[Sequence]\nname=SEQ\n")
    result = run_app("--sequence_dir", seq, "--output_file", tmp_path / "o.txt", "--display", "False")
    assert result.returncode == 2 and "misses key(s) frameRate" in result.stderr


def test_display_without_screen_runs_headless(tmp_path):
    seq = write_sequence(tmp_path, moving_box_rows())
    output = tmp_path / "out.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = run_app("--sequence_dir", seq, "--output_file", output, "--display", "True", env=env)
    assert result.returncode == 0, result.stderr
    assert "running without display" in result.stderr
    assert len(load_results(output)) == 6


def test_quiet_hides_the_progress_bar_only(tmp_path):
    seq = write_sequence(tmp_path, moving_box_rows())
    loud = run_app("--sequence_dir", seq, "--output_file", tmp_path / "a.txt", "--display", "False")
    assert "frame/s" in loud.stderr
    quiet = run_app("--sequence_dir", seq, "--output_file", tmp_path / "b.txt", "--display", "False", "--quiet")
    closing = f"wrote 6 rows of 1 tracks to {tmp_path / 'b.txt'} (motion-only: det/det.txt has no appearance descriptors)"
    assert quiet.stderr == closing + "\n" and quiet.stdout == ""
    assert loud.stderr.rstrip().endswith(closing.replace("b.txt", "a.txt"))


def test_float32_and_float64_npy_give_same_result(tmp_path):
    rows = np.loadtxt(SEQ / "det" / "det.txt", delimiter=",")[:400]
    features = np.random.default_rng(0).normal(size=(len(rows), 8))
    outputs = []
    for dtype in (np.float64, np.float32):
        np.save(tmp_path / "d.npy", np.hstack([rows, features]).astype(dtype))
        out = tmp_path / f"{np.dtype(dtype).name}.txt"
        assert main(["--sequence_dir", str(SEQ), "--detection_file", str(tmp_path / "d.npy"),
                     "--output_file", str(out), "--display", "False", "--quiet"]) == 0
        outputs.append(load_results(out))
    assert outputs[0][:, :2].tolist() == outputs[1][:, :2].tolist()


def test_core_and_app_import_light():
    code = (
        "import sys, deep_sort.tracker, deep_sort.app.track_app;"
        "heavy = [m for m in ('cv2', 'tensorflow', 'pandas', 'motmetrics', 'trackeval', 'openvino') if m in sys.modules];"
        "print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_display_with_images_but_no_screen_runs_headless(tmp_path):
    import cv2

    seq = write_sequence(tmp_path, moving_box_rows())
    (seq / "img1").mkdir()
    for frame in range(1, 9):
        cv2.imwrite(str(seq / "img1" / f"{frame:06d}.jpg"), np.full((48, 64, 3), 90, np.uint8))
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = run_app("--sequence_dir", seq, "--output_file", tmp_path / "o.txt", "--display", "True", env=env)
    assert result.returncode == 0, result.stderr
    assert "no screen available; running without display" in result.stderr
    # seqinfo.ini says 20 frames, the 8 images cover only part: all 20 are tracked, with a warning
    # (frame 9 still outputs the tracks last matched in frame 8).
    assert "images cover 8 of its 20 frames (seqLength), first missing frame 9" in result.stderr
    assert len(load_results(tmp_path / "o.txt")) == 7


def test_frame_callback_returning_false_stops_the_run(tmp_path):
    from deep_sort.app.pipeline import run_sequence
    from deep_sort.config import TrackingConfig

    seq = write_sequence(tmp_path, moving_box_rows())
    seen = []

    def callback(frame_idx, detections, tracker):
        seen.append(frame_idx)
        return frame_idx < 4  # "Esc" at frame 4

    rows = run_sequence(seq, None, TrackingConfig(), frame_callback=callback)
    assert seen == [1, 2, 3, 4]
    assert rows[:, 0].tolist() == [3, 4]


def test_exit_now_delivers_buffered_output_and_the_exit_code():
    # deep_sort_app.py ends with exit_now (no interpreter teardown): what was
    # printed or logged before must still arrive, with the exit code.
    code = (
        "import logging, sys\n"
        "from deep_sort.app.cli import exit_now\n"
        "logging.basicConfig(level=logging.INFO, format='%(message)s')\n"
        "print('x' * 100000, end='')\n"
        "logging.getLogger('deep_sort').info('logged')\n"
        "sys.stderr.write('last words')\n"
        "exit_now(3)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 3
    assert result.stdout == "x" * 100000
    assert result.stderr == "logged\nlast words"
