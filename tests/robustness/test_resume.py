"""Provenance and resume: a re-run skips an output only if it is verified to be what this run would
make (same settings, inputs and code, file unchanged, a video that holds every frame); anything
else is made again with a warning naming the reason.
"""
from __future__ import annotations

import json
import os
import shutil

import numpy as np

from robust_helpers import leftovers, run_tool


def evaluate(ws, *extra):
    return run_tool("evaluate", "--mot_dir", ws / "split", "--detection_dir", ws / "dets", "--output_dir",
                    ws / "out", "--workers", "1", *extra)


def test_a_result_directory_records_what_made_each_file(ws):
    assert evaluate(ws, "--quiet").returncode == 0
    record = json.loads((ws / "out" / "provenance.json").read_text())["entries"]
    assert sorted(record) == ["SYN-01.txt", "SYN-02.txt"]
    entry = record["SYN-01.txt"]
    assert entry["tool"] == "evaluate_motchallenge"
    assert entry["settings"]["min_confidence"] == 0.3 and entry["settings"]["nn_budget"] == 100
    assert entry["inputs"]["detections"]["path"] == os.path.realpath(ws / "dets" / "SYN-01.npy")
    assert len(entry["inputs"]["detections"]["sha256"]) == 64 and entry["code"]


def test_changed_detections_are_tracked_again(ws):
    assert evaluate(ws, "--quiet").returncode == 0
    before = {name: (ws / "out" / name).stat().st_mtime_ns for name in ("SYN-01.txt", "SYN-02.txt")}
    dets = np.load(ws / "dets" / "SYN-02.npy")
    dets[:, 6] *= 0.5  # other confidences
    np.save(ws / "dets" / "SYN-02.npy", dets)
    result = evaluate(ws)
    assert result.returncode == 0
    assert "SYN-02: tracking again: the existing result file does not match this run (changed input(s): " \
           "detections)" in result.stderr
    assert (ws / "out" / "SYN-01.txt").stat().st_mtime_ns == before["SYN-01.txt"]
    assert (ws / "out" / "SYN-02.txt").stat().st_mtime_ns != before["SYN-02.txt"]


def test_a_result_without_record_is_tracked_again(ws):
    """As after a kill -9 between writing a result and recording it."""
    (ws / "out").mkdir()
    shutil.copy(ws / "res" / "SYN-01.txt", ws / "out" / "SYN-01.txt")
    result = evaluate(ws)
    assert result.returncode == 0
    assert "SYN-01: tracking again: the existing result file does not match this run (no provenance record)" \
        in result.stderr
    assert not leftovers(ws)


def videos(ws, *extra):
    return run_tool("videos", "--mot_dir", ws / "split", "--result_dir", ws / "res", "--output_dir", ws / "vids",
                    "--workers", "1", *extra)


def test_resumed_videos_are_verified(ws):
    assert videos(ws, "--quiet").returncode == 0
    first = {name: (ws / "vids" / name).stat().st_mtime_ns for name in ("SYN-01.mp4", "SYN-02.mp4")}
    result = videos(ws)
    assert result.returncode == 0 and "2 existing reused" in result.stderr
    assert {name: (ws / "vids" / name).stat().st_mtime_ns for name in first} == first
    # A video cut short (a full disk, a copy interrupted) is not trusted: rendered again.
    video = ws / "vids" / "SYN-01.mp4"
    os.truncate(video, video.stat().st_size // 2)
    result = videos(ws)
    assert result.returncode == 0
    assert "SYN-01.mp4: rendering again: the existing video cannot be trusted (the file was changed after it " \
           "was written)" in result.stderr
    from deep_sort.app.video import count_video_frames

    assert count_video_frames(video) == 40
    # Other drawing options make other videos.
    result = videos(ws, "--trail_length", "5")
    assert "other settings (trail_length 0 -> 5)" in result.stderr
    assert not leftovers(ws)
