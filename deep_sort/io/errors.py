"""Exceptions raised for bad user input (files, arguments)."""
from __future__ import annotations


class InputError(ValueError):
    """Bad input the user can fix; command-line tools print it as one line and exit 2."""


class MOTFormatError(InputError):
    """A MOTChallenge file (seqinfo.ini, det/gt/result text, detection .npy) is malformed."""
