#!/usr/bin/env python3
"""Track one MOTChallenge sequence with DeepSORT (see README.md, or --help)."""
from deep_sort.app.cli import exit_now, run_main
from deep_sort.app.track_app import main

if __name__ == "__main__":
    exit_now(run_main(main))
