"""Application layer: per-sequence pipeline, command-line entry points, rendering."""
