#!/usr/bin/env python3
"""Bootstrap the project's virtual environment, then run a project command.

Usage::

    python3 run.py demo [DEMO OPTIONS]                    # the end-to-end demo on generated data
    python3 run.py test [--extra NAME]... [PYTEST ARGS]   # the test suite (with optional extras)
    python3 run.py python SCRIPT [ARGS]                   # any project script inside the venv
    python3 run.py test --extra timm                      # e.g.: also install the [timm] extra, then test

The first call creates ``.venv/`` beside this file, installs the pinned
``requirements.txt`` into it and then the project itself (editable,
``pip install -e .``), so the ``deep_sort`` package and the console scripts
(``deep-sort-app``, ...) work in it from any directory; later calls reuse it
and reinstall only what changed. ``source .venv/bin/activate`` gives a shell
inside the same environment.

``--extra NAME`` (directly after the command, repeatable) first installs the
extra ``NAME`` of ``pyproject.toml`` into ``.venv``, from the pinned
``requirements-NAME.txt`` when that file exists.

It also builds the optional compiled modules that ``setup.py`` declares
(``setup.py build_ext --inplace``) when they are missing or their sources
changed; without a C compiler the tracker runs its pure Python path, with
the same results. Only the Python standard library is used here, so this
works on a machine that has nothing but Python 3.11 and pip.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
PYPROJECT = ROOT / "pyproject.toml"
SETUP = ROOT / "setup.py"
EXTENSION_STAMP = ROOT / "build" / "extensions.sha256"
#: Exit code for a bad command line, as argparse uses.
EXIT_USAGE = 2


def say(message: str) -> None:
    print(f"run.py: {message}", file=sys.stderr, flush=True)


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _digest(*parts: bytes | Path) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.read_bytes() if isinstance(part, Path) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def _stamp(name: str) -> Path:
    return VENV / f".{name}.sha256"


def _is_current(name: str, digest: str) -> bool:
    stamp = _stamp(name)
    return stamp.exists() and stamp.read_text().strip() == digest


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", *args], check=True)


def ensure_venv() -> Path:
    """Create or reuse ``.venv`` with ``requirements.txt`` installed; return its python."""
    python = _venv_python()
    digest = _digest(REQUIREMENTS)
    if python.exists() and _is_current("requirements", digest):
        return python
    if not python.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing requirements.txt (first run takes a few minutes)")
    _pip(python, "-r", str(REQUIREMENTS))
    _stamp("requirements").write_text(digest + "\n")
    return python


def ensure_project(python: Path) -> None:
    """Install this checkout into ``.venv`` in editable mode (package and console scripts).

    Without build isolation: the build backend (setuptools, pinned in
    requirements.txt) is already in the venv, so nothing is downloaded.
    """
    digest = _digest(PYPROJECT, SETUP, str(ROOT).encode())
    if _is_current("project", digest):
        return
    say("installing the project into .venv (pip install -e .)")
    _pip(python, "--no-build-isolation", "-e", str(ROOT))
    _stamp("project").write_text(digest + "\n")


def declared_extras() -> list[str]:
    """The optional-dependency groups (extras) of ``pyproject.toml``."""
    text = PYPROJECT.read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:  # Python < 3.11: read the section's keys by hand
        section = re.search(r"^\[project\.optional-dependencies\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S)
        return re.findall(r"^([A-Za-z0-9_.-]+)\s*=", section.group(1), re.M) if section else []
    return list(tomllib.loads(text).get("project", {}).get("optional-dependencies", {}))


def ensure_extra(python: Path, extra: str) -> None:
    """Install the extra ``extra`` into ``.venv``: its pinned requirements file, then the extra itself."""
    pinned = ROOT / f"requirements-{extra}.txt"
    digest = _digest(PYPROJECT, *([pinned] if pinned.exists() else []))
    if _is_current(f"extra-{extra}", digest):
        return
    if pinned.exists():
        say(f"installing {pinned.name}")
        _pip(python, "-r", str(pinned))
    say(f"installing the extra [{extra}]")
    _pip(python, "--no-build-isolation", "-e", f"{ROOT}[{extra}]")
    _stamp(f"extra-{extra}").write_text(digest + "\n")


def _extension_modules(python: Path) -> list[tuple[str, list[str]]]:
    """The compiled modules ``setup.py`` declares: (dotted name, source and dependency files)."""
    code = (
        "import json, setuptools\n"
        "from distutils.core import run_setup\n"
        "dist = run_setup('setup.py', stop_after='init')\n"
        "print(json.dumps([[e.name, list(e.sources) + list(e.depends or [])] for e in dist.ext_modules or []]))\n"
    )
    done = subprocess.run([str(python), "-c", code], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        return []
    return [(name, files) for name, files in json.loads(done.stdout.strip().splitlines()[-1])]


def ensure_extensions(python: Path) -> None:
    """Build the compiled modules of ``setup.py`` in place if one is missing or its sources changed.

    A failed build is reported in one line and not fatal: the tracker then
    runs its pure Python path, which gives the same results, only slower.
    """
    modules = _extension_modules(python)
    if not modules:
        return
    sources = sorted({ROOT / path for _, files in modules for path in files})
    digest = _digest(SETUP, *(path for path in sources if path.is_file()))
    # The venv's interpreter names the files (it may differ from the one running run.py).
    suffix = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    built = [ROOT / (name.replace(".", os.sep) + suffix) for name, _ in modules]
    if all(path.exists() for path in built) and EXTENSION_STAMP.exists() \
            and EXTENSION_STAMP.read_text().strip() == digest:
        return
    names = ", ".join(name for name, _ in modules)
    say(f"building the compiled module(s) {names}")
    build = subprocess.run(
        [str(python), "setup.py", "-q", "build_ext", "--inplace"], cwd=ROOT, capture_output=True, text=True
    )
    missing = [path for path in built if not path.exists()]
    if build.returncode != 0 or missing:
        last_line = (build.stderr.strip().splitlines() or ["no output"])[-1]
        say(f"could not build {names} ({last_line}); the tracker runs in pure Python (same results, slower)")
        return
    EXTENSION_STAMP.parent.mkdir(exist_ok=True)
    EXTENSION_STAMP.write_text(digest + "\n")


def compile_bytecode(python: Path) -> None:
    """Byte-compile the package, as ``pip install`` does for installed packages.

    Python writes ``__pycache__`` by itself on first import, except where
    ``PYTHONDONTWRITEBYTECODE`` is set; then every process would compile
    the sources again (about 30 ms). Only changed files are compiled.
    """
    subprocess.run([str(python), "-m", "compileall", "-q", str(ROOT / "deep_sort")],
                   cwd=ROOT, stdout=subprocess.DEVNULL, check=False)


def split_extras(args: list[str]) -> tuple[list[str], list[str]]:
    """Take the leading ``--extra NAME`` / ``--extra=NAME`` options off ``args``.

    Returns
    -------
    extras : list of str
    rest : list of str
        The remaining arguments (for pytest).
    """
    extras, rest = [], list(args)
    while rest and (rest[0] == "--extra" or rest[0].startswith("--extra=")):
        option = rest.pop(0)
        if "=" in option:
            extras.append(option.split("=", 1)[1])
        elif rest:
            extras.append(rest.pop(0))
        else:
            raise ValueError("--extra needs the name of an extra")
    return extras, rest


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else EXIT_USAGE
    command, rest = argv[0], argv[1:]
    if command not in {"demo", "test", "python"}:
        print(f"run.py: unknown command {command!r} (expected demo, test or python)", file=sys.stderr)
        return EXIT_USAGE
    try:
        extras, rest = split_extras(rest)
    except ValueError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return EXIT_USAGE
    unknown = sorted(set(extras) - set(declared_extras()))
    if unknown:
        print(f"run.py: unknown extra {', '.join(unknown)} (pyproject.toml declares "
              f"{', '.join(declared_extras())})", file=sys.stderr)
        return EXIT_USAGE
    try:
        python = ensure_venv()
        ensure_project(python)
        for extra in extras:
            ensure_extra(python, extra)
    except subprocess.CalledProcessError as exc:
        say(f"installing into .venv failed (pip exit code {exc.returncode}); see pip's messages above")
        return 1
    ensure_extensions(python)
    compile_bytecode(python)
    if command == "demo":
        # The demo names itself in usage lines as the user started it.
        launcher = ("import sys; sys.argv[0] = 'python3 run.py demo'; "
                    "from deep_sort.app.cli import run_main; from deep_sort.app.demo import main; "
                    "sys.exit(run_main(main))")
        return subprocess.call([str(python), "-c", launcher, *rest])
    if command == "test":
        return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT)
    return subprocess.call([str(python), *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
