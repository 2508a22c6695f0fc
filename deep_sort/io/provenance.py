"""Provenance of a result directory: what produced each of its files.

Tools that resume (``evaluate_motchallenge.py``, ``generate_detections.py``,
``generate_videos.py``) record, per output file, in ``DIR/provenance.json``:
the settings, a fingerprint of every input (size and SHA-256 of its
content), the code version and a SHA-256 digest of the output as written,
keyed by the output's file name (tools writing one directory share the
record). On a re-run an existing output counts as done only if its record
matches the run's settings, inputs and code and the file is still the one
written; otherwise it is made again, and the reason is reported.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .atomic import atomic_write

logger = logging.getLogger(__name__)

#: File name of the record in a result directory.
PROVENANCE_FILE = "provenance.json"
#: Version of the record's layout.
FORMAT_VERSION = 1


def _git_commit(root: Path) -> str | None:
    """Commit of a git checkout at ``root`` read from its files (no ``git`` process), or None."""
    git = root / ".git"
    try:
        if git.is_file():  # a worktree or submodule: "gitdir: PATH"
            text = git.read_text(encoding="utf-8").strip()
            if not text.startswith("gitdir:"):
                return None
            git = (root / text[len("gitdir:"):].strip()).resolve()
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref:"):
            return head or None
        ref = head[len("ref:"):].strip()
        common = git
        if (git / "commondir").is_file():
            common = (git / (git / "commondir").read_text(encoding="utf-8").strip()).resolve()
        for base in (git, common):
            if (base / ref).is_file():
                return (base / ref).read_text(encoding="utf-8").strip() or None
        packed = common / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8").splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0]
    except OSError:
        return None
    return None


@cache
def code_version() -> str:
    """The package version, with the git commit when running from a checkout (``1.0.0+g0123abcd4567``)."""
    from .. import __version__

    commit = _git_commit(Path(__file__).resolve().parents[2])
    return f"{__version__}+g{commit[:12]}" if commit else __version__


def fingerprint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Identify an input file by content: size and SHA-256 (its resolved path is kept for people).

    Moving or copying an input keeps its fingerprint (the path is not compared).
    """
    return {"path": os.path.realpath(path), "size": os.path.getsize(path), "sha256": file_digest(path)}


def _comparable(inputs: Any) -> Any:
    if not isinstance(inputs, dict):
        return inputs
    return {role: {k: v for k, v in value.items() if k != "path"} if isinstance(value, dict) else value
            for role, value in inputs.items()}


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's content, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _describe_difference(key: str, recorded: Any, expected: Any) -> str:
    if key == "settings" and isinstance(recorded, dict) and isinstance(expected, dict):
        changed = [f"{name} {recorded.get(name)!r} -> {expected.get(name)!r}"
                   for name in sorted(set(recorded) | set(expected)) if recorded.get(name) != expected.get(name)]
        return "other settings (" + ", ".join(changed) + ")"
    if key == "inputs" and isinstance(recorded, dict) and isinstance(expected, dict):
        changed = [name for name in sorted(set(recorded) | set(expected)) if recorded.get(name) != expected.get(name)]
        return "changed input(s): " + ", ".join(changed)
    if key == "code":
        return f"other code version ({recorded} -> {expected})"
    return f"other {key}"


class Provenance:
    """The provenance record of one output directory.

    Parameters
    ----------
    directory : str or PathLike
        The output directory (``provenance.json`` is read from it if present;
        an unreadable record counts as empty).
    tool : str
        Name of the tool writing the outputs (recorded per output).
    """

    def __init__(self, directory: str | os.PathLike[str], tool: str) -> None:
        self.path = Path(directory) / PROVENANCE_FILE
        self.tool = tool
        self.entries: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("entries"), dict):
                self.entries = data["entries"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError) as exc:
            logger.warning("%s: unreadable provenance record (%s); every output will be made again",
                           self.path, exc)

    def expected(self, settings: Mapping[str, Any], inputs: Mapping[str, str | os.PathLike[str]]) -> dict[str, Any]:
        """The record an output made now would get (without its digest)."""
        return {
            "tool": self.tool,
            "code": code_version(),
            "settings": dict(settings),
            "inputs": {role: fingerprint(path) for role, path in inputs.items()},
        }

    def why_not_done(self, output: str | os.PathLike[str], expected: Mapping[str, Any]) -> str | None:
        """Return why ``output`` must be made again, or None if it is done and verified.

        Parameters
        ----------
        output : str or PathLike
            The existing output file, in the record's directory.
        expected : mapping
            From :meth:`expected`.
        """
        entry = self.entries.get(Path(output).name)
        if entry is None:
            return "no provenance record"
        for key in ("tool", "code", "settings", "inputs"):
            recorded, wanted = entry.get(key), expected.get(key)
            if key == "inputs":
                recorded, wanted = _comparable(recorded), _comparable(wanted)
            if recorded != wanted:
                return _describe_difference(key, recorded, wanted)
        try:
            if entry.get("output_sha256") != file_digest(output):
                return "the file was changed after it was written"
        except OSError:
            return "the file cannot be read"
        return None

    def record(self, output: str | os.PathLike[str], expected: Mapping[str, Any], **extra: Any) -> None:
        """Record that ``output`` was just made as ``expected`` says, and save the record."""
        self.entries[Path(output).name] = {**expected, **extra, "output_sha256": file_digest(output)}
        self.save()

    def entry(self, output: str | os.PathLike[str]) -> dict[str, Any] | None:
        """The recorded entry of ``output``, or None."""
        return self.entries.get(Path(output).name)

    def save(self) -> None:
        """Write the record atomically."""
        data = {"format": FORMAT_VERSION, "entries": self.entries}
        with atomic_write(self.path, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.write("\n")
