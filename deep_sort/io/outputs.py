"""Output safety in one place: check every output of a run before any work starts.

:func:`claim_outputs` is what every command-line tool calls once it knows its
inputs and outputs. Before the work starts it refuses, with one line naming
the path:

- an output that is one of the run's inputs (the same file by ``samefile``,
  through symbolic links and hard links, or the same resolved path);
- two outputs that are the same file;
- an output that exists and is not a regular file (a directory, FIFO,
  device or socket: the atomic rename would replace it); a symbolic link is
  written through;
- an output whose directory cannot be created or written (a file in the
  way, a read-only file system, missing permissions).

Then it takes the output lock (:mod:`deep_sort.io.lock`: a second run on the
same output stops with a message) and removes the temporary files killed
runs left there (:func:`deep_sort.io.atomic.remove_stale_temporaries`).
"""
from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from .atomic import (
    forget_temporary,
    make_directory,
    register_temporary,
    remove_stale_temporaries,
    resolve_output,
)
from .errors import InputError, os_reason
from .lock import lock_directory, lock_file

logger = logging.getLogger(__name__)

#: Inputs as ``{path: what it is}`` ("--detection_file", "ground truth", ...), or plain paths.
Inputs = Mapping[str | os.PathLike[str], str] | Iterable[str | os.PathLike[str]]


def _labelled(inputs: Inputs) -> list[tuple[Path, str]]:
    if isinstance(inputs, Mapping):
        return [(Path(path), label) for path, label in inputs.items() if path is not None]
    return [(Path(path), "an input") for path in inputs if path is not None]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_not_input(output: str | os.PathLike[str], inputs: Inputs) -> None:
    """Refuse an output that is one of the run's inputs (or lies inside an input directory).

    Raises
    ------
    InputError
        Naming the output and what the input is.
    """
    output = Path(output)
    real = os.path.realpath(output)
    for path, label in _labelled(inputs):
        what = label
        if path.is_dir():
            if os.path.commonpath([real, os.path.realpath(path)]) == os.path.realpath(path):
                raise InputError(f"{output}: lies inside an input directory of this run ({what}); "
                                 "refusing to write there")
            continue
        if os.path.realpath(path) == real or (output.exists() and path.exists() and _same_file(output, path)):
            raise InputError(f"{output}: is also an input of this run ({what}); refusing to overwrite it")


def _existing_ancestor(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if os.path.lexists(candidate):
            return candidate
    return Path(".")


def check_writable_directory(directory: str | os.PathLike[str], output: str | os.PathLike[str] | None = None) -> None:
    """Refuse a directory that cannot hold new files (without creating anything).

    The nearest existing ancestor must be a directory in which a file can be
    created (tested by creating and removing one: this also finds read-only
    file systems and missing permissions).

    Parameters
    ----------
    directory : str or PathLike
    output : str or PathLike, optional
        The output file to name in the message (default: the directory).

    Raises
    ------
    InputError
    """
    directory = Path(directory)
    shown = f"{output}: cannot write in {directory}" if output is not None else f"{directory}: cannot write here"
    ancestor = _existing_ancestor(directory.absolute())
    if not ancestor.is_dir():
        what = "it is a file" if ancestor == directory.absolute() else f"{ancestor} is a file"
        raise InputError(f"{shown}: {what}")
    probe = ancestor / f".deep_sort-probe-{os.getpid()}-{os.urandom(4).hex()}"
    register_temporary(os.fspath(probe))  # removed even if a signal ends the process right here
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as exc:
        raise InputError(f"{shown} ({os_reason(exc)})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(probe)
        forget_temporary(os.fspath(probe))


def check_output_file(path: str | os.PathLike[str], inputs: Inputs = ()) -> Path:
    """Check one output file; return the file that writing it replaces (a link's target).

    Raises
    ------
    InputError
        See the module docstring.
    """
    target = resolve_output(path)
    check_not_input(path, inputs)
    check_writable_directory(target.parent, path)
    return target


def _remove_if_empty(directories: list[Path]) -> None:
    for directory in directories:  # deepest first
        try:
            os.rmdir(directory)
        except OSError:
            return


@contextlib.contextmanager
def claim_outputs(
    files: Iterable[str | os.PathLike[str] | None] = (),
    directories: Iterable[str | os.PathLike[str] | None] = (),
    inputs: Inputs = (),
) -> Iterator[None]:
    """Check, create and lock the outputs of a run for the body (see the module docstring).

    Parameters
    ----------
    files : iterable of path
        Output files (None entries are ignored). Each is locked by itself,
        unless it lies in one of ``directories``.
    directories : iterable of path
        Output directories (created; None entries are ignored). Each is
        locked as a whole.
    inputs : mapping of path to str, or iterable of path
        Every file the run reads, with what it is for messages.

    Raises
    ------
    InputError
        A refused output, or another run holding a lock.
    """
    files = [Path(path) for path in files if path is not None]
    unique = {os.path.realpath(path): Path(path) for path in directories if path is not None}
    directories = list(unique.values())  # a directory given twice is locked once
    targets: dict[str, Path] = {}
    for path in files:
        target = check_output_file(path, inputs)
        key = os.path.realpath(target)
        if key in targets:
            raise InputError(f"{path}: given twice as an output (also as {targets[key]})")
        targets[key] = path
    for directory in directories:
        if directory.exists() and not directory.is_dir():
            raise InputError(f"{directory}: is a file, not a directory")
        check_not_input(directory, inputs)
        check_writable_directory(directory)
    with contextlib.ExitStack() as stack:
        for directory in [*directories, *(resolve_output(path).parent for path in files)]:
            # Directories this run creates are removed again if it leaves them empty (bad input, ...).
            created = [path for path in [directory, *directory.parents] if not os.path.lexists(path)]
            stack.callback(_remove_if_empty, created)
        for directory in directories:
            make_directory(directory)
            stack.enter_context(lock_directory(directory))
            removed = remove_stale_temporaries(directory)
            if removed:
                logger.info("%s: removed %d temporary file(s) of an interrupted run", directory, removed)
        locked = {os.path.realpath(directory) for directory in directories}
        for path in files:
            target = resolve_output(path)
            make_directory(target.parent)
            if os.path.realpath(target.parent) in locked:
                continue  # the directory's lock covers it
            stack.enter_context(lock_file(target))
            remove_stale_temporaries(target.parent, [target.name])
        yield
