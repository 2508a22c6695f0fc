#!/usr/bin/env python3
"""Track every sequence of a MOTChallenge split and score it with the MOTChallenge metrics (see --help)."""
import sys

from deep_sort.app.cli import run_main
from deep_sort.app.evaluate import main

if __name__ == "__main__":
    sys.exit(run_main(main))
