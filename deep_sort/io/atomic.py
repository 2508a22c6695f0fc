"""Write files so that a reader never sees a half-written one.

Every output is written to a temporary file beside its destination, then
renamed onto it. The temporary files of this process are registered, so that
a signal handler or a dying worker can remove them
(:func:`remove_live_temporaries`), and their names carry the writer's process
id, so that a later run can tell and remove those of a killed run
(:func:`remove_stale_temporaries`).

A destination that is a symbolic link is written through (the link stays, its
target gets the new content); one that is a directory, FIFO, device or socket
is refused: a rename would replace it with a regular file.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import stat
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from .errors import InputError, os_reason, output_error

#: Name of a temporary file or directory: ``.NAME.PID-RANDOM.tmp`` (+ an extension a writer needs).
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{12}\.tmp(?:\.[\w.]+)?$")
#: OS errors that mean "the storage cannot take this file" (and are reported as one line).
STORAGE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EIO,
                            errno.EACCES, errno.EPERM})

_live: set[str] = set()
_live_lock = threading.Lock()


def _register(name: str) -> None:
    with _live_lock:
        _live.add(name)


def _forget(name: str) -> None:
    with _live_lock:
        _live.discard(name)


#: Register a file this process must remove if it ends abruptly (a lock file), and forget it again.
register_temporary, forget_temporary = _register, _forget


def remove_live_temporaries() -> None:
    """Remove every temporary file or directory this process is writing right now.

    For the last moments of a process (a second Ctrl-C, a worker whose parent
    died): the normal way out, an exception, removes them itself.
    """
    with _live_lock:
        names = list(_live)
        _live.clear()
    for name in names:
        with contextlib.suppress(OSError):
            if os.path.isdir(name) and not os.path.islink(name):
                shutil.rmtree(name, ignore_errors=True)
            else:
                os.unlink(name)


def temporary_name(path: Path, suffix: str = "") -> Path:
    """Return a fresh temporary name beside ``path`` (registered; nothing is created)."""
    name = path.parent / f".{path.name}.{os.getpid()}-{os.urandom(6).hex()}.tmp{suffix}"
    _register(os.fspath(name))
    return name


def discard(name: str | os.PathLike[str]) -> None:
    """Remove a registered temporary file or directory (if it exists) and forget it."""
    name = os.fspath(name)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        if os.path.isdir(name) and not os.path.islink(name):
            shutil.rmtree(name)
        else:
            os.unlink(name)
    _forget(name)


def _create_temporary(path: Path, suffix: str) -> tuple[int, str]:
    """Create and open a new temporary file beside ``path`` with a name no other writer uses.

    Like ``tempfile.mkstemp`` (whose imports, ``random`` and ``shutil``, the
    command-line tools' start-up should not pay for), but with the
    permissions a plain ``open()`` gives (0o666 minus the umask).
    """
    for _ in range(100):
        name = temporary_name(path, suffix)
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), os.fspath(name)
        except FileExistsError:
            _forget(os.fspath(name))
            continue
        except OSError as exc:
            _forget(os.fspath(name))
            raise output_error(path, exc) from None
    raise FileExistsError(f"{path.parent}: no free temporary file name")


def _kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def resolve_output(path: str | os.PathLike[str]) -> Path:
    """Return the file that writing ``path`` replaces: ``path``, or a symbolic link's target.

    Raises
    ------
    InputError
        ``path`` (or the target of the link) exists and is not a regular file,
        or a component of its directory is a file.
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except NotADirectoryError:
        raise InputError(f"{path}: cannot write here: a part of the directory path is a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write here ({os_reason(exc)})") from None
    if not stat.S_ISREG(mode):
        raise InputError(f"{path}: is {_kind(mode)}, not a regular file; refusing to replace it")
    return target


def make_directory(directory: str | os.PathLike[str]) -> Path:
    """Create ``directory`` and its parents if needed.

    Raises
    ------
    InputError
        A file is in the way, or the directory cannot be created (read-only
        file system, permissions).
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"{directory}: is a file, not a directory") from None
    except NotADirectoryError:
        raise InputError(f"{directory}: cannot create this directory: a part of its path is a file") from None
    except OSError as exc:
        raise InputError(f"{directory}: cannot create this directory ({os_reason(exc)})") from None
    return directory


def _replace(temporary: str, target: Path) -> None:
    """Rename ``temporary`` onto ``target``, keeping the permissions of a file it replaces."""
    with contextlib.suppress(OSError):
        os.chmod(temporary, stat.S_IMODE(os.stat(target).st_mode))
    os.replace(temporary, target)
    _forget(temporary)


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str], suffix: str) -> Iterator[tuple[int, str, Path]]:
    target = resolve_output(path)
    make_directory(target.parent)
    fd, tmp_name = _create_temporary(target, suffix)
    try:
        yield fd, tmp_name, target
        _replace(tmp_name, target)
    except OSError as exc:
        discard(tmp_name)
        if exc.errno in STORAGE_ERRORS:
            raise output_error(path, exc) from None
        raise
    except BaseException:
        discard(tmp_name)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` on success.

    If the body raises, the temporary file is removed and ``path`` is left as it
    was (absent or with its previous content).

    Parameters
    ----------
    path : str or PathLike
        Final destination. Its parent directory is created if needed; a
        symbolic link is written through.
    mode : str
        ``"w"`` (text) or ``"wb"`` (binary).

    Raises
    ------
    InputError
        ``path`` is not a regular file (see :func:`resolve_output`).
    OutputError
        The storage refused the file (no space left, read-only, too large).
    """
    with _replacing(path, "") as (fd, _, _):
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that wants a file name.

    Used for writers that open files themselves (``numpy.save``, ``cv2.VideoWriter``).
    The temporary file is renamed onto ``path`` on success and removed on error.
    ``suffix`` keeps the extension a writer may need to pick a format (``".mp4"``).
    """
    with _replacing(path, suffix) as (fd, tmp_name, _):
        os.close(fd)
        yield Path(tmp_name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def remove_stale_temporaries(directory: str | os.PathLike[str], names: Iterable[str] | None = None) -> int:
    """Remove temporary files and directories that killed runs left in ``directory``.

    Only entries named like this module's temporaries whose writer process no
    longer exists are removed; call it while holding the directory's output
    lock (:mod:`deep_sort.io.lock`).

    Parameters
    ----------
    directory : str or PathLike
    names : iterable of str, optional
        Only temporaries of these output names (all of the directory if None).

    Returns
    -------
    int
        How many were removed.
    """
    wanted = None if names is None else set(names)
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return 0
    for entry in entries:
        match = _TEMPORARY.match(entry.name)
        if match is None or (wanted is not None and match["name"] not in wanted):
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or _alive(pid):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    return removed
