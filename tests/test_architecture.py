"""The import contract of the package: which layers may import which.

- The core (the tracker's modules) imports nothing of the application
  layers and none of the heavy or unsafe libraries, directly or through
  the modules it imports.
- No module of the package imports ctypes (no symbol hunting in binaries).
- ``online``, ``features``, ``evaluation``, ``io`` and ``synthetic`` import
  nothing from ``app`` (command-line mains live in ``app``).
- Importing ``deep_sort.tracker`` stays light: no OpenCV, no TensorFlow,
  and no ``scipy.optimize`` when the compiled solver is built.

Imports are read from the source with ``ast`` (every import statement,
including those inside functions: a lazy import is still a dependency), and
checked at run time in fresh interpreters.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from support import ROOT

PACKAGE = ROOT / "deep_sort"
CORE = ["detection", "kalman_filter", "linear_assignment", "iou_matching", "nn_matching", "track", "tracker",
        "boxes", "preprocessing", "config"]
APPLICATION_LAYERS = ["app", "io", "evaluation", "features", "synthetic", "online", "interop", "demo"]
FORBIDDEN_IN_CORE = ["cv2", "tensorflow", "openvino", "onnxruntime", "pandas", "trackeval", "motmetrics", "ctypes",
                     "torch"]
LAYERS_WITHOUT_APP = ["online", "features", "evaluation", "io", "synthetic"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_files() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in path.parts}


def is_package(name: str) -> bool:
    return (ROOT / Path(*name.split(".")) / "__init__.py").exists()


@lru_cache(maxsize=None)
def imports_of(name: str) -> frozenset[str]:
    """Absolute names of every module ``name`` imports (``from a import b`` gives a and a.b)."""
    path = module_files()[name]
    package = name if is_package(name) else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(found)


def internal(name: str) -> str | None:
    """The package module a name refers to (a module or an attribute of one), or None."""
    modules = module_files()
    while name and name.startswith("deep_sort"):
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def closure(start: list[str]) -> tuple[set[str], set[str]]:
    """Package modules reachable from ``start`` through imports, and the outside names they import."""
    seen, outside, todo = set(), set(), list(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parent = name.rpartition(".")[0]
        if parent:  # importing a.b imports a first
            todo.append(parent)
        for imported in imports_of(name):
            target = internal(imported)
            if target is not None:
                todo.append(target)
            elif not imported.startswith("deep_sort"):
                outside.add(imported)
    return seen, outside


def in_layer(name: str, layers: list[str]) -> bool:
    return any(name == f"deep_sort.{layer}" or name.startswith(f"deep_sort.{layer}.") for layer in layers)


# ----------------------------------------------------------------------------- the reader itself


def test_import_reader_resolves_relative_and_lazy_imports():
    assert "deep_sort.kalman_filter" in imports_of("deep_sort.tracker")  # from .kalman_filter import ...
    assert "numpy" in imports_of("deep_sort.tracker")
    assert internal("deep_sort.linear_assignment.INFTY_COST") == "deep_sort.linear_assignment"
    assert internal("deep_sort.compiled") == "deep_sort.compiled"  # from . import compiled
    # A lazy import inside a function is found too (cv2 in io.mot's image size).
    assert "cv2" in imports_of("deep_sort.io.mot")
    reachable, outside = closure(["deep_sort.app.pipeline"])
    assert "deep_sort.io.mot" in reachable and "deep_sort.tracker" in reachable and "numpy" in outside


def test_core_modules_exist():
    assert [name for name in CORE if f"deep_sort.{name}" not in module_files()] == []


# ----------------------------------------------------------------------------- the rules


def test_core_imports_no_application_layer():
    reachable, _ = closure([f"deep_sort.{name}" for name in CORE])
    assert sorted(name for name in reachable if in_layer(name, APPLICATION_LAYERS)) == []


def test_core_imports_no_heavy_or_unsafe_library():
    _, outside = closure([f"deep_sort.{name}" for name in CORE])
    assert sorted(name for name in outside if name.split(".")[0] in FORBIDDEN_IN_CORE) == []


def test_no_module_imports_ctypes():
    offenders = [name for name in module_files() if any(i.split(".")[0] == "ctypes" for i in imports_of(name))]
    assert offenders == []


@pytest.mark.parametrize("layer", LAYERS_WITHOUT_APP)
def test_layer_imports_nothing_from_app(layer):
    modules = [name for name in module_files() if in_layer(name, [layer])]
    assert modules
    direct = sorted(f"{name} -> {imported}" for name in modules for imported in imports_of(name)
                    if in_layer(internal(imported) or "", ["app"]))
    assert direct == []
    reachable, _ = closure(modules)
    assert sorted(name for name in reachable if in_layer(name, ["app"])) == []


# ----------------------------------------------------------------------------- at run time


def loaded_modules(code: str) -> set[str]:
    """sys.modules of a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.splitlines()[-1]))


def kernels_built() -> bool:
    from deep_sort import compiled

    return compiled.kernels is not None


def test_importing_the_tracker_stays_light():
    loaded = loaded_modules("import deep_sort.tracker")
    assert "deep_sort.tracker" in loaded
    assert {"cv2", "tensorflow"} & loaded == set()
    if kernels_built():
        assert "scipy.optimize" not in loaded


def test_tracking_with_the_compiled_solver_needs_no_scipy_optimize():
    if not kernels_built():
        pytest.skip("deep_sort._kernels is not built: the tracker uses scipy's solver")
    code = """
import numpy as np
from deep_sort.detection import Detections
from deep_sort.nn_matching import NearestNeighborDistanceMetric
from deep_sort.tracker import Tracker

tracker = Tracker(NearestNeighborDistanceMetric("cosine", 0.2), n_init=1)
for frame in range(6):
    boxes = [[10 + 2 * frame, 20, 30, 60], [200, 20, 30, 60]] if frame != 3 else [[500, 20, 30, 60]]
    tracker.predict()
    tracker.update(Detections(boxes, [0.9] * len(boxes), np.eye(len(boxes), 4)))
assert [t.track_id for t in tracker.tracks] == [1, 2], tracker.tracks  # track 3 died tentative
"""
    loaded = loaded_modules(code)
    assert "scipy.optimize" not in loaded and "deep_sort._kernels" in loaded


def test_core_loads_no_application_layer_or_heavy_library():
    loaded = loaded_modules("\n".join(f"import deep_sort.{name}" for name in CORE))
    # ctypes is left out here: numpy itself imports it (the source check above covers the package).
    heavy = [name for name in FORBIDDEN_IN_CORE if name != "ctypes"]
    assert sorted(name for name in loaded if name.split(".")[0] in heavy) == []
    assert sorted(name for name in loaded if in_layer(name, APPLICATION_LAYERS)) == []
