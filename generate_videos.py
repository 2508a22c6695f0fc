#!/usr/bin/env python3
"""Render one video per tracker result file of a MOT split.

See ``python generate_videos.py --help``; the implementation is deep_sort/app/videos.py.
"""
import sys

from deep_sort.app.cli import run_main
from deep_sort.app.videos import main

if __name__ == "__main__":
    sys.exit(run_main(main))
