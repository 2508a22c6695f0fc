"""round_as_written gives the values a reader of the written result file gets back, bit for bit."""
from __future__ import annotations

import numpy as np

from deep_sort.io.mot import format_results, load_results, round_as_written


def test_rounding_equals_writing_and_reading(tmp_path, rng):
    boxes = rng.uniform(-50, 2000, size=(20000, 4))
    boxes[:3000] = np.round(boxes[:3000] * 1000) / 1000  # ...5 in the third decimal: halves
    boxes[3000:4000] = np.round(boxes[3000:4000] * 8) / 8  # exact binary halves of a cent
    rows = np.column_stack([rng.integers(1, 500, len(boxes)), rng.integers(1, 90, len(boxes)), boxes])
    path = tmp_path / "results.txt"
    path.write_text(format_results(rows))
    assert np.array_equal(round_as_written(rows), load_results(path)[:, :6])


def test_empty_and_extra_columns():
    assert round_as_written(np.zeros((0, 6))).shape == (0, 6)
    rounded = round_as_written([[3, 7, 1.234, 2.345, 3.0, 4.0, 0.9, 5.0]])
    assert rounded.shape == (1, 6) and rounded[0, 2] == 1.23
