"""generate_scene: determinism, row formats, detector model, descriptors, presets, validation."""
from __future__ import annotations

import numpy as np
import pytest
from synthetic_helpers import tiny_config

from deep_sort.synthetic import SceneConfig, generate_scene, scene_statistics
from deep_sort.synthetic.scene import _occlusion


def assert_scenes_equal(a, b) -> None:
    for name in ("gt", "detections", "features", "detection_identity", "gt_gait",
                 "identity_colors", "identity_appearance", "look_alike_of"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_same_seed_gives_identical_arrays(tiny_scene):
    assert_scenes_equal(generate_scene(tiny_config()), tiny_scene)


def test_different_seed_gives_a_different_scene(tiny_scene):
    other = generate_scene(tiny_config(seed=8))
    assert other.gt.shape != tiny_scene.gt.shape or not np.array_equal(other.gt, tiny_scene.gt)
    assert other.detections.shape != tiny_scene.detections.shape or not np.array_equal(
        other.detections, tiny_scene.detections
    )


def test_detector_parameters_keep_the_same_people(tiny_scene):
    other = generate_scene(tiny_config(miss_probability=0.5, box_noise=0.1))
    np.testing.assert_array_equal(other.gt, tiny_scene.gt)
    assert not np.array_equal(other.detections, tiny_scene.detections)


def test_shapes_and_dtypes(tiny_scene):
    n_gt, n_det = len(tiny_scene.gt), len(tiny_scene.detections)
    assert n_gt > 0 and n_det > 0
    assert tiny_scene.gt.shape == (n_gt, 9) and tiny_scene.gt.dtype == np.float64
    assert tiny_scene.detections.shape == (n_det, 10) and tiny_scene.detections.dtype == np.float64
    assert tiny_scene.features.shape == (n_det, 32) and tiny_scene.features.dtype == np.float32
    assert tiny_scene.detection_identity.shape == (n_det,)
    assert tiny_scene.detection_identity.dtype == np.int64
    assert tiny_scene.gt_gait.shape == (n_gt,)
    n_ids = tiny_scene.n_identities
    assert tiny_scene.identity_colors.shape == (n_ids + 1, 4, 3)
    assert tiny_scene.identity_appearance.shape == (n_ids + 1, 32)
    assert tiny_scene.detection_array().shape == (n_det, 42)


def test_features_have_unit_norm(tiny_scene):
    np.testing.assert_allclose(np.linalg.norm(tiny_scene.features, axis=1), 1.0, atol=1e-5)


def test_groundtruth_rows(tiny_scene):
    gt = tiny_scene.gt
    width, height = tiny_scene.image_size
    frames, ids = gt[:, 0], gt[:, 1]
    assert frames.min() >= 1 and frames.max() <= tiny_scene.n_frames
    # Sorted by frame, then id; one row per id and frame.
    assert np.all(np.lexsort((ids, frames)) == np.arange(len(gt)))
    assert len(np.unique(gt[:, :2], axis=0)) == len(gt)
    assert np.all(gt[:, 6] == 1) and np.all(gt[:, 7] == 1)
    assert np.all((gt[:, 8] >= 0) & (gt[:, 8] <= 1))
    assert np.all((gt[:, 4] > 0) & (gt[:, 5] > 0))
    # Nobody entirely outside the image; ids numbered 1..K by first appearance.
    assert np.all((gt[:, 2] < width) & (gt[:, 2] + gt[:, 4] > 0))
    assert np.all((gt[:, 3] < height) & (gt[:, 3] + gt[:, 5] > 0))
    _, first_rows = np.unique(ids, return_index=True)
    assert np.array_equal(ids[np.sort(first_rows)], np.arange(1, tiny_scene.n_identities + 1))


def test_detection_rows(tiny_scene):
    det = tiny_scene.detections
    width, height = tiny_scene.image_size
    assert np.all(np.diff(det[:, 0]) >= 0)
    assert det[:, 0].min() >= 1 and det[:, 0].max() <= tiny_scene.n_frames
    assert np.all(det[:, 1] == -1) and np.all(det[:, 7:] == -1)
    assert np.all((det[:, 6] >= 0) & (det[:, 6] <= 1))
    # Detections are clipped to the image.
    assert np.all((det[:, 2] >= 0) & (det[:, 3] >= 0) & (det[:, 4] > 0) & (det[:, 5] > 0))
    assert np.all(det[:, 2] + det[:, 4] <= width + 0.01)
    assert np.all(det[:, 3] + det[:, 5] <= height + 0.01)
    # Every true detection points at a person in view in that frame.
    gt_keys = {(int(f), int(i)) for f, i in tiny_scene.gt[:, :2]}
    true = tiny_scene.detection_identity >= 0
    assert all((int(f), int(i)) in gt_keys
               for f, i in zip(det[true, 0], tiny_scene.detection_identity[true]))
    assert (~true).any() and true.any()


def test_confidences_separate_true_detections_from_false_positives(small_scene):
    true = small_scene.detection_identity >= 0
    conf = small_scene.detections[:, 6]
    assert np.median(conf[true]) > 0.6 > np.median(conf[~true])


def test_perfect_detector_reports_every_visible_person_at_its_box():
    scene = generate_scene(tiny_config(
        miss_probability=0.0, occlusion_miss_probability=0.0, box_noise=0.0,
        false_positives_per_frame=0.0, duplicate_probability=0.0,
    ))
    gt = scene.gt[scene.gt[:, 8] >= 0.1]
    width, height = scene.image_size
    left, top = np.clip(gt[:, 2], 0, width), np.clip(gt[:, 3], 0, height)
    right = np.clip(gt[:, 2] + gt[:, 4], 0, width)
    bottom = np.clip(gt[:, 3] + gt[:, 5], 0, height)
    big_enough = (right - left >= 2.01) & (bottom - top >= 4.01)
    expected = {(int(f), int(i)): (l, t, r - l, b - t) for f, i, l, t, r, b, ok
                in zip(gt[:, 0], gt[:, 1], left, top, right, bottom, big_enough) if ok}
    got = {(int(row[0]), int(i)): tuple(row[2:6])
           for row, i in zip(scene.detections, scene.detection_identity)}
    assert np.all(scene.detection_identity >= 0)
    assert expected.keys() <= got.keys() and len(got) - len(expected) <= 0.02 * len(got)
    for key, box in expected.items():
        np.testing.assert_allclose(got[key], box, atol=0.011)


def test_descriptors_resemble_their_identity(small_scene):
    appearance = small_scene.identity_appearance
    ids = small_scene.detection_identity
    true = ids >= 0
    own = np.sum(small_scene.features[true] * appearance[ids[true]], axis=1)
    shifted = np.sum(small_scene.features[true] * appearance[np.roll(ids[true], 7)], axis=1)
    assert np.median(own) > 0.85
    assert np.mean(own > shifted + 0.3) > 0.8


def test_look_alikes_have_similar_appearance():
    scene = generate_scene(tiny_config(look_alike_fraction=1.0, look_alike_similarity=0.9))
    copies = np.flatnonzero(scene.look_alike_of)
    assert len(copies) > 0
    templates = scene.look_alike_of[copies]
    assert np.all(scene.look_alike_of[templates] == 0)
    similarity = np.sum(scene.identity_appearance[copies] * scene.identity_appearance[templates], axis=1)
    np.testing.assert_allclose(similarity, 0.9, atol=1e-4)


def test_people_count_hovers_around_the_target(small_scene):
    per_frame = np.bincount(small_scene.gt[:, 0].astype(int), minlength=small_scene.n_frames + 1)[1:]
    assert 7.0 < per_frame.mean() < 13.0
    assert per_frame.min() >= 3


def test_nearly_empty_scene_is_still_well_formed():
    scene = generate_scene(tiny_config(n_people=0.01, false_positives_per_frame=0.0, n_frames=5))
    assert scene.gt.shape[1] == 9 and scene.detections.shape[1] == 10
    assert scene.features.shape == (len(scene.detections), 32)


@pytest.mark.parametrize("tlwh,foot,visibility,occluder,cover", [
    ([[10, 10, 20, 40]], [50], [1.0], [-1], [0.0]),  # alone, inside the image
    ([[-10, 10, 20, 40]], [50], [0.5], [-1], [0.0]),  # half beyond the left border
    ([[10, 10, 20, 40], [20, 10, 20, 50]], [50, 60], [0.5, 1.0], [1, -1], [0.5, 0.0]),  # right half hidden
    ([[10, 10, 20, 40], [0, 0, 60, 80]], [50, 80], [0.0, 1.0], [1, -1], [1.0, 0.0]),  # fully hidden
    # The first box is nearer now: it hides 5 of 10 columns and 16 of 20 rows of the second.
    ([[10, 10, 20, 40], [20, 10, 20, 50]], [70, 60], [1.0, 0.6], [-1, 0], [0.0, 0.4]),
    # Same foot row: the larger id counts as nearer.
    ([[10, 10, 20, 40], [10, 10, 20, 40]], [50, 50], [0.0, 1.0], [1, -1], [1.0, 0.0]),
])
def test_occlusion(tlwh, foot, visibility, occluder, cover):
    got_visibility, got_occluder, got_cover = _occlusion(
        np.array(tlwh, dtype=float), np.array(foot, dtype=float), np.arange(1, len(tlwh) + 1), (100, 100)
    )
    np.testing.assert_allclose(got_visibility, visibility)
    np.testing.assert_array_equal(got_occluder, occluder)
    np.testing.assert_allclose(got_cover, cover)


@pytest.mark.parametrize("factory,n_frames,gt_range,det_range", [
    (SceneConfig.small, 200, (8, 12), (7, 11)),  # documented: ~10 people, ~9 detections
    (SceneConfig.dense_mot16_04_like, 1050, (40, 50), (24, 32)),  # ~45 people, ~28 detections
    (SceneConfig.mot20_like, 300, (135, 165), (80, 110)),  # ~150 people, ~95 detections
])
def test_presets_give_the_documented_counts(factory, n_frames, gt_range, det_range):
    stats = scene_statistics(generate_scene(factory(n_frames=n_frames, seed=0)))
    assert gt_range[0] < stats["gt_per_frame"] < gt_range[1]
    assert det_range[0] < stats["detections_per_frame"] < det_range[1]


@pytest.mark.parametrize("changes,field", [
    ({"n_frames": 0}, "n_frames"),  # empty sequence
    ({"n_frames": 2.5}, "n_frames"),  # not a whole number
    ({"image_size": (32, 180)}, "image_size width"),  # too narrow
    ({"image_size": (320,)}, "image_size"),  # not a pair
    ({"n_people": 0}, "n_people"),  # nobody
    ({"frame_rate": -1}, "frame_rate"),  # negative
    ({"min_person_height": 4}, "min_person_height"),  # below 8 px
    ({"min_person_height": 90}, "min_person_height"),  # not below the largest person
    ({"max_person_height": 0.95}, "max_person_height"),  # taller than the image allows
    ({"aspect_ratio": 2}, "aspect_ratio"),  # wider than tall
    ({"walking_speed": float("nan")}, "walking_speed"),  # NaN
    ({"standing_fraction": 1.0}, "standing_fraction"),  # nobody would ever walk
    ({"miss_probability": 1.0}, "miss_probability"),  # never detected
    ({"occlusion_miss_probability": -0.1}, "occlusion_miss_probability"),  # negative
    ({"box_noise": 0.6}, "box_noise"),  # too noisy
    ({"false_positives_per_frame": -1}, "false_positives_per_frame"),  # negative
    ({"duplicate_probability": 1.5}, "duplicate_probability"),  # not a probability
    ({"true_confidence": (0, 1)}, "true_confidence a"),  # Beta parameter 0
    ({"false_positive_confidence": (1, -2)}, "false_positive_confidence b"),  # negative
    ({"feature_dim": 0}, "feature_dim"),  # no descriptor
    ({"feature_noise": "high"}, "feature_noise"),  # text
    ({"look_alike_fraction": 2}, "look_alike_fraction"),  # not a share
    ({"look_alike_similarity": 1.0}, "look_alike_similarity"),  # identical vectors
    ({"seed": -1}, "seed"),  # negative seed
    ({"seed": True}, "seed"),  # bool is not a seed
])
def test_invalid_config_raises_value_error_naming_the_range(changes, field):
    with pytest.raises(ValueError, match=field) as info:
        tiny_config(**changes)
    assert "[" in str(info.value) or "(" in str(info.value) or "pair" in str(info.value)


def test_replace_validates_again():
    with pytest.raises(ValueError, match=r"n_people must be a number in \(0, 2000\]"):
        tiny_config().replace(n_people=-3)
