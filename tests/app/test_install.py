"""The package as users install it: console scripts from outside the repository.

- A fresh virtual environment with a plain ``pip install .`` (no extras): every
  console script whose extra is missing ends in one line naming the extra,
  with a non-zero exit code and before any work (no output written); the
  scripts that need no extra work; after installing the ``evaluation`` extra
  as the message says, scoring works.
- The project's environment (``run.py`` installs every extra): each console
  script answers ``--help`` under its own name and does a small real run,
  ending with a line that says what it wrote.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.slow

CONSOLE_SCRIPTS = [
    "deep-sort-app", "deep-sort-evaluate", "deep-sort-show", "deep-sort-videos",
    "deep-sort-generate-detections", "deep-sort-freeze-model", "deep-sort-track-video",
    "deep-sort-synthetic", "deep-sort-sweep", "deep-sort-demo",
]
#: What a source distribution of the repository holds (no environment, data or build products).
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "work", "build", "*.egg-info", "__pycache__",
                                     ".pytest_cache", "*.so")


def run(command: list, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def base_python() -> str:
    """The interpreter this test's virtual environment was made from."""
    return getattr(sys, "_base_executable", None) or sys.executable


@pytest.fixture(scope="module")
def plain_install(tmp_path_factory) -> Path:
    """A fresh venv with ``pip install .`` of a copy of the repository; return its bin directory."""
    root = tmp_path_factory.mktemp("plain")
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    done = run([base_python(), "-m", "venv", root / "venv"], cwd=root)
    assert done.returncode == 0, done.stderr
    bin_dir = root / "venv" / "bin"
    done = run([bin_dir / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q", source], cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    return bin_dir


@pytest.fixture(scope="module")
def split(plain_install, tmp_path_factory) -> Path:
    """A small synthetic split made by the plain install's own console script (it needs no extra)."""
    out = tmp_path_factory.mktemp("data")
    done = run([plain_install / "deep-sort-synthetic", "--output_dir", out / "split", "--frames", "20",
                "--width", "320", "--height", "240", "--detection_dir", out / "detections", "--quiet"], cwd=out)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("wrote 1 sequence(s) of 20 frames")
    return out


def missing_extra_cases(data: Path) -> list[tuple[str, list, str]]:
    split, seq = data / "split", data / "split" / "SYN-01"
    model, video = data / "model.pb", data / "video.mp4"
    out = data / "out"
    return [
        ("deep-sort-evaluate", ["--mot_dir", split, "--output_dir", out / "results"], "evaluation"),
        ("deep-sort-demo", ["--output_dir", out / "demo"], "evaluation,features,video"),
        ("deep-sort-demo", ["--output_dir", out / "demo", "--precomputed"], "evaluation,video"),
        ("deep-sort-demo", ["--output_dir", out / "demo", "--precomputed", "--no_video"], "evaluation"),
        ("deep-sort-generate-detections", ["--model", model, "--mot_dir", split, "--output_dir", out / "det"],
         "features"),
        ("deep-sort-freeze-model", ["--random_init", "--graphdef_out", out / "model.pb"], "features"),
        ("deep-sort-track-video", ["--video", video, "--detections", seq / "det" / "det.txt",
                                   "--results", out / "r.txt", "--model", model], "features"),
        ("deep-sort-track-video", ["--video", video, "--detections", seq / "det" / "det.txt",
                                   "--output", out / "v.mp4", "--convert_h264"], "video"),
        ("deep-sort-show", ["--sequence_dir", seq, "--result_file", data / "SYN-01.txt",
                            "--output_file", out / "v.mp4", "--convert_h264"], "video"),
        ("deep-sort-videos", ["--mot_dir", split, "--result_dir", data, "--output_dir", out / "videos",
                              "--convert_h264"], "video"),
    ]


def test_plain_install_works_without_extras_and_names_the_missing_ones(plain_install, split):
    data = split
    seq = data / "split" / "SYN-01"
    # What needs no extra works: tracking, rendering an mp4, tracking a video file.
    done = run([plain_install / "deep-sort-app", "--sequence_dir", seq, "--detection_file", data / "detections" /
                "SYN-01.npy", "--output_file", data / "SYN-01.txt", "--display", "False"], cwd=data)
    assert done.returncode == 0 and done.stderr.splitlines()[-1].startswith("wrote "), done.stderr
    done = run([plain_install / "deep-sort-show", "--sequence_dir", seq, "--result_file", data / "SYN-01.txt",
                "--output_file", data / "video.mp4", "--quiet"], cwd=data)
    assert done.returncode == 0 and (data / "video.mp4").stat().st_size > 0, done.stderr
    done = run([plain_install / "deep-sort-track-video", "--video", data / "video.mp4", "--detections",
                seq / "det" / "det.txt", "--results", data / "tracked.txt", "--quiet"], cwd=data)
    assert done.returncode == 0 and "motion-only" in done.stderr, done.stderr
    (data / "model.pb").write_bytes(b"\0" * 64)

    for script, args, extras in missing_extra_cases(data):
        done = run([plain_install / script, *args], cwd=data)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and len(lines) == 1, (script, args, done.stderr)
        assert lines[0].startswith("error: ") and lines[0].endswith(f"pip install 'deep-sort-repro[{extras}]'"), \
            (script, lines)
        assert "Traceback" not in done.stderr and not (data / "out").exists(), (script, args)

    # The online API names the extra too, as an exception.
    done = run([plain_install / "python", "-c",
                "from deep_sort import DeepSort\n"
                "try:\n    DeepSort(encoder='model.pb')\n"
                "except Exception as exc:\n    print(type(exc).__name__, exc)\n"], cwd=data)
    assert done.stdout.startswith("MissingExtraError") and "deep-sort-repro[features]" in done.stdout, done

    # Tracking a split without ground truth needs no extra; scoring does, and works once installed.
    shutil.copytree(data / "split", data / "test_split", ignore=shutil.ignore_patterns("gt"))
    done = run([plain_install / "deep-sort-evaluate", "--mot_dir", data / "test_split", "--detection_dir",
                data / "detections", "--output_dir", data / "test_results", "--quiet"], cwd=data)
    assert done.returncode == 0 and (data / "test_results" / "SYN-01.txt").is_file(), done.stderr
    source = plain_install.parent.parent / "source"
    done = run([plain_install / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q",
                f"{source}[evaluation]"], cwd=data)
    assert done.returncode == 0, done.stderr
    done = run([plain_install / "deep-sort-evaluate", "--mot_dir", data / "split", "--detection_dir",
                data / "detections", "--output_dir", data / "results", "--quiet"], cwd=data)
    assert done.returncode == 0 and "OVERALL" in done.stdout, done.stderr


@pytest.fixture(scope="module")
def project_scripts() -> Path:
    """The bin directory of the environment running the tests (run.py installs the project and every extra)."""
    from deep_sort import extras

    for _, modules in (extras.EVALUATION, extras.TENSORFLOW, extras.OPENVINO, extras.VIDEO):
        if not all(map(extras.is_installed, modules)):
            pytest.skip(f"this environment lacks {modules} (python3 run.py installs them)")
    bin_dir = Path(sys.executable).parent
    missing = [script for script in CONSOLE_SCRIPTS if not (bin_dir / script).exists()]
    if missing:
        pytest.fail(f"console scripts not installed in {bin_dir}: {missing} (python3 run.py installs the project)")
    return bin_dir


@pytest.mark.parametrize("script", CONSOLE_SCRIPTS)
def test_console_script_help_names_itself(project_scripts, script, tmp_path):
    done = run([project_scripts / script, "--help"], cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script} ")


def test_every_console_script_runs_from_outside_the_repository(project_scripts, tmp_path):
    def ok(script: str, *args, closing: str = "wrote ") -> subprocess.CompletedProcess:
        done = run([project_scripts / script, *args, "--quiet"], cwd=tmp_path)
        assert done.returncode == 0, (script, done.stderr)
        assert done.stderr.strip().splitlines()[-1].startswith(closing), (script, done.stderr)
        return done

    ok("deep-sort-synthetic", "--output_dir", "split", "--frames", "20", "--width", "320", "--height", "240",
       "--detection_dir", "detections")
    seq = tmp_path / "split" / "SYN-01"
    ok("deep-sort-app", "--sequence_dir", seq, "--detection_file", "detections/SYN-01.npy",
       "--output_file", "results/SYN-01.txt", "--display", "False")
    done = ok("deep-sort-evaluate", "--mot_dir", "split", "--output_dir", "results", "--eval_only")
    assert "OVERALL" in done.stdout
    ok("deep-sort-show", "--sequence_dir", seq, "--result_file", "results/SYN-01.txt",
       "--output_file", "show.mp4", "--convert_h264")
    ok("deep-sort-videos", "--mot_dir", "split", "--result_dir", "results", "--output_dir", "videos")
    ok("deep-sort-freeze-model", "--random_init", "--graphdef_out", "model.pb")
    ok("deep-sort-generate-detections", "--model", "model.pb", "--mot_dir", "split", "--output_dir", "cnn")
    ok("deep-sort-track-video", "--video", "show.mp4", "--detections", "cnn/SYN-01.npy", "--results", "video.txt",
       closing="tracked ")
    ok("deep-sort-demo", "--output_dir", "demo", "--precomputed", "--sequences", "1", "--frames", "20",
       "--no_video")
    for path in ("results/SYN-01.txt", "results/summary.csv", "show.mp4", "videos/SYN-01.mp4", "model.pb",
                 "cnn/SYN-01.npy", "video.txt", "demo/results_precomputed/summary.csv"):
        assert (tmp_path / path).stat().st_size > 0, path
