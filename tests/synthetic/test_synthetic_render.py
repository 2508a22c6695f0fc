"""render_frame: image format, people drawn at their gt boxes far to near; lazy OpenCV import."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from deep_sort.synthetic.render import _background, render_frame


def fully_visible_rows(scene, frame_idx):
    width, height = scene.image_size
    rows = scene.frame_groundtruth(frame_idx)
    inside = (rows[:, 2] >= 0) & (rows[:, 3] >= 0)
    inside &= (rows[:, 2] + rows[:, 4] <= width) & (rows[:, 3] + rows[:, 5] <= height)
    return rows[(rows[:, 8] == 1.0) & inside & (rows[:, 5] >= 60)]


def test_frame_shape_and_determinism(small_scene):
    image = render_frame(small_scene, 1)
    assert image.shape == (540, 960, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(render_frame(small_scene, 1), image)
    assert not np.array_equal(render_frame(small_scene, 40), image)


def test_person_pixels_appear_inside_its_gt_box(small_scene):
    frame_idx = 20
    image = render_frame(small_scene, frame_idx).astype(int)
    changed = np.any(image != _background(small_scene), axis=2)
    rows = fully_visible_rows(small_scene, frame_idx)
    assert len(rows) > 0
    for row in rows:
        left, top, width, height = row[2:6]
        box = changed[int(top):int(top + height), int(left):int(left + width)]
        assert box.mean() > 0.4
        # The torso centre shows this identity's torso colour.
        torso = image[int(top + 0.35 * height), int(left + 0.5 * width)]
        np.testing.assert_array_equal(torso, small_scene.identity_colors[int(row[1]), 2])
    # Nothing is drawn far away from every person (shadows reach a bit below the feet).
    all_rows = small_scene.frame_groundtruth(frame_idx)
    near_someone = np.zeros_like(changed)
    for left, top, width, height in all_rows[:, 2:6]:
        near_someone[max(int(top) - 2, 0):int(top + 1.1 * height) + 3,
                     max(int(left) - 2, 0):int(left + width) + 3] = True
    assert not np.any(changed & ~near_someone)


def test_nearer_people_are_drawn_over_farther_ones(small_scene):
    # Find a frame where a fully visible person's torso centre lies inside a
    # farther person's box: the pixel must show the nearer person.
    for frame_idx in range(1, small_scene.n_frames + 1):
        rows = small_scene.frame_groundtruth(frame_idx)
        for near in fully_visible_rows(small_scene, frame_idx):
            x = near[2] + 0.5 * near[4]
            y = near[3] + 0.35 * near[5]
            behind = rows[(rows[:, 3] + rows[:, 5] < near[3] + near[5])
                          & (rows[:, 2] <= x) & (x < rows[:, 2] + rows[:, 4])
                          & (rows[:, 3] <= y) & (y < rows[:, 3] + rows[:, 5])]
            if len(behind):
                pixel = render_frame(small_scene, frame_idx)[int(y), int(x)]
                np.testing.assert_array_equal(pixel, small_scene.identity_colors[int(near[1]), 2])
                return
    pytest.fail("no overlapping pair in the scene")


@pytest.mark.parametrize("frame_idx", [0, 151])  # before the first / after the last frame
def test_frame_outside_the_sequence_is_rejected(small_scene, frame_idx):
    with pytest.raises(ValueError, match=r"frame_idx must be in \[1, 150\]"):
        render_frame(small_scene, frame_idx)


def test_import_does_not_load_opencv():
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    code = "import sys, deep_sort.synthetic; print('cv2' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root, env=env
    )
    assert result.stdout.strip() == "False"
