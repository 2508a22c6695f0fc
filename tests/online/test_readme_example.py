"""docs/api.md, the online API: its examples run and print what the page shows."""
from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest

from online_helpers import synthetic_scene, write_scene_video, write_tiny_onnx
from support import ROOT

from deep_sort.boxes import tlwh_to_tlbr
from deep_sort.io.mot import load_results

#: The page of the online API; its examples are the ones users copy.
PAGE = ROOT / "docs" / "api.md"
MODEL_IN_EXAMPLES = "resources/networks/mars-small128.pb"


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def run(code: str, namespace: dict | None = None) -> str:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        exec(compile(code, "<README example>", "exec"), {"__name__": "__readme__", **(namespace or {})})
    return stdout.getvalue()


def test_synthetic_example_prints_what_the_readme_shows(tmp_path, monkeypatch):
    blocks = fenced_blocks(page_text())
    (language, example), (_, shown_output) = blocks[0], blocks[1]
    assert language == "python"
    monkeypatch.chdir(tmp_path)
    assert run(example) == shown_output


def test_video_loop_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("cv2")
    pytest.importorskip("onnxruntime")
    examples = [code for language, code in fenced_blocks(page_text())
                if language == "python" and "cv2.VideoCapture" in code]
    assert len(examples) == 1
    scene = synthetic_scene(15)
    monkeypatch.chdir(tmp_path)
    write_scene_video(tmp_path / "input.mp4", scene)
    model = write_tiny_onnx(tmp_path / "tiny.onnx")
    calls = iter(scene)

    def my_detector(frame):
        detections = next(calls)
        return tlwh_to_tlbr(detections.tlwh), detections.scores, np.zeros(len(detections.tlwh), int)

    run(examples[0].replace(MODEL_IN_EXAMPLES, str(model)), {"my_detector": my_detector})
    results = load_results(tmp_path / "results.txt")
    assert set(results[:, 1].astype(int)) == {1, 2, 3} and results[:, 0].max() == 15


def test_every_python_example_compiles():
    blocks = [code for language, code in fenced_blocks(page_text()) if language == "python"]
    assert len(blocks) >= 3
    for code in blocks:
        compile(code, "<README example>", "exec")
