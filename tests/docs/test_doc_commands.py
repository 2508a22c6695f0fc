"""Every command shown in README.md and docs/*.md runs, as a user would run it.

Convention (docs/development.md): fenced blocks marked bash, sh, console or
python are run from the repository root inside the project's environment
(``.venv/bin`` first on PATH, as after ``source .venv/bin/activate``),
after ``python3 run.py demo`` has made the demo's data. In a console block
only the lines starting with ``$ `` are commands. A block directly preceded
by ``<!-- skip-test: REASON -->`` is not run. A page's blocks run in order;
a command that exits non-zero, or leaves files outside the ignored ``work/``
folder, fails the test. New pages are picked up automatically.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import ROOT

pytestmark = pytest.mark.slow

RUN_LANGUAGES = {"bash", "sh", "console", "python"}
SKIP_MARKER = re.compile(r"^<!--\s*skip-test:\s*(?P<reason>.+?)\s*-->$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<language>[\w+-]*)\s*$")
#: Seconds one block may take (the demo's first run is the longest step).
BLOCK_TIMEOUT = 1200
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass(frozen=True)
class Block:
    """A fenced code block of a Markdown page."""

    page: Path
    line: int
    language: str
    code: str
    skip_reason: str | None

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def code_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, in order, with the skip reason written above it (if any)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        previous = next((text.strip() for text in reversed(lines[:index]) if text.strip()), "")
        skip = SKIP_MARKER.match(previous)
        body, index = [], index + 1
        while index < len(lines) and not (lines[index].strip().startswith(fence)
                                          and lines[index].strip().strip(fence[0]) == ""):
            text = lines[index]
            body.append(text[indent:] if text[:indent].strip() == "" else text.lstrip())
            index += 1
        blocks.append(Block(page, index - len(body), opening["language"].lower(), "\n".join(body) + "\n",
                            skip["reason"] if skip else None))
        index += 1
    return blocks


def console_commands(code: str) -> str:
    """The ``$ `` lines of a console block (with their continuation lines) as a script."""
    commands, continuing = [], False
    for line in code.splitlines():
        if line.startswith("$ ") or continuing:
            commands.append(line[2:] if line.startswith("$ ") and not continuing else line)
            continuing = line.rstrip().endswith("\\")
    return "\n".join(commands) + "\n"


def user_environment() -> dict[str, str]:
    """The environment of a shell after ``source .venv/bin/activate`` (of the venv running the tests)."""
    env = dict(os.environ)
    bin_dir = Path(sys.executable).parent
    env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(bin_dir.parent)
    env.pop("PYTHONHOME", None)
    return env


def git_changes() -> set[str] | None:
    """Files git sees as new or changed (ignored ones excluded); None without git."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return None
    done = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                          capture_output=True, text=True)
    return set(done.stdout.splitlines()) if done.returncode == 0 else None


def run_block(block: Block, tmp_path: Path) -> subprocess.CompletedProcess:
    env = user_environment()
    if block.language == "python":
        script = tmp_path / f"block_{block.line}.py"
        script.write_text(block.code, encoding="utf-8")
        command = [sys.executable, str(script)]
    else:
        code = console_commands(block.code) if block.language == "console" else block.code
        command = ["bash", "-e", "-o", "pipefail", "-c", code]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL)


def explain(block: Block, completed: subprocess.CompletedProcess) -> str:
    tail = "\n".join((completed.stdout + completed.stderr).strip().splitlines()[-15:])
    return f"{block.where}: exit code {completed.returncode}\n{block.code}\n--- output (last lines) ---\n{tail}"


@pytest.fixture(scope="module")
def demo_output() -> str:
    """Run the README's first command (the demo), whose data the pages use; return what it printed."""
    completed = subprocess.run(["bash", "-c", "python3 run.py demo"], cwd=ROOT, env=user_environment(),
                               capture_output=True, text=True, timeout=BLOCK_TIMEOUT, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def test_the_readme_starts_with_the_two_quickstart_commands():
    first = next(block for block in code_blocks(ROOT / "README.md"))
    commands = [line.split("#")[0].strip() for line in first.code.splitlines() if line.strip()]
    assert commands == ["python3 run.py demo", "python3 run.py test"]


@pytest.mark.parametrize("page", PAGES, ids=[str(page.relative_to(ROOT)) for page in PAGES])
def test_every_command_of_the_page_runs(page, demo_output, tmp_path):
    blocks = [block for block in code_blocks(page) if block.language in RUN_LANGUAGES]
    runnable = [block for block in blocks if block.skip_reason is None]
    if not runnable:
        pytest.skip(f"{page.name} shows no command to run ({len(blocks)} skipped by a skip-test marker)")
    before = git_changes()
    for block in runnable:
        completed = run_block(block, tmp_path)
        if completed.returncode != 0:
            pytest.fail(explain(block, completed), pytrace=False)
        after = git_changes()
        if before is not None and after is not None and after - before:
            pytest.fail(f"{block.where}: left files outside work/: {sorted(after - before)}", pytrace=False)


def test_every_command_the_demo_prints_runs(demo_output, tmp_path):
    commands = [line[2:] for line in demo_output.splitlines() if line.startswith("$ ")]
    for command in commands:
        completed = subprocess.run(["bash", "-e", "-c", command], cwd=ROOT, env=user_environment(),
                                   capture_output=True, text=True, timeout=BLOCK_TIMEOUT,
                                   stdin=subprocess.DEVNULL)
        assert completed.returncode == 0, f"$ {command}\n{completed.stdout}{completed.stderr}"


def test_the_parser_finds_fences_languages_and_skip_markers(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n```bash\necho one\n```\n\n<!-- skip-test: needs MOT16 -->\n```bash\nfalse\n```\n\n"
        "1. a list item\n\n   ```python\n   print('indented')\n   ```\n\n```\noutput, not run\n```\n"
        "```console\n$ echo two \\\n    three\ntwo three\n```\n",
        encoding="utf-8")
    blocks = code_blocks(page)
    assert [(block.language, block.skip_reason) for block in blocks] == [
        ("bash", None), ("bash", "needs MOT16"), ("python", None), ("", None), ("console", None)]
    assert blocks[2].code == "print('indented')\n"
    assert console_commands(blocks[4].code) == "echo two \\\n    three\n"
