"""Shared plumbing for the command-line tools: argument parsing, logging, exit codes.

Every tool of the project follows the same conventions, implemented here
once:

- options are spelled with underscores, as in the published tools
  (``--min_confidence``); the dashed spelling (``--min-confidence``) is
  accepted as an alias;
- a mistyped option gets a close-match suggestion, and every usage error is
  one line (``error: ...``) with exit code 2;
- ``usage:`` lines name the program as the user started it (the console
  script, ``python -m MODULE`` or the script);
- ``--quiet`` hides progress bars only; warnings and errors are always shown;
- bad input (:class:`~deep_sort.io.errors.InputError`) is one line on
  stderr and exit code 2; a full disk exits with 1; Ctrl-C or SIGTERM exits with
  130 or 143 (:mod:`deep_sort.runtime.signals`).
"""
from __future__ import annotations

import argparse
import difflib
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
#: Exit code after Ctrl-C (128 + SIGINT).
EXIT_INTERRUPTED = 130


def run_main(main: Callable[[Sequence[str] | None], int], argv: Sequence[str] | None = None) -> int:
    """Call ``main(argv)``; turn bad input, storage errors and signals into one line and an exit code.

    - :class:`~deep_sort.io.errors.InputError` (``MOTFormatError``,
      :class:`~deep_sort.extras.MissingExtraError`, refused outputs):
      ``error: <message>`` on stderr, exit code 2;
      :class:`~deep_sort.io.errors.OutputError` (disk full while writing): exit code 1.
    - An OS error of the storage (no space left, read-only file system,
      permission denied): ``error: <file>: <reason>``, exit code 1.
    - Ctrl-C or SIGTERM (:mod:`deep_sort.runtime.signals`): one line, and the
      process ends with exit code 130 or 143 once the work has unwound.
    - A ``SystemExit`` (argparse's usage errors and ``--help``) becomes its exit code.

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
        except SystemExit as exc:  # argparse: usage errors (already printed), --help
            return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
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
            return EXIT_INTERRUPTED
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


def program_name(script: str, module: str) -> str:
    """Return how the user started this tool, for ``usage:`` lines and messages.

    Parameters
    ----------
    script : str
        The script as documented (``deep_sort_app.py``, ``tools/freeze_model.py``);
        also the answer when the tool runs in-process (tests, the demo).
    module : str
        The module holding the tool's ``main`` (its ``__name__``, so
        ``"__main__"`` when it runs as ``python -m``).

    Returns
    -------
    str
        The console script (``deep-sort-app``), ``python -m MODULE``, the
        script, or a launcher's name for itself (``python3 run.py demo``).
    """
    invoked = sys.argv[0] if sys.argv and sys.argv[0] else ""
    base = os.path.basename(invoked)
    stem = base[:-4] if base.lower().endswith(".exe") else base
    if stem.startswith("deep-sort-"):
        return stem
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if main_spec is not None and module in ("__main__", main_spec.name):
        return f"python -m {main_spec.name}"
    if base and base == os.path.basename(script):
        return script
    if " " in invoked and os.sep not in invoked:  # a launcher named itself (run.py)
        return invoked
    return script


def _option_key(option: str) -> str:
    return option.lstrip("-").replace("-", "_").lower()


class ToolParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with the project's conventions (see the module docstring).

    Parameters
    ----------
    script : str
        The script as documented, see :func:`program_name`.
    module : str
        The module holding the tool's ``main``.
    **kwargs
        Passed to ``argparse.ArgumentParser`` (``description``, ...).
    """

    def __init__(self, script: str, module: str, **kwargs) -> None:
        kwargs.setdefault("prog", program_name(script, module))
        super().__init__(**kwargs)

    def add_progress_options(self, verbose: bool = True) -> None:
        """Add ``--quiet`` (no progress bars) and, with ``verbose``, ``--verbose``."""
        self.add_argument("--quiet", action="store_true",
                          help="No progress bars (warnings, errors and the closing line are still shown).")
        if verbose:
            self.add_argument("--verbose", action="store_true", help="Also log what is done and skipped.")

    def _canonical(self, token: str) -> str:
        """The registered spelling of an option token (``--no-images`` -> ``--no_images``)."""
        if not token.startswith("--") or token == "--":
            return token
        name, equals, value = token.partition("=")
        if name in self._option_string_actions:
            return token
        for alias in ("--" + name[2:].replace("-", "_"), "--" + name[2:].replace("_", "-")):
            if alias in self._option_string_actions:
                return alias + equals + value
        return token

    def parse_known_args(self, args=None, namespace=None):  # noqa: D102 -- argparse's
        args = list(sys.argv[1:] if args is None else args)
        end = args.index("--") if "--" in args else len(args)
        args[:end] = [self._canonical(token) for token in args[:end]]
        return super().parse_known_args(args, namespace)

    def parse_args(self, args=None, namespace=None):  # noqa: D102 -- argparse's
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(self._unrecognized(extras))
        return namespace

    def _unrecognized(self, extras: list[str]) -> str:
        """One message for the unknown arguments, with a close match for each mistyped option."""
        known = {_option_key(option): option for option in self._option_string_actions if option.startswith("--")}
        problems = []
        for token in extras:
            if not token.startswith("-") or token == "--":
                continue
            name = token.partition("=")[0]
            match = difflib.get_close_matches(_option_key(name), list(known), n=1, cutoff=0.7)
            problems.append(f"unknown option {name}" + (f", did you mean {known[match[0]]}?" if match else ""))
        if not problems:
            return f"unexpected argument(s): {' '.join(extras)}"
        return "; ".join(problems)

    def error(self, message: str) -> NoReturn:
        """Print one line, ``error: MESSAGE (see PROG --help)``, and exit with code 2."""
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see {self.prog} --help)\n")


def parse_bool(text: str) -> bool:
    """Parse the published tools' boolean option values (``--display True``).

    Accepts true/false, yes/no, 1/0, on/off in any case.

    Examples
    --------
    >>> parse_bool("True"), parse_bool("off")
    (True, False)
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
    """Write records to the current ``sys.stderr``, above any progress bar.

    With tqdm loaded, records go through ``tqdm.write``, which clears the
    bars, writes the line and draws them again; the tools need no other
    redirection (tqdm's ``logging_redirect_tqdm`` would add a second,
    unformatted handler to the root logger and print every record twice).
    """

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def emit(self, record: logging.LogRecord) -> None:
        tqdm_module = sys.modules.get("tqdm")
        if tqdm_module is None:
            super().emit(record)
            return
        try:
            tqdm_module.tqdm.write(self.format(record), file=sys.stderr)
        except Exception:  # noqa: BLE001 -- logging must never raise
            self.handleError(record)


_handler: logging.Handler | None = None
_verbose = False


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """Log the tools' warnings and errors (and info with ``verbose``) to stderr.

    Adds one stderr handler of its own to the ``deep_sort`` logger (once) and
    sets its level on every call, so a later call with other options takes
    effect. The ``deep_sort`` logger itself is set to INFO with ``verbose``
    and to WARNING otherwise, never higher: a third party raising the root
    logger's level (OpenVINO's model reader sets it to ERROR) does not hide
    the tools' warnings. The root logger and other libraries' logging are
    left as they are.

    Parameters
    ----------
    quiet : bool
        The tool's ``--quiet``. It hides progress bars, which the tool draws
        itself, and never warnings: accepted here so that every tool can pass
        its options alike, without effect on logging.
    verbose : bool
        Also log info messages.
    """
    global _handler, _verbose
    logger = logging.getLogger("deep_sort")
    if _handler is None:
        _handler = _StderrHandler()
        _handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
        logger.addHandler(_handler)
    level = logging.INFO if verbose else logging.WARNING
    _handler.setLevel(level)
    logger.setLevel(level)
    _verbose = verbose


def worker_logging() -> tuple[Callable[[bool, bool], None], tuple[bool, bool]]:
    """Return ``(initializer, initargs)`` that give worker processes this process's logging.

    For ``ProcessPoolExecutor(initializer=..., initargs=...)``: without it a
    spawned worker has no handler, and Python's last-resort handler prints
    its warnings without the ``WARNING:`` prefix.
    """
    return configure_logging, (False, _verbose)
