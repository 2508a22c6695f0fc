"""Stop a command-line tool cleanly on Ctrl-C (SIGINT) or SIGTERM.

Inside :func:`handle_signals` the first SIGINT or SIGTERM raises
:class:`Interrupted` in the main thread, so that every ``finally`` and
context manager on the way out runs (temporary files are removed, worker
processes stopped); the tool then prints one line and exits with 128 + the
signal number (130 for Ctrl-C, 143 for SIGTERM).

Two safety nets bound the time to exit: a second signal leaves at once, and
a watchdog thread, woken by the signal itself (``signal.set_wakeup_fd``),
ends the process :data:`GRACE_SECONDS` after the signal if it still runs
(the main thread inside a long call of a compiled library that does not
return to Python, or the interpreter's teardown of such a library). Leaving
this way removes the temporary files this process registered
(:func:`deep_sort.io.atomic.remove_live_temporaries`) and prints the same
one line.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

from ..io.atomic import remove_live_temporaries

#: Seconds the main thread gets to unwind after a signal before the watchdog ends the process.
GRACE_SECONDS = 1.5
#: Signals that stop a tool.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by SIGINT or SIGTERM inside :func:`handle_signals`.

    A subclass of KeyboardInterrupt, so that code written for Ctrl-C treats
    SIGTERM the same way.

    Attributes
    ----------
    signum : int
        The signal.
    exit_code : int
        128 + ``signum``: 130 for SIGINT, 143 for SIGTERM.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


def message(signum: int) -> str:
    """The one line a tool prints when ``signum`` stops it."""
    if signum == signal.SIGINT:
        return "interrupted (Ctrl-C): stopped; no partial output was kept"
    return f"terminated ({signal.Signals(signum).name}): stopped; no partial output was kept"


_report_lock = threading.Lock()
_reported = False
_received: int | None = None


def report(signum: int) -> None:
    """Print :func:`message` on stderr, once per process."""
    global _reported
    with _report_lock:
        if _reported:
            return
        _reported = True
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(message(signum) + "\n")
        sys.stderr.flush()


def leave(signum: int) -> None:
    """End the process now: remove its temporary files, print the line, exit 128 + ``signum``."""
    remove_live_temporaries()
    report(signum)
    os._exit(128 + signum)


def received() -> int | None:
    """The stop signal received inside :func:`handle_signals`, if any."""
    return _received


def _unraisable(hook):
    """An ``sys.unraisablehook`` that drops :class:`Interrupted` raised where it cannot propagate.

    A signal that arrives while a destructor or garbage-collection callback
    runs raises there, where Python only prints the exception and goes on;
    the signal is not lost (:func:`received` remembers it).
    """

    def unraisable(info) -> None:
        if not isinstance(info.exc_value, Interrupted):
            hook(info)

    return unraisable


def _handler(signum: int, frame) -> None:
    global _received
    if _received is not None:
        leave(_received)  # a second signal: the user insists
    _received = signum
    raise Interrupted(signum)


def _watchdog(read_fd: int) -> None:
    while True:
        try:
            data = os.read(read_fd, 1)
        except OSError:
            return
        if not data:
            return  # handle_signals ended and closed the pipe
        if data[0] in STOP_SIGNALS:
            # Armed for good: also after handle_signals ended, the process is on its way
            # out, and the interpreter's own teardown (a TensorFlow session) can take seconds.
            time.sleep(GRACE_SECONDS)
            leave(data[0])


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the body (main thread only).

    Outside the main thread (where Python cannot install handlers) the body
    runs unchanged. The previous handlers are restored afterwards.
    """
    global _received, _reported
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    previous_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _unraisable(previous_hook)
    _received, _reported = None, False
    watchdog = threading.Thread(target=_watchdog, args=(read_fd,), name="signal-watchdog", daemon=True)
    watchdog.start()
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, _handler)
        yield
    finally:
        sys.unraisablehook = previous_hook
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(previous_wakeup)
        os.close(write_fd)
        watchdog.join(timeout=0.1)
        if not watchdog.is_alive():
            os.close(read_fd)
