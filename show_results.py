#!/usr/bin/env python3
"""Show tracking results of a MOT sequence in a window or render them to a video.

See ``python show_results.py --help``; the implementation is deep_sort/app/show.py.
"""
import sys

from deep_sort.app.cli import run_main
from deep_sort.app.show import main

if __name__ == "__main__":
    sys.exit(run_main(main))
