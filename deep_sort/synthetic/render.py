"""Render synthetic scenes to BGR images (OpenCV, imported when a frame is drawn).

People are drawn far to near over a static textured background, so the
occlusions of the ground truth are real in the pixels; clothing colours are
per identity.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .scene import SyntheticScene, _Camera


def _background(scene: SyntheticScene) -> np.ndarray:
    """The scene's static background (H, W, 3) uint8 BGR, built once and cached."""
    cached = scene._render_cache.get("background")
    if cached is not None:
        return cached
    import cv2

    config = scene.config
    camera = _Camera.from_config(config)
    width, height = config.image_size
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x6B67]))
    rows = np.arange(height, dtype=np.float64)[:, None]
    # Pavement that gets a little lighter with distance, plus blotchy texture.
    distance = np.clip((height - rows) / max(height - camera.horizon_y, 1.0), 0.0, 1.0)
    base = np.array([118.0, 124.0, 128.0]) + 22.0 * distance[..., None]
    blotches = cv2.resize(
        rng.normal(0.0, 9.0, (max(height // 24, 2), max(width // 24, 2))),
        (width, height),
        interpolation=cv2.INTER_CUBIC,
    )
    grain = cv2.resize(
        rng.normal(0.0, 4.0, (max(height // 3, 2), max(width // 3, 2))),
        (width, height),
        interpolation=cv2.INTER_LINEAR,
    )
    image = np.clip(base + (blotches + grain)[..., None], 0, 255).astype(np.uint8)
    line_color = (96, 100, 104)
    # Paving joints: rows of constant depth and lines converging to the horizon.
    for z in np.arange(camera.z_near, camera.z_far, 2.5):
        y = int(round(float(camera.foot_y(z))))
        if 0 <= y < height:
            cv2.line(image, (0, y), (width - 1, y), line_color, 1)
    vanishing = (width / 2.0, camera.horizon_y)
    near_y = float(camera.foot_y(camera.z_near))
    far_y = max(float(camera.foot_y(camera.z_far)), 0.0)
    half_near = float(camera.half_view_m(camera.z_near))
    # Share of the way from the near row to the vanishing point where lines stop.
    reach = (near_y - far_y) / max(near_y - vanishing[1], 1e-6)
    for x in np.arange(-6 * half_near, 6 * half_near, 2.5):
        bottom = float(camera.image_x(x, camera.z_near))
        top = bottom + (vanishing[0] - bottom) * reach
        cv2.line(image, (int(bottom), int(near_y)), (int(top), int(far_y)), line_color, 1)
    # A building facade above the walkable area.
    facade_bottom = int(max(far_y - 0.01 * height, 0))
    if facade_bottom > 0:
        image[:facade_bottom] = (150, 160, 175)
        window = max(height // 40, 3)
        for top in range(window // 2, facade_bottom - window, 2 * window):
            for left in range(window, width - window, 2 * window):
                shade = int(rng.integers(50, 110))
                corner = (left + window, top + window)
                cv2.rectangle(image, (left, top), corner, (shade, shade, shade + 10), -1)
    scene._render_cache["background"] = image
    return image


def _draw_person(image: np.ndarray, tlwh: np.ndarray, colors: np.ndarray, swing: float) -> None:
    """Draw a pedestrian (shadow, legs, torso, arms, head) into its box, in place."""
    import cv2

    shift = 4
    scale = 1 << shift
    left, top, width, height = (float(v) for v in tlwh)
    cx = left + 0.5 * width

    def point(x: float, y: float) -> tuple[int, int]:
        return int(round(x * scale)), int(round(y * scale))

    skin, hair, torso, legs = (tuple(int(c) for c in color) for color in colors)
    sleeve = tuple(int(c * 0.8) for c in torso)
    bottom = top + height
    limb = max(int(round(0.17 * width)), 1)
    arm = max(int(round(0.11 * width)), 1)

    cv2.ellipse(image, point(cx, bottom), (int(0.5 * width * scale), int(0.07 * width * scale)),
                0, 0, 360, (70, 72, 75), -1, cv2.LINE_8, shift)
    hip_y = top + 0.52 * height
    for side in (-1.0, 1.0):
        hip_x = cx + side * 0.13 * width
        foot_x = hip_x + side * swing * 0.22 * width
        foot_y = bottom - 0.03 * height
        cv2.line(image, point(hip_x, hip_y), point(foot_x, foot_y), legs, limb, cv2.LINE_8, shift)
        cv2.ellipse(image, point(foot_x, foot_y), (int(0.1 * width * scale), int(0.025 * height * scale)),
                    0, 0, 360, (30, 30, 35), -1, cv2.LINE_8, shift)
    shoulders_y = top + 0.17 * height
    torso_polygon = np.array(
        [point(cx - 0.4 * width, shoulders_y), point(cx + 0.4 * width, shoulders_y),
         point(cx + 0.3 * width, hip_y + 0.02 * height), point(cx - 0.3 * width, hip_y + 0.02 * height)],
        dtype=np.int32,
    )
    cv2.fillConvexPoly(image, torso_polygon, torso, cv2.LINE_8, shift)
    for side in (-1.0, 1.0):
        # Arms and hands stay inside the box (|x - cx| <= 0.48 w), like an annotated box.
        shoulder_x = cx + side * 0.37 * width
        hand_x = cx + side * (0.36 - 0.06 * swing) * width
        hand_y = top + 0.5 * height
        cv2.line(image, point(shoulder_x, shoulders_y + 0.02 * height), point(hand_x, hand_y),
                 sleeve, arm, cv2.LINE_8, shift)
        cv2.circle(image, point(hand_x, hand_y), int(0.05 * width * scale), skin, -1, cv2.LINE_8, shift)
    head_centre = point(cx, top + 0.085 * height)
    head_axes = (int(0.058 * height * scale), int(0.075 * height * scale))
    cv2.ellipse(image, head_centre, head_axes, 0, 0, 360, skin, -1, cv2.LINE_8, shift)
    cv2.ellipse(image, head_centre, head_axes, 0, 180, 360, hair, -1, cv2.LINE_8, shift)


def render_frame(scene: SyntheticScene, frame_idx: int) -> npt.NDArray[np.uint8]:
    """Render one frame: the background and every gt person, far to near.

    Parameters
    ----------
    scene : SyntheticScene
        The scene.
    frame_idx : int
        1-based frame index in [1, scene.n_frames].

    Returns
    -------
    ndarray of shape (H, W, 3), uint8
        BGR image. Nearer people are drawn over farther ones, so the pixels
        show the occlusions the gt visibility describes.

    Raises
    ------
    ValueError
        If ``frame_idx`` is outside the sequence.
    """
    if not 1 <= frame_idx <= scene.n_frames:
        raise ValueError(f"frame_idx must be in [1, {scene.n_frames}], got {frame_idx}")
    image = _background(scene).copy()
    piece = scene._frame_slice(frame_idx, scene.gt)
    rows, gait = scene.gt[piece], scene.gt_gait[piece]
    bottoms = rows[:, 3] + rows[:, 5]
    for index in np.lexsort((rows[:, 1], bottoms)):
        _draw_person(image, rows[index, 2:6], scene.identity_colors[int(rows[index, 1])], float(gait[index]))
    return image
