"""Cut the image patches of detection boxes for an appearance network.

Two crop rules, one per kind of model:

- the *mars rule* (:func:`patch_regions`, :func:`extract_image_patches`) of
  the published tool, for mars-small128 and models that take the same input
  (docs/algorithm.md, appearance descriptor): the box is widened or narrowed about its centre to
  the patch aspect ratio (keeping its height), converted to integer corners,
  clipped to the image and resized to the patch size with ``cv2.resize``'s
  default (bilinear) interpolation;
- the *box rule* (:func:`box_regions`, :func:`extract_box_patches`), for
  classification backbones such as timm models: the pixels the box covers,
  clipped to the image, resized (stretched) to the model's input size,
  bilinear.

A box whose clipped region is empty has no patch; callers flag such
detections (see :class:`deep_sort.features.encoder.BoxEncoder`), they never
get invented pixels.
"""
from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

#: Network input (height, width) of mars-small128.
PATCH_SHAPE = (128, 64)


def patch_regions(
    boxes_tlwh: npt.ArrayLike,
    image_size: tuple[int, int],
    patch_shape: tuple[int, int] = PATCH_SHAPE,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Compute the pixel region each box's patch is cut from.

    For a box (x, y, w, h) and patch (ph, pw): ``new_w = (pw / ph) * h``,
    ``x -= (new_w - w) / 2``, ``w = new_w``; corners ``(x, y, x + w, y + h)``
    are cast to int (truncation toward zero), the top-left is clipped at 0
    and the bottom-right at (image width - 1, image height - 1). The patch is
    ``image[sy:ey, sx:ex]``; it is empty (no patch) when ``sx >= ex`` or
    ``sy >= ey``: the box lies outside the image or overlaps it by less than
    one pixel row or column (the clip at size - 1 excludes the last one).

    Parameters
    ----------
    boxes_tlwh : array-like of shape (N, 4), float
        Boxes (left, top, width, height) in pixels.
    image_size : tuple of (int, int)
        Image (width, height) in pixels.
    patch_shape : tuple of (int, int)
        Patch (height, width).

    Returns
    -------
    regions : ndarray of shape (N, 4), int64
        (sx, sy, ex, ey) per box, end exclusive.
    valid : ndarray of shape (N,), bool
        Whether the region is non-empty.

    Examples
    --------
    >>> regions, valid = patch_regions([[10.0, 20.0, 30.0, 100.0], [700.0, 0.0, 10.0, 20.0]], (640, 480))
    >>> regions.tolist(), valid.tolist()
    ([[0, 20, 50, 120], [700, 0, 639, 20]], [True, False])
    """
    boxes = np.array(boxes_tlwh, dtype=np.float64).reshape(-1, 4)
    target_aspect = float(patch_shape[1]) / float(patch_shape[0])
    new_width = target_aspect * boxes[:, 3]
    boxes[:, 0] -= (new_width - boxes[:, 2]) / 2
    boxes[:, 2] = new_width
    boxes[:, 2:] += boxes[:, :2]
    regions = boxes.astype(np.int64)
    width, height = int(image_size[0]), int(image_size[1])
    regions[:, :2] = np.maximum(0, regions[:, :2])
    regions[:, 2:] = np.minimum([width - 1, height - 1], regions[:, 2:])
    valid = np.all(regions[:, :2] < regions[:, 2:], axis=1)
    return regions, valid


def extract_image_patch(
    image: npt.NDArray[np.uint8],
    tlwh: npt.ArrayLike,
    patch_shape: tuple[int, int] = PATCH_SHAPE,
) -> npt.NDArray[np.uint8] | None:
    """Cut and resize the patch of one box, or return None if it has no pixels.

    Parameters
    ----------
    image : ndarray of shape (H, W, C), uint8
        The frame (BGR as read by OpenCV).
    tlwh : array-like of shape (4,), float
        The box (left, top, width, height) in pixels.
    patch_shape : tuple of (int, int)
        Patch (height, width).

    Returns
    -------
    ndarray of shape (patch height, patch width, C), uint8, or None
        None when the clipped region is empty (see :func:`patch_regions`).

    Examples
    --------
    >>> image = np.zeros((480, 640, 3), np.uint8)
    >>> extract_image_patch(image, [10, 20, 30, 100]).shape
    (128, 64, 3)
    >>> extract_image_patch(image, [-50, 20, 30, 100]) is None
    True
    """
    regions, valid = patch_regions([tlwh], (image.shape[1], image.shape[0]), patch_shape)
    if not valid[0]:
        return None
    sx, sy, ex, ey = regions[0]
    return cv2.resize(image[sy:ey, sx:ex], (int(patch_shape[1]), int(patch_shape[0])))


def extract_image_patches(
    image: npt.NDArray[np.uint8],
    boxes_tlwh: npt.ArrayLike,
    patch_shape: tuple[int, int] = PATCH_SHAPE,
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Cut and resize the patches of many boxes of one image.

    Parameters
    ----------
    image : ndarray of shape (H, W, C), uint8
        The frame (BGR as read by OpenCV).
    boxes_tlwh : array-like of shape (N, 4), float
        Boxes (left, top, width, height) in pixels.
    patch_shape : tuple of (int, int)
        Patch (height, width).

    Returns
    -------
    patches : ndarray of shape (M, patch height, patch width, C), uint8
        The patches of the boxes that have one, in box order (M <= N).
    valid : ndarray of shape (N,), bool
        Which boxes have a patch (``patches`` holds them in order).
    """
    regions, valid = patch_regions(boxes_tlwh, (image.shape[1], image.shape[0]), patch_shape)
    return _cut_patches(image, regions, valid, patch_shape), valid


def box_regions(
    boxes_xyxy: npt.ArrayLike, image_size: tuple[int, int]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Compute the pixel region of each box for the box rule.

    The region is the smallest block of whole pixels that covers the box:
    ``sx = floor(x1)``, ``sy = floor(y1)``, ``ex = ceil(x2)``, ``ey = ceil(y2)``,
    clipped to the image; the patch is ``image[sy:ey, sx:ex]``. It is empty
    (no patch) when the box lies outside the image or has no width or height.

    Parameters
    ----------
    boxes_xyxy : array-like of shape (N, 4), float
        Boxes (x1, y1, x2, y2) in pixels, finite.
    image_size : tuple of (int, int)
        Image (width, height) in pixels.

    Returns
    -------
    regions : ndarray of shape (N, 4), int64
        (sx, sy, ex, ey) per box, end exclusive.
    valid : ndarray of shape (N,), bool
        Whether the region is non-empty.

    Examples
    --------
    >>> regions, valid = box_regions([[10.5, 20.0, 40.2, 119.9], [-30.0, 5.0, -1.0, 50.0]], (640, 480))
    >>> regions.tolist(), valid.tolist()
    ([[10, 20, 41, 120], [0, 5, 0, 50]], [True, False])
    """
    boxes = np.asarray(boxes_xyxy, dtype=np.float64).reshape(-1, 4)
    regions = np.concatenate([np.floor(boxes[:, :2]), np.ceil(boxes[:, 2:])], axis=1)
    width, height = int(image_size[0]), int(image_size[1])
    regions = np.clip(regions, 0, [width, height, width, height]).astype(np.int64)
    valid = np.all(regions[:, :2] < regions[:, 2:], axis=1)
    return regions, valid


def extract_box_patches(
    image: npt.NDArray[np.uint8],
    boxes_xyxy: npt.ArrayLike,
    patch_shape: tuple[int, int],
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.bool_]]:
    """Cut the pixels of each box (the box rule) and resize them to ``patch_shape``.

    Parameters
    ----------
    image : ndarray of shape (H, W, C), uint8
        The frame (BGR as read by OpenCV).
    boxes_xyxy : array-like of shape (N, 4), float
        Boxes (x1, y1, x2, y2) in pixels, finite.
    patch_shape : tuple of (int, int)
        Patch (height, width): the model's input size.

    Returns
    -------
    patches : ndarray of shape (M, patch height, patch width, C), uint8
        The patches of the boxes that have one, in box order (M <= N),
        resized with bilinear interpolation (aspect ratio not kept).
    valid : ndarray of shape (N,), bool
        Which boxes have a patch (see :func:`box_regions`).

    Examples
    --------
    >>> image = np.zeros((480, 640, 3), np.uint8)
    >>> patches, valid = extract_box_patches(image, [[10, 20, 40, 120], [700, 0, 720, 40]], (224, 224))
    >>> patches.shape, valid.tolist()
    ((1, 224, 224, 3), [True, False])
    """
    regions, valid = box_regions(boxes_xyxy, (image.shape[1], image.shape[0]))
    return _cut_patches(image, regions, valid, patch_shape), valid


def _cut_patches(
    image: np.ndarray, regions: np.ndarray, valid: np.ndarray, patch_shape: tuple[int, int]
) -> npt.NDArray[np.uint8]:
    """Resize ``image[sy:ey, sx:ex]`` of every valid region to ``patch_shape`` (bilinear)."""
    patches = np.empty((int(valid.sum()), int(patch_shape[0]), int(patch_shape[1])) + image.shape[2:], np.uint8)
    size = (int(patch_shape[1]), int(patch_shape[0]))
    for i, (sx, sy, ex, ey) in enumerate(regions[valid]):
        patches[i] = cv2.resize(image[sy:ey, sx:ex], size)
    return patches
