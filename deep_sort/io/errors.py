"""Exceptions raised for bad user input (files, arguments) and for outputs that cannot be written."""
from __future__ import annotations

import os


class InputError(ValueError):
    """Bad input the user can fix; command-line tools print it as one line and exit 2."""

    #: Exit code of a command-line tool that stops on this error.
    exit_code = 2


class MOTFormatError(InputError):
    """A MOTChallenge file (seqinfo.ini, det/gt/result text, detection .npy) is malformed."""


class OutputError(InputError):
    """An output cannot be written while the work runs (disk full, read-only file system, ...).

    Outputs refused before the work starts (a directory, a FIFO, an input of the
    run, an unwritable directory) raise :class:`InputError` (exit code 2); this
    one means the work was done but its result could not be stored (exit code 1).
    """

    exit_code = 1


def first_line(exc: BaseException) -> str:
    """First line of an exception's message (framework errors span many lines), else its type's name."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def os_reason(exc: BaseException) -> str:
    """The reason of an OS error in lower case ("no space left on device"), else its first line."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return first_line(exc)


def output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """Return the one-line :class:`OutputError` for an OS error while writing ``path``."""
    return OutputError(f"{os.fspath(path)}: cannot write ({os_reason(exc)})")
