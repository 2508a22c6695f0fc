"""generate_videos: one video per result file with a sequence, in parallel, checked up front."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from vis_helpers import N_FRAMES, SIZE, TRACK_ID, box_at, near_color, read_video, result_text, write_sequence

from deep_sort.app.videos import main
from deep_sort.app.visualization import track_color
from deep_sort.io.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def split(tmp_path: Path) -> tuple[Path, Path, Path]:
    """MOT split with sequences A and B; results for A, B and C (C has no sequence)."""
    mot_dir, result_dir = tmp_path / "train", tmp_path / "results"
    mot_dir.mkdir()
    result_dir.mkdir()
    for name in ("A", "B"):
        write_sequence(mot_dir, name)
    for name in ("A", "B", "C"):
        (result_dir / f"{name}.txt").write_text(result_text())
    return mot_dir, result_dir, tmp_path / "videos"


def args(split: tuple[Path, Path, Path], *extra: str) -> list[str]:
    mot_dir, result_dir, output_dir = split
    return ["--mot_dir", str(mot_dir), "--result_dir", str(result_dir), "--output_dir", str(output_dir),
            "--quiet", *extra]


def test_one_video_per_result_with_a_sequence_in_parallel(split):
    output_dir = split[2]
    assert main(args(split, "--workers", "2")) == 0
    assert sorted(path.name for path in output_dir.iterdir()) == ["A.mp4", "B.mp4", "provenance.json"]
    frames, _, _ = read_video(output_dir / "B.mp4")
    assert len(frames) == N_FRAMES and frames[0].shape == (SIZE[1], SIZE[0], 3)
    left, top, _, height = box_at(3)
    assert near_color(frames[2], int(left), int(top + height / 2), track_color(TRACK_ID))


def test_existing_videos_are_skipped_unless_overwrite(split, caplog):
    output_dir = split[2]
    output_dir.mkdir()
    (output_dir / "A.mp4").write_bytes(b"not a video")  # e.g. left by a full disk: not trusted
    main(args(split, "--workers", "1", "--frames", "2:4"))
    assert "A.mp4: rendering again: the existing video cannot be trusted (no provenance record)" in caplog.text
    assert len(read_video(output_dir / "A.mp4")[0]) == 3
    assert len(read_video(output_dir / "B.mp4")[0]) == 3
    before = {name: (output_dir / name).stat().st_mtime_ns for name in ("A.mp4", "B.mp4")}
    main(args(split, "--workers", "1", "--frames", "2:4"))  # verified: skipped
    assert {name: (output_dir / name).stat().st_mtime_ns for name in ("A.mp4", "B.mp4")} == before
    main(args(split, "--workers", "1", "--frames", "2:4", "--overwrite", "--convert_h264"))
    frames, _, fourcc = read_video(output_dir / "A.mp4")
    assert len(frames) == 3 and fourcc in {"avc1", "h264"}


def test_bad_result_file_fails_before_any_video(split):
    mot_dir, result_dir, output_dir = split
    (result_dir / "B.txt").write_text(result_text() + "99,1,1,1,5,5,1,-1,-1,-1\n")
    with pytest.raises(InputError, match=r"B\.txt: line 11: frame 99 is outside sequence B"):
        main(args(split, "--workers", "1"))
    assert not output_dir.exists() or not any(output_dir.iterdir())


def test_show_gt_needs_gt_in_every_sequence(split):
    mot_dir = split[0]
    (mot_dir / "B" / "gt" / "gt.txt").unlink()
    with pytest.raises(InputError, match="no gt/gt.txt"):
        main(args(split, "--show_gt"))


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_results", r"no result files"),  # empty result directory
        ("no_sequences", r"none of the 3 result files matches a sequence"),  # wrong split
        ("missing_dir", r"--result_dir directory does not exist"),  # typo in a path
    ],
)
def test_nothing_to_do_is_an_error(split, setup, message):
    mot_dir, result_dir, output_dir = split
    if setup == "no_results":
        for path in result_dir.iterdir():
            path.unlink()
    elif setup == "no_sequences":
        mot_dir = mot_dir.parent / "test"
        mot_dir.mkdir()
    else:
        result_dir = result_dir.parent / "typo"
    with pytest.raises(InputError, match=message):
        main(args((mot_dir, result_dir, output_dir)))


def test_script_exit_codes(split):
    env = {key: value for key, value in os.environ.items() if key not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    script = [sys.executable, str(ROOT / "generate_videos.py")]
    completed = subprocess.run([*script, *args(split, "--workers", "1", "--frames", ":2")],
                               capture_output=True, text=True, env=env, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert len(read_video(split[2] / "A.mp4")[0]) == 2
    completed = subprocess.run([*script, *args(split, "--frames", "50:60", "--overwrite")],
                               capture_output=True, text=True, env=env, timeout=120, check=False)
    assert completed.returncode == 2
    assert completed.stderr.startswith("error: --frames 50:60 is outside sequence A")


def test_sequences_option_selects_and_rejects_unknown(split):
    mot_dir, result_dir, video_dir = split
    assert main(["--mot_dir", str(mot_dir), "--result_dir", str(result_dir), "--output_dir", str(video_dir),
                 "--sequences", "B", "--workers", "1", "--quiet"]) == 0
    assert sorted(p.name for p in video_dir.iterdir()) == ["B.mp4", "provenance.json"]
    with pytest.raises(InputError, match="no result file for sequence"):
        main(["--mot_dir", str(mot_dir), "--result_dir", str(result_dir), "--output_dir", str(video_dir),
              "--sequences", "D", "--quiet"])
