"""One run at a time per output: an operating-system file lock.

A tool that writes a directory of results locks that directory (``flock`` on
the directory itself: nothing is left behind); a tool that writes one file
locks ``.NAME.lock`` beside it (removed when the run ends). The kernel
releases a lock when its holder exits, however it exits, so a killed run
never blocks the next one. A second run on the same output stops at once
with a message naming the process that holds the lock.

Without ``fcntl`` (Windows) no lock is taken.
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
from collections.abc import Iterator
from pathlib import Path

from .atomic import forget_temporary, register_temporary
from .errors import InputError, os_reason

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

#: Lock file of a directory whose file system does not lock directories (some network file systems).
DIRECTORY_LOCK_FILE = ".deep_sort.lock"


def _holder(fd: int) -> int | None:
    """Process id holding a lock on the file of ``fd``, from /proc/locks (Linux), or None."""
    try:
        info = os.fstat(fd)
        with open("/proc/locks", encoding="ascii") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    device = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        fields = line.split()
        if len(fields) > 5 and fields[5] == device and fields[4].isdigit():
            return int(fields[4])
    return None


def _busy(path: Path, fd: int) -> InputError:
    pid = _holder(fd)
    who = f"process {pid}" if pid and pid != os.getpid() else "another run"
    return InputError(f"{path}: {who} is writing this output right now; wait for it to finish "
                      "or choose another output")


def _try_lock(fd: int, path: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _busy(path, fd) from None


def _open_and_lock(lock_path: Path, shown: Path) -> int:
    """Open (creating if needed) and lock ``lock_path``; return the descriptor."""
    while True:
        created = False
        try:
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
                created = True
            except FileExistsError:
                fd = os.open(lock_path, os.O_RDWR)
        except FileNotFoundError:
            continue  # removed by its holder in between
        except OSError as exc:
            raise InputError(f"{shown}: cannot write here ({os_reason(exc)})") from None
        try:
            _try_lock(fd, shown)
        except BaseException:
            os.close(fd)
            if created:
                with contextlib.suppress(OSError):
                    os.unlink(lock_path)
            raise
        # The previous holder may have removed the file between our open and lock.
        if os.path.exists(lock_path) and os.path.samestat(os.fstat(fd), os.stat(lock_path)):
            return fd
        os.close(fd)


@contextlib.contextmanager
def _locked_file(lock_path: Path, shown: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created; removed on exit).

    The lock is taken with SIGINT and SIGTERM blocked and the file is
    registered with :func:`deep_sort.io.atomic.register_temporary` at once:
    a signal can neither leave a lock file behind nor skip its removal.
    """
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    fd = None
    try:
        fd = _open_and_lock(lock_path, shown)
        register_temporary(os.fspath(lock_path))
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        mask = None
        yield
    finally:
        if mask is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(lock_path)
            forget_temporary(os.fspath(lock_path))
            os.close(fd)


@contextlib.contextmanager
def lock_directory(directory: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on an existing output directory for the body.

    Raises
    ------
    InputError
        Another process holds it.
    """
    directory = Path(directory)
    if fcntl is None:
        yield
        return
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        try:
            _try_lock(fd, directory)
        except OSError as exc:
            if exc.errno not in (errno.EBADF, errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP):
                raise
            with _locked_file(directory / DIRECTORY_LOCK_FILE, directory):
                yield
            return
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def lock_file(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on the output file ``path`` (via ``.NAME.lock`` beside it).

    The directory of ``path`` must exist.

    Raises
    ------
    InputError
        Another process holds it, or the lock file cannot be created.
    """
    path = Path(path)
    if fcntl is None:
        yield
        return
    with _locked_file(path.parent / f".{path.name}.lock", path):
        yield
