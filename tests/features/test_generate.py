"""generate_detections: per-sequence .npy files, row order, resume, failures, CLI errors."""
from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from feature_helpers import detection_rows, run_graph, spec_patch

from deep_sort.app.cli import run_main
from deep_sort.app.generate_detections import main

pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parents[2]


def generate(mot_split: Path, model: Path, output_dir: Path, *options: str) -> int:
    argv = ["--model", str(model), "--mot_dir", str(mot_split), "--output_dir", str(output_dir),
            "--backend", "tensorflow", "--batch_size", "3", "--quiet", *options]
    return run_main(main, argv)


def expected_output(sequence_dir: Path, model: Path) -> np.ndarray:
    """det.txt rows + descriptors computed frame by frame from SPEC crops (zeros without patch)."""
    rows = np.loadtxt(sequence_dir / "det" / "det.txt", delimiter=",", ndmin=2)
    features = np.zeros((len(rows), 128), np.float32)
    for i, row in enumerate(rows):
        image = cv2.imread(str(sequence_dir / "img1" / f"{int(row[0]):06d}.jpg"))
        patch = spec_patch(image, row[2:6])
        if patch is not None:
            features[i] = run_graph(model, patch[None])[0]
    return np.hstack([rows, features])


def test_descriptors_follow_det_rows_in_file_order(mot_split, frozen_model, tmp_path, caplog):
    output_dir = tmp_path / "detections"
    with caplog.at_level(logging.WARNING):
        assert generate(mot_split, frozen_model, output_dir) == 0
    assert sorted(path.name for path in output_dir.iterdir()) == ["SEQ-A.npy", "SEQ-B.npy", "provenance.json"]
    for name, n_rows in (("SEQ-A", 9), ("SEQ-B", 3)):
        output = np.load(output_dir / f"{name}.npy")
        assert output.shape == (n_rows, 138) and output.dtype == np.float64
        expected = expected_output(mot_split / name, frozen_model)
        np.testing.assert_array_equal(output[:, :10], expected[:, :10])  # same rows, same order
        np.testing.assert_allclose(output[:, 10:], expected[:, 10:], atol=1e-5)
        norms = np.linalg.norm(output[:, 10:], axis=1)
        assert np.all((np.abs(norms - 1.0) < 1e-5) | (norms == 0.0))
    seq_a = np.load(output_dir / "SEQ-A.npy")
    assert seq_a[0, 0] == 3  # frame 3 comes first in that det.txt
    zero_rows = np.flatnonzero(np.linalg.norm(seq_a[:, 10:], axis=1) == 0)
    assert zero_rows.tolist() == [5, 7]  # the box outside the image, the last-column box
    assert "SEQ-A: 2 of 9 boxes have no pixels in the image" in caplog.text


def test_existing_outputs_are_skipped_unless_overwrite(mot_split, frozen_model, tmp_path, capsys, caplog):
    output_dir = tmp_path / "detections"
    assert generate(mot_split, frozen_model, output_dir, "--sequences", "SEQ-B") == 0
    assert sorted(path.name for path in output_dir.iterdir()) == ["SEQ-B.npy", "provenance.json"]
    before = (output_dir / "SEQ-B.npy").stat().st_mtime_ns
    assert generate(mot_split, frozen_model, output_dir) == 0  # resumes: SEQ-A only
    assert (output_dir / "SEQ-B.npy").stat().st_mtime_ns == before
    assert np.load(output_dir / "SEQ-A.npy").shape == (9, 138)
    # A file that is not the one written is not trusted: encoded again.
    np.save(output_dir / "SEQ-B.npy", np.zeros((1, 138)))
    assert generate(mot_split, frozen_model, output_dir) == 0
    assert "SEQ-B: encoding again" in caplog.text and "changed after it was written" in caplog.text
    assert np.load(output_dir / "SEQ-B.npy").shape == (3, 138)
    np.save(output_dir / "SEQ-B.npy", np.zeros((1, 138)))
    assert generate(mot_split, frozen_model, output_dir, "--overwrite", "--sequences", "SEQ-B") == 0
    assert np.load(output_dir / "SEQ-B.npy").shape == (3, 138)
    capsys.readouterr()
    argv = ["--model", str(frozen_model), "--mot_dir", str(mot_split), "--output_dir", str(output_dir)]
    assert run_main(main, argv) == 0
    assert "nothing to do" in capsys.readouterr().err
    assert not list(output_dir.glob(".*"))  # no temporary files left behind


def test_detection_dir_replaces_det_files(mot_split, frozen_model, tmp_path):
    custom = tmp_path / "custom" / "SEQ-B" / "det"
    custom.mkdir(parents=True)
    rows = detection_rows({2: [(5.0, 5.0, 20.0, 50.0)], 1: [(40.0, 30.0, 25.0, 60.0)]})
    np.savetxt(custom / "det.txt", rows, delimiter=",", fmt="%g")
    output_dir = tmp_path / "detections"
    assert generate(mot_split, frozen_model, output_dir, "--detection_dir", str(tmp_path / "custom")) == 0
    # Only SEQ-B has custom detections; SEQ-A is skipped with a warning.
    assert sorted(path.name for path in output_dir.iterdir()) == ["SEQ-B.npy", "provenance.json"]
    output = np.load(output_dir / "SEQ-B.npy")
    np.testing.assert_array_equal(output[:, :10], rows)
    shutil.copy(custom / "det.txt", mot_split / "SEQ-B" / "det" / "det.txt")
    np.testing.assert_allclose(output, expected_output(mot_split / "SEQ-B", frozen_model), atol=1e-5)


def test_missing_image_is_an_error_naming_the_frame(mot_split, frozen_model, tmp_path, capsys):
    (mot_split / "SEQ-A" / "img1" / "000002.jpg").unlink()
    output_dir = tmp_path / "detections"
    assert generate(mot_split, frozen_model, output_dir) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {mot_split / 'SEQ-A'}: no image for frame 2, which has detections")
    assert error.count("\n") == 1
    assert not output_dir.exists()  # checked before any work


def test_skip_missing_images_gives_zero_descriptors(mot_split, frozen_model, tmp_path, caplog):
    (mot_split / "SEQ-A" / "img1" / "000002.jpg").unlink()
    output_dir = tmp_path / "detections"
    with caplog.at_level(logging.WARNING):
        assert generate(mot_split, frozen_model, output_dir, "--skip_missing_images") == 0
    output = np.load(output_dir / "SEQ-A.npy")
    frame_2 = output[:, 0] == 2
    assert frame_2.sum() == 2 and np.all(output[frame_2, 10:] == 0)
    assert np.all(np.linalg.norm(output[output[:, 0] == 3, 10:], axis=1) > 0.99)
    assert "SEQ-A: 2 of 9 detections are in frames without an image" in caplog.text


def test_unreadable_image_is_a_one_line_error(mot_split, frozen_model, tmp_path, capsys):
    bad = mot_split / "SEQ-A" / "img1" / "000003.jpg"
    bad.write_text("not a jpeg")
    output_dir = tmp_path / "detections"
    assert generate(mot_split, frozen_model, output_dir) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1] == f"error: {bad}: cannot decode image (frame 3 of SEQ-A)"
    assert not (output_dir / "SEQ-A.npy").exists()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--model", "{tmp}/none.pb"], "error: {tmp}/none.pb: model file does not exist"),
        (["--input_name", "pixels"], "no input tensor named 'pixels'"),
        (["--sequences", "SEQ-Z"], "no sequence directory SEQ-Z"),
        (["--batch_size", "0"], "--batch_size: expected a number >= 1, got 0"),
        (["--mot_dir", "{tmp}/nowhere"], "error: {tmp}/nowhere: --mot_dir is not a directory"),
    ],
    ids=["missing model", "wrong input name", "unknown sequence", "batch size", "missing split"],
)
def test_bad_inputs_are_one_line_errors(mot_split, frozen_model, tmp_path, capsys, options, message):
    options = [option.replace("{tmp}", str(tmp_path)) for option in options]
    assert generate(mot_split, frozen_model, tmp_path / "out", *options) == 2
    error = capsys.readouterr().err
    assert message.replace("{tmp}", str(tmp_path)) in error
    assert error.count("\n") == 1 and "Traceback" not in error


@pytest.mark.parametrize("hint", ["THROUGHPUT", "LATENCY"])
def test_openvino_backend_gives_the_same_file(mot_split, frozen_model, tmp_path, hint):
    pytest.importorskip("openvino")
    assert generate(mot_split, frozen_model, tmp_path / "tf", "--sequences", "SEQ-A") == 0
    assert generate(mot_split, frozen_model, tmp_path / "ov", "--sequences", "SEQ-A", "--backend", "openvino",
                    "--openvino_hint", hint) == 0
    tf_output, ov_output = (np.load(tmp_path / name / "SEQ-A.npy") for name in ("tf", "ov"))
    np.testing.assert_array_equal(ov_output[:, :10], tf_output[:, :10])
    np.testing.assert_allclose(ov_output[:, 10:], tf_output[:, 10:], atol=1e-4)


def test_tool_script_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_detections.py"), "--help"],
        capture_output=True, text=True, check=True,
    )
    assert "--skip_missing_images" in result.stdout


def test_asynchronous_openvino_requests_fill_rows_in_order(mot_split, frozen_model, tf_encoder):
    pytest.importorskip("openvino")
    from deep_sort.features.encoder import OpenVINOEncoder
    from deep_sort.features.generate import encode_sequence, plan_sequences

    encoder = OpenVINOEncoder(frozen_model, batch_size=2, performance_hint="THROUGHPUT")
    jobs, _ = plan_sequences(mot_split, mot_split / "unused", sequences=["SEQ-A"])
    done = []
    features, report = encode_sequence(jobs[0], encoder, progress=done.append)
    reference, _ = encode_sequence(jobs[0], tf_encoder)
    assert sum(done) == report.n_detections == 9 and report.n_empty_patches == 2
    np.testing.assert_allclose(features, reference, atol=1e-4)


def test_onnx_model_runs_with_the_onnxruntime_backend(mot_split, tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    sys.path.insert(0, str(ROOT / "tests" / "online"))  # the tiny ONNX model of the online API's tests
    from online_helpers import tiny_reference_features, write_tiny_onnx

    model = write_tiny_onnx(tmp_path / "tiny.onnx")
    argv = ["--model", str(model), "--mot_dir", str(mot_split), "--output_dir", str(tmp_path / "out"),
            "--sequences", "SEQ-A", "--backend", "onnxruntime", "--batch_size", "3", "--quiet"]
    assert run_main(main, argv) == 0
    output = np.load(tmp_path / "out" / "SEQ-A.npy")
    rows = np.loadtxt(mot_split / "SEQ-A" / "det" / "det.txt", delimiter=",", ndmin=2)
    np.testing.assert_array_equal(output[:, :10], rows)
    for row, descriptor in zip(rows, output[:, 10:]):
        image = cv2.imread(str(mot_split / "SEQ-A" / "img1" / f"{int(row[0]):06d}.jpg"))
        patch = spec_patch(image, row[2:6])
        expected = np.zeros(128, np.float32) if patch is None else tiny_reference_features(patch[None])[0]
        np.testing.assert_allclose(descriptor, expected, atol=1e-5)


def test_onnxruntime_backend_refuses_a_frozen_graph(mot_split, frozen_model, tmp_path, capsys):
    argv = ["--model", str(frozen_model), "--mot_dir", str(mot_split), "--output_dir", str(tmp_path / "out"),
            "--backend", "onnxruntime", "--quiet"]
    assert run_main(main, argv) == 2
    error = capsys.readouterr().err
    assert "reads .onnx models only" in error and error.count("\n") == 1


@pytest.mark.parametrize("backend", ["tensorflow", "openvino"])
def test_frameworks_print_nothing_of_their_own(mot_split, frozen_model, tmp_path, backend):
    # TensorFlow's start-up notices and OpenVINO's conversion output bypass Python's
    # logging; a user sees only the tool's own closing line.
    pytest.importorskip(backend)
    completed = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "generate_detections.py"), "--model", str(frozen_model),
         "--mot_dir", str(mot_split), "--output_dir", str(tmp_path / "out"), "--backend", backend, "--quiet"],
        capture_output=True, text=True, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == ""
    *warnings, closing = completed.stderr.splitlines()
    assert closing.startswith(f"wrote 2 detection file(s) (SEQ.npy) to {tmp_path / 'out'}") and backend in closing
    # The split has boxes outside the image: the tool's own warning about them is all there is besides.
    assert warnings and all(line.startswith("WARNING: SEQ-A: ") for line in warnings), warnings
