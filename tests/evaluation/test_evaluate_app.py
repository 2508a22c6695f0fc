"""evaluate_motchallenge.py as a user runs it: batch tracking, resume, failures, eval-only, errors."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from support import GOLDEN, ROOT
from deep_sort.app.cli import run_main
from deep_sort.app.evaluate import build_parser, find_detection_file, main
from deep_sort.app.pipeline import run_sequence
from deep_sort.config import TrackingConfig
from deep_sort.evaluation.summary import LABEL_COLUMN, SUMMARY_COLUMNS

N_FRAMES = 15
SEQUENCES = ("SYN-A", "SYN-B", "SYN-C")


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    """A 3-sequence split cut from the golden data (first 15 frames) with .npy detections."""
    root = tmp_path_factory.mktemp("template")
    sources = {"SYN-A": "SYN-G1", "SYN-B": "SYN-G2", "SYN-C": "SYN-G1"}
    for index, (name, source) in enumerate(sources.items()):
        source_dir = GOLDEN / "sequences" / source
        target = root / "split" / name
        for sub in ("det", "gt"):
            (target / sub).mkdir(parents=True)
            rows = [line for line in (source_dir / sub / f"{sub}.txt").read_text().splitlines()
                    if int(line.split(",")[0]) <= N_FRAMES]
            (target / sub / f"{sub}.txt").write_text("\n".join(rows) + "\n")
        (target / "seqinfo.ini").write_text(
            f"[Sequence]\nname={name}\nimDir=img1\nframeRate=30\nseqLength={N_FRAMES}\n"
            "imWidth=960\nimHeight=540\nimExt=.jpg\n")
        detections = np.load(GOLDEN / "detections" / f"{source}.npy")
        # SYN-C: the SYN-G1 detections shifted, so that it differs from SYN-A.
        detections = detections[detections[:, 0] <= N_FRAMES].copy()
        detections[:, 2] += 7 * index if name == "SYN-C" else 0
        (root / "dets").mkdir(exist_ok=True)
        np.save(root / "dets" / f"{name}.npy", detections)
    return root


@pytest.fixture(scope="session")
def tracked(template, tmp_path_factory) -> Path:
    """The template split after a serial run into ``serial/``."""
    root = tmp_path_factory.mktemp("tracked")
    shutil.copytree(template, root, dirs_exist_ok=True)
    assert run(root, "serial", "--workers", "1") == 0
    return root


@pytest.fixture
def split(template, tmp_path) -> Path:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.fixture
def split_with_results(tracked, tmp_path) -> Path:
    """A copy of the split and of the complete serial run, as ``res/``."""
    shutil.copytree(tracked, tmp_path, dirs_exist_ok=True)
    (tmp_path / "serial").rename(tmp_path / "res")
    return tmp_path


def run(split_root: Path, output: str, *extra: str) -> int:
    return main(["--mot_dir", str(split_root / "split"), "--detection_dir", str(split_root / "dets"),
                 "--output_dir", str(split_root / output), "--quiet", *extra])


def read_summary(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as handle:
        return {row[LABEL_COLUMN]: row for row in csv.DictReader(handle)}


def test_parallel_and_serial_runs_are_byte_identical(tracked, tmp_path, capsys):
    split = tmp_path
    shutil.copytree(tracked, split, dirs_exist_ok=True)
    assert run(split, "parallel", "--workers", "2") == 0
    for name in [*(f"{seq}.txt" for seq in SEQUENCES), "summary.csv"]:
        assert (split / "serial" / name).read_bytes() == (split / "parallel" / name).read_bytes(), name
    # The results are the tracker's with the paper settings (min_confidence 0.3, nn_budget 100).
    expected = run_sequence(split / "split" / "SYN-A", split / "dets" / "SYN-A.npy", TrackingConfig.paper())
    from deep_sort.io.mot import format_results
    assert (split / "serial" / "SYN-A.txt").read_text() == format_results(expected)
    summary = read_summary(split / "serial" / "summary.csv")
    assert list(summary) == [*SEQUENCES, "OVERALL"]
    assert list(summary["OVERALL"])[1:] == list(SUMMARY_COLUMNS)
    assert "MOT17 rules" in capsys.readouterr().out  # 9-column gt with classes


def test_interrupted_run_resumes(split_with_results, caplog):
    split = split_with_results
    complete = {seq: (split / "res" / f"{seq}.txt").read_bytes() for seq in SEQUENCES}
    # As if interrupted: SYN-B and SYN-C never finished; SYN-A's result is kept (same settings).
    (split / "res" / "SYN-B.txt").unlink()
    (split / "res" / "SYN-C.txt").unlink()
    (split / "res" / "summary.csv").unlink()
    before = (split / "res" / "SYN-A.txt").stat().st_mtime_ns
    assert run(split, "res", "--workers", "2") == 0
    assert (split / "res" / "SYN-A.txt").stat().st_mtime_ns == before  # skipped
    for seq in ("SYN-B", "SYN-C"):
        assert (split / "res" / f"{seq}.txt").read_bytes() == complete[seq]
    assert (split / "res" / "summary.csv").exists()
    # A result file changed after it was written is not trusted: tracked again, with a warning.
    (split / "res" / "SYN-A.txt").write_bytes(complete["SYN-A"][: complete["SYN-A"].index(b"\n") + 1])
    assert run(split, "res", "--workers", "1") == 0
    assert "SYN-A: tracking again" in caplog.text and "changed after it was written" in caplog.text
    assert (split / "res" / "SYN-A.txt").read_bytes() == complete["SYN-A"]
    # --overwrite tracks again.
    before = (split / "res" / "SYN-A.txt").stat().st_mtime_ns
    assert run(split, "res", "--workers", "1", "--overwrite", "--sequences", "SYN-A") == 0
    assert (split / "res" / "SYN-A.txt").stat().st_mtime_ns != before
    assert (split / "res" / "SYN-A.txt").read_bytes() == complete["SYN-A"]


def test_resume_with_other_settings_tracks_again(split_with_results, caplog):
    split = split_with_results
    before = (split / "res" / "SYN-A.txt").read_bytes()
    assert run(split, "res", "--workers", "1", "--min_confidence", "0.9") == 0
    assert "other settings (min_confidence 0.3 -> 0.9)" in caplog.text
    expected = run_sequence(split / "split" / "SYN-A", split / "dets" / "SYN-A.npy",
                            TrackingConfig(**{**TrackingConfig.paper().as_dict(), "min_confidence": 0.9}))
    from deep_sort.io.mot import format_results
    assert (split / "res" / "SYN-A.txt").read_text() == format_results(expected) != before.decode()


@pytest.mark.parametrize("workers", ["1", "2"])  # in-process, worker processes
def test_a_failing_sequence_does_not_stop_the_others(split, caplog, workers):
    (split / "dets" / "SYN-B.npy").write_bytes(b"not a numpy file")
    assert run(split, "res", "--workers", workers) == 1
    assert "SYN-B" in caplog.text and "SYN-B.npy" in caplog.text
    outputs = sorted(path.name for path in (split / "res").iterdir())
    assert outputs == ["SYN-A.txt", "SYN-C.txt", "provenance.json", "summary.csv"]  # no half-written files
    assert list(read_summary(split / "res" / "summary.csv")) == ["SYN-A", "SYN-C", "OVERALL"]
    # Fixed input: the re-run tracks only the missing sequence.
    shutil.copy(split / "dets" / "SYN-A.npy", split / "dets" / "SYN-B.npy")
    before = (split / "res" / "SYN-A.txt").stat().st_mtime_ns
    assert run(split, "res", "--workers", workers) == 0
    assert (split / "res" / "SYN-A.txt").stat().st_mtime_ns == before
    assert list(read_summary(split / "res" / "summary.csv")) == [*SEQUENCES, "OVERALL"]


def test_eval_only_scores_existing_results_without_tracking(split_with_results):
    split = split_with_results
    first = (split / "res" / "summary.csv").read_bytes()
    (split / "res" / "summary.csv").unlink()
    (split / "dets" / "SYN-A.npy").unlink()  # eval-only needs no detections
    assert run(split, "res", "--eval_only", "--workers", "1") == 0
    assert (split / "res" / "summary.csv").read_bytes() == first
    # A missing result file is a failed sequence; the others are still scored.
    (split / "res" / "SYN-C.txt").unlink()
    assert run(split, "res", "--eval_only", "--workers", "1") == 1
    assert list(read_summary(split / "res" / "summary.csv")) == ["SYN-A", "SYN-B", "OVERALL"]


def test_malformed_result_file_is_reported_with_its_name(split_with_results, caplog):
    split = split_with_results
    result = split / "res" / "SYN-B.txt"
    first_line = result.read_text().splitlines()[0]
    result.write_text(result.read_text() + first_line + "\n")  # the same id twice in one frame
    assert run(split, "res", "--eval_only", "--workers", "1") == 1
    assert f"{result}: frame" in caplog.text and "appears more than once" in caplog.text
    assert list(read_summary(split / "res" / "summary.csv")) == ["SYN-A", "SYN-C", "OVERALL"]


def test_sequences_option_and_missing_detections(split, caplog):
    (split / "dets" / "SYN-C.npy").unlink()
    assert run(split, "res", "--workers", "1", "--sequences", "SYN-B", "SYN-C") == 0
    assert "skipping 1 sequence(s) without detections" in caplog.text and "SYN-C" in caplog.text
    assert sorted(path.name for path in (split / "res").iterdir()) == ["SYN-B.txt", "provenance.json", "summary.csv"]
    assert list(read_summary(split / "res" / "summary.csv")) == ["SYN-B", "OVERALL"]


def test_motion_only_mode_uses_each_sequence_det_txt(split):
    output = split / "res"
    assert main(["--mot_dir", str(split / "split"), "--output_dir", str(output), "--quiet",
                 "--workers", "1", "--sequences", "SYN-A"]) == 0
    expected = run_sequence(split / "split" / "SYN-A", None, TrackingConfig.paper())
    from deep_sort.io.mot import format_results
    assert (output / "SYN-A.txt").read_text() == format_results(expected)


def test_no_ground_truth_means_no_scoring(split, capsys):
    shutil.rmtree(split / "split" / "SYN-A" / "gt")
    assert run(split, "res", "--workers", "1", "--sequences", "SYN-A") == 0
    assert sorted(path.name for path in (split / "res").iterdir()) == ["SYN-A.txt", "provenance.json"]
    assert capsys.readouterr().out == ""


def test_detection_file_lookup(tmp_path):
    sequence = tmp_path / "split" / "SEQ"
    (sequence / "det").mkdir(parents=True)
    dets = tmp_path / "dets"
    dets.mkdir()
    assert find_detection_file(sequence, dets) is None
    (dets / "SEQ" / "det").mkdir(parents=True)
    (dets / "SEQ" / "det" / "det.txt").write_text("1,-1,0,0,10,10,1,-1,-1,-1\n")
    assert find_detection_file(sequence, dets) == dets / "SEQ" / "det" / "det.txt"  # split-like layout
    (dets / "SEQ.txt").write_text("1,-1,0,0,10,10,1,-1,-1,-1\n")
    assert find_detection_file(sequence, dets) == dets / "SEQ.txt"  # before the split-like layout
    (dets / "SEQ.npy").write_bytes(b"")
    assert find_detection_file(sequence, dets) == dets / "SEQ.npy"  # .npy first
    assert find_detection_file(sequence, None) is None
    (sequence / "det" / "det.txt").write_text("1,-1,0,0,10,10,1,-1,-1,-1\n")
    assert find_detection_file(sequence, None) == sequence / "det" / "det.txt"


def test_defaults_are_the_paper_settings():
    args = build_parser().parse_args(["--mot_dir", "x"])
    assert (args.min_confidence, args.nn_budget, args.max_cosine_distance) == (0.3, 100, 0.2)
    assert (args.nms_max_overlap, args.min_detection_height, args.max_age, args.n_init) == (1.0, 0, 30, 3)
    assert args.workers >= 1 and args.benchmark is None and not args.eval_only and not args.overwrite


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--mot_dir", "{root}/nowhere"], "is not a directory"),  # missing split
        (["--mot_dir", "{root}/split", "--sequences", "NOPE"], "no sequence directory NOPE"),
        (["--mot_dir", "{root}/split", "--workers", "0"], "--workers: expected a number >= 1, got 0"),
        (["--mot_dir", "{root}/split", "--detection_dir", "{root}/nodets"], "--detection_dir is not a directory"),
        (["--mot_dir", "{root}/split", "--detection_dir", "{root}/empty"], "no sequence has detections"),
        (["--mot_dir", "{root}/split", "--max_age", "0"], "max_age"),  # tracker option validation
    ],
)
def test_bad_input_is_one_line_and_exit_2(split, capsys, argv, message):
    (split / "empty").mkdir()
    argv = [arg.format(root=split) for arg in argv] + ["--output_dir", str(split / "res"), "--quiet"]
    assert run_main(main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_eval_only_without_ground_truth_is_bad_input(split, capsys):
    for seq in SEQUENCES:
        shutil.rmtree(split / "split" / seq / "gt")
    argv = ["--mot_dir", str(split / "split"), "--output_dir", str(split / "res"), "--eval_only", "--quiet"]
    assert run_main(main, argv) == 2
    assert "nothing to score" in capsys.readouterr().err


def test_script_runs(split):
    """The thin top-level script, in a subprocess (spawned workers included)."""
    completed = subprocess.run(
        [sys.executable, str(ROOT / "evaluate_motchallenge.py"), "--mot_dir", str(split / "split"),
         "--detection_dir", str(split / "dets"), "--output_dir", str(split / "res"), "--workers", "2",
         "--sequences", "SYN-A", "SYN-B"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert "OVERALL" in completed.stdout and "tracking" in completed.stderr
