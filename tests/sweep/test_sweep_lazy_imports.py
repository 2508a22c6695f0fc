"""Importing the sweep code does not load Ray, Optuna, matplotlib or TrackEval."""
from __future__ import annotations

import subprocess
import sys

from support import ROOT


def test_heavy_frameworks_are_imported_lazily():
    code = (
        "import sys, deep_sort, deep_sort.sweep.runner, deep_sort.sweep.executors, deep_sort.sweep.report, "
        "deep_sort.sweep.search, deep_sort.app.sweep, deep_sort.distributed, deep_sort.evaluation.vectorized; "
        "print(sorted(m for m in ('ray', 'optuna', 'matplotlib', 'trackeval', 'pandas', 'cv2', 'tensorflow') "
        "if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert completed.stdout.strip() == "[]"
