"""File formats at the boundary of the tracker: MOT sequences, detections, results."""
from .atomic import atomic_path, atomic_write
from .errors import InputError, MOTFormatError, OutputError
from .mot import (
    SequenceInfo,
    format_results,
    frame_offsets,
    load_detections,
    load_groundtruth,
    load_mot_text,
    load_results,
    read_seqinfo,
    read_sequence,
    write_results,
)

__all__ = [
    "InputError",
    "MOTFormatError",
    "OutputError",
    "SequenceInfo",
    "atomic_path",
    "atomic_write",
    "format_results",
    "frame_offsets",
    "load_detections",
    "load_groundtruth",
    "load_mot_text",
    "load_results",
    "read_seqinfo",
    "read_sequence",
    "write_results",
]
