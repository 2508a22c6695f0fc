"""The command-line conventions every tool shares (deep_sort.app.cli), and run.py's commands."""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

from deep_sort.app.cli import ToolParser, program_name

#: The module of every command-line tool, and how its script is started.
TOOLS = {
    "deep_sort.app.track_app": "deep_sort_app.py",
    "deep_sort.app.evaluate": "evaluate_motchallenge.py",
    "deep_sort.app.show": "show_results.py",
    "deep_sort.app.videos": "generate_videos.py",
    "deep_sort.app.generate_detections": "tools/generate_detections.py",
    "deep_sort.app.freeze_model": "tools/freeze_model.py",
    "deep_sort.app.track_video": "tools/track_video.py",
    "deep_sort.app.generate_synthetic": "tools/generate_synthetic.py",
    "deep_sort.app.demo": "python3 run.py demo",
    "deep_sort.app.sweep": "tools/sweep.py",
}


def run(*command, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=600, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("module", sorted(TOOLS))
def test_options_are_spelled_with_underscores(module):
    parser = importlib.import_module(module).build_parser()
    assert isinstance(parser, ToolParser)
    options = [option for action in parser._actions for option in action.option_strings]
    dashed = [option for option in options if option.startswith("--") and "-" in option[2:] and option != "--help"]
    assert not dashed
    if "--quiet" in options:
        assert "progress" in parser._option_string_actions["--quiet"].help


def test_the_dashed_spelling_is_an_alias():
    from deep_sort.app.track_app import build_parser

    args = build_parser().parse_args(["--sequence-dir", "SEQ", "--min-confidence=0.5", "--nn-budget", "7"])
    assert (args.sequence_dir, args.min_confidence, args.nn_budget) == ("SEQ", 0.5, 7)


def test_a_mistyped_option_gets_one_line_with_a_suggestion():
    done = run(sys.executable, "deep_sort_app.py", "--sequence_dir", "SEQ", "--min_confidance", "0.5")
    assert done.returncode == 2
    assert done.stderr == ("error: unknown option --min_confidance, did you mean --min_confidence? "
                           "(see deep_sort_app.py --help)\n")


def test_usage_errors_are_one_line(capsys):
    from deep_sort.app.cli import run_main
    from deep_sort.app.evaluate import main

    assert run_main(main, ["--mot_dir", "x", "--workers", "zero", "--frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: argument --workers: expected a whole number")


@pytest.mark.parametrize("module", sorted(TOOLS))
def test_python_dash_m_runs_every_tool_under_its_name(module, tmp_path):
    done = run(sys.executable, "-m", module, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: python -m {module} ")


@pytest.mark.parametrize("command, usage", [
    (["{python}", "deep_sort_app.py", "--help"], "usage: deep_sort_app.py "),
    (["{python}", "tools/generate_synthetic.py", "--help"], "usage: tools/generate_synthetic.py "),
    (["{python}", "run.py", "demo", "--help"], "usage: python3 run.py demo "),
])
def test_usage_names_the_program_as_started(command, usage):
    done = run(*[part.format(python=sys.executable) for part in command])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(usage)


def test_program_name_in_process_is_the_documented_script():
    assert program_name("tools/freeze_model.py", "deep_sort.app.freeze_model") == "tools/freeze_model.py"


def test_freeze_model_reports_a_missing_checkpoint_before_loading_tensorflow(tmp_path):
    code = (
        "import sys\n"
        "from deep_sort.app.cli import run_main\n"
        "from deep_sort.app.freeze_model import main\n"
        f"code = run_main(main, ['--checkpoint_in', {str(tmp_path / 'none.ckpt')!r}, "
        f"'--graphdef_out', {str(tmp_path / 'out.pb')!r}])\n"
        "print('tensorflow' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    done = run(sys.executable, "-c", code, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "False\n"
    assert done.stderr == f"error: {tmp_path / 'none.ckpt'}: checkpoint does not exist (expected none.ckpt.index)\n"
    assert not (tmp_path / "out.pb").exists()


@pytest.fixture
def small_split(tmp_path) -> Path:
    from deep_sort.app.cli import run_main
    from deep_sort.app.generate_synthetic import main

    assert run_main(main, ["--output_dir", str(tmp_path / "split"), "--sequences", "2", "--frames", "15",
                           "--no_images", "--detection_dir", str(tmp_path / "det"), "--quiet"]) == 0
    return tmp_path


def test_quiet_hides_progress_but_not_warnings(small_split):
    (small_split / "det" / "SYN-02.npy").unlink()
    done = run(sys.executable, "evaluate_motchallenge.py", "--mot_dir", small_split / "split", "--detection_dir",
               small_split / "det", "--output_dir", small_split / "res", "--workers", "1", "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        f"WARNING: skipping 1 sequence(s) without detections in {small_split / 'det'}: SYN-02",
        f"wrote result files of 1 sequence(s) to {small_split / 'res'}",
        f"wrote the metrics table to {small_split / 'res' / 'summary.csv'}",
    ]


def test_a_failed_sequence_is_reported_once(small_split):
    det_file = small_split / "split" / "SYN-02" / "det" / "det.txt"
    det_file.write_text(det_file.read_text() + "3,-1,abc,1,1,1,1,-1,-1,-1\n")
    done = run(sys.executable, "evaluate_motchallenge.py", "--mot_dir", small_split / "split",
               "--output_dir", small_split / "res", "--workers", "2")
    assert done.returncode == 1
    assert done.stderr.count("'abc' is not a number") == 1
    assert re.search(r"^ERROR: SYN-02: .*det\.txt: line \d+: 'abc' is not a number$", done.stderr, re.M)
    assert "(1 failed: SYN-02)" in done.stderr and "OVERALL" in done.stdout


def test_run_py_rejects_an_unknown_extra():
    done = run(sys.executable, "run.py", "test", "--extra", "nonexistent")
    assert done.returncode == 2
    assert done.stderr.startswith("run.py: unknown extra nonexistent (pyproject.toml declares ")
    assert "evaluation" in done.stderr


def test_run_py_splits_leading_extras_from_pytest_arguments():
    sys.path.insert(0, str(ROOT))
    try:
        import run as run_py
    finally:
        sys.path.remove(str(ROOT))
    assert run_py.split_extras(["--extra", "a", "--extra=b", "-k", "x", "--extra", "c"]) == (
        ["a", "b"], ["-k", "x", "--extra", "c"])
    assert {"evaluation", "features", "video", "all"} <= set(run_py.declared_extras())
    with pytest.raises(ValueError):
        run_py.split_extras(["--extra"])


@pytest.mark.slow
def test_run_py_test_installs_an_extra_and_prints_pytests_summary():
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    done = run(sys.executable, "run.py", "test", "--extra", "video", "tests/app/test_cli.py", "-q",
               "-k", "underscores", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d+ passed", done.stdout, re.M), done.stdout
    assert (ROOT / ".venv" / ".extra-video.sha256").is_file()


@pytest.mark.slow
def test_features_benchmark_says_why_it_measured_nothing(tmp_path):
    pytest.importorskip("tensorflow")
    done = run(sys.executable, "benchmarks/features_speed.py", "--configs", "tensorflow", "--repeats", "1",
               "--max_attempts", "1", "--seconds", "0.2", "--n_frames", "3", "--max_other_load", "-1",
               "--work_dir", tmp_path)
    assert done.returncode == 1, done.stderr
    assert re.search(r"^tensorflow: no clean run in 1 round\(s\): other processes used .* of the CPUs", done.stdout,
                     re.M), done.stdout
