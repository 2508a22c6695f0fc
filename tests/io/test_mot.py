"""MOT file readers: good files load, bad ones give one-line errors naming file and row."""
from __future__ import annotations

import re

import numpy as np
import pytest

from deep_sort.io import (
    MOTFormatError,
    atomic_write,
    format_results,
    frame_offsets,
    load_detections,
    load_groundtruth,
    load_results,
    read_sequence,
    write_results,
)

SEQINFO = """[Sequence]
name=TINY
imDir=img1
frameRate=25
seqLength=10
imWidth=320
imHeight=240
imExt=.jpg
"""
DET_ROWS = "1,-1,10,20,30,40,0.9,-1,-1,-1\n2,-1,12,20,30,40,0.8,-1,-1,-1\n"


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_sequence(tmp_path):
    write(tmp_path / "seqinfo.ini", SEQINFO)
    write(tmp_path / "det" / "det.txt", DET_ROWS)
    info = read_sequence(tmp_path)
    assert info.name == "TINY" and info.frame_rate == 25 and info.seq_length == 10
    assert info.image_size == (320, 240) and info.update_ms == 40
    assert info.image_filenames == {} and info.groundtruth_path is None
    assert info.detection_path == tmp_path / "det" / "det.txt"


def test_read_sequence_lists_images_by_frame(tmp_path):
    write(tmp_path / "seqinfo.ini", SEQINFO)
    for frame in (2, 1, 10):
        write(tmp_path / "img1" / f"{frame:06d}.jpg", "")
    write(tmp_path / "img1" / "notes.txt", "")
    info = read_sequence(tmp_path)
    assert list(info.image_filenames) == [1, 2, 10]


@pytest.mark.parametrize("text,problem", [
    (SEQINFO.replace("frameRate=25\n", ""), "misses key(s) frameRate"),  # missing key
    (SEQINFO.replace("seqLength=10", "seqLength=ten"), "not a number"),  # text where a number belongs
    (SEQINFO.replace("imWidth=320", "imWidth=-320"), "must be positive"),  # negative size
    ("[Other]\nname=x\n", "no [Sequence] section"),  # wrong section
    ("name=x\n", "not a valid INI file"),  # no section header at all
])
def test_bad_seqinfo(tmp_path, text, problem):
    write(tmp_path / "seqinfo.ini", text)
    with pytest.raises(MOTFormatError, match=re.escape(problem)) as info:
        read_sequence(tmp_path)
    assert str(tmp_path / "seqinfo.ini") in str(info.value) and "\n" not in str(info.value)


def test_missing_sequence_dir(tmp_path):
    with pytest.raises(MOTFormatError, match="does not exist"):
        read_sequence(tmp_path / "nope")


def test_load_detections_text_and_npy(tmp_path):
    rows = load_detections(write(tmp_path / "det.txt", DET_ROWS))
    assert rows.shape == (2, 10) and rows.dtype == np.float64
    for dtype in (np.float32, np.float64):
        array = np.hstack([rows, np.ones((2, 128))]).astype(dtype)
        np.save(tmp_path / "d.npy", array)
        loaded = load_detections(tmp_path / "d.npy")
        assert loaded.dtype == dtype and loaded.shape == (2, 138)


@pytest.mark.parametrize("text,problem", [
    ("", "is empty"),  # empty file
    ("1,-1,10,20,30,40,0.9\n", "7 columns per row, expected at least 10"),  # too few columns
    (DET_ROWS + "3,-1,10,20,30\n", "line 3: 5 columns, earlier rows have 10"),  # ragged row
    (DET_ROWS + "3,-1,abc,20,30,40,0.9,-1,-1,-1\n", "line 3: 'abc' is not a number"),  # text
    (DET_ROWS + "3,-1,nan,20,30,40,0.9,-1,-1,-1\n", "line 3: value nan is not finite"),  # NaN
    ("1.5,-1,10,20,30,40,0.9,-1,-1,-1\n", "line 1: frame number 1.5 is not a whole number"),  # frame
    ("0,-1,10,20,30,40,0.9,-1,-1,-1\n", "line 1: frame number 0 is below 1"),  # 0-based frame
    (DET_ROWS + "\n3,-1,10,20,0,40,0.9,-1,-1,-1\n", "line 4: width/height 0x40 must be positive"),  # size
])
def test_bad_detection_text(tmp_path, text, problem):
    path = write(tmp_path / "det.txt", text)
    with pytest.raises(MOTFormatError, match=re.escape(problem)) as info:
        load_detections(path)
    assert str(path) in str(info.value)


def test_bad_detection_npy(tmp_path):
    np.save(tmp_path / "short.npy", np.zeros((3, 6)))
    with pytest.raises(MOTFormatError, match=r"expected an N x \(10 \+ D\) array, got shape \(3, 6\)"):
        load_detections(tmp_path / "short.npy")
    bad = np.ones((2, 12))
    bad[1, 11] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(MOTFormatError, match="row 2: value nan is not finite"):
        load_detections(tmp_path / "nan.npy")
    (tmp_path / "garbage.npy").write_bytes(b"not numpy")
    with pytest.raises(MOTFormatError, match="cannot read detection file as .npy"):
        load_detections(tmp_path / "garbage.npy")
    with pytest.raises(MOTFormatError, match="does not exist"):
        load_detections(tmp_path / "missing.npy")


def test_unreadable_path(tmp_path):
    with pytest.raises(MOTFormatError, match="cannot read"):
        load_results(tmp_path)  # a directory


def test_groundtruth_and_results(tmp_path):
    gt = load_groundtruth(write(tmp_path / "gt.txt", "1,1,10,20,30,40,1,1,0.5\n"))
    assert gt.shape == (1, 9)
    assert load_results(write(tmp_path / "empty.txt", "")).shape == (0, 6)


def test_write_results_round_trip_and_format(tmp_path):
    rows = np.array([[1, 2, 10.004, 20.0, 30.5, 40.25]])
    write_results(tmp_path / "out" / "res.txt", rows)
    assert (tmp_path / "out" / "res.txt").read_text() == "1,2,10.00,20.00,30.50,40.25,1,-1,-1,-1\n"
    assert format_results(np.zeros((0, 6))) == ""


def test_atomic_write_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "res.txt"
    with pytest.raises(RuntimeError):
        with atomic_write(target) as handle:
            handle.write("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_frame_offsets_keep_file_order():
    frames = np.array([3, 1, 3, 2, 1])
    order, offsets = frame_offsets(frames)
    start, stop = offsets[3]
    assert order[start:stop].tolist() == [0, 2]
    assert order[slice(*offsets[1])].tolist() == [1, 4]
    assert 4 not in offsets


def test_results_accept_degenerate_boxes_like_the_official_kit(tmp_path):
    rows = load_results(write(tmp_path / "res.txt", "1,1,10,20,0,40,1,-1,-1,-1\n"))
    assert rows[0, 4] == 0


@pytest.mark.parametrize("make_array, dtype_name", [
    (lambda: np.ones((2, 12), dtype=bool), "bool"),  # booleans are no coordinates
    (lambda: np.ones((2, 12), dtype=np.complex128), "complex128"),  # complex numbers
    (lambda: np.full((2, 12), "1.0"), "<U3"),  # numbers stored as text
    (lambda: np.full((2, 12), b"1.0"), "|S3"),  # bytes
])
def test_detection_npy_of_a_non_numeric_dtype_is_rejected(tmp_path, make_array, dtype_name):
    path = tmp_path / "det.npy"
    np.save(path, make_array())
    with pytest.raises(MOTFormatError, match=re.escape(f"expected a float array, got dtype {dtype_name}")) as info:
        load_detections(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_detection_npy_of_integers_loads_as_float64(tmp_path):
    rows = np.array([[1, -1, 10, 20, 30, 40, 1, -1, -1, -1, 3, 4]], dtype=np.int32)
    np.save(tmp_path / "det.npy", rows)
    loaded = load_detections(tmp_path / "det.npy")
    assert loaded.dtype == np.float64 and loaded.tolist() == rows.astype(float).tolist()


def test_detection_npy_of_objects_is_rejected_without_unpickling(tmp_path):
    np.save(tmp_path / "det.npy", np.array([[1.0] * 12, [2.0] * 12], dtype=object), allow_pickle=True)
    with pytest.raises(MOTFormatError, match="cannot read detection file as .npy"):
        load_detections(tmp_path / "det.npy")


@pytest.mark.parametrize("key, value", [
    ("frameRate", "0"),  # a frame rate of zero: no time per frame
    ("seqLength", "0"),  # a sequence without frames
    ("imWidth", "0"),  # an image without pixels
    ("imHeight", "0"),
    ("frameRate", "-25"),  # negative
    ("frameRate", "inf"),  # not finite
    ("seqLength", "nan"),
])
def test_seqinfo_values_must_be_positive(tmp_path, key, value):
    text = re.sub(rf"^{key}=.*$", f"{key}={value}", SEQINFO, flags=re.MULTILINE)
    assert f"{key}={value}\n" in text
    write(tmp_path / "seqinfo.ini", text)
    with pytest.raises(MOTFormatError, match=re.escape(f"{key} = '{value}'")) as info:
        read_sequence(tmp_path)
    assert str(tmp_path / "seqinfo.ini") in str(info.value) and "\n" not in str(info.value)


def test_seqinfo_length_must_be_a_whole_number(tmp_path):
    write(tmp_path / "seqinfo.ini", SEQINFO.replace("seqLength=10", "seqLength=10.5"))
    with pytest.raises(MOTFormatError, match="seqLength = '10.5' is not a whole number"):
        read_sequence(tmp_path)
