"""Every command-line main lives in deep_sort/app (tests/test_architecture.py checks the imports)."""
from __future__ import annotations

import ast

from support import ROOT

PACKAGE = ROOT / "deep_sort"


def test_every_command_line_main_lives_in_the_app_layer():
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name in ("main", "build_parser") for node in tree.body):
            if path.relative_to(PACKAGE).parts[0] != "app":
                outside.append(str(path.relative_to(ROOT)))
    assert not outside
