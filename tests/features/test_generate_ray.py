"""tools/generate_detections.py --executor ray: one Ray task per sequence, the same files as a local run."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from deep_sort.app.cli import run_main
from deep_sort.features.distributed import uses_gpu
from deep_sort.app.generate_detections import main

pytest.importorskip("onnxruntime")
pytest.importorskip("onnx")
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_ray_tasks_write_the_local_files(local_ray, mot_split, tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "online"))  # the tiny ONNX model of the online API's tests
    from online_helpers import write_tiny_onnx

    model = write_tiny_onnx(tmp_path / "tiny.onnx")
    outputs = {}
    for executor in ("local", "ray"):
        output_dir = tmp_path / executor
        argv = ["--model", str(model), "--mot_dir", str(mot_split), "--output_dir", str(output_dir),
                "--backend", "onnxruntime", "--batch_size", "3", "--quiet", "--executor", executor]
        assert run_main(main, argv) == 0
        outputs[executor] = {path.name: np.load(path) for path in sorted(output_dir.glob("*.npy"))}
    assert list(outputs["ray"]) == ["SEQ-A.npy", "SEQ-B.npy"]
    for name, array in outputs["local"].items():
        np.testing.assert_array_equal(outputs["ray"][name], array)


def test_ray_address_needs_the_ray_executor(mot_split, tmp_path, capsys):
    argv = ["--model", str(tmp_path / "missing.onnx"), "--mot_dir", str(mot_split), "--output_dir",
            str(tmp_path / "out"), "--ray_address", "auto", "--quiet"]
    (tmp_path / "missing.onnx").write_bytes(b"x")
    assert run_main(main, argv) == 2
    assert capsys.readouterr().err == "error: --ray_address needs --executor ray\n"


@pytest.mark.parametrize(
    "model, backend, expected",
    [("m.onnx", "auto", False), ("m.pb", "tensorflow", True), ("m.pb", "openvino", False)],
)
def test_gpu_requested_only_for_tensorflow(model, backend, expected):
    assert uses_gpu(model, backend) is expected
