"""Output safety, for every tool: inputs are never overwritten, special files never replaced,
unwritable outputs refused before any work, a full disk ends in one line with the old file kept,
one run at a time per output, and temporary files of killed runs removed.

Each case runs the real tool in a subprocess and checks the exit code, the message line, that
every input is byte-identical afterwards and that no temporary or lock file is left.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from robust_helpers import (
    EXIT_FAILED,
    EXIT_REFUSED,
    assert_one_line_error,
    error_lines,
    fill,
    leftovers,
    limit_file_size,
    make_device,
    make_fifo,
    run_tool,
    small_filesystem,
    snapshot,
)

#: Tools whose output is a directory; the others write single files.
DIRECTORY_TOOLS = ("evaluate", "videos", "detections", "synthetic")
#: Tools that need the (TensorFlow-built) descriptor model among their inputs.
MODEL_TOOLS = ("detections",)
ALL_TOOLS = ("app", "evaluate", "show", "videos", "detections", "freeze", "track_video", "synthetic")


def tool_args(tool: str, ws: Path, output: Path, model: Path | None = None) -> list[object]:
    """Arguments of a normal run of ``tool`` on the workspace, writing ``output``."""
    split, seq = ws / "split", ws / "split" / "SYN-01"
    return {
        "app": ["--sequence_dir", seq, "--detection_file", ws / "dets" / "SYN-01.npy", "--output_file", output,
                "--display", "False", "--quiet"],
        "evaluate": ["--mot_dir", split, "--detection_dir", ws / "dets", "--output_dir", output,
                     "--workers", "1", "--quiet"],
        "show": ["--sequence_dir", seq, "--result_file", ws / "res" / "SYN-01.txt", "--output_file", output,
                 "--quiet"],
        "videos": ["--mot_dir", split, "--result_dir", ws / "res", "--output_dir", output, "--workers", "1",
                   "--quiet"],
        "detections": ["--model", model, "--mot_dir", split, "--output_dir", output, "--backend", "openvino",
                       "--quiet"],
        "freeze": ["--random_init", "--graphdef_out", output, "--quiet"],
        "track_video": ["--video", ws / "video.mp4", "--detections", seq / "det" / "det.txt", "--results", output,
                        "--quiet"],
        "synthetic": ["--output_dir", output, "--sequences", "1", "--frames", "10", "--width", "160",
                      "--height", "90", "--no-images", "--quiet"],
    }[tool]


def output_name(tool: str) -> str:
    """A file name of the tool's output (for directory tools: a file inside the directory)."""
    return {"app": "out.txt", "evaluate": "summary.csv", "show": "out.mp4", "videos": "SYN-01.mp4",
            "detections": "SYN-01.npy", "freeze": "out.pb", "track_video": "out.txt",
            "synthetic": "SYN-01"}[tool]


@pytest.fixture
def model_for(request):
    """The descriptor model when the tool needs one (built once per session)."""

    def get(tool: str) -> Path | None:
        return request.getfixturevalue("model") if tool in MODEL_TOOLS else None

    return get


def inputs_of(ws: Path, model: Path | None) -> list[Path]:
    return [ws / "split", ws / "dets", ws / "res", ws / "video.mp4", *([model] if model else [])]


# ---------------------------------------------------------------------------------------------
# An output that is one of the run's inputs


def _output_is_input(tool: str, ws: Path, model: Path | None) -> tuple[list[object], str]:
    seq = ws / "split" / "SYN-01"
    if tool == "app":
        return tool_args(tool, ws, ws / "dets" / "SYN-01.npy"), "(--detection_file)"
    if tool == "evaluate":  # det.txt-format detections in the output directory: SEQ.txt collides
        (ws / "txtdets").mkdir()
        for name in ("SYN-01", "SYN-02"):
            (ws / "txtdets" / f"{name}.txt").write_bytes((ws / "split" / name / "det" / "det.txt").read_bytes())
        args = tool_args(tool, ws, ws / "txtdets")
        args[args.index("--detection_dir") + 1] = ws / "txtdets"
        return args, "(detection file of SYN-01)"
    if tool == "show":  # a symbolic link onto the result file
        os.symlink(ws / "res" / "SYN-01.txt", ws / "link.mp4")
        return tool_args(tool, ws, ws / "link.mp4"), "(--result_file)"
    if tool == "videos":
        (ws / "vids").mkdir()
        os.symlink(ws / "res" / "SYN-01.txt", ws / "vids" / "SYN-01.mp4")
        return tool_args(tool, ws, ws / "vids"), "(--result_dir file)"
    if tool == "detections":
        (ws / "npy").mkdir()
        os.symlink(seq / "det" / "det.txt", ws / "npy" / "SYN-01.npy")
        return tool_args(tool, ws, ws / "npy", model), "(det/det.txt of sequence SYN-01)"
    if tool == "freeze":
        for suffix in (".index", ".data-00000-of-00001"):
            (ws / f"ckpt{suffix}").write_bytes(b"checkpoint")
        return ["--checkpoint_in", ws / "ckpt", "--graphdef_out", ws / "ckpt.index", "--quiet"], "(--checkpoint_in)"
    if tool == "track_video":
        args = tool_args(tool, ws, seq / "det" / "det.txt")
        return args, "(--detections)"
    assert tool == "synthetic"  # no inputs: a user's directory where a sequence would go is one
    (ws / "gen" / "SYN-01").mkdir(parents=True)
    (ws / "gen" / "SYN-01" / "notes.txt").write_text("my notes")
    return tool_args(tool, ws, ws / "gen"), "refusing to replace it"


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_an_output_that_is_an_input_is_refused(tool, ws, model_for):
    model = model_for(tool)
    args, fragment = _output_is_input(tool, ws, model)
    before = snapshot(ws)
    result = run_tool(tool, *args)
    assert_one_line_error(result, EXIT_REFUSED, fragment)
    assert snapshot(ws) == before  # every input (and the user's notes) byte-identical
    assert not leftovers(ws)


def test_app_refuses_every_file_of_the_sequence(ws):
    seq = ws / "split" / "SYN-01"
    before = snapshot(ws)
    for target, fragment in ((seq / "det" / "det.txt", "det/det.txt of sequence SYN-01"),
                             (seq / "gt" / "gt.txt", "gt/gt.txt of sequence SYN-01"),
                             (seq / "seqinfo.ini", "seqinfo.ini of sequence SYN-01"),
                             (seq / "img1" / "000001.jpg", "image directory of sequence SYN-01")):
        assert_one_line_error(run_tool("app", *tool_args("app", ws, target)), EXIT_REFUSED, fragment)
    hard_link = ws / "hard.npy"
    os.link(ws / "dets" / "SYN-01.npy", hard_link)  # another name of the same file
    assert_one_line_error(run_tool("app", *tool_args("app", ws, hard_link)), EXIT_REFUSED, "(--detection_file)")
    assert snapshot(ws / "split", ws / "dets") == {k: v for k, v in before.items() if "/split/" in k or "/dets/" in k}
    assert not leftovers(ws)


def test_track_video_refuses_to_render_over_its_video(ws):
    before = snapshot(ws)
    result = run_tool("track_video", "--video", ws / "video.mp4", "--detections",
                      ws / "split" / "SYN-01" / "det" / "det.txt", "--output", ws / "video.mp4", "--quiet")
    assert_one_line_error(result, EXIT_REFUSED, "video.mp4: is also an input of this run (--video)")
    assert snapshot(ws) == before and not leftovers(ws)


# ---------------------------------------------------------------------------------------------
# Outputs that are not regular files


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_a_fifo_output_is_refused_not_replaced(tool, ws, model_for):
    model = model_for(tool)
    if tool in DIRECTORY_TOOLS and tool != "synthetic":
        (ws / "out").mkdir()
        fifo = make_fifo(ws / "out" / output_name(tool))
        args = tool_args(tool, ws, ws / "out", model)
    else:
        fifo = make_fifo(ws / output_name(tool).replace("SYN-01", "fifo"))
        args = tool_args(tool, ws, fifo, model)
    before = snapshot(ws)
    result = run_tool(tool, *args, timeout=120)
    line = assert_one_line_error(result, EXIT_REFUSED)
    assert "FIFO" in line or "not a directory" in line, line
    assert Path(fifo).is_fifo()
    assert snapshot(ws) == before
    assert not leftovers(ws)


@pytest.mark.parametrize("kind", ["device", "directory", "under_a_file"])
def test_app_refuses_a_device_a_directory_and_a_path_under_a_file(kind, ws):
    if kind == "device":
        output, fragment = make_device(ws / "null"), "is a character device, not a regular file"
    elif kind == "directory":
        output, fragment = ws / "res", "is a directory, not a regular file"
    else:
        output, fragment = ws / "video.mp4" / "out.txt", "a part of the directory path is a file"
    before = snapshot(ws)
    assert_one_line_error(run_tool("app", *tool_args("app", ws, output)), EXIT_REFUSED, fragment)
    assert snapshot(ws) == before
    if kind == "device":
        assert output.is_char_device()
    assert not leftovers(ws)


@pytest.mark.parametrize("tool", ["app", "track_video"])
def test_a_symbolic_link_output_is_written_through(tool, ws):
    target = ws / "kept" / "real.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    link = ws / "latest.txt"
    os.symlink(target, link)
    result = run_tool(tool, *tool_args(tool, ws, link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)  # the link stays
    assert run_tool(tool, *tool_args(tool, ws, ws / "plain.txt")).returncode == 0
    assert target.read_bytes() == (ws / "plain.txt").read_bytes()  # its target got the results
    assert not leftovers(ws)


# ---------------------------------------------------------------------------------------------
# Unwritable and full file systems


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_a_read_only_output_is_refused_before_any_work(tool, ws, tmp_path, model_for):
    model = model_for(tool)
    before = snapshot(ws)
    with small_filesystem(tmp_path / "ro", 64, read_only=True) as read_only:
        target = read_only / ("out" if tool in DIRECTORY_TOOLS else output_name(tool))
        result = run_tool(tool, *tool_args(tool, ws, target, model), timeout=120)
    assert_one_line_error(result, EXIT_REFUSED, "read-only file system")
    assert snapshot(ws) == before


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_a_full_disk_ends_in_one_line_and_keeps_the_old_output(tool, ws, tmp_path, model_for):
    model = model_for(tool)
    before = snapshot(ws)
    with small_filesystem(tmp_path / "full", 256) as full:
        old = full / ("out" if tool in DIRECTORY_TOOLS else "") / output_name(tool)
        if tool == "synthetic":
            old.mkdir(parents=True)
            (old / "seqinfo.ini").write_text("[Sequence]\nname=old\n")
            kept = old / "seqinfo.ini"
        else:
            old.parent.mkdir(parents=True, exist_ok=True)
            old.write_bytes(b"an older good output")
            kept = old
        fill(full)
        target = full / "out" if tool in DIRECTORY_TOOLS else old
        result = run_tool(tool, *tool_args(tool, ws, target, model), timeout=300)
        assert result.returncode == EXIT_FAILED, result.stderr
        assert "Traceback" not in result.stderr
        # (The older output, without a provenance record, is announced as made again.)
        lines = [line for line in error_lines(result) if not line.startswith("WARNING: ")]
        assert len(lines) == 1 and ("no space left on device" in lines[0] or "disk full" in lines[0]), lines
        assert kept.read_bytes() == (b"[Sequence]\nname=old\n" if tool == "synthetic" else b"an older good output")
        assert not leftovers(full)
    assert snapshot(ws) == before


@pytest.mark.parametrize("tool", ["app", "evaluate", "show", "track_video"])
def test_a_file_size_limit_ends_in_one_line(tool, ws):
    """The same without root: RLIMIT_FSIZE makes every write beyond 2 kB fail (EFBIG)."""
    target = ws / ("out" if tool in DIRECTORY_TOOLS else output_name(tool))
    result = run_tool(tool, *tool_args(tool, ws, target), preexec=limit_file_size(2048))
    assert result.returncode == EXIT_FAILED, result.stderr
    assert "Traceback" not in result.stderr
    lines = error_lines(result)
    assert len(lines) == 1 and ("file too large" in lines[0] or "video writer failed" in lines[0]), lines
    assert not leftovers(ws)
    assert not (target.exists() and target.is_file())


# ---------------------------------------------------------------------------------------------
# One run per output; temporary files of killed runs


@pytest.mark.parametrize("tool", ALL_TOOLS)
def test_a_second_run_on_a_locked_output_stops_at_once(tool, ws, model_for):
    from deep_sort.io.lock import lock_directory, lock_file

    model = model_for(tool)
    if tool in DIRECTORY_TOOLS:
        target = ws / "out"
        target.mkdir()
        held = lock_directory(target)
    else:
        target = ws / output_name(tool)
        held = lock_file(target)
    before = snapshot(ws)
    with held:  # this test process plays the first run
        result = run_tool(tool, *tool_args(tool, ws, target, model))
    assert_one_line_error(result, EXIT_REFUSED, f"process {os.getpid()} is writing this output right now")
    assert snapshot(ws) == before


def _dead_pid() -> int:
    pid = 4_000_000
    while Path(f"/proc/{pid}").exists():
        pid += 1
    return pid


@pytest.mark.parametrize("tool", ["app", "evaluate", "show", "videos", "track_video", "synthetic"])
def test_temporary_files_of_a_killed_run_are_removed(tool, ws):
    if tool in DIRECTORY_TOOLS:
        directory = ws / "out"
        name = output_name(tool)
    else:
        directory, name = ws, output_name(tool)
    directory.mkdir(exist_ok=True)
    stale = directory / f".{name}.{_dead_pid()}-0123456789ab.tmp"
    stale.write_text("half a result")
    target = directory if tool in DIRECTORY_TOOLS else directory / name
    result = run_tool(tool, *tool_args(tool, ws, target))
    assert result.returncode == 0, result.stderr
    assert not stale.exists()
    assert not leftovers(ws)
