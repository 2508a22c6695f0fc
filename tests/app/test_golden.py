"""The app reproduces the published code's output on every golden case."""
from __future__ import annotations


import pytest

from support import GOLDEN, assert_same_results, golden_cases
from deep_sort.app.track_app import main


@pytest.mark.parametrize("seq,params,options", golden_cases(), ids=lambda v: v if isinstance(v, str) else None)
def test_app_matches_golden(tmp_path, seq, params, options, assignment_path):
    output = tmp_path / f"{seq}.{params}.txt"
    argv = [
        "--sequence_dir", str(GOLDEN / "sequences" / seq),
        "--detection_file", str(GOLDEN / "detections" / f"{seq}.npy"),
        "--output_file", str(output),
        "--display", "False", "--quiet", *options,
    ]
    assert main(argv) == 0
    assert_same_results(GOLDEN / "expected" / f"{seq}.{params}.txt", output)


def test_golden_cases_present():
    # The golden data lives in tests/golden; if it went missing the golden test must not pass silently.
    assert golden_cases(), f"no golden cases found under {GOLDEN}"
