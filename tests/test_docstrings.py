"""Every docstring example of the package runs and prints what it shows.

One test per module file of ``deep_sort/``: import it, run its examples with
``doctest``, and compare the number of examples doctest ran with the number
of ``>>>`` lines in the module's docstrings (counted from the source with
``ast``), so that a collector that finds nothing fails instead of passing.
A module whose import needs an optional dependency that is not installed is
skipped, naming the dependency; any other import error fails.
"""
from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from support import ROOT

PACKAGE = ROOT / "deep_sort"
MODULE_FILES = sorted(path for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts)
#: Docstrings whose examples are wrong; each entry is a bug to fix in the module, not here.
KNOWN_FAILURES: dict[str, str] = {}  # module name -> why its examples fail (strict xfail)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def count_examples(path: Path) -> int:
    """``>>>`` lines in the docstrings of the module, its classes and functions (at any depth).

    Examples marked ``# doctest: +SKIP`` (they need files or models a user
    has, not the test machine) are not counted: doctest does not run them.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            docstring = ast.get_docstring(node, clean=True) or ""
            count += sum(line.lstrip().startswith(">>>") and "doctest: +SKIP" not in line
                         for line in docstring.splitlines())
    return count


def run_examples(module: ModuleType, path: Path) -> tuple[int, int, str]:
    """Run the examples written in ``path``; return (examples run, failures, doctest's report)."""
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, module.__name__)
    # Only docstrings written in this file (a package's __init__ may re-export others).
    tests = [test for test in tests if test.filename and Path(test.filename).resolve() == path.resolve()]
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    report: list[str] = []
    # The examples show numpy 2's output at its default print options.
    with np.printoptions(precision=8, threshold=1000, linewidth=75, suppress=False, legacy=False):
        for test in tests:
            runner.run(test, out=report.append)
    return runner.tries, runner.failures, "".join(report)


def import_or_skip(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if missing and missing.split(".")[0] != "deep_sort":
            pytest.skip(f"{name} needs {missing}, which is not installed")
        raise


EXAMPLE_SOURCE = '''"""A module.

>>> 1 + 1
2
"""


class Shape:
    """A class.

    >>> Shape()  # doctest: +ELLIPSIS
    <...Shape object at ...>
    """

    def area(self):
        """A method.

        >>> for side in range(2):
        ...     side * side
        0
        1
        >>> open("no such file")  # doctest: +SKIP
        >>> 2 + 2
        5
        """
'''


def test_counter_and_runner_agree_on_a_known_module(tmp_path):
    path = tmp_path / "example_module.py"
    path.write_text(EXAMPLE_SOURCE, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("example_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert count_examples(path) == 4
    tries, failures, report = run_examples(module, path)
    assert (tries, failures) == (4, 1)  # 2 + 2 is not 5
    assert "Expected:\n    5\nGot:\n    4" in report


def test_the_package_has_examples():
    assert sum(count_examples(path) for path in MODULE_FILES) >= 50


@pytest.mark.parametrize("path", [
    pytest.param(path, id=module_name(path), marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[
        module_name(path)])] if module_name(path) in KNOWN_FAILURES else [])
    for path in MODULE_FILES
])
def test_docstring_examples(path):
    expected = count_examples(path)
    module = import_or_skip(module_name(path))
    tries, failures, report = run_examples(module, path)
    assert failures == 0, report
    assert tries == expected, f"doctest ran {tries} examples, the source has {expected}"
