"""Helpers of the robustness tests: the tools as subprocesses, file snapshots, signals, small file systems.

Every test here runs a real tool in a real process against real files (FIFOs,
device nodes, symbolic links, a full or read-only tmpfs) and checks what a
user would: the exit code, the one message line, that every input is
byte-identical afterwards and that nothing partial or temporary is left.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from support import ROOT

#: The eight command-line tools, by short name.
TOOLS = {
    "app": ROOT / "deep_sort_app.py",
    "evaluate": ROOT / "evaluate_motchallenge.py",
    "show": ROOT / "show_results.py",
    "videos": ROOT / "generate_videos.py",
    "detections": ROOT / "tools" / "generate_detections.py",
    "freeze": ROOT / "tools" / "freeze_model.py",
    "track_video": ROOT / "tools" / "track_video.py",
    "synthetic": ROOT / "tools" / "generate_synthetic.py",
}
#: Names of temporary files (ours: ``.NAME.PID-RANDOM.tmp...``), lock files and write probes.
LEFTOVER = re.compile(r"(\.tmp\b|\.lock$|^\.deep_sort-probe-)")
#: Exit codes of the guarantees.
EXIT_REFUSED, EXIT_FAILED, EXIT_SIGINT, EXIT_SIGTERM = 2, 1, 130, 143


def environment() -> dict[str, str]:
    """The tools' environment: headless, no inherited display."""
    env = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_tool(tool: str, *args: object, timeout: float = 300, preexec=None) -> subprocess.CompletedProcess:
    """Run one tool to its end; return the completed process (text stdout/stderr)."""
    command = [sys.executable, str(TOOLS[tool]), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=environment(), cwd=ROOT,
                          timeout=timeout, preexec_fn=preexec)


#: TensorFlow's C++ start-up log lines (printed when its library loads, before any Python code can
#: lower its log level): not messages of the tools, so not counted as lines of theirs.
TENSORFLOW_STARTUP = re.compile(r"^(WARNING: All log messages before absl::InitializeLog|I0000 |"
                                r"To enable the following instructions)")


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    """Non-empty stderr lines, without TensorFlow's start-up log lines."""
    return [line for line in result.stderr.splitlines() if line.strip() and not TENSORFLOW_STARTUP.match(line)]


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """The run ended with ``code`` and exactly one stderr line containing every fragment; return it."""
    lines = error_lines(result)
    assert result.returncode == code, (result.returncode, result.stderr)
    assert len(lines) == 1, lines
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def snapshot(*roots: Path) -> dict[str, str]:
    """SHA-256 of every regular file under ``roots`` (and of ``roots`` that are files), by path."""
    digests = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(path for path in root.rglob("*") if path.is_file())
        for path in paths:
            digests[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def leftovers(*roots: Path) -> list[str]:
    """Temporary files, lock files and probes anywhere under ``roots``."""
    found = []
    for root in roots:
        if root.is_dir():
            found += [str(path) for path in root.rglob("*") if LEFTOVER.search(path.name)]
    return found


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def make_device(path: Path) -> Path:
    """A character device node like /dev/null (needs CAP_MKNOD; the test is skipped without)."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")
    return path


@contextlib.contextmanager
def small_filesystem(path: Path, size_kb: int, read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of ``size_kb`` at ``path`` (root only; the test is skipped otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (full-disk cases use RLIMIT_FSIZE elsewhere)")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> None:
    """Fill the file system of ``directory`` to the last byte (a file named ``ballast``)."""
    fd = os.open(directory / "ballast", os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        for block in (1 << 16, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * block)
    finally:
        os.close(fd)


def limit_file_size(max_bytes: int):
    """``preexec_fn`` that makes every file the tool writes stop at ``max_bytes`` (EFBIG)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def limit_memory(max_bytes: int):
    """``preexec_fn`` that caps the tool's address space (RLIMIT_AS)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))

    return apply


def _caught_signals(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    match = re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.M)
    return int(match.group(1), 16) if match else 0


def interrupt(tool: str, args: Sequence[object], signum: int, after: float = 1.0,
              ready_timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    """Start a tool, wait until it handles signals and ``after`` seconds more, send ``signum``.

    SIGINT goes to the process group, as Ctrl-C in a terminal; SIGTERM to the
    tool only, as ``kill``. Returns the completed process and the seconds
    from the signal to its exit.
    """
    command = [sys.executable, str(TOOLS[tool]), *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(), cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + ready_timeout
    while not _caught_signals(process.pid) & (1 << (signal.SIGTERM - 1)):
        if process.poll() is not None or time.monotonic() > deadline:
            out, err = process.communicate()
            raise AssertionError(f"{tool} ended or never handled signals: {process.returncode} {err}")
        time.sleep(0.02)
    time.sleep(after)
    assert process.poll() is None, f"{tool} finished before the signal; give it more work"
    sent = time.monotonic()
    if signum == signal.SIGINT:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    elapsed = time.monotonic() - sent
    session = process.pid
    _wait_session_gone(session)
    return subprocess.CompletedProcess(command, process.returncode, out, err), elapsed


def live_processes_in_session(session: int) -> list[int]:
    """Processes of a session that are alive (zombies waiting for their reaper do not count)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, sid = fields[0], int(fields[3])
        if sid == session and state != "Z":
            alive.append(int(entry.name))
    return alive


def _wait_session_gone(session: int, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while live_processes_in_session(session) and time.monotonic() < deadline:
        time.sleep(0.05)
