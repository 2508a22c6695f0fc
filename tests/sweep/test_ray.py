"""The Ray executor: a real local Ray gives the local executor's tables, and so does a Ray the sweep starts."""
from __future__ import annotations

import subprocess
import sys

import pytest

from sweep_helpers import run_sweep_cli, sweep_argv
from support import ROOT

ray = pytest.importorskip("ray")

pytestmark = pytest.mark.slow


def test_ray_tasks_give_the_local_tables(local_ray, reference_sweep, tmp_path):
    assert run_sweep_cli(tmp_path, "--executor", "ray") == 0
    for name in ("trials.csv", "trials_per_sequence.csv", "best.json"):
        assert (tmp_path / name).read_text() == (reference_sweep / name).read_text(), name


def test_optuna_on_ray_matches_local(local_ray, tmp_path):
    pytest.importorskip("optuna")
    argv = ["--search", "optuna", "--trials", "4", "--batch_size", "2", "--seed", "5"]
    assert run_sweep_cli(tmp_path / "ray", *argv, "--executor", "ray") == 0
    assert run_sweep_cli(tmp_path / "local", *argv, "--workers", "1") == 0
    assert (tmp_path / "ray" / "trials.csv").read_text() == (tmp_path / "local" / "trials.csv").read_text()


def test_sweep_starts_a_local_ray_by_itself(reference_sweep, tmp_path):
    command = [sys.executable, str(ROOT / "tools" / "sweep.py"),
               *sweep_argv(tmp_path, "--executor", "ray", "--workers", "2")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "trials.csv").read_text() == (reference_sweep / "trials.csv").read_text()


def test_unreachable_cluster_is_one_line(tmp_path):
    command = [sys.executable, str(ROOT / "tools" / "sweep.py"),
               *sweep_argv(tmp_path / "out", "--executor", "ray", "--ray_address", "127.0.0.1:1")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: --ray_address 127.0.0.1:1: cannot connect to Ray"), result.stderr
