#!/usr/bin/env python3
"""Track one MOTChallenge sequence with DeepSORT (see README.md, or --help)."""
import sys

from deep_sort.app.cli import run_main
from deep_sort.app.track_app import main

if __name__ == "__main__":
    sys.exit(run_main(main))
