"""Deterministic synthetic MOTChallenge sequences: pedestrians on a ground plane.

People walk on a flat ground plane seen by an elevated pinhole camera, so a
person farther away is smaller and stands higher in the image (foot row and
box height are linked linearly, as in a real perspective view). People enter
through the left and right image borders (a few appear inside the view), walk
with slowly drifting headings, sometimes stop and start again, and leave
through the side borders; births are steered so that the number of visible
people hovers around :attr:`SceneConfig.n_people`.

From the simulated people the generator produces, in MOTChallenge formats:

- ground truth (MOT16 gt rows) with a visibility in [0, 1] computed from the
  overlap with nearer people and from the image border;
- detections (det.txt rows) with misses (more of them under occlusion), box
  noise, duplicates, false positives and confidences (true detections mostly
  high, false positives low);
- an appearance descriptor per detection: a unit vector per identity plus
  noise, mixed with the occluder's vector when the person is partly hidden;
  some identities are look-alikes of another person in the scene;
- optionally, rendered BGR images in which every person is drawn far to near
  (so occlusions are real in the pixels), with clothing colours per identity.

Everything is deterministic given :attr:`SceneConfig.seed`. Only numpy is
imported here; OpenCV is imported inside the rendering functions.

Units: pixels for image coordinates, 1-based frame indices, track ids from 1.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt



logger = logging.getLogger(__name__)

#: Largest accepted seed.
MAX_SEED = 2**63 - 1
#: Standing height of an average person in metres (scaled per person).
PERSON_HEIGHT_M = 1.7
#: Length of one full gait cycle (two steps) in metres.
STRIDE_LENGTH_M = 1.44
#: Mean time a person who stopped stays standing, in seconds.
MEAN_STANDING_S = 12.0
#: Simulated seconds before frame 1, so that frame 1 shows a settled crowd.
WARMUP_S = 60.0
#: Below this visibility a person is never detected.
MIN_DETECTABLE_VISIBILITY = 0.1
#: Weight of the occluder's appearance in a fully covered person's descriptor.
OCCLUDER_FEATURE_WEIGHT = 0.5
#: Occlusion is estimated on this grid of points (columns, rows) per box.
VISIBILITY_GRID = (10, 20)
#: Smallest detection box kept after clipping to the image (width, height) in pixels.
MIN_DETECTION_SIZE = (2.0, 4.0)

# Column layout of the simulation state array (one row per person alive).
_X, _Z, _HEADING, _GOAL, _SPEED, _MOVING, _SCALE, _ASPECT, _PHASE = range(9)
_STATE_COLUMNS = 9

# How births are spread: share through the left/right border (the rest
# appear inside the view, e.g. stepping out of a door or from behind a person).
_SIDE_BIRTH_SHARE = 0.9
# Birth depth density over the foot row is proportional to pixel height to this
# power; with 1 the visible population would be uniform over foot rows, below 1
# it leans to small, far people as in elevated street views.
_BIRTH_HEIGHT_EXPONENT = 0.8
# Margin in metres beyond the visible lateral range where people enter and leave.
_SIDE_MARGIN_M = 1.0
# Births react to a shortfall of visible people within this many seconds.
_BIRTH_FEEDBACK_S = 3.0
# People keep a goal direction, mostly along the street (across the image):
# goal = 0 or pi plus up to this much; the heading wanders around the goal
# (mean reversion rate per second, stationary spread in radians).
_GOAL_SPREAD_RAD = 0.5
_HEADING_PULL_PER_S = 1.0
_HEADING_SPREAD_RAD = 0.2
_FEATURE_CHUNK_ROWS = 32768


def _interval(low: float, high: float, low_open: bool, high_open: bool) -> str:
    def text(bound: float) -> str:
        return str(bound) if isinstance(bound, int) else f"{bound:g}"

    return f"{'(' if low_open else '['}{text(low)}, {text(high)}{')' if high_open else ']'}"


def _check_number(
    name: str,
    value: object,
    low: float,
    high: float,
    *,
    integer: bool = False,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    """Raise ValueError naming the allowed range unless ``value`` lies in it.

    Integers may also be given as whole floats (``3.0``); bools are rejected.
    """
    kind = "an integer" if integer else "a number"
    message = f"{name} must be {kind} in {_interval(low, high, low_open, high_open)}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(message)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value) or (integer and not float(value).is_integer()):
            raise ValueError(message)
    if value < low or value > high or (low_open and value == low) or (high_open and value == high):
        raise ValueError(message)


@dataclass(frozen=True)
class SceneConfig:
    """Parameters of a synthetic scene; the defaults give a MOT16-like street.

    Attributes
    ----------
    n_frames : int
        Sequence length, in [1, 10000000].
    image_size : tuple of (int, int)
        (width, height) in pixels, each in [64, 16384].
    n_people : float
        Mean number of people visible at once (gt rows per frame), in (0, 2000].
    frame_rate : float
        Frames per second, in (0, 1000].
    min_person_height : float
        Box height in pixels of the farthest (average height) person, in
        [8, 10000]; must be below ``max_person_height * image height``.
    max_person_height : float
        Box height of the nearest person as a fraction of the image height, in
        (0, 0.9].
    aspect_ratio : float
        Mean box width / height of a pedestrian, in [0.1, 1].
    walking_speed : float
        Mean walking speed in metres per second, in [0, 5].
    standing_fraction : float
        Long-run share of people standing still, in [0, 1).
    miss_probability : float
        Chance that a fully visible person is not detected, in [0, 1).
    occlusion_miss_probability : float
        Extra miss chance of a fully hidden person; a person with visibility v
        is detected with probability ``(1 - miss_probability) * (1 -
        occlusion_miss_probability * (1 - v))`` (never below visibility 0.1).
        In [0, 1].
    box_noise : float
        Standard deviation of the detection box centre (relative to box width
        and height) and of the log of its width and height, in [0, 0.5].
    false_positives_per_frame : float
        Mean number (Poisson) of false detections per frame, in [0, 1000].
    duplicate_probability : float
        Chance that a detected person gets a second, looser, weaker box, in [0, 1].
    true_confidence : tuple of (float, float)
        Beta(a, b) parameters of a true detection's confidence (scaled down by
        occlusion: ``conf = beta * (0.6 + 0.4 * visibility)``); each in (0, 1000].
    false_positive_confidence : tuple of (float, float)
        Beta(a, b) parameters of a false positive's confidence; each in (0, 1000].
    feature_dim : int
        Appearance descriptor length D, in [1, 4096].
    feature_noise : float
        Norm (in expectation) of the noise added to a unit identity vector
        before re-normalising, in [0, 10].
    look_alike_fraction : float
        Share of identities that look like another person present at the same
        time (similar descriptor and clothing), in [0, 1].
    look_alike_similarity : float
        Cosine similarity of a look-alike's appearance vector to the person it
        imitates, in [0, 1).
    seed : int
        Seed of the random generator, in [0, 2**63 - 1] (:data:`MAX_SEED`).
    """

    n_frames: int = 600
    image_size: tuple[int, int] = (1920, 1080)
    n_people: float = 20.0
    frame_rate: float = 30.0
    min_person_height: float = 40.0
    max_person_height: float = 0.45
    aspect_ratio: float = 0.41
    walking_speed: float = 1.3
    standing_fraction: float = 0.15
    miss_probability: float = 0.15
    occlusion_miss_probability: float = 0.8
    box_noise: float = 0.04
    false_positives_per_frame: float = 1.5
    duplicate_probability: float = 0.03
    true_confidence: tuple[float, float] = (6.0, 1.5)
    false_positive_confidence: tuple[float, float] = (1.5, 4.0)
    feature_dim: int = 128
    feature_noise: float = 0.3
    look_alike_fraction: float = 0.1
    look_alike_similarity: float = 0.85
    seed: int = 0

    def __post_init__(self) -> None:
        _check_number("n_frames", self.n_frames, 1, 10_000_000, integer=True)
        for name in ("image_size", "true_confidence", "false_positive_confidence"):
            value = getattr(self, name)
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"{name} must be a pair of numbers, got {value!r}")
            object.__setattr__(self, name, tuple(value))
        for axis, value in zip(("width", "height"), self.image_size):
            _check_number(f"image_size {axis}", value, 64, 16384, integer=True)
        object.__setattr__(self, "image_size", tuple(int(v) for v in self.image_size))
        _check_number("n_people", self.n_people, 0, 2000, low_open=True)
        _check_number("frame_rate", self.frame_rate, 0, 1000, low_open=True)
        _check_number("min_person_height", self.min_person_height, 8, 10000)
        _check_number("max_person_height", self.max_person_height, 0, 0.9, low_open=True)
        max_pixels = self.max_person_height * self.image_size[1]
        if self.min_person_height >= max_pixels:
            raise ValueError(
                f"min_person_height must be in [8, {max_pixels:g}) px (below max_person_height "
                f"* image height), got {self.min_person_height!r}"
            )
        _check_number("aspect_ratio", self.aspect_ratio, 0.1, 1)
        _check_number("walking_speed", self.walking_speed, 0, 5)
        _check_number("standing_fraction", self.standing_fraction, 0, 1, high_open=True)
        _check_number("miss_probability", self.miss_probability, 0, 1, high_open=True)
        _check_number("occlusion_miss_probability", self.occlusion_miss_probability, 0, 1)
        _check_number("box_noise", self.box_noise, 0, 0.5)
        _check_number("false_positives_per_frame", self.false_positives_per_frame, 0, 1000)
        _check_number("duplicate_probability", self.duplicate_probability, 0, 1)
        for name in ("true_confidence", "false_positive_confidence"):
            for label, value in zip(("a", "b"), getattr(self, name)):
                _check_number(f"{name} {label}", value, 0, 1000, low_open=True)
        _check_number("feature_dim", self.feature_dim, 1, 4096, integer=True)
        _check_number("feature_noise", self.feature_noise, 0, 10)
        _check_number("look_alike_fraction", self.look_alike_fraction, 0, 1)
        _check_number("look_alike_similarity", self.look_alike_similarity, 0, 1, high_open=True)
        _check_number("seed", self.seed, 0, MAX_SEED, integer=True)
        for name in ("n_frames", "feature_dim", "seed"):
            object.__setattr__(self, name, int(getattr(self, name)))

    def replace(self, **changes: object) -> SceneConfig:
        """Return a copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def small(cls, n_frames: int = 200, seed: int = 0) -> SceneConfig:
        """A quick 960x540 scene for demos and tests.

        Measured over seeds 0-9 (200 frames): 9.9 people per frame in the gt
        (mean visibility 0.85), 8.6 detections per frame (1.0 of them false
        positives), about 14 identities.
        """
        return cls(
            n_frames=n_frames,
            image_size=(960, 540),
            n_people=10.0,
            false_positives_per_frame=1.0,
            seed=seed,
        )

    @classmethod
    def dense_mot16_04_like(cls, n_frames: int = 1050, seed: int = 0) -> SceneConfig:
        """A crowded pedestrian street like MOT16-04: 1920x1080, 30 fps.

        Many people stand (MOT16-04 shows a crowd on a square) and occlusion is
        heavy, so a large share of the people is missed by the detector.
        Measured over seeds 0-9 (1050 frames): 45.0 people per frame in the gt
        (mean visibility 0.69, median box height 225 px), 27.6 detections per
        frame (2.0 of them false positives; 25.4 to 29.2 depending on the
        seed), about 110 identities.
        """
        return cls(
            n_frames=n_frames,
            image_size=(1920, 1080),
            n_people=45.0,
            frame_rate=30.0,
            standing_fraction=0.45,
            miss_probability=0.23,
            occlusion_miss_probability=0.9,
            box_noise=0.05,
            false_positives_per_frame=2.0,
            duplicate_probability=0.03,
            seed=seed,
        )

    @classmethod
    def cluttered(cls, n_frames: int = 1050, seed: int = 0) -> SceneConfig:
        """A cluttered scene: many confident false positives, long occlusions.

        About 14 false detections per frame, most above the paper's
        confidence threshold, start tentative tracks that die the next
        frame; many people stand still behind others for long stretches, so
        confirmed tracks stay lost until ``max_age`` deletes them.
        """
        return cls(
            n_frames=n_frames,
            image_size=(1920, 1080),
            n_people=30.0,
            standing_fraction=0.6,
            miss_probability=0.3,
            occlusion_miss_probability=1.0,
            box_noise=0.06,
            false_positives_per_frame=14.0,
            false_positive_confidence=(4.0, 2.0),
            duplicate_probability=0.05,
            seed=seed,
        )

    @classmethod
    def mot20_like(cls, n_frames: int = 500, seed: int = 0) -> SceneConfig:
        """A very crowded scene like MOT20: about 150 people per frame, 1920x1080, 25 fps.

        People are smaller than in the dense preset (40 px to 25 % of the
        image height). Measured over seeds 0-9 (500 frames): 150.3 people per
        frame in the gt (mean visibility 0.68, median box height 138 px), 98.2
        detections per frame (3.0 of them false positives), about 275
        identities.
        """
        return cls(
            n_frames=n_frames,
            image_size=(1920, 1080),
            n_people=150.0,
            frame_rate=25.0,
            max_person_height=0.25,
            standing_fraction=0.2,
            miss_probability=0.12,
            occlusion_miss_probability=0.9,
            box_noise=0.05,
            false_positives_per_frame=3.0,
            duplicate_probability=0.02,
            seed=seed,
        )


#: Preset name to factory ``(n_frames, seed) -> SceneConfig`` (the CLI's ``--preset``).
PRESETS: dict[str, Callable[..., SceneConfig]] = {
    "small": SceneConfig.small,
    "dense": SceneConfig.dense_mot16_04_like,
    "mot20": SceneConfig.mot20_like,
    "clutter": SceneConfig.cluttered,
}


@dataclass(frozen=True)
class _Camera:
    """Pinhole camera above a flat ground; depth z and lateral x in metres.

    A person at depth z has pixel height ``focal * PERSON_HEIGHT_M / z`` and
    foot row ``horizon_y + height_ratio * pixel_height``, where height_ratio
    is camera height over person height. The farthest person (depth z_far)
    is ``min_person_height`` tall with the head a little below the top
    border; the nearest (z_near) is ``max_person_height`` of the image tall
    with the feet slightly below the bottom border.
    """

    width: int
    height: int
    focal: float
    horizon_y: float
    height_ratio: float
    z_near: float
    z_far: float

    @classmethod
    def from_config(cls, config: SceneConfig) -> _Camera:
        width, height = config.image_size
        focal = float(width)
        min_px = float(config.min_person_height)
        max_px = float(config.max_person_height * height)
        far_foot_y = 0.06 * height + min_px
        height_ratio = (height - far_foot_y) / (max_px - min_px)
        horizon_y = height - height_ratio * max_px
        near_foot_y = 1.03 * height
        z_near = focal * PERSON_HEIGHT_M * height_ratio / (near_foot_y - horizon_y)
        z_far = focal * PERSON_HEIGHT_M / min_px
        return cls(width, height, focal, horizon_y, height_ratio, z_near, z_far)

    def pixel_height(self, z: np.ndarray) -> np.ndarray:
        return self.focal * PERSON_HEIGHT_M / z

    def foot_y(self, z: np.ndarray) -> np.ndarray:
        return self.horizon_y + self.height_ratio * self.pixel_height(z)

    def image_x(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        return 0.5 * self.width + self.focal * x / z

    def half_view_m(self, z: np.ndarray) -> np.ndarray:
        """Half the lateral extent (metres) the image covers at depth z."""
        return 0.5 * self.width * z / self.focal

    def sample_depth(self, rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
        """Draw depths whose foot-row density is proportional to pixel height**exponent."""
        # Pixel height is linear in the foot row, so the inverse CDF is closed-form.
        low = self.pixel_height(self.z_far)
        high = self.pixel_height(self.z_near)
        power = exponent + 1.0
        pixels = (low**power + rng.random(n) * (high**power - low**power)) ** (1.0 / power)
        return self.focal * PERSON_HEIGHT_M / pixels


@dataclass(eq=False)
class SyntheticScene:
    """A generated scene: ground truth, detections, descriptors, render data.

    Attributes
    ----------
    config : SceneConfig
        The parameters it was generated from.
    gt : ndarray of shape (N, 9), float64
        MOT16 gt rows ``frame, id, left, top, width, height, 1, 1, visibility``
        sorted by frame then id; boxes (tlwh, pixels, 2 decimals) are not
        clipped to the image; visibility in [0, 1] (3 decimals).
    detections : ndarray of shape (M, 10), float64
        det.txt rows ``frame, -1, left, top, width, height, conf, -1, -1, -1``
        sorted by frame (shuffled within a frame); boxes clipped to the image
        (2 decimals), conf in [0, 1] (4 decimals).
    features : ndarray of shape (M, D), float32
        Unit-length appearance descriptor of each detection.
    detection_identity : ndarray of shape (M,), int64
        gt id a detection was made from, -1 for false positives.
    gt_gait : ndarray of shape (N,), float32
        Leg swing in [-1, 1] of each gt row (0 when standing); used for drawing.
    identity_colors : ndarray of shape (K + 1, 4, 3), uint8
        BGR colours of skin, hair, torso and legs per identity (row 0 unused).
    identity_appearance : ndarray of shape (K + 1, D), float32
        Noise-free unit appearance vector per identity (row 0 zero).
    look_alike_of : ndarray of shape (K + 1,), int64
        Id of the person each identity imitates, 0 if none.
    """

    config: SceneConfig
    gt: npt.NDArray[np.float64]
    detections: npt.NDArray[np.float64]
    features: npt.NDArray[np.float32]
    detection_identity: npt.NDArray[np.int64]
    gt_gait: npt.NDArray[np.float32]
    identity_colors: npt.NDArray[np.uint8]
    identity_appearance: npt.NDArray[np.float32]
    look_alike_of: npt.NDArray[np.int64]
    _render_cache: dict = field(default_factory=dict, init=False, repr=False)

    @property
    def n_frames(self) -> int:
        return self.config.n_frames

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self.config.image_size

    @property
    def n_identities(self) -> int:
        return len(self.identity_colors) - 1

    def _frame_slice(self, frame_idx: int, rows: np.ndarray) -> slice:
        """Slice of ``rows`` (sorted by frame, column 0) holding frame ``frame_idx``."""
        frames = rows[:, 0]
        start, stop = np.searchsorted(frames, [frame_idx, frame_idx + 1], side="left")
        return slice(int(start), int(stop))

    def frame_groundtruth(self, frame_idx: int) -> npt.NDArray[np.float64]:
        """gt rows of one frame (a view), shape (n, 9)."""
        return self.gt[self._frame_slice(frame_idx, self.gt)]

    def frame_detections(self, frame_idx: int) -> npt.NDArray[np.float64]:
        """det rows of one frame (a view), shape (n, 10)."""
        return self.detections[self._frame_slice(frame_idx, self.detections)]

    def detection_array(self) -> npt.NDArray[np.float32]:
        """Detection rows with descriptors appended, shape (M, 10 + D), float32."""
        array = np.empty((len(self.detections), 10 + self.features.shape[1]), dtype=np.float32)
        array[:, :10] = self.detections
        array[:, 10:] = self.features
        return array


# --------------------------------------------------------------------------- simulation


class _Crowd:
    """People alive in the simulation: a state array plus ids (rows aligned)."""

    def __init__(self, config: SceneConfig, camera: _Camera, rng: np.random.Generator) -> None:
        self.config = config
        self.camera = camera
        self.rng = rng
        self.state = np.zeros((0, _STATE_COLUMNS))
        self.ids = np.zeros(0, dtype=np.int64)
        self.next_id = 1
        fps = config.frame_rate
        self.p_start = 1.0 / (MEAN_STANDING_S * fps)
        share = config.standing_fraction
        self.p_stop = self.p_start * share / (1.0 - share)
        self.heading_pull = _HEADING_PULL_PER_S / fps
        # Expected departures per frame, tracked so that births replace them;
        # births also react to a shortfall of visible people.
        self.departures = config.n_people / (20.0 * fps)
        self.feedback_frames = _BIRTH_FEEDBACK_S * fps

    def advance(self, frames: int, n_visible: int) -> None:
        """Move everyone ``frames`` frames on, then add newcomers."""
        n_left = self.step(frames)
        self.departures += 0.01 * frames * (n_left / frames - self.departures)
        shortfall = (self.config.n_people - n_visible) / self.feedback_frames
        n_births = int(self.rng.poisson(max(0.0, self.departures + shortfall) * frames))
        n_inside = int(self.rng.binomial(n_births, 1.0 - _SIDE_BIRTH_SHARE))
        self.spawn(n_births - n_inside, inside=False)
        self.spawn(n_inside, inside=True)

    def spawn(self, n: int, inside: bool) -> None:
        """Add n people: inside the view, or just beyond a side border walking in."""
        if n <= 0:
            return
        rng, camera, config = self.rng, self.camera, self.config
        state = np.empty((n, _STATE_COLUMNS))
        side = np.where(rng.random(n) < 0.5, -1.0, 1.0)
        if inside:
            # The steady-state depth density of side-born people (they live
            # longer the farther away they are) is the birth density / depth.
            z = camera.sample_depth(rng, n, _BIRTH_HEIGHT_EXPONENT - 1.0)
            state[:, _X] = (rng.random(n) * 2 - 1) * camera.half_view_m(z)
            state[:, _MOVING] = rng.random(n) >= config.standing_fraction
        else:
            z = camera.sample_depth(rng, n, _BIRTH_HEIGHT_EXPONENT)
            state[:, _X] = side * (camera.half_view_m(z) + _SIDE_MARGIN_M - 0.05)
            state[:, _MOVING] = 1.0
        # Heading 0 is +x: people entering on the left (side -1) walk right.
        state[:, _GOAL] = self._goal_headings(side < 0)
        state[:, _HEADING] = state[:, _GOAL] + rng.normal(0.0, _HEADING_SPREAD_RAD, n)
        state[:, _Z] = z
        mps = config.walking_speed * np.clip(rng.normal(1.0, 0.15, n), 0.4, 1.8)
        state[:, _SPEED] = mps / config.frame_rate
        state[:, _SCALE] = np.clip(rng.normal(1.0, 0.06, n), 0.82, 1.18)
        state[:, _ASPECT] = config.aspect_ratio * np.clip(rng.normal(1.0, 0.07, n), 0.8, 1.2)
        state[:, _PHASE] = rng.uniform(0, 2 * np.pi, n)
        ids = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n
        self.state = np.concatenate([self.state, state])
        self.ids = np.concatenate([self.ids, ids])

    def _goal_headings(self, rightwards: np.ndarray) -> np.ndarray:
        spread = self.rng.uniform(-_GOAL_SPREAD_RAD, _GOAL_SPREAD_RAD, len(rightwards))
        return np.where(rightwards, 0.0, np.pi) + spread

    def step(self, frames: int = 1) -> int:
        """Move everyone ``frames`` frames on; remove people who walked off; return how many left.

        Steps of several frames (used for the warm-up) scale the distances,
        switching chances and heading changes accordingly.
        """
        rng, camera, state = self.rng, self.camera, self.state
        n = len(state)
        if n == 0:
            return 0
        moving = state[:, _MOVING] > 0
        draws = rng.random(n)
        start = ~moving & (draws < self.p_start * frames)
        stop = moving & (draws < self.p_stop * frames)
        if start.any():
            goal = self._goal_headings(rng.random(int(start.sum())) < 0.5)
            state[start, _GOAL] = goal
            state[start, _HEADING] = goal
        moving = (moving & ~stop) | start
        state[:, _MOVING] = moving
        # Discretised Ornstein-Uhlenbeck process of the heading around the goal.
        pull = min(self.heading_pull * frames, 1.0)
        off_goal = (state[:, _GOAL] - state[:, _HEADING] + np.pi) % (2 * np.pi) - np.pi
        turn = pull * off_goal + rng.normal(0.0, _HEADING_SPREAD_RAD * math.sqrt(2.0 * pull), n)
        state[:, _HEADING] += turn * moving
        distance = state[:, _SPEED] * frames * moving
        state[:, _X] += np.cos(state[:, _HEADING]) * distance
        state[:, _Z] += np.sin(state[:, _HEADING]) * distance
        state[:, _PHASE] += distance * (2 * np.pi / STRIDE_LENGTH_M)
        # Reflect at the near and far ends of the walkable area: people only
        # enter and leave through the side borders.
        for limit, outside in ((camera.z_near, state[:, _Z] < camera.z_near),
                               (camera.z_far, state[:, _Z] > camera.z_far)):
            if outside.any():
                state[outside, _Z] = 2 * limit - state[outside, _Z]
                state[outside, _HEADING] = -state[outside, _HEADING]
                state[outside, _GOAL] = -state[outside, _GOAL]
        alive = np.abs(state[:, _X]) <= camera.half_view_m(state[:, _Z]) + _SIDE_MARGIN_M
        n_left = n - int(alive.sum())
        if n_left:
            self.state = state[alive]
            self.ids = self.ids[alive]
        return n_left

    def boxes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Project everyone: tlwh boxes (n, 4), foot rows (n,), gait swing (n,)."""
        camera, state = self.camera, self.state
        z = state[:, _Z]
        height = camera.pixel_height(z) * state[:, _SCALE]
        foot = camera.foot_y(z)
        moving = state[:, _MOVING]
        swing = np.sin(state[:, _PHASE]) * moving
        # Legs apart widen the box a little while walking.
        width = state[:, _ASPECT] * height * (1.0 + 0.08 * np.abs(swing))
        centre_x = camera.image_x(state[:, _X], z)
        tlwh = np.stack([centre_x - 0.5 * width, foot - height, width, height], axis=1)
        return tlwh, foot, swing


def _grid_offsets() -> tuple[np.ndarray, np.ndarray]:
    columns, rows = VISIBILITY_GRID
    return (np.arange(columns) + 0.5) / columns, (np.arange(rows) + 0.5) / rows


_GRID_U, _GRID_V = _grid_offsets()


def _occlusion(
    tlwh: np.ndarray, foot: np.ndarray, ids: np.ndarray, image_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visibility of each box given nearer people and the image border.

    Parameters
    ----------
    tlwh : ndarray of shape (n, 4)
        Boxes in pixels.
    foot : ndarray of shape (n,)
        Foot rows; a larger foot row is nearer to the camera (ties: larger id nearer).
    ids : ndarray of shape (n,)
        Identities, for ties.
    image_size : tuple of (int, int)
        (width, height).

    Returns
    -------
    visibility : ndarray of shape (n,)
        Share of the box inside the image and not covered by a nearer box,
        estimated on a :data:`VISIBILITY_GRID` of points (multiples of 1/200).
    occluder : ndarray of shape (n,), int
        Row index of the nearer box covering most of the box, -1 if none.
    cover : ndarray of shape (n,)
        Share of the box covered by that occluder.
    """
    n = len(tlwh)
    left, top, width, height = tlwh.T
    right, bottom = left + width, top + height
    # Grid point (row r, column c) of box i is (px[i, c], py[i, r]); a box
    # covers it iff it covers both coordinates, so tests are done per axis.
    px = left[:, None] + _GRID_U * width[:, None]
    py = top[:, None] + _GRID_V * height[:, None]
    visible = (
        ((py >= 0) & (py < image_size[1]))[:, :, None] & ((px >= 0) & (px < image_size[0]))[:, None, :]
    ).reshape(n, len(_GRID_U) * len(_GRID_V))
    occluder = np.full(n, -1, dtype=np.int64)
    cover = np.zeros(n)
    overlap = (
        (np.minimum(right[:, None], right[None, :]) > np.maximum(left[:, None], left[None, :]))
        & (np.minimum(bottom[:, None], bottom[None, :]) > np.maximum(top[:, None], top[None, :]))
    )
    nearer = (foot[None, :] > foot[:, None]) | (
        (foot[None, :] == foot[:, None]) & (ids[None, :] > ids[:, None])
    )
    hidden, front = np.nonzero(overlap & nearer)
    if len(hidden):
        in_x = (px[hidden] >= left[front, None]) & (px[hidden] < right[front, None])
        in_y = (py[hidden] >= top[front, None]) & (py[hidden] < bottom[front, None])
        covered = (in_y[:, :, None] & in_x[:, None, :]).reshape(visible[hidden].shape) & visible[hidden]
        # np.nonzero is row-major, so pairs come grouped by the hidden box.
        starts = np.flatnonzero(np.concatenate([[True], hidden[1:] != hidden[:-1]]))
        rows = hidden[starts]
        visible[rows] &= ~np.logical_or.reduceat(covered, starts, axis=0)
        counts = covered.sum(axis=1)
        order = np.lexsort((counts, hidden))
        last = np.append(starts[1:], len(hidden)) - 1
        best = order[last]
        occluder[rows] = front[best]
        cover[rows] = counts[best] / covered.shape[1]
    visibility = visible.sum(axis=1) / visible.shape[1]
    return visibility, occluder, cover


def _in_image(tlwh: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Mask of the boxes (n, 4) that overlap the image."""
    left, top, width, height = tlwh.T
    return (left < image_size[0]) & (left + width > 0) & (top < image_size[1]) & (top + height > 0)


def _clip_to_image(tlwh: np.ndarray, image_size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Clip boxes to the image; return clipped boxes and a keep mask (big enough)."""
    left = np.clip(tlwh[:, 0], 0, image_size[0])
    top = np.clip(tlwh[:, 1], 0, image_size[1])
    right = np.clip(tlwh[:, 0] + tlwh[:, 2], 0, image_size[0])
    bottom = np.clip(tlwh[:, 1] + tlwh[:, 3], 0, image_size[1])
    clipped = np.stack([left, top, right - left, bottom - top], axis=1)
    keep = (clipped[:, 2] >= MIN_DETECTION_SIZE[0]) & (clipped[:, 3] >= MIN_DETECTION_SIZE[1])
    return clipped, keep


class _DetectionSampler:
    """Per-frame detector model: misses, box noise, duplicates, false positives."""

    def __init__(self, config: SceneConfig, camera: _Camera, rng: np.random.Generator) -> None:
        self.config = config
        self.camera = camera
        self.rng = rng

    def sample(
        self,
        tlwh: np.ndarray,
        ids: np.ndarray,
        visibility: np.ndarray,
        occluder_ids: np.ndarray,
        cover: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Detections of one frame, shuffled.

        Parameters
        ----------
        tlwh : ndarray of shape (n, 4)
            gt boxes of the people in view (pixels, not clipped).
        ids : ndarray of shape (n,), int64
            Their identities.
        visibility : ndarray of shape (n,)
            Their visibility in [0, 1].
        occluder_ids : ndarray of shape (n,), int64
            Identity of each one's main occluder, -1 if none.
        cover : ndarray of shape (n,)
            Share of each box that occluder covers.

        Returns
        -------
        tlwh : ndarray of shape (m, 4)
        confidence : ndarray of shape (m,)
        identity : ndarray of shape (m,), int64, -1 for false positives
        occluder : ndarray of shape (m,), int64, occluder id or -1
        cover : ndarray of shape (m,), occluder's share of the box
        """
        config, rng = self.config, self.rng
        n = len(tlwh)
        p_detect = (1.0 - config.miss_probability) * (
            1.0 - config.occlusion_miss_probability * (1.0 - visibility)
        )
        p_detect[visibility < MIN_DETECTABLE_VISIBILITY] = 0.0
        detected = np.flatnonzero(rng.random(n) < p_detect)
        duplicated = detected[rng.random(len(detected)) < config.duplicate_probability]
        source = np.concatenate([detected, duplicated])
        k = len(source)
        # Duplicates are looser boxes around the same person.
        noise = np.full(k, config.box_noise)
        noise[len(detected):] *= 3.0
        error = rng.standard_normal((k, 4)) * noise[:, None]
        src_tlwh = tlwh[source]
        width = src_tlwh[:, 2] * np.exp(error[:, 2])
        height = src_tlwh[:, 3] * np.exp(error[:, 3])
        centre_x = src_tlwh[:, 0] + 0.5 * src_tlwh[:, 2] + error[:, 0] * src_tlwh[:, 2]
        centre_y = src_tlwh[:, 1] + 0.5 * src_tlwh[:, 3] + error[:, 1] * src_tlwh[:, 3]
        true_tlwh = np.stack([centre_x - 0.5 * width, centre_y - 0.5 * height, width, height], axis=1)
        true_conf = rng.beta(*config.true_confidence, size=k) * (0.6 + 0.4 * visibility[source])
        true_conf[len(detected):] *= 0.7

        n_false = rng.poisson(config.false_positives_per_frame)
        false_tlwh = self._false_positive_boxes(n_false)
        false_conf = rng.beta(*config.false_positive_confidence, size=n_false)

        all_tlwh = np.concatenate([true_tlwh, false_tlwh])
        confidence = np.concatenate([true_conf, false_conf])
        identity = np.concatenate([ids[source], np.full(n_false, -1, dtype=np.int64)])
        occluder = np.concatenate([occluder_ids[source], np.full(n_false, -1, dtype=np.int64)])
        covered = np.concatenate([cover[source], np.zeros(n_false)])
        all_tlwh, keep = _clip_to_image(all_tlwh, config.image_size)
        order = rng.permutation(int(keep.sum()))
        kept = np.flatnonzero(keep)[order]
        return all_tlwh[kept], confidence[kept], identity[kept], occluder[kept], covered[kept]

    def _false_positive_boxes(self, n: int) -> np.ndarray:
        """Person-sized boxes at random places (sizes follow the perspective, loosely)."""
        rng, camera = self.rng, self.camera
        z = camera.sample_depth(rng, n, 0.0)
        height = camera.pixel_height(z) * rng.uniform(0.5, 1.3, n)
        width = height * rng.uniform(0.3, 0.7, n)
        centre_x = rng.uniform(0, camera.width, n)
        foot = camera.foot_y(z)
        return np.stack([centre_x - 0.5 * width, foot - height, width, height], axis=1)


def _identity_attributes(
    config: SceneConfig,
    rng: np.random.Generator,
    first_frame: np.ndarray,
    last_frame: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Appearance vectors, clothing colours and look-alike links of ids 1..K.

    ``first_frame`` and ``last_frame`` (K,) give when each id is in view (ids
    are numbered by first appearance). A look-alike copies (with a small
    change) the appearance of an earlier id still in view when it appears,
    which is not a look-alike itself.
    """
    n_ids = len(first_frame)
    dim = config.feature_dim
    appearance = rng.standard_normal((n_ids + 1, dim))
    appearance[0] = 0.0
    appearance[1:] /= np.linalg.norm(appearance[1:], axis=1, keepdims=True)
    colors = _random_colors(rng, n_ids + 1)
    look_alike_of = np.zeros(n_ids + 1, dtype=np.int64)
    is_candidate = rng.random(n_ids) < config.look_alike_fraction
    template_draws = rng.random(n_ids)
    jitter = rng.integers(-10, 11, size=(n_ids + 1, 4, 3))
    original = np.ones(n_ids, dtype=bool)
    for index in np.flatnonzero(is_candidate):
        choices = np.flatnonzero(original[:index] & (last_frame[:index] >= first_frame[index]))
        if len(choices) == 0:
            continue
        original[index] = False
        look_alike_of[index + 1] = choices[int(template_draws[index] * len(choices))] + 1
    copies = np.flatnonzero(look_alike_of)
    if len(copies):
        templates = look_alike_of[copies]
        base = appearance[templates]
        # Orthogonal part: the fresh random vector minus its projection on the template.
        fresh = appearance[copies]
        fresh = fresh - np.sum(fresh * base, axis=1, keepdims=True) * base
        fresh /= np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), 1e-12)
        similarity = config.look_alike_similarity
        appearance[copies] = similarity * base + math.sqrt(1 - similarity**2) * fresh
        colors[copies] = np.clip(
            colors[templates].astype(np.int64) + jitter[copies], 0, 255
        ).astype(np.uint8)
    return appearance.astype(np.float32), colors, look_alike_of


def _random_colors(rng: np.random.Generator, n: int) -> np.ndarray:
    """BGR colours (n, 4, 3): skin, hair, torso, legs."""
    skin_tones = np.array(
        [[189, 208, 241], [152, 182, 224], [118, 150, 198], [82, 112, 160], [56, 78, 112]],
        dtype=np.float64,
    )
    hair_tones = np.array(
        [[20, 20, 25], [30, 45, 70], [40, 70, 110], [120, 160, 190], [150, 150, 150]],
        dtype=np.float64,
    )
    colors = np.empty((n, 4, 3))
    colors[:, 0] = skin_tones[rng.integers(0, len(skin_tones), n)] + rng.normal(0, 6, (n, 3))
    colors[:, 1] = hair_tones[rng.integers(0, len(hair_tones), n)] + rng.normal(0, 6, (n, 3))
    # Clothing: a random hue with varied saturation/brightness (some grey/black).
    colors[:, 2] = _hsv_to_bgr(rng.random(n), rng.uniform(0.0, 0.9, n), rng.uniform(0.15, 0.95, n))
    colors[:, 3] = _hsv_to_bgr(rng.random(n), rng.uniform(0.0, 0.6, n), rng.uniform(0.1, 0.6, n))
    return np.clip(np.round(colors), 0, 255).astype(np.uint8)


def _hsv_to_bgr(hue: np.ndarray, saturation: np.ndarray, value: np.ndarray) -> np.ndarray:
    """HSV in [0, 1] to BGR in [0, 255], shape (n, 3)."""
    sector = (hue * 6.0) % 6.0
    chroma = value * saturation
    second = chroma * (1 - np.abs(sector % 2 - 1))
    low = value - chroma
    index = sector.astype(np.int64)
    rgb = np.zeros((len(hue), 3))
    table = [(0, 1, 2), (1, 0, 2), (2, 0, 1), (2, 1, 0), (1, 2, 0), (0, 2, 1)]
    for sector_index, (c_axis, x_axis, _) in enumerate(table):
        mask = index == sector_index
        rgb[mask, c_axis] = chroma[mask]
        rgb[mask, x_axis] = second[mask]
    rgb += low[:, None]
    return rgb[:, ::-1] * 255.0


def _descriptors(
    config: SceneConfig,
    rng: np.random.Generator,
    appearance: np.ndarray,
    identity: np.ndarray,
    occluder: np.ndarray,
    cover: np.ndarray,
) -> np.ndarray:
    """Unit descriptors (M, D) float32, computed in chunks to bound memory.

    ``appearance`` is the (K + 1, D) float32 table; the arithmetic stays in
    float32 (the output precision) for speed.
    """
    n_rows, dim = len(identity), config.feature_dim
    features = np.empty((n_rows, dim), dtype=np.float32)
    noise_scale = config.feature_noise / math.sqrt(dim)
    for start in range(0, n_rows, _FEATURE_CHUNK_ROWS):
        stop = min(start + _FEATURE_CHUNK_ROWS, n_rows)
        ids, occ = identity[start:stop], occluder[start:stop]
        weight = (OCCLUDER_FEATURE_WEIGHT * cover[start:stop, None]).astype(np.float32)
        noise = rng.standard_normal((stop - start, dim), dtype=np.float32)
        true = ids >= 0
        # Row 0 of the appearance table is zero, so -1 (no occluder) adds nothing.
        chunk = (1.0 - weight) * appearance[np.maximum(ids, 0)] + weight * appearance[np.maximum(occ, 0)]
        chunk = np.where(true[:, None], chunk + noise_scale * noise, noise)
        norm = np.linalg.norm(chunk, axis=1, keepdims=True)
        features[start:stop] = chunk / np.maximum(norm, 1e-12)
    return features


def generate_scene(config: SceneConfig) -> SyntheticScene:
    """Simulate a scene and derive its ground truth, detections and descriptors.

    Parameters
    ----------
    config : SceneConfig
        Scene parameters; the same config (seed included) gives identical arrays.

    Returns
    -------
    SyntheticScene
        See its attributes for the row formats.

    Examples
    --------
    >>> scene = generate_scene(SceneConfig.small(n_frames=5, seed=1))
    >>> scene.gt.shape[1], scene.detections.shape[1], scene.features.shape[1]
    (9, 10, 128)
    >>> bool((scene.detections[:, 0] >= 1).all())
    True
    """
    # Separate streams: the people (gt) depend only on the scene parameters,
    # so changing a detector parameter keeps the same crowd.
    motion_seed, detector_seed, identity_seed, feature_seed = np.random.SeedSequence(config.seed).spawn(4)
    camera = _Camera.from_config(config)
    crowd = _Crowd(config, camera, np.random.default_rng(motion_seed))
    detector = _DetectionSampler(config, camera, np.random.default_rng(detector_seed))

    crowd.spawn(int(round(config.n_people)), inside=True)
    # Frame 1 shows a crowd that has been walking for a while, not the
    # arbitrary initial placement (whose depth mix differs from the steady
    # one). The warm-up takes coarse steps of about 1/6 s.
    warmup_step = max(1, int(round(config.frame_rate / 6.0)))
    n_visible = int(round(config.n_people))
    for _ in range(int(round(WARMUP_S * config.frame_rate / warmup_step))):
        crowd.advance(warmup_step, n_visible)
        n_visible = int(np.count_nonzero(_in_image(crowd.boxes()[0], config.image_size)))

    gt_chunks, gait_chunks, det_chunks = [], [], []
    identity_chunks, occluder_chunks, cover_chunks = [], [], []
    for frame_idx in range(1, config.n_frames + 1):
        if frame_idx > 1:
            crowd.advance(1, n_visible)
        tlwh, foot, swing = crowd.boxes()
        order = np.flatnonzero(_in_image(tlwh, config.image_size))
        n_visible = len(order)
        order = order[np.argsort(crowd.ids[order], kind="stable")]
        tlwh, foot, swing, ids = tlwh[order], foot[order], swing[order], crowd.ids[order]
        visibility, occluder, cover = _occlusion(tlwh, foot, ids, config.image_size)
        rows = np.empty((n_visible, 9))
        rows[:, 0] = frame_idx
        rows[:, 1] = ids
        rows[:, 2:6] = np.round(tlwh, 2)
        rows[:, 6:8] = 1.0
        rows[:, 8] = np.round(visibility, 3)
        gt_chunks.append(rows)
        gait_chunks.append(swing.astype(np.float32))

        occluder_ids = np.where(occluder >= 0, ids[np.maximum(occluder, 0)], -1)
        det_tlwh, confidence, identity, det_occluder, det_cover = detector.sample(
            tlwh, ids, visibility, occluder_ids, cover
        )
        det_rows = np.full((len(det_tlwh), 10), -1.0)
        det_rows[:, 0] = frame_idx
        det_rows[:, 2:6] = np.round(det_tlwh, 2)
        det_rows[:, 6] = np.round(np.clip(confidence, 0.0, 1.0), 4)
        det_chunks.append(det_rows)
        identity_chunks.append(identity)
        occluder_chunks.append(det_occluder)
        cover_chunks.append(det_cover)

    gt = _concatenate_and_clear(gt_chunks)
    gt, gt_gait, new_id = _relabel(gt, _concatenate_and_clear(gait_chunks), crowd.next_id)
    detections = _concatenate_and_clear(det_chunks)
    n_ids = int(new_id.max())
    frames = gt[:, 0].astype(np.int64)
    ids = gt[:, 1].astype(np.int64)
    first_frame = np.full(n_ids + 1, config.n_frames + 1, dtype=np.int64)
    last_frame = np.zeros(n_ids + 1, dtype=np.int64)
    np.minimum.at(first_frame, ids, frames)
    np.maximum.at(last_frame, ids, frames)
    del frames, ids
    appearance, colors, look_alike_of = _identity_attributes(
        config, np.random.default_rng(identity_seed), first_frame[1:], last_frame[1:]
    )
    # -1 (false positive / no occluder) maps to -1 through the appended entry.
    lookup = np.append(new_id, -1)
    detection_identity = lookup[_concatenate_and_clear(identity_chunks).astype(np.int64)]
    detection_occluder = lookup[_concatenate_and_clear(occluder_chunks).astype(np.int64)]
    features = _descriptors(
        config,
        np.random.default_rng(feature_seed),
        appearance,
        detection_identity,
        detection_occluder,
        _concatenate_and_clear(cover_chunks),
    )
    return SyntheticScene(
        config=config,
        gt=gt,
        detections=detections,
        features=features,
        detection_identity=detection_identity,
        gt_gait=gt_gait,
        identity_colors=colors,
        identity_appearance=appearance,
        look_alike_of=look_alike_of,
    )


def _concatenate_and_clear(chunks: list[np.ndarray]) -> np.ndarray:
    # Emptying the list frees the per-frame pieces before the next big array.
    array = np.concatenate(chunks)
    chunks.clear()
    return array


def _relabel(
    gt: np.ndarray, gait: np.ndarray, n_simulated: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Number gt identities 1..K by first appearance; keep rows sorted by frame, id.

    Returns the relabelled gt and gait rows and ``new_id`` (n_simulated,),
    mapping a simulation id to its gt id (0 for people never in view).
    """
    old_ids = gt[:, 1].astype(np.int64)
    unique_old, first_row = np.unique(old_ids, return_index=True)
    by_appearance = unique_old[np.argsort(first_row, kind="stable")]
    new_id = np.zeros(max(n_simulated, 1), dtype=np.int64)
    new_id[by_appearance] = np.arange(1, len(by_appearance) + 1)
    ids = new_id[old_ids]
    order = np.lexsort((ids, gt[:, 0]))
    gt = gt[order]
    gt[:, 1] = ids[order]
    return gt, gait[order], new_id


def scene_statistics(scene: SyntheticScene) -> dict[str, float]:
    """Per-frame averages of a scene (what the preset docstrings quote).

    Returns
    -------
    dict
        ``gt_per_frame``, ``detections_per_frame``, ``false_positives_per_frame``,
        ``mean_visibility``, ``n_identities``.
    """
    n_frames = scene.n_frames
    return {
        "gt_per_frame": len(scene.gt) / n_frames,
        "detections_per_frame": len(scene.detections) / n_frames,
        "false_positives_per_frame": float(np.sum(scene.detection_identity < 0)) / n_frames,
        "mean_visibility": float(scene.gt[:, 8].mean()) if len(scene.gt) else 0.0,
        "n_identities": float(len(np.unique(scene.gt[:, 1]))),
    }
