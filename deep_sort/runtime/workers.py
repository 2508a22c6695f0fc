"""Worker processes that never outlive their parent and stop without tracebacks.

:func:`process_pool` returns a ``concurrent.futures.ProcessPoolExecutor``
(spawned workers: they start clean, the same on every OS) whose workers

- ignore SIGINT: Ctrl-C reaches the whole process group, and the parent
  decides (it stops the pool with :func:`stop_pool`), so no worker prints a
  KeyboardInterrupt traceback. Workers are started by :func:`submit_all`
  with SIGINT and SIGTERM blocked, a mask they inherit: a Ctrl-C during a
  worker's start-up (before it can ignore the signal) waits and is then
  dropped;
- on SIGTERM remove the temporary files they are writing and exit at once;
- watch their parent: when it is gone (also after ``kill -9``, which runs no
  handler in the parent) they remove their temporary files and exit within
  :data:`POLL_SECONDS`. The watch compares ``os.getppid()`` with the parent's
  id: an orphan is adopted by another process.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from ..io.atomic import remove_live_temporaries
from .signals import STOP_SIGNALS

#: Seconds between two checks of a worker that its parent is alive.
POLL_SECONDS = 0.2
#: Warning filter that keeps the resource tracker quiet about semaphores it cleans up.
_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
#: Seconds :func:`stop_pool` waits for workers to exit after SIGTERM before it kills them.
STOP_SECONDS = 1.0


def _exit_now(*_: object) -> None:
    remove_live_temporaries()
    os._exit(128 + signal.SIGTERM)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(POLL_SECONDS)
        if os.getppid() != parent_pid:
            _exit_now()


def _start_worker(parent_pid: int, initializer: Callable[..., object] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _exit_now)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)  # blocked by submit_all
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="parent-watch", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def process_pool(max_workers: int, initializer: Callable[..., object] | None = None,
                 initargs: tuple = ()) -> ProcessPoolExecutor:
    """Return a pool of ``max_workers`` spawned worker processes (see the module docstring).

    Parameters
    ----------
    max_workers : int
    initializer : callable, optional
        A module-level function run once in every worker, with ``initargs``.
    """
    import multiprocessing

    # After a kill -9 of this process, multiprocessing's resource tracker (a helper
    # process started with the pool) removes the pool's semaphores and warns
    # about them on the shared stderr; the tracker takes its warning filters
    # from this interpreter's -W options.
    if _QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(_QUIET_TRACKER)
    return ProcessPoolExecutor(
        max_workers=max_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )


def submit_all(executor: ProcessPoolExecutor, function: Callable[..., Any], jobs: Iterable[Any],
               *args: Any) -> dict[Future, Any]:
    """Submit ``function(job, *args)`` for every job; return the futures with their jobs.

    The pool starts its worker processes while jobs are submitted; this
    happens with SIGINT and SIGTERM blocked (see the module docstring). A
    signal that arrives meanwhile is delivered to this process right after.
    """
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        return {executor.submit(function, job, *args): job for job in jobs}
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def stop_pool(executor: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel pending jobs and end running ones (their outputs are discarded).

    Running workers get SIGTERM (they remove their temporary files and exit);
    those still alive after :data:`STOP_SECONDS` are killed.
    """
    # The executor keeps no public handle on its processes; without this one
    # a running job would run to its end before shutdown returns.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(0.5)
