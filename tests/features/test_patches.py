"""Patch extraction: the SPEC.md section 6 crop, exactly as the published tool cuts it."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.features.patches import extract_image_patch, extract_image_patches, patch_regions

from feature_helpers import spec_patch, textured_image

IMAGE_SIZE = (160, 120)


@pytest.mark.parametrize(
    "tlwh, region",
    [
        ((10.0, 20.0, 30.0, 100.0), (0, 20, 50, 119)),  # widened about the centre to w = h / 2, bottom clipped
        ((50.0, 10.0, 40.0, 40.0), (60, 10, 80, 50)),  # narrowed: 40 wide -> 20
        ((10.7, 20.9, 20.0, 40.0), (10, 20, 30, 60)),  # corners truncated after adding w, h
        ((-30.5, -5.0, 20.0, 50.0), (0, 0, -8, 45)),  # left of the image: clipped, empty
        ((150.0, 100.0, 40.0, 80.0), (150, 100, 159, 119)),  # bottom-right clipped at size - 1
        ((-0.9, 0.0, 10.0, 20.0), (0, 0, 9, 20)),  # -0.9 truncates toward zero
    ],
)
def test_patch_regions_follow_spec(tlwh, region):
    regions, valid = patch_regions([tlwh], IMAGE_SIZE)
    assert regions.dtype == np.int64
    assert tuple(regions[0]) == region
    assert valid[0] == (region[0] < region[2] and region[1] < region[3])


@pytest.mark.parametrize(
    "tlwh",
    [
        (500.0, 10.0, 20.0, 40.0),  # right of the image
        (10.0, -100.0, 20.0, 40.0),  # above the image
        (159.2, 0.0, 5.0, 10.0),  # only in the last column, which the clip at size - 1 drops
        (40.0, 40.0, 10.0, 0.5),  # under one pixel high
    ],
)
def test_box_without_pixels_has_no_patch(tlwh):
    image = textured_image(np.random.default_rng(0))
    assert extract_image_patch(image, tlwh) is None
    _, valid = patch_regions([tlwh], IMAGE_SIZE)
    assert not valid[0]


def test_patches_equal_spec_crop_and_keep_box_order():
    image = textured_image(np.random.default_rng(1))
    boxes = np.array([
        [10.5, 5.25, 20.0, 50.0],
        [500.0, 10.0, 20.0, 40.0],  # no pixels
        [-15.0, 10.0, 30.0, 60.0],
        [140.0, 60.0, 40.0, 80.0],
    ])
    patches, valid = extract_image_patches(image, boxes)
    assert valid.tolist() == [True, False, True, True]
    assert patches.shape == (3, 128, 64, 3) and patches.dtype == np.uint8
    expected = [spec_patch(image, box) for box in boxes[valid]]
    for patch, reference in zip(patches, expected):
        np.testing.assert_array_equal(patch, reference)
    np.testing.assert_array_equal(extract_image_patch(image, boxes[3]), expected[2])


def test_patch_shape_sets_the_aspect_ratio():
    image = textured_image(np.random.default_rng(2))
    patch = extract_image_patch(image, (20.0, 10.0, 30.0, 60.0), patch_shape=(64, 64))
    assert patch.shape == (64, 64, 3)
    np.testing.assert_array_equal(patch, spec_patch(image, (20.0, 10.0, 30.0, 60.0), (64, 64)))


def test_no_boxes_gives_empty_arrays():
    image = textured_image(np.random.default_rng(3))
    patches, valid = extract_image_patches(image, np.zeros((0, 4)))
    assert patches.shape == (0, 128, 64, 3) and valid.shape == (0,)
