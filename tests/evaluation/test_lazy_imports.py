"""Importing the evaluation code does not load the metric backends."""
from __future__ import annotations

import subprocess
import sys

from support import ROOT


def test_backends_are_imported_lazily():
    code = (
        "import sys, deep_sort.evaluation, deep_sort.evaluation.metrics, deep_sort.app.evaluate; "
        "print(sorted(m for m in ('trackeval', 'motmetrics', 'pandas', 'tqdm', 'cv2', 'tensorflow') "
        "if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert completed.stdout.strip() == "[]"
