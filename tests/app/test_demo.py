"""The Quickstart's demo, end to end at a reduced size, in a temporary folder."""
from __future__ import annotations

import csv

import pytest

from deep_sort.app.demo import main


def overall_row(summary_csv):
    with open(summary_csv, newline="") as handle:
        rows = {row["sequence"]: row for row in csv.DictReader(handle)}
    return rows["OVERALL"]


# The synthetic detector finds ~85 % of the visible people at ~98 % precision.
# A tracker that associates anything at all scores MOTA > 60 on it; one that
# never keeps a track for n_init frames outputs nothing (MOTA ~ 0), and one
# that swaps ids every frame loses ~30 points to ID switches. 50 separates them
# with margin for the short sequences used here.
MIN_MOTA = 50.0


@pytest.mark.parametrize("precomputed", [True, False], ids=["precomputed", "cnn"])
def test_demo_produces_every_artefact(tmp_path, capsys, precomputed):
    argv = ["--output_dir", str(tmp_path), "--sequences", "2", "--frames", "60", "--quiet", "--workers", "1"]
    if precomputed:
        argv.append("--precomputed")
    assert main(argv) == 0
    out = capsys.readouterr().out
    suffix = "_precomputed" if precomputed else ""
    for name in ("SYN-01", "SYN-02"):
        assert (tmp_path / "split" / name / "img1" / "000060.jpg").is_file()
        assert (tmp_path / f"detections{suffix}" / f"{name}.npy").is_file()
        assert (tmp_path / f"results{suffix}" / f"{name}.txt").stat().st_size > 0
    video = tmp_path / f"videos{suffix}" / "SYN-01.mp4"
    assert video.stat().st_size > 10_000
    assert (tmp_path / "model" / "mars-small128-random.pb").is_file() != precomputed
    # The metrics table and every artefact path are printed.
    assert "OVERALL" in out and "MOTA" in out and str(video) in out
    mota = float(overall_row(tmp_path / f"results{suffix}" / "summary.csv")["MOTA"])
    assert MIN_MOTA < mota <= 100.0


def test_demo_rerun_reuses_artefacts(tmp_path, capsys):
    argv = ["--output_dir", str(tmp_path), "--sequences", "1", "--frames", "20", "--quiet", "--precomputed",
            "--no_video", "--workers", "1"]
    assert main(argv) == 0
    result = tmp_path / "results_precomputed" / "SYN-01.txt"
    first_mtime = result.stat().st_mtime_ns
    capsys.readouterr()
    assert main(argv) == 0
    assert "reusing" in capsys.readouterr().out
    assert result.stat().st_mtime_ns == first_mtime
    assert main(argv + ["--fresh"]) == 0
    assert result.stat().st_mtime_ns != first_mtime


def test_demo_rejects_bad_sizes(tmp_path):
    from deep_sort.io.errors import InputError

    with pytest.raises(InputError):
        main(["--output_dir", str(tmp_path), "--frames", "3"])
