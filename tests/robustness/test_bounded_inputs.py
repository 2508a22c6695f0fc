"""Bounded resources and no silently wrong numbers: one bad number in a file never costs hours
or gigabytes, and inputs that would give wrong results are errors (or warnings with a count where
the published tools tolerated them) naming the file and the row.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from robust_helpers import (
    EXIT_FAILED,
    EXIT_REFUSED,
    assert_one_line_error,
    error_lines,
    leftovers,
    limit_memory,
    run_tool,
    snapshot,
)


def app(ws: Path, *extra: object, detections: Path | None = None, sequence: Path | None = None,
        output: Path | None = None, preexec=None, quiet: bool = True):
    sequence = sequence or ws / "split" / "SYN-01"
    args = ["--sequence_dir", sequence, "--output_file", output or ws / "out.txt", "--display", "False",
            *(["--quiet"] if quiet else []), *extra]
    if detections is not None:
        args += ["--detection_file", detections]
    return run_tool("app", *args, preexec=preexec)


def det_line(frame: int, left: float = 20.0, top: float = 20.0, width: float = 30.0, height: float = 60.0,
             extra: str = "") -> str:
    return f"{frame},-1,{left},{top},{width},{height},0.9,-1,-1,-1{extra}\n"


def moving_rows(frames) -> str:
    return "".join(det_line(frame, left=10.0 + frame % 200) for frame in frames)


# ---------------------------------------------------------------------------------------------
# One implausible number


@pytest.mark.parametrize("tool", ["app", "show", "evaluate"])
def test_a_row_at_frame_two_billion_is_an_error_naming_the_line(tool, ws):
    seq = ws / "split" / "SYN-01"
    bad = ws / "bad.txt"
    text = (ws / "res" / "SYN-01.txt").read_text()
    bad.write_text(text + "2000000000,3,10,10,20,40,1,-1,-1,-1\n")
    line = text.count("\n") + 1
    before = snapshot(ws)
    if tool == "app":
        result = app(ws, detections=bad)
        assert_one_line_error(result, EXIT_REFUSED, f"bad.txt: line {line}: frame number 2e+09 is beyond 999999")
    elif tool == "show":
        result = run_tool("show", "--sequence_dir", seq, "--result_file", bad, "--output_file", ws / "o.mp4",
                          "--quiet")
        assert_one_line_error(result, EXIT_REFUSED, f"line {line}: frame number 2e+09 is beyond 999999")
    else:
        shutil.copy(bad, ws / "res" / "SYN-01.txt")
        (ws / "res" / "summary.csv").unlink()  # the run's output (scores of the sequences that scored)
        before = snapshot(ws)
        result = run_tool("evaluate", "--mot_dir", ws / "split", "--output_dir", ws / "res", "--eval_only",
                          "--workers", "1", "--quiet")
        assert result.returncode == EXIT_FAILED and "Traceback" not in result.stderr
        assert f"SYN-01.txt: line {line}: frame number 2e+09 is beyond 999999" in result.stderr
        (ws / "res" / "summary.csv").unlink()
    assert snapshot(ws) == before
    assert not leftovers(ws)


@pytest.mark.parametrize(("key", "value", "fragment"), [
    ("seqLength", "2000000000", "seqLength = '2000000000' is implausible (at most 999999)"),
    ("imWidth", "100000", "imWidth = '100000' is implausible (at most 65535)"),
])
@pytest.mark.parametrize("tool", ["app", "show"])
def test_an_implausible_seqinfo_value_is_refused(tool, key, value, fragment, ws):
    seqinfo = ws / "split" / "SYN-01" / "seqinfo.ini"
    text = seqinfo.read_text()
    seqinfo.write_text("\n".join(f"{key}={value}" if line.startswith(key + "=") else line
                                 for line in text.splitlines()) + "\n")
    before = snapshot(ws)
    if tool == "app":
        result = app(ws, detections=ws / "dets" / "SYN-01.npy")
    else:
        result = run_tool("show", "--sequence_dir", ws / "split" / "SYN-01", "--result_file",
                          ws / "res" / "SYN-01.txt", "--output_file", ws / "o.mp4", "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, fragment)
    assert snapshot(ws) == before
    assert not leftovers(ws)


def test_a_huge_box_does_not_ask_for_a_huge_canvas(ws):
    seq = ws / "split" / "SYN-01"
    (seq / "seqinfo.ini").unlink()
    shutil.rmtree(seq / "img1")  # no image size known: the canvas would follow the boxes
    results = ws / "res" / "SYN-01.txt"
    results.write_text(results.read_text() + "5,99,10,10,50000,40,1,-1,-1,-1\n")
    before = snapshot(ws)
    result = run_tool("show", "--sequence_dir", seq, "--result_file", results, "--output_file", ws / "o.mp4",
                      "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, "a box reaches 50010 px", "larger than 8192 px per side")
    assert snapshot(ws) == before


def test_a_long_gap_between_detections_costs_no_time(ws):
    """Frames 1-20 and 900000-900020: the ~900,000 idle frames between are skipped, not looped over."""
    seq = ws / "split" / "SYN-01"
    (seq / "seqinfo.ini").unlink()
    shutil.rmtree(seq / "img1")
    dets = ws / "gap.txt"
    dets.write_text(moving_rows(range(1, 21)) + moving_rows(range(900_000, 900_021)))
    result = app(ws, detections=dets)
    assert result.returncode == 0, result.stderr
    rows = np.loadtxt(ws / "out.txt", delimiter=",", ndmin=2)
    assert {int(f) for f in rows[:, 0]} == set(range(3, 22)) | set(range(900_002, 900_021))
    assert set(rows[rows[:, 0] > 100, 1].astype(int)) == {2}  # a new track after the gap


def test_skipping_idle_frames_changes_no_result():
    """The tracker over every frame and over the frames with work give the same rows."""
    from deep_sort.app.pipeline import frame_results, iterate_tracking
    from deep_sort.config import TrackingConfig
    from deep_sort.io.mot import SequenceInfo

    rng = np.random.default_rng(5)
    frames = np.r_[1:30, 60:64, 100:140]
    rows = [[f, -1, 50 + 3 * f % 90 + 40 * k, 30 + k * 50, 30, 60, rng.uniform(0.5, 1), -1, -1, -1]
            for f in frames for k in range(3) if rng.random() > 0.2]
    detections = np.array(rows, dtype=float)
    seq_info = SequenceInfo(name="gap", sequence_dir=Path("gap"), seq_length=200)
    config = TrackingConfig(max_age=5, n_init=2)
    every = np.concatenate([frame_results(f, t) for f, _, t in iterate_tracking(seq_info, detections, config,
                                                                                  every_frame=True)])
    skipping = list(iterate_tracking(seq_info, detections, config))
    assert len(skipping) < 150  # idle frames were skipped
    fresh = np.concatenate([frame_results(f, t) for f, _, t in iterate_tracking(seq_info, detections, config)])
    np.testing.assert_array_equal(every, fresh)


def test_a_large_text_detection_file_loads_in_memory_about_its_array(ws, tmp_path):
    """800,000 rows (42 MB of text, a 64 MB array) under a 550 MB address-space cap.

    The line-by-line reading this replaced needed about 20 times the file size.
    """
    rng = np.random.default_rng(0)
    n = 800_000
    frames = np.sort(rng.integers(1, 40, n))
    boxes = np.column_stack([rng.uniform(0, 280, n), rng.uniform(0, 120, n), rng.uniform(10, 40, n),
                             rng.uniform(20, 60, n)])
    text = "".join("%d,-1,%.2f,%.2f,%.2f,%.2f,0.5,-1,-1,-1\n" % (f, *b) for f, b in zip(frames, boxes.tolist()))
    big = tmp_path / "big.txt"
    big.write_text(text)
    result = app(ws, "--min_confidence", "0.9", detections=big, preexec=limit_memory(550 << 20))
    assert result.returncode == 0, result.stderr


def test_scoring_memory_does_not_follow_the_largest_frame_number(ws):
    """A sequence without seqinfo.ini whose last gt and result row sit at frame 999,999."""
    seq = ws / "split" / "SYN-01"
    (seq / "seqinfo.ini").unlink()
    shutil.rmtree(seq / "img1")
    gt = seq / "gt" / "gt.txt"
    gt.write_text(gt.read_text() + "999999,1,10,10,20,40,1,1,1\n")
    results = ws / "res" / "SYN-01.txt"
    results.write_text(results.read_text() + "999999,1,10,10,20,40,1,-1,-1,-1\n")
    result = run_tool("evaluate", "--mot_dir", ws / "split", "--output_dir", ws / "res", "--eval_only",
                      "--sequences", "SYN-01", "--workers", "1", "--quiet", preexec=limit_memory(1200 << 20))
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------------------------------------
# Inputs that used to give a wrong result silently


def test_images_missing_for_the_last_frames_do_not_end_tracking(ws):
    full = app(ws, detections=ws / "dets" / "SYN-01.npy", output=ws / "full.txt")
    assert full.returncode == 0, full.stderr
    for image in sorted((ws / "split" / "SYN-01" / "img1").iterdir())[20:]:
        image.unlink()
    partial = app(ws, detections=ws / "dets" / "SYN-01.npy", output=ws / "partial.txt", quiet=False)
    assert partial.returncode == 0
    assert ("WARNING: SYN-01: images cover 20 of its 40 frames (seqLength), first missing frame 21; "
            "tracking frames 1..40") in error_lines(partial)
    assert (ws / "partial.txt").read_bytes() == (ws / "full.txt").read_bytes()


def test_a_partly_copied_split_is_reported_when_scored(ws):
    for image in sorted((ws / "split" / "SYN-02" / "img1").iterdir())[30:]:
        image.unlink()
    result = run_tool("evaluate", "--mot_dir", ws / "split", "--output_dir", ws / "res", "--eval_only",
                      "--workers", "1")
    assert result.returncode == 0
    assert ("WARNING: SYN-02: images cover 30 of its 40 frames (seqLength), first missing frame 31; "
            "scored over all seqLength frames") in error_lines(result)


def test_detection_rows_beyond_the_sequence_are_counted(ws):
    dets = ws / "dets.txt"
    dets.write_text(moving_rows(range(1, 41)) + moving_rows(range(41, 46)))
    result = app(ws, detections=dets, quiet=False)
    assert result.returncode == 0
    assert "WARNING: SYN-01: 5 detection row(s) in frames outside 1..40 are ignored" in error_lines(result)


def test_extra_columns_of_a_text_detection_file_are_not_descriptors(ws):
    plain, wide = ws / "plain.txt", ws / "wide.txt"
    plain.write_text(moving_rows(range(1, 41)))
    wide.write_text("".join(line + ",0.5,0.25\n" for line in moving_rows(range(1, 41)).splitlines()))
    assert app(ws, detections=plain, output=ws / "a.txt").returncode == 0
    result = app(ws, detections=wide, output=ws / "b.txt", quiet=False)
    assert result.returncode == 0
    assert (f"WARNING: {wide}: columns 11-12 ignored: a text detection file has 10 columns; appearance "
            "descriptors come only from .npy files") in error_lines(result)
    assert (ws / "a.txt").read_bytes() == (ws / "b.txt").read_bytes()


def test_fractional_track_ids_are_not_scored(ws):
    results = ws / "res" / "SYN-01.txt"
    lines = results.read_text().splitlines()
    lines[4] = lines[4].replace(",", ".5,", 2).replace(".5,", ",", 1)  # id 7 -> 7.5
    results.write_text("\n".join(lines) + "\n")
    result = run_tool("evaluate", "--mot_dir", ws / "split", "--output_dir", ws / "res", "--eval_only",
                      "--sequences", "SYN-01", "--workers", "1", "--quiet")
    assert result.returncode == EXIT_FAILED and "Traceback" not in result.stderr
    assert "SYN-01.txt: line 5: id" in result.stderr and "is not a whole number" in result.stderr
    assert not (ws / "res" / "summary.csv").read_text().count("SYN-01,") > 1


def test_binary_garbage_is_named_not_echoed(ws):
    garbage = ws / "garbage.txt"
    garbage.write_bytes(bytes(range(256)) * 40)
    result = app(ws, detections=garbage)
    line = assert_one_line_error(result, EXIT_REFUSED, "garbage.txt: line 1: binary data (a NUL byte)")
    assert len(line) < 200


def _with_truncated_image(ws: Path) -> None:
    image = ws / "split" / "SYN-01" / "img1" / "000003.jpg"
    image.write_bytes(image.read_bytes()[: image.stat().st_size // 2])


def _with_wrong_size_image(ws: Path) -> None:
    import cv2

    image = ws / "split" / "SYN-01" / "img1" / "000003.jpg"
    cv2.imwrite(str(image), np.zeros((90, 160, 3), np.uint8))


@pytest.mark.parametrize(("damage", "fragment"), [
    (_with_truncated_image, "000003.jpg: the JPEG data is cut short (no end-of-image marker) (frame 3 of SYN-01)"),
    (_with_wrong_size_image, "000003.jpg: image is 160x90 px, the sequence's frames are 320x180 (frame 3 of SYN-01)"),
])
def test_damaged_images_give_no_descriptors(damage, fragment, ws, model):
    damage(ws)
    before = snapshot(ws)
    result = run_tool("detections", "--model", model, "--mot_dir", ws / "split", "--output_dir", ws / "out",
                      "--sequences", "SYN-01", "--backend", "openvino", "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, fragment)
    assert snapshot(ws) == before
    assert not (ws / "out").exists()


def test_a_truncated_image_is_not_drawn(ws):
    _with_truncated_image(ws)
    result = run_tool("show", "--sequence_dir", ws / "split" / "SYN-01", "--result_file", ws / "res" / "SYN-01.txt",
                      "--output_file", ws / "o.mp4", "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, "000003.jpg: the JPEG data is cut short")
    assert not (ws / "o.mp4").exists() and not leftovers(ws)


def test_a_model_that_outputs_nan_writes_nothing(ws, nan_model):
    result = run_tool("detections", "--model", nan_model, "--mot_dir", ws / "split", "--output_dir", ws / "out",
                      "--sequences", "SYN-01", "--backend", "tensorflow", "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, "nan.pb: the model output NaN or infinity", "of SYN-01")
    assert not (ws / "out").exists() or not list((ws / "out").glob("*.npy"))
