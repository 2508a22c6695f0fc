"""Helpers shared by the appearance-feature modules."""
from __future__ import annotations

import logging
import os

from ..io.errors import InputError


def import_tensorflow():
    """Import TensorFlow with its C++ and Python logging reduced to errors.

    ``TF_CPP_MIN_LOG_LEVEL`` must be set before the first import to silence
    the start-up messages; a value the user set is kept.

    Raises
    ------
    InputError
        TensorFlow is not installed.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError as exc:
        raise InputError(f"TensorFlow is not installed ({first_line(exc)}); pip install tensorflow-cpu") from None
    tf.get_logger().setLevel(logging.ERROR)
    return tf


def first_line(exc: BaseException) -> str:
    """First line of an exception's message (framework errors span many lines)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
