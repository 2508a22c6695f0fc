#!/usr/bin/env python3
"""Bootstrap the project's virtual environment, then run a project command.

Usage::

    python3 run.py demo [DEMO OPTIONS]     # the end-to-end demo on generated data
    python3 run.py test [PYTEST OPTIONS]   # the whole test suite
    python3 run.py python SCRIPT [ARGS]    # any project script inside the venv

    python3 run.py test --extra timm       # also install an optional extra, then test

The first call creates ``.venv/`` beside this file and installs
``requirements.txt`` into it; later calls reuse it and reinstall only when
``requirements.txt`` changed. ``--extra NAME`` (directly after the command,
repeatable) also installs ``requirements-NAME.txt``, the pinned packages of
the package's optional extra ``NAME``, in the same way. It also builds the compiled tracker steps
(``deep_sort/_kernels.c``, ``setup.py build_ext --inplace``) when it is
missing or its source changed; without a C compiler the tracker runs its pure
Python path, with the same results. Only the Python standard library is used
here, so this works on a machine that has nothing but Python 3.11 and pip.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
EXTENSION_SOURCES = [ROOT / "deep_sort" / "_kernels.c", ROOT / "setup.py"]
EXTENSION_STAMP = ROOT / "build" / "kernels.sha256"


def _venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def ensure_venv() -> Path:
    """Create or reuse ``.venv`` with ``requirements.txt`` installed; return its python."""
    python = _venv_python()
    digest = _requirements_digest()
    if python.exists() and STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    if not python.exists():
        print(f"run.py: creating virtual environment in {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("run.py: installing requirements.txt (first run takes a few minutes)", file=sys.stderr)
    _pip_install(python, REQUIREMENTS)
    STAMP.write_text(digest + "\n")
    return python


def ensure_extra(python: Path, name: str) -> None:
    """Install ``requirements-NAME.txt`` (an optional extra) into ``.venv`` unless it is up to date."""
    requirements = ROOT / f"requirements-{name}.txt"
    stamp = VENV / f".requirements-{name}.sha256"
    digest = _requirements_digest(requirements)
    if stamp.exists() and stamp.read_text().strip() == digest:
        return
    print(f"run.py: installing {requirements.name} (the optional extra {name!r}; the first time takes "
          "a few minutes)", file=sys.stderr)
    _pip_install(python, requirements)
    stamp.write_text(digest + "\n")


def _pip_install(python: Path, requirements: Path) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", str(requirements)],
        check=True,
    )


def split_extras(args: list[str]) -> tuple[list[str], list[str]]:
    """Take the leading ``--extra NAME`` / ``--extra=NAME`` options off ``args``.

    Returns
    -------
    (extras, rest)
        Extra names in order, and the remaining arguments (for pytest, the demo or the script).

    Raises
    ------
    ValueError
        ``--extra`` without a name, or a name without its ``requirements-NAME.txt``.
    """
    extras = []
    while args and (args[0] == "--extra" or args[0].startswith("--extra=")):
        if args[0] == "--extra":
            if len(args) < 2 or args[1].startswith("-"):
                raise ValueError("--extra needs a name, e.g. --extra timm")
            name, args = args[1], args[2:]
        else:
            name, args = args[0].split("=", 1)[1], args[1:]
        if not (ROOT / f"requirements-{name}.txt").is_file():
            known = sorted(p.name[len("requirements-"):-len(".txt")] for p in ROOT.glob("requirements-*.txt"))
            raise ValueError(f"--extra {name}: no requirements-{name}.txt (extras: {', '.join(known) or 'none'})")
        extras.append(name)
    return extras, args


def ensure_extension(python: Path) -> None:
    """Build ``deep_sort._kernels`` in place if it is missing or older than its source.

    A failed build is reported in one line and not fatal: the tracker then
    runs its pure Python path, which gives the same results, only slower.
    """
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in EXTENSION_SOURCES)).hexdigest()
    # The venv's interpreter names the file (it may differ from the one running run.py).
    suffix = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    built = ROOT / "deep_sort" / f"_kernels{suffix}"
    if built.exists() and EXTENSION_STAMP.exists() and EXTENSION_STAMP.read_text().strip() == digest:
        return
    print("run.py: building the compiled tracker steps (deep_sort/_kernels.c)", file=sys.stderr)
    build = subprocess.run(
        [str(python), "setup.py", "-q", "build_ext", "--inplace"], cwd=ROOT, capture_output=True, text=True
    )
    if build.returncode != 0 or not built.exists():
        last_line = (build.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"run.py: could not build deep_sort/_kernels.c ({last_line}); "
              "the tracker runs in pure Python (same results, slower)", file=sys.stderr)
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


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    try:
        extras, rest = split_extras(rest)
    except ValueError as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    if command == "demo":
        args = ["-m", "deep_sort.demo", *rest]
    elif command == "test":
        args = ["-m", "pytest", *rest]
    elif command == "python":
        args = rest
    else:
        print(f"run.py: unknown command {command!r} (expected demo, test or python)", file=sys.stderr)
        return 2
    try:
        python = ensure_venv()
        for name in extras:
            ensure_extra(python, name)
    except subprocess.CalledProcessError as exc:
        print(f"run.py: installing requirements failed (exit code {exc.returncode})", file=sys.stderr)
        return 1
    ensure_extension(python)
    compile_bytecode(python)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.call([str(python), *args], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
