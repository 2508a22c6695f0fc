"""Helpers shared by the appearance-feature modules."""
from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator

from .. import extras
from ..io.errors import first_line

#: What TensorFlow's C++ runtime prints on import whatever ``TF_CPP_MIN_LOG_LEVEL`` says.
_TENSORFLOW_IMPORT_CHATTER = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|"
    r"This TensorFlow binary is optimized to use available CPU instructions|"
    r"To enable the following instructions|Unable to register cu(DNN|FFT|BLAS) factory|"
    r"computation placer already registered|Could not find cuda drivers"
)


@contextlib.contextmanager
def native_stderr_filtered(drop: Callable[[str], bool] = lambda line: True) -> Iterator[None]:
    """Hold back the lines written to file descriptor 2 that ``drop`` matches; pass on the rest.

    Frameworks print from C++ straight to the descriptor, past Python's
    ``sys.stderr`` and logging. What they write inside the block goes to a
    temporary file; afterwards each line for which ``drop(line)`` is false
    is written to ``sys.stderr``. By default everything is dropped.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2: nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            try:
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            kept = [line for line in sink.read().decode("utf-8", "replace").splitlines(keepends=True)
                    if not drop(line)]
            if kept:
                sys.stderr.write("".join(kept))


def import_tensorflow():
    """Import TensorFlow with its C++ and Python logging reduced to errors.

    ``TF_CPP_MIN_LOG_LEVEL`` must be set before the first import to silence
    the start-up messages; a value the user set is kept. The lines the
    runtime prints regardless (absl's and oneDNN's notices) are held back.

    Raises
    ------
    deep_sort.extras.MissingExtraError
        TensorFlow is not installed.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        with native_stderr_filtered(_TENSORFLOW_IMPORT_CHATTER.search):
            import tensorflow as tf
    except ImportError as exc:
        raise extras.MissingExtraError(
            f"TensorFlow is not installed ({first_line(exc)}): {extras.install_command('features')}"
        ) from None
    tf.get_logger().setLevel(logging.ERROR)
    return tf
