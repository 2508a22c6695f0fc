"""Write files so that a reader never sees a half-written one."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _create_temporary(directory: Path, prefix: str, suffix: str) -> tuple[int, str]:
    """Create and open a new file in ``directory`` with a name no other writer uses.

    Like ``tempfile.mkstemp`` (whose imports, ``random`` and ``shutil``, the
    command-line tools' start-up should not pay for), but with the
    permissions a plain ``open()`` gives (0o666 minus the umask).
    """
    for _ in range(100):
        name = os.path.join(directory, f"{prefix}{os.getpid()}-{os.urandom(6).hex()}{suffix}")
        try:
            return os.open(name, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666), name
        except FileExistsError:
            continue
    raise FileExistsError(f"{directory}: no free temporary file name")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it onto ``path`` on success.

    If the body raises, the temporary file is removed and ``path`` is left as it
    was (absent or with its previous content).

    Parameters
    ----------
    path : str or PathLike
        Final destination. Its parent directory is created if needed.
    mode : str
        ``"w"`` (text) or ``"wb"`` (binary).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = _create_temporary(path.parent, f".{path.name}.", ".tmp")
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that wants a file name.

    Used for writers that open files themselves (``numpy.save``, ``cv2.VideoWriter``).
    The temporary file is renamed onto ``path`` on success and removed on error.
    ``suffix`` keeps the extension a writer may need to pick a format (``".mp4"``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = _create_temporary(path.parent, f".{path.stem}.", ".tmp" + suffix)
    os.close(fd)
    try:
        yield Path(tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
