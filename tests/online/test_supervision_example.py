"""examples/supervision_tracking.py: supervision.process_video end to end on a synthetic video."""
from __future__ import annotations

import os
import subprocess
import sys

import cv2

from online_helpers import write_tiny_onnx
from support import ROOT

SCRIPT = ROOT / "examples" / "supervision_tracking.py"


def run_example(*args: str, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


def frame_count(path) -> int:
    capture = cv2.VideoCapture(str(path))
    try:
        return int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()


def test_example_tracks_a_synthetic_video(tmp_path):
    output = tmp_path / "videos" / "tracked.mp4"
    result = run_example("--frames", "40", "--output", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("tracked 40 frames in ") and f"wrote {output}" in result.stdout
    assert frame_count(output) == 40
    assert [p.name for p in output.parent.iterdir()] == ["tracked.mp4"]  # no partial file left
    ids = int(result.stdout.split(" track ids")[0].rsplit(" ", 1)[1])
    assert 5 <= ids <= 40


def test_example_with_a_model_file(tmp_path):
    model = write_tiny_onnx(tmp_path / "tiny.onnx")
    result = run_example("--frames", "10", "--model", str(model), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert frame_count(tmp_path / "tracked.mp4") == 10


def test_example_rejects_bad_options(tmp_path):
    result = run_example("--frames", "0", cwd=tmp_path)
    assert result.returncode == 2 and "--frames must be at least 1" in result.stderr
    result = run_example("--timm", "resnet18", "--model", "x.onnx", cwd=tmp_path)
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
    assert not list(tmp_path.iterdir())
