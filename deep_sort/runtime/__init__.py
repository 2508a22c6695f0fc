"""How the command-line tools run: signal handling and worker processes.

:mod:`~deep_sort.runtime.signals` stops a tool within seconds on Ctrl-C or
SIGTERM with one line and exit code 130/143; :mod:`~deep_sort.runtime.workers`
starts worker processes that never outlive their parent.
"""
