"""Shared plumbing for the command-line entry points."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from ..io.atomic import STORAGE_ERRORS
from ..io.errors import InputError, os_reason
from ..runtime.signals import Interrupted, handle_signals, leave, received, report

#: Exit code for bad input (files, arguments), as argparse uses for usage errors.
EXIT_BAD_INPUT = 2
#: Exit code when the work failed (an output could not be stored, a sequence failed).
EXIT_FAILURE = 1


def run_main(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Call ``main(argv)``; turn bad input, storage errors and signals into one line and an exit code.

    - :class:`~deep_sort.io.errors.InputError` (``MOTFormatError``, refused
      outputs): ``error: <message>`` on stderr, exit code 2;
      :class:`~deep_sort.io.errors.OutputError` (disk full while writing): exit code 1.
    - An OS error of the storage (no space left, read-only file system,
      permission denied): ``error: <file>: <reason>``, exit code 1.
    - Ctrl-C or SIGTERM (:mod:`deep_sort.runtime.signals`): one line, and the
      process ends with exit code 130 or 143 once the work has unwound.

    Anything else is a bug and keeps its traceback.
    """
    with handle_signals():
        try:
            code = main(argv)
            if received() is not None:
                # The signal arrived where it could not stop the work (a destructor): the
                # outputs are complete, but the user asked the tool to stop.
                leave(received())
            return code
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return exc.exit_code
        except Interrupted as exc:
            # A real signal: the user wants the process gone. Its work has unwound (temporary
            # files removed, workers stopped); the interpreter's teardown is skipped, as
            # tearing down TensorFlow or OpenVINO can take seconds.
            leave(exc.signum)
        except KeyboardInterrupt:
            report(signal.SIGINT)
            return 130
        except OSError as exc:
            if exc.errno not in STORAGE_ERRORS:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            print(f"error: {where}{os_reason(exc)}", file=sys.stderr)
            return EXIT_FAILURE


def exit_now(code: int) -> NoReturn:
    """End a command-line script with ``code`` without tearing the interpreter down.

    Freeing every module and array and joining OpenBLAS's threads takes a
    few tens of milliseconds, as long as writing a result file; a script
    that has written its output (atomically) and closed its files does not
    need it. Standard streams and logging are flushed first. Only for the
    ``__main__`` block of a script, never for code that may run in-process.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed pipe or stream: nothing left to deliver
            pass
    os._exit(code)


def parse_bool(text: str) -> bool:
    """Parse the published tools' boolean option values (``--display True``).

    Accepts true/false, yes/no, 1/0, on/off in any case.
    """
    value = text.strip().lower()
    if value in {"true", "yes", "1", "on"}:
        return True
    if value in {"false", "no", "0", "off"}:
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """Return an argparse ``type`` that accepts whole numbers >= ``minimum``.

    Examples
    --------
    >>> int_at_least(1)("3")
    3
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum}, got {value}")
        return value

    parse.__name__ = f"int>={minimum}"
    return parse


#: argparse types for counts.
positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


class _StderrHandler(logging.StreamHandler):
    """A stream handler that writes to whatever ``sys.stderr`` is when a record arrives."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


_handler: logging.Handler | None = None


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Log the tools' warnings (or info with ``verbose``; errors only with ``quiet``) to stderr.

    Adds one stderr handler of its own to the ``deep_sort`` logger (once) and
    sets that handler's level on every call, so a later call with other
    options takes effect. The ``deep_sort`` logger itself is set to INFO
    with ``verbose`` and to WARNING otherwise, never higher: a quiet run
    does not silence the library's warnings for later callers, and a third
    party raising the root logger's level (OpenVINO's model reader sets it
    to ERROR) does not hide the tools' warnings. The root logger and other
    libraries' logging are left as they are.
    """
    global _handler
    logger = logging.getLogger("deep_sort")
    if _handler is None:
        _handler = _StderrHandler()
        _handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(_handler)
    _handler.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    logger.setLevel(logging.INFO if verbose and not quiet else logging.WARNING)
