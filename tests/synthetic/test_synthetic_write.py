"""Writing synthetic sequences: MOT layout, files readable by deep_sort.io, split, CLI."""
from __future__ import annotations

import configparser

import numpy as np
import pytest
from synthetic_helpers import tiny_config

from deep_sort.app.cli import run_main
from deep_sort.io import load_detections, load_groundtruth, read_sequence
from deep_sort.synthetic import (
    generate_scene,
    generate_split,
    sequence_seed,
    write_detection_npy,
    write_sequence,
)
from deep_sort.app.generate_synthetic import main


def test_written_sequence_layout_and_seqinfo(tiny_scene, tmp_path):
    calls = []
    sequence_dir = write_sequence(tiny_scene, tmp_path / "SYN-XX", progress=calls.append)
    assert sequence_dir == tmp_path / "SYN-XX"
    assert sorted(p.name for p in sequence_dir.iterdir()) == ["det", "gt", "img1", "seqinfo.ini"]
    images = sorted(p.name for p in (sequence_dir / "img1").iterdir())
    assert images == [f"{i:06d}.jpg" for i in range(1, 61)]
    assert calls == [1] * 60
    parser = configparser.ConfigParser()
    parser.optionxform = str
    parser.read(sequence_dir / "seqinfo.ini")
    assert dict(parser["Sequence"]) == {
        "name": "SYN-XX", "imDir": "img1", "frameRate": "30", "seqLength": "60",
        "imWidth": "320", "imHeight": "180", "imExt": ".jpg",
    }
    info = read_sequence(sequence_dir)
    assert info.name == "SYN-XX" and info.seq_length == 60 and info.image_size == (320, 180)
    assert list(info.image_filenames) == list(range(1, 61))
    assert not list(sequence_dir.rglob("*.tmp"))  # atomic writes left no temporary file


def test_written_rows_load_through_the_readers(tiny_scene, tmp_path):
    sequence_dir = write_sequence(tiny_scene, tmp_path / "seq", name="TINY", with_images=False)
    assert not (sequence_dir / "img1").exists()
    gt = load_groundtruth(sequence_dir / "gt" / "gt.txt")
    np.testing.assert_allclose(gt, tiny_scene.gt, atol=5e-4)
    det = load_detections(sequence_dir / "det" / "det.txt")
    np.testing.assert_allclose(det, tiny_scene.detections, atol=5e-5)
    text = (sequence_dir / "det" / "det.txt").read_text().splitlines()[0]
    assert text.count(".") == 5 and text.split(",")[1] == "-1"  # 2 decimals per box value, 4 for conf
    assert len(text.split(",")[6].split(".")[1]) == 4


def test_detection_npy_holds_rows_and_descriptors(tiny_scene, tmp_path):
    path = write_detection_npy(tiny_scene, tmp_path / "dets" / "TINY.npy")
    raw = np.load(path)
    assert raw.dtype == np.float32 and raw.shape == (len(tiny_scene.detections), 10 + 32)
    rows = load_detections(path)
    np.testing.assert_allclose(rows[:, :10], tiny_scene.detections, rtol=1e-6, atol=1e-3)
    np.testing.assert_array_equal(raw[:, 10:], tiny_scene.features)


def test_rewriting_removes_frames_of_an_earlier_longer_run(tmp_path):
    write_sequence(generate_scene(tiny_config(n_frames=8)), tmp_path / "seq")
    write_sequence(generate_scene(tiny_config(n_frames=5)), tmp_path / "seq")
    assert len(list((tmp_path / "seq" / "img1").iterdir())) == 5
    write_sequence(generate_scene(tiny_config(n_frames=5)), tmp_path / "seq", with_images=False)
    assert not (tmp_path / "seq" / "img1").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq"]  # no temporary directories left


def test_generate_split_names_seeds_and_detection_files(tmp_path):
    config = tiny_config(n_frames=10)
    paths = generate_split(tmp_path / "train", 2, config, with_images=False, detection_dir=tmp_path / "det")
    assert [p.name for p in paths] == ["SYN-01", "SYN-02"]
    assert sorted(p.name for p in (tmp_path / "det").iterdir()) == ["SYN-01.npy", "SYN-02.npy"]
    first = load_groundtruth(paths[0] / "gt" / "gt.txt")
    second = load_groundtruth(paths[1] / "gt" / "gt.txt")
    assert first.shape != second.shape or not np.array_equal(first, second)
    expected = generate_scene(config.replace(seed=sequence_seed(config.seed, 2)))
    np.testing.assert_allclose(second, expected.gt, atol=5e-4)
    assert sequence_seed(0, 1) != sequence_seed(0, 2) != sequence_seed(1, 2)


def test_cli_writes_sequences_and_detection_files(tmp_path, capsys):
    argv = ["--output_dir", str(tmp_path / "out"), "--detection_dir", str(tmp_path / "det"),
            "--sequences", "2", "--frames", "4", "--width", "320", "--height", "180",
            "--people", "4", "--seed", "3"]
    assert run_main(main, argv) == 0
    assert "wrote 2 sequence(s) of 4 frames (320x180)" in capsys.readouterr().err
    info = read_sequence(tmp_path / "out" / "SYN-02")
    assert info.seq_length == 4 and info.image_size == (320, 180) and len(info.image_filenames) == 4
    assert load_detections(tmp_path / "det" / "SYN-01.npy").shape[1] == 138


@pytest.mark.parametrize("option", ["--no_images", "--no-images"])  # the spelling of the tools, and its alias
def test_cli_without_images_and_quiet(tmp_path, capsys, option):
    argv = ["--output_dir", str(tmp_path), "--frames", "3", option, "--quiet", "--preset", "dense"]
    assert run_main(main, argv) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == f"wrote 1 sequence(s) of 3 frames (1920x1080) to {tmp_path}\n"
    info = read_sequence(tmp_path / "SYN-01")
    assert info.image_filenames == {} and info.image_size == (1920, 1080)


@pytest.mark.parametrize("option,value,message", [
    ("--people", "-1", "n_people must be a number in (0, 2000]"),  # negative crowd
    ("--width", "40", "image_size width must be an integer in [64, 16384]"),  # too small
    ("--jpeg_quality", "101", "jpeg_quality must be an integer in [0, 100]"),  # out of range
])
def test_cli_rejects_bad_parameters_with_one_line(tmp_path, capsys, option, value, message):
    argv = ["--output_dir", str(tmp_path / "out"), "--frames", "2", "--quiet", option, value]
    assert run_main(main, argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_cli_rejects_a_non_numeric_frame_count(tmp_path):
    with pytest.raises(SystemExit) as info:
        main(["--output_dir", str(tmp_path), "--frames", "many"])
    assert info.value.code == 2
