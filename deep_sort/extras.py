"""Optional dependencies: which extra of the distribution provides what.

``pip install deep-sort-repro`` installs the tracker and the light tools;
the heavier parts come with extras (``[evaluation]``, ``[features]``,
``[video]``, ``[supervision]``, ``[all]``, see ``pyproject.toml``). A tool
or function that needs one checks for it first, without importing it, and
says in one line which extra to install.
"""
from __future__ import annotations

import importlib.util

from .io.errors import InputError

#: The distribution name on PyPI (``pyproject.toml``).
DISTRIBUTION = "deep-sort-repro"

#: ``(extra, modules)`` pairs: the extra provides each of the modules; a pair
#: is met when one of its modules is installed.
EVALUATION = ("evaluation", ("trackeval",))
TENSORFLOW = ("features", ("tensorflow",))
OPENVINO = ("features", ("openvino",))
FROZEN_GRAPH = ("features", ("openvino", "tensorflow"))
VIDEO = ("video", ("imageio_ffmpeg",))


class MissingExtraError(InputError):
    """An optional dependency is not installed; the message names the extra to install."""


def install_command(*extras: str) -> str:
    """Return the pip command that installs ``extras``.

    Examples
    --------
    >>> install_command("evaluation", "video")
    "pip install 'deep-sort-repro[evaluation,video]'"
    """
    return f"pip install '{DISTRIBUTION}[{','.join(extras)}]'"


def is_installed(module: str) -> bool:
    """Whether ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(what: str, *needs: tuple[str, tuple[str, ...]]) -> None:
    """Raise :class:`MissingExtraError` unless every need is installed.

    Parameters
    ----------
    what : str
        Who needs it, first words of the message (``"evaluate_motchallenge.py"``).
    *needs : tuple of (str, tuple of str)
        ``(extra, modules)`` pairs such as :data:`EVALUATION`; a pair is met
        when any one of its modules is installed.

    Raises
    ------
    MissingExtraError
        One line naming the missing modules and the pip command of their extras.

    Examples
    --------
    >>> require("this example", ("evaluation", ("json",)))  # json is always there
    """
    missing = [(extra, modules) for extra, modules in needs if not any(map(is_installed, modules))]
    if not missing:
        return
    names = list(dict.fromkeys(" or ".join(modules) for _, modules in missing))
    extras = list(dict.fromkeys(extra for extra, _ in missing))
    raise MissingExtraError(
        f"{what} needs {', '.join(names)}, which {'is' if len(names) == 1 else 'are'} not installed: "
        f"{install_command(*extras)}"
    )
