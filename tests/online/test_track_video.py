"""tools/track_video.py on a small synthetic video: results, rendered video, appearance sources, errors."""
from __future__ import annotations

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")

from online_helpers import scene_detection_rows, synthetic_scene, write_scene_video, write_tiny_onnx  # noqa: E402

from deep_sort import DeepSort  # noqa: E402
from deep_sort.app.cli import run_main  # noqa: E402
from deep_sort.app.track_video import main, open_video  # noqa: E402
from deep_sort.io.mot import load_detections, load_results  # noqa: E402

N_FRAMES = 24


@pytest.fixture(scope="module")
def scene():
    return synthetic_scene(N_FRAMES, seed=2, missing={9: {1}, 10: {1}})


@pytest.fixture(scope="module")
def video(tmp_path_factory, scene):
    return write_scene_video(tmp_path_factory.mktemp("video") / "scene.mp4", scene)


def write_detections(path, rows):
    if path.suffix == ".npy":
        np.save(path, rows)
    else:
        path.write_text("".join(",".join(f"{v:.6f}" for v in row) + "\n" for row in rows))
    return path


def expected_rows(scene, detections, **kwargs) -> np.ndarray:
    tracker = DeepSort(**kwargs)
    rows = []
    for frame_idx, frame in enumerate(scene, start=1):
        frame_rows = detections[detections[:, 0] == frame_idx]
        features = frame_rows[:, 10:] if detections.shape[1] > 10 else None
        rows.append(tracker.update(frame_rows[:, 2:6], frame_rows[:, 6], features=features).to_mot_rows(frame_idx))
    return np.concatenate(rows)


@pytest.mark.parametrize("suffix,with_features", [
    (".txt", False),  # det.txt: motion-only
    (".npy", True),  # descriptors from the file
])
def test_results_equal_the_api(tmp_path, scene, video, suffix, with_features):
    detections = scene_detection_rows(scene, with_features)
    det_path = write_detections(tmp_path / f"det{suffix}", detections)
    results = tmp_path / "out" / "results.txt"
    assert main(["--video", str(video), "--detections", str(det_path), "--results", str(results), "--quiet"]) == 0
    actual = load_results(results)
    expected = expected_rows(scene, load_detections(det_path))
    np.testing.assert_array_equal(actual[:, :2], expected[:, :2])
    np.testing.assert_allclose(actual[:, 2:6], expected[:, 2:6], atol=0.005 + 1e-9)
    assert set(actual[:, 1].astype(int)) == {1, 2, 3}


def test_rendered_video_and_model(tmp_path, scene, video, capsys):
    model = write_tiny_onnx(tmp_path / "tiny.onnx")
    detections = scene_detection_rows(scene)
    det_path = write_detections(tmp_path / "det.txt", detections)
    output, results = tmp_path / "tracked.mp4", tmp_path / "results.txt"
    argv = ["--video", str(video), "--detections", str(det_path), "--model", str(model),
            "--output", str(output), "--results", str(results), "--trail_length", "5", "--show_detections"]
    assert main(argv) == 0
    assert "tracked 24 frames" in capsys.readouterr().err
    with open_video(output) as (frames, fps, _):
        images = list(frames)
    assert len(images) == N_FRAMES and images[0].shape == (240, 320, 3) and fps == pytest.approx(10.0)
    # The model ran on the decoded frames: same as the API with the same encoder on them.
    tracker = DeepSort(encoder=model)
    expected = []
    with open_video(video) as (frames, _, _):
        for frame_idx, image in enumerate(frames, start=1):
            rows = detections[detections[:, 0] == frame_idx]
            expected.append(tracker.update(rows[:, 2:6], rows[:, 6], frame=image).to_mot_rows(frame_idx))
    np.testing.assert_array_equal(load_results(results)[:, :2], np.concatenate(expected)[:, :2])
    assert tracker.uses_appearance


def test_detections_after_the_last_frame_are_reported(tmp_path, scene, video, caplog):
    detections = scene_detection_rows(scene)
    late = detections[:2].copy()
    late[:, 0] = N_FRAMES + 5
    det_path = write_detections(tmp_path / "det.txt", np.concatenate([detections, late]))
    with caplog.at_level("WARNING"):
        assert main(["--video", str(video), "--detections", str(det_path), "--results",
                     str(tmp_path / "r.txt"), "--quiet"]) == 0
    assert "2 detection rows in frames after the video's last frame 24 were ignored" in caplog.text


@pytest.mark.parametrize("change,message", [
    ({"--video": "missing.mp4"}, "video file does not exist"),  # no video
    ({"--video": "not_a_video.mp4"}, "OpenCV cannot open this video"),  # garbage video
    ({"--video": "det.txt"}, "this is a text file, not a video"),  # FFmpeg would render the text as frames
    ({"--video": "empty.mp4"}, "video file is empty"),  # empty file
    ({"--detections": "missing.txt"}, "detection file does not exist"),  # no detections
    ({"--model": "missing.onnx"}, "model file does not exist"),  # no model
    ({"--output": "out.gif"}, "unsupported video file extension '.gif'"),  # bad container
    ({"--min_confidence": "nan"}, "min_confidence must be a finite number"),  # bad option
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, scene, video, capsys, change, message):
    det_path = write_detections(tmp_path / "det.txt", scene_detection_rows(scene))
    (tmp_path / "not_a_video.mp4").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "empty.mp4").write_bytes(b"")
    options = {"--video": str(video), "--detections": str(det_path), "--results": str(tmp_path / "r.txt")}
    options.update({k: (v if k.startswith("--min") else str(tmp_path / v)) for k, v in change.items()})
    argv = [item for pair in options.items() for item in pair] + ["--quiet"]
    assert run_main(main, argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r.txt").exists()


def test_nothing_to_write_is_a_usage_error(tmp_path, video, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--video", str(video), "--detections", str(tmp_path / "det.txt")])
    assert exit_info.value.code == 2
    assert "nothing to write" in capsys.readouterr().err
