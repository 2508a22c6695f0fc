#!/usr/bin/env python3
"""Generate deterministic synthetic MOTChallenge sequences.

Thin wrapper around :func:`deep_sort.app.generate_synthetic.main`; see ``--help``.
"""
import sys
from pathlib import Path

# Running the file directly puts tools/ first on sys.path; the package is one level up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from deep_sort.app.cli import run_main  # noqa: E402
from deep_sort.app.generate_synthetic import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(run_main(main))
