"""Layering of the command-line code: every main lives in deep_sort/app, the libraries never import it."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from support import ROOT

PACKAGE = ROOT / "deep_sort"
#: Library layers that the command-line layer builds on.
LIBRARIES = ["features", "evaluation", "io", "synthetic", "online.py", "interop.py", "extras.py"]


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules a file imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def library_files() -> list[Path]:
    files = []
    for entry in LIBRARIES:
        path = PACKAGE / entry
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return files


@pytest.mark.parametrize("path", library_files(), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_libraries_import_nothing_from_the_app_layer(path):
    offending = sorted(name for name in imported_modules(path) if name.startswith("deep_sort.app"))
    assert not offending


def test_every_command_line_main_lives_in_the_app_layer():
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name in ("main", "build_parser") for node in tree.body):
            if path.relative_to(PACKAGE).parts[0] != "app":
                outside.append(str(path.relative_to(ROOT)))
    assert not outside


def test_the_import_resolver_sees_relative_imports():
    names = imported_modules(PACKAGE / "app" / "track_app.py")
    assert {"deep_sort.app.cli", "deep_sort.config", "deep_sort.io.mot"} <= names
