"""tools/sweep.py as a user runs it: tables, parity with evaluate_motchallenge.py, resume, bad input."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from sweep_helpers import run_sweep_cli, sweep_argv
from support import GOLDEN, ROOT
from deep_sort.app.cli import run_main
from deep_sort.app.evaluate import main as evaluate_main
from deep_sort.app.sweep import main as sweep_main
from deep_sort.config import TrackingConfig
from deep_sort.evaluation.summary import SUMMARY_COLUMNS


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_trials_table(reference_sweep):
    rows = read_csv(reference_sweep / "trials.csv")
    assert list(rows[0]) == ["trial", *TrackingConfig.names(), *SUMMARY_COLUMNS]
    assert [(row["max_age"], row["max_cosine_distance"]) for row in rows] == [
        ("10", "0.2"), ("10", "0.3"), ("30", "0.2"), ("30", "0.3")]
    per_sequence = read_csv(reference_sweep / "trials_per_sequence.csv")
    assert [(row["trial"], row["sequence"]) for row in per_sequence] == [
        (str(trial), seq) for trial in range(4) for seq in ("SYN-G1", "SYN-G2")]


def test_sweep_numbers_equal_evaluate_motchallenge(reference_sweep, tmp_path):
    """Each trial's numbers are those of evaluate_motchallenge.py with its parameters, digit for digit."""
    trials = read_csv(reference_sweep / "trials.csv")
    per_sequence = read_csv(reference_sweep / "trials_per_sequence.csv")
    for trial in trials:
        options = [item for name in TrackingConfig.names() for item in (f"--{name}", trial[name])]
        output_dir = tmp_path / f"trial{trial['trial']}"
        code = run_main(evaluate_main, ["--mot_dir", str(GOLDEN / "sequences"), "--detection_dir",
                                        str(GOLDEN / "detections"), "--output_dir", str(output_dir),
                                        "--workers", "1", "--quiet", *options])
        assert code == 0
        summary = {row["sequence"]: row for row in read_csv(output_dir / "summary.csv")}
        assert {column: trial[column] for column in SUMMARY_COLUMNS} == {
            column: summary["OVERALL"][column] for column in SUMMARY_COLUMNS}
        for row in per_sequence:
            if row["trial"] == trial["trial"]:
                assert {column: row[column] for column in SUMMARY_COLUMNS} == {
                    column: summary[row["sequence"]][column] for column in SUMMARY_COLUMNS}


def test_best_json_and_plots(reference_sweep):
    best = json.loads((reference_sweep / "best.json").read_text())
    trials = read_csv(reference_sweep / "trials.csv")
    hota = [float(row["HOTA"]) for row in trials]
    assert best["metrics"] == {"HOTA": "maximize", "IDs": "minimize"}
    assert best["best"]["HOTA"]["trial"] == int(np.argmax(hota))
    assert best["best"]["HOTA"]["command"].startswith("python evaluate_motchallenge.py --mot_dir")
    ids = [int(row["IDs"]) for row in trials]
    for point in best["pareto_front"]:  # nothing on the front is beaten in both metrics
        assert not any(h > point["OVERALL"]["HOTA"] and i < point["OVERALL"]["IDs"] for h, i in zip(hota, ids))
    for name in ("trials.png", "pareto.png"):
        data = (reference_sweep / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000


def test_workers_do_not_change_the_tables(reference_sweep, tmp_path):
    assert run_sweep_cli(tmp_path, "--workers", "2") == 0
    for name in ("trials.csv", "trials_per_sequence.csv"):
        assert (tmp_path / name).read_text() == (reference_sweep / name).read_text()


def test_resume_computes_only_missing_units(reference_sweep, tmp_path, capsys):
    output_dir = tmp_path / "sweep"
    shutil.copytree(reference_sweep, output_dir)
    cached = sorted((output_dir / "cache").glob("*.json"))
    assert len(cached) == 8
    cached[0].unlink()
    cached[1].write_text("{truncated")  # unreadable: computed again, with a warning
    before = {path: path.stat().st_mtime_ns for path in cached[2:]}
    (output_dir / "trials.csv").unlink()
    assert run_sweep_cli(output_dir, "--workers", "1") == 0
    out, err = capsys.readouterr()
    assert "4 trial(s) x 2 sequence(s): 2 computed, 6 reused" in out
    assert "unreadable cached result" in err
    assert {path: path.stat().st_mtime_ns for path in cached[2:]} == before
    assert (output_dir / "trials.csv").read_text() == (reference_sweep / "trials.csv").read_text()


def test_changed_detections_are_not_reused(reference_sweep, tmp_path, capsys):
    detections = tmp_path / "detections"
    shutil.copytree(GOLDEN / "detections", detections)
    array = np.load(detections / "SYN-G1.npy")
    array[0, 6] *= 0.5  # one confidence changed
    np.save(detections / "SYN-G1.npy", array)
    output_dir = tmp_path / "sweep"
    shutil.copytree(reference_sweep, output_dir)
    argv = sweep_argv(output_dir, "--workers", "1")
    argv[argv.index("--detection_dir") + 1] = str(detections)
    assert run_main(sweep_main, argv) == 0
    assert "4 computed, 4 reused" in capsys.readouterr().out  # only SYN-G2's


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--grid", "max_agee=1,2"], "error: --grid max_agee: unknown tracking parameter; did you mean max_age?"),
        (["--grid", "max_iou_distance=0.5,1.5"], "error: --grid max_iou_distance: max_iou_distance must be in "
                                                 "[0, 1], got 1.5"),
        (["--grid", "n_init="], "error: --grid n_init: no values (expected n_init=V1,V2,...)"),
        (["--metric", "HOTTA"], "error: --metric 'HOTTA': not a metric; did you mean HOTA?"),
        (["--search", "grid", "--trials", "3"], "error: --trials applies to --search random and optuna"),
        (["--ray_address", "auto"], "error: --ray_address needs --executor ray"),
    ],
)
def test_bad_input_one_line_before_any_work(tmp_path, capsys, extra, message):
    output_dir = tmp_path / "out"
    assert run_sweep_cli(output_dir, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1, err
    assert not output_dir.exists()


def test_split_without_groundtruth(tmp_path, capsys):
    split = tmp_path / "split"
    shutil.copytree(GOLDEN / "sequences" / "SYN-G1", split / "SYN-G1", ignore=shutil.ignore_patterns("gt"))
    argv = sweep_argv(tmp_path / "out")
    argv[argv.index("--mot_dir") + 1] = str(split)
    assert run_main(sweep_main, argv) == 2
    assert capsys.readouterr().err == f"error: {split}: no sequence has gt/gt.txt; a sweep needs ground truth\n"
    assert not (tmp_path / "out").exists()


def test_optuna_sweep_is_the_same_for_any_number_of_workers(tmp_path):
    pytest.importorskip("optuna")
    tables = []
    for workers in ("1", "2"):
        output_dir = tmp_path / f"w{workers}"
        argv = ["--search", "optuna", "--trials", "4", "--batch_size", "2", "--seed", "3", "--workers", workers]
        assert run_sweep_cli(output_dir, *argv) == 0
        tables.append((output_dir / "trials.csv").read_text())
    assert tables[0] == tables[1]
    assert len(tables[0].splitlines()) == 5


def test_interrupted_sweep_leaves_complete_files_and_resumes(tmp_path):
    """Ctrl-C: exit 130 within seconds, no temporary file, finished units kept for the re-run."""
    output_dir = tmp_path / "sweep"
    command = [sys.executable, str(ROOT / "tools" / "sweep.py"), *sweep_argv(output_dir, "--workers", "1")]
    command[command.index("max_age=10,30")] = "max_age=5,10,20,30,40,50,60,70"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((output_dir / "cache").glob("*.json"))) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.monotonic() - started < 10
    assert err.strip().splitlines()[-1] == "interrupted"
    leftovers = [path for path in output_dir.rglob("*") if path.name.endswith(".tmp")]
    assert leftovers == []
    for path in (output_dir / "cache").glob("*.json"):
        json.loads(path.read_text())  # complete records only
    done = len(list((output_dir / "cache").glob("*.json")))
    assert 2 <= done < 32
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert f"{32 - done} computed, {done} reused" in result.stdout


def test_malformed_detection_file_is_one_line_and_writes_nothing(tmp_path, capsys):
    detections = tmp_path / "detections"
    detections.mkdir()
    (detections / "SYN-G1.npy").write_bytes(b"not an array")
    argv = sweep_argv(tmp_path / "out", "--sequences", "SYN-G1")
    argv[argv.index("--detection_dir") + 1] = str(detections)
    assert run_main(sweep_main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {detections / 'SYN-G1.npy'}: cannot read detection file") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
