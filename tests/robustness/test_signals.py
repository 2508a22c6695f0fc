"""Processes and signals: Ctrl-C (SIGINT to the process group) or SIGTERM stops every tool in the
middle of its work within 2 s, with exit code 130/143, one line, no traceback (none from worker
processes either), inputs unchanged and no partial or temporary file; a ``kill -9`` of the
parent takes its worker processes with it.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from robust_helpers import (
    EXIT_SIGINT,
    EXIT_SIGTERM,
    TOOLS,
    environment,
    error_lines,
    interrupt,
    leftovers,
    live_processes_in_session,
    run_tool,
    snapshot,
)
from support import ROOT

#: The guarantee: a stopped tool is gone within this many seconds of the signal.
STOP_SECONDS = 2.0


def busy_args(tool: str, work: Path, out: Path, model: Path | None) -> list[object]:
    """Arguments that keep ``tool`` busy for several seconds, writing into ``out``."""
    dense, images = work / "dense" / "SYN-01", work / "images"
    return {
        "app": ["--sequence_dir", dense, "--detection_file", work / "dense_dets" / "SYN-01.npy",
                "--output_file", out / "result.txt", "--display", "False", "--quiet"],
        "evaluate": ["--mot_dir", work / "dense", "--detection_dir", work / "dense_dets", "--output_dir", out,
                     "--workers", "2", "--quiet"],
        "show": ["--sequence_dir", images / "SYN-01", "--result_file", work / "images_res" / "SYN-01.txt",
                 "--output_file", out / "video.mp4", "--quiet"],
        "videos": ["--mot_dir", images, "--result_dir", work / "images_res", "--output_dir", out, "--workers", "2",
                   "--quiet"],
        "detections": ["--model", model, "--mot_dir", images, "--output_dir", out, "--backend", "openvino",
                       "--quiet"],
        "freeze": ["--random_init", "--graphdef_out", out / "model.pb", "--quiet"],
        "track_video": ["--video", work / "long.mp4", "--detections", images / "SYN-01" / "det" / "det.txt",
                        "--results", out / "result.txt", "--output", out / "video.mp4", "--quiet"],
        "synthetic": ["--output_dir", out, "--sequences", "2", "--frames", "2000", "--quiet"],
    }[tool]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
@pytest.mark.parametrize("tool", list(TOOLS))
def test_a_signal_stops_the_tool_cleanly(tool, signum, long_work, tmp_path, request):
    model = request.getfixturevalue("model") if tool == "detections" else None
    out = tmp_path / "out"
    out.mkdir()
    inputs = [long_work, *([model] if model else [])]
    before = snapshot(*inputs)
    # freeze_model spends its first seconds importing TensorFlow: interrupt it there.
    after = 1.0 if tool == "freeze" else 0.3
    result, elapsed = interrupt(tool, busy_args(tool, long_work, out, model), signum, after=after)
    expected = EXIT_SIGINT if signum == signal.SIGINT else EXIT_SIGTERM
    assert result.returncode == expected, (result.returncode, elapsed, result.stderr)
    assert elapsed <= STOP_SECONDS, f"{tool} took {elapsed:.2f} s to stop"
    lines = error_lines(result)
    name = "interrupted (Ctrl-C)" if signum == signal.SIGINT else "terminated (SIGTERM)"
    assert lines == [f"{name}: stopped; no partial output was kept"], result.stderr
    assert snapshot(*inputs) == before
    assert not leftovers(out)
    # Whatever is in the output directory is complete: finished sequences or videos only.
    for path in out.rglob("*"):
        assert not path.name.startswith("."), path


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def test_kill_9_of_evaluate_takes_its_workers_along_and_the_next_run_resumes(long_work, tmp_path):
    out = tmp_path / "out"
    args = busy_args("evaluate", long_work, out, None)
    command = [sys.executable, str(TOOLS["evaluate"]), *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(), cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 120
    while len([c for c in _children(process.pid) if "spawn_main" in _cmdline(c)]) < 1:
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    time.sleep(1.0)  # the worker is tracking
    workers = [c for c in _children(process.pid) if "spawn_main" in _cmdline(c)]
    process.kill()  # SIGKILL: no handler runs in the parent
    _, err = process.communicate(timeout=30)
    deadline = time.monotonic() + STOP_SECONDS
    while live_processes_in_session(process.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not live_processes_in_session(process.pid), f"workers {workers} outlived their parent"
    assert "Traceback" not in err and err.strip() == "", err
    assert not leftovers(out)  # the dying workers removed what they were writing
    # The next run finds no lock and no stale file in its way and tracks what is missing.
    result = run_tool("evaluate", *args)
    assert result.returncode == 0, result.stderr
    assert (out / "SYN-01.txt").is_file() and not leftovers(out)


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_a_second_signal_leaves_at_once(long_work, tmp_path):
    """Ctrl-C twice: the second one does not wait for the first to unwind."""
    out = tmp_path / "out"
    out.mkdir()
    command = [sys.executable, str(TOOLS["app"]), *map(str, busy_args("app", long_work, out, None))]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(), cwd=ROOT, start_new_session=True)
    time.sleep(0.2)
    while "SigCgt" in (status := Path(f"/proc/{process.pid}/status").read_text()) and not int(
            status.split("SigCgt:")[1].split()[0], 16) & (1 << (signal.SIGTERM - 1)):
        time.sleep(0.02)
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGINT)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == EXIT_SIGINT
    assert err.strip().splitlines()[-1] == "interrupted (Ctrl-C): stopped; no partial output was kept"
    assert "Traceback" not in err and not leftovers(out)
