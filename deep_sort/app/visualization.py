"""Draw tracking output on BGR images: track boxes with ids, detections, ground truth, trails.

Two layers:

- pure drawing on numpy images, shape (H, W, 3), uint8, BGR (OpenCV order),
  no windows, no files: the ``draw_*`` functions draw in place;
  :class:`FrameRenderer` draws on a copy and keeps the trail state between
  frames;
- :class:`SequenceVisualizer` ties the renderer to a MOT sequence (its
  images, or a blank canvas of the sequence size when a frame has none; its
  gt), an optional OpenCV window and an optional video file. The tracking
  loop (``deep_sort_app.py --display True``), ``show_results.py`` and
  ``generate_videos.py`` all draw through it.

Boxes are ``tlwh`` in pixels (top-left x, top-left y, width, height), as in
MOT files. OpenCV is imported inside the functions so that importing this
module stays cheap and opens nothing.

Visual conventions (see :func:`track_color`):

- tracks: solid box in the track's colour, a filled id tag at the top-left;
- detections: thin white box;
- ground truth: dashed gold box with a small ``gt ID`` tag at the bottom-left;
- trails: the bottom-centre (feet) of the last positions of each track.
"""
from __future__ import annotations

import colorsys
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..io.errors import InputError
from ..io.mot import SequenceInfo, frame_offsets, load_groundtruth
from .image_viewer import Action, ImageViewer, screen_available
from .video import CloseOnExit, VideoWriter, check_video_path

logger = logging.getLogger(__name__)

#: Hue step between consecutive track ids: successive ids land far apart on
#: the hue circle and no two ids ever get exactly the same hue.
GOLDEN_RATIO_CONJUGATE = 0.6180339887498949
#: Brightness cycle over ids, so ids whose hues end up close still differ.
TRACK_COLOR_VALUES = (1.0, 0.75, 0.9)
TRACK_COLOR_SATURATION = 0.85
#: BGR colour of detection boxes.
DETECTION_COLOR = (255, 255, 255)
#: BGR colour of ground-truth boxes (gold).
GROUNDTRUTH_COLOR = (0, 215, 255)
#: Height in pixels the default line widths and font sizes are designed for.
REFERENCE_HEIGHT = 720

BGRColor = tuple[int, int, int]


def track_color(track_id: int) -> BGRColor:
    """Return the colour of a track id: deterministic and well separated.

    The hue advances by the golden-ratio conjugate per id (so neighbouring
    ids get very different hues) and the brightness cycles over three levels.
    The colour depends on the id only: the same across frames, runs and
    machines.

    Parameters
    ----------
    track_id : int
        Track id (MOT ids start at 1; any integer is accepted).

    Returns
    -------
    tuple of (int, int, int)
        Blue, green, red in 0..255.

    Examples
    --------
    >>> track_color(1)
    (191, 76, 29)
    >>> track_color(1) == track_color(1), track_color(1) != track_color(2)
    (True, True)
    """
    track_id = int(track_id)
    hue = (track_id * GOLDEN_RATIO_CONJUGATE) % 1.0
    value = TRACK_COLOR_VALUES[track_id % len(TRACK_COLOR_VALUES)]
    red, green, blue = colorsys.hsv_to_rgb(hue, TRACK_COLOR_SATURATION, value)
    return int(round(blue * 255)), int(round(green * 255)), int(round(red * 255))


def text_color_for(background: BGRColor) -> BGRColor:
    """Return black or white, whichever reads better on ``background`` (BGR).

    Examples
    --------
    >>> text_color_for((0, 255, 255)), text_color_for((128, 0, 0))
    ((0, 0, 0), (255, 255, 255))
    """
    blue, green, red = background
    luma = 0.114 * blue + 0.587 * green + 0.299 * red
    return (0, 0, 0) if luma > 140 else (255, 255, 255)


@dataclass(frozen=True)
class DrawStyle:
    """Line widths and font size, scaled to the image height.

    Attributes
    ----------
    track_thickness : int
        Line width of track boxes and trails, pixels.
    thin_thickness : int
        Line width of detection and ground-truth boxes, pixels.
    font_scale : float
        OpenCV Hershey font scale of labels and the info overlay.
    font_thickness : int
        Stroke width of text, pixels.
    """

    track_thickness: int = 2
    thin_thickness: int = 1
    font_scale: float = 0.5
    font_thickness: int = 1

    @classmethod
    def for_height(cls, height: int) -> DrawStyle:
        """Scale the default style to an image ``height`` pixels tall.

        Examples
        --------
        >>> DrawStyle.for_height(1080)
        DrawStyle(track_thickness=3, thin_thickness=2, font_scale=0.75, font_thickness=2)
        """
        scale = max(float(height), 1.0) / REFERENCE_HEIGHT
        return cls(
            track_thickness=max(2, int(round(2 * scale))),
            thin_thickness=max(1, int(round(scale))),
            font_scale=max(0.4, round(0.5 * scale, 2)),
            font_thickness=max(1, int(round(1.4 * scale))),
        )


def blank_canvas(image_size: tuple[int, int], color: BGRColor = (40, 40, 40)) -> npt.NDArray[np.uint8]:
    """Return a uniform image to draw on when a frame has no image.

    Parameters
    ----------
    image_size : tuple of (int, int)
        (width, height) in pixels.
    color : tuple of (int, int, int)
        BGR fill; dark grey so that white detections remain visible.

    Returns
    -------
    ndarray of shape (height, width, 3), uint8

    Examples
    --------
    >>> blank_canvas((4, 2)).shape
    (2, 4, 3)
    """
    width, height = (int(v) for v in image_size)
    if width <= 0 or height <= 0:
        raise ValueError(f"canvas size must be positive, got {width}x{height}")
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = color
    return canvas


def _as_rows(array: npt.ArrayLike | None, n_columns: int, name: str) -> np.ndarray:
    if array is None:
        return np.zeros((0, n_columns), dtype=np.float64)
    rows = np.asarray(array, dtype=np.float64)
    if rows.size == 0:
        return rows.reshape(0, n_columns)
    if rows.ndim != 2 or rows.shape[1] != n_columns:
        raise ValueError(f"{name}: expected shape (N, {n_columns}), got {rows.shape}")
    return rows


def _corners(image: np.ndarray, tlwh: np.ndarray, margin: int) -> tuple[int, int, int, int]:
    # Clipping just outside the image keeps out-of-frame edges invisible and
    # bounds the work of dashed lines for absurdly large boxes.
    height, width = image.shape[:2]
    left, top, box_width, box_height = (float(v) for v in tlwh)
    x1 = int(round(np.clip(left, -margin, width + margin)))
    y1 = int(round(np.clip(top, -margin, height + margin)))
    x2 = int(round(np.clip(left + box_width, -margin, width + margin)))
    y2 = int(round(np.clip(top + box_height, -margin, height + margin)))
    return x1, y1, x2, y2


def _dashed_line(image: np.ndarray, start: tuple[int, int], end: tuple[int, int],
                 color: BGRColor, thickness: int, dash: int) -> None:
    import cv2

    length = float(np.hypot(end[0] - start[0], end[1] - start[1]))
    if length == 0:
        return
    direction = (np.asarray(end, dtype=np.float64) - start) / length
    for offset in np.arange(0.0, length, 2 * dash):
        a = np.asarray(start) + direction * offset
        b = np.asarray(start) + direction * min(offset + dash, length)
        cv2.line(image, (int(round(a[0])), int(round(a[1]))), (int(round(b[0])), int(round(b[1]))),
                 color, thickness, cv2.LINE_AA)


def draw_label(image: np.ndarray, text: str, anchor: tuple[int, int], color: BGRColor,
               style: DrawStyle, below: bool = False) -> None:
    """Draw ``text`` on a filled tag of ``color`` at ``anchor`` (in place).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    text : str
        The label.
    anchor : tuple of (int, int)
        (x, y) pixel: the tag's bottom-left corner, or its top-left corner
        when ``below``. The tag is moved inside the image when it would
        leave it.
    color : tuple of (int, int, int)
        BGR fill; the text is black or white, whichever contrasts.
    style : DrawStyle
        Font size.
    below : bool
        Whether the tag hangs below ``anchor`` instead of sitting on it.
    """
    import cv2

    font = cv2.FONT_HERSHEY_SIMPLEX
    (text_width, text_height), baseline = cv2.getTextSize(text, font, style.font_scale, style.font_thickness)
    pad = max(1, style.font_thickness + 1)
    tag_width, tag_height = text_width + 2 * pad, text_height + baseline + 2 * pad
    height, width = image.shape[:2]
    x, y = anchor
    top = y if below else y - tag_height
    x = int(np.clip(x, 0, max(width - tag_width, 0)))
    top = int(np.clip(top, 0, max(height - tag_height, 0)))
    cv2.rectangle(image, (x, top), (x + tag_width, top + tag_height), color, cv2.FILLED)
    cv2.putText(image, text, (x + pad, top + pad + text_height), font, style.font_scale,
                text_color_for(color), style.font_thickness, cv2.LINE_AA)


def draw_box(image: np.ndarray, tlwh: npt.ArrayLike, color: BGRColor, thickness: int = 2,
             label: str | None = None, dashed: bool = False, style: DrawStyle | None = None) -> None:
    """Draw one ``tlwh`` box (in place), optionally dashed, with a label tag.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    tlwh : array-like of shape (4,), float
        Box (left, top, width, height) in pixels; parts outside the image
        are clipped.
    color : tuple of (int, int, int)
        BGR line colour.
    thickness : int
        Line width in pixels.
    label : str, optional
        Text of a tag drawn at the top-left corner (bottom-left if dashed).
    dashed : bool
        Dashed outline (used for ground truth).
    style : DrawStyle, optional
        Font of the label; defaults to :meth:`DrawStyle.for_height` of the image.
    """
    import cv2

    x1, y1, x2, y2 = _corners(image, np.asarray(tlwh, dtype=np.float64), margin=thickness + 1)
    if dashed:
        dash = 4 * thickness + 2
        for start, end in (((x1, y1), (x2, y1)), ((x2, y1), (x2, y2)),
                           ((x2, y2), (x1, y2)), ((x1, y2), (x1, y1))):
            _dashed_line(image, start, end, color, thickness, dash)
    else:
        cv2.rectangle(image, (x1, y1), (x2, y2), color, thickness)
    if label:
        style = style or DrawStyle.for_height(image.shape[0])
        if dashed:
            draw_label(image, label, (x1, y2), color, style, below=True)
        else:
            draw_label(image, label, (x1, y1), color, style)


def draw_tracks(image: np.ndarray, tracks: npt.ArrayLike | None, style: DrawStyle | None = None) -> None:
    """Draw track boxes in their id colours with id tags (in place).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    tracks : array-like of shape (K, 5), float, or None
        Rows ``[track_id, left, top, width, height]`` (tlwh pixels). An empty
        array or None draws nothing.
    style : DrawStyle, optional
        Defaults to :meth:`DrawStyle.for_height` of the image.
    """
    style = style or DrawStyle.for_height(image.shape[0])
    for row in _as_rows(tracks, 5, "tracks"):
        track_id = int(row[0])
        draw_box(image, row[1:5], track_color(track_id), style.track_thickness,
                 label=str(track_id), style=style)


def draw_detections(image: np.ndarray, detections_tlwh: npt.ArrayLike | None,
                    style: DrawStyle | None = None) -> None:
    """Draw detection boxes as thin white rectangles (in place).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    detections_tlwh : array-like of shape (M, 4), float, or None
        Detection boxes (tlwh pixels).
    style : DrawStyle, optional
        Defaults to :meth:`DrawStyle.for_height` of the image.
    """
    style = style or DrawStyle.for_height(image.shape[0])
    for tlwh in _as_rows(detections_tlwh, 4, "detections_tlwh"):
        draw_box(image, tlwh, DETECTION_COLOR, style.thin_thickness)


def draw_groundtruth(image: np.ndarray, groundtruth: npt.ArrayLike | None,
                     style: DrawStyle | None = None) -> None:
    """Draw ground-truth boxes dashed in gold with ``gt ID`` tags (in place).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    groundtruth : array-like of shape (G, 5), float, or None
        Rows ``[gt_id, left, top, width, height]`` (tlwh pixels).
    style : DrawStyle, optional
        Defaults to :meth:`DrawStyle.for_height` of the image.
    """
    style = style or DrawStyle.for_height(image.shape[0])
    small = DrawStyle(style.track_thickness, style.thin_thickness,
                      max(0.35, style.font_scale * 0.8), style.font_thickness)
    for row in _as_rows(groundtruth, 5, "groundtruth"):
        draw_box(image, row[1:5], GROUNDTRUTH_COLOR, style.thin_thickness,
                 label=f"gt {int(row[0])}", dashed=True, style=small)


def draw_trails(image: np.ndarray, trails: dict[int, npt.ArrayLike], style: DrawStyle | None = None) -> None:
    """Draw each track's recent path as a polyline in its colour (in place).

    Older segments are thinner than recent ones.

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    trails : dict[int, array-like of shape (P, 2)]
        Track id to its points (x, y) in pixels, oldest first.
    style : DrawStyle, optional
        Defaults to :meth:`DrawStyle.for_height` of the image.
    """
    import cv2

    style = style or DrawStyle.for_height(image.shape[0])
    for track_id, points in trails.items():
        points = np.round(np.asarray(points, dtype=np.float64)).astype(np.int32)
        if len(points) < 2:
            continue
        color = track_color(track_id)
        n_segments = len(points) - 1
        for i in range(n_segments):
            thickness = max(1, int(round(style.track_thickness * (i + 1) / n_segments)))
            cv2.line(image, tuple(int(v) for v in points[i]), tuple(int(v) for v in points[i + 1]),
                     color, thickness, cv2.LINE_AA)


def draw_info(image: np.ndarray, lines: list[str], style: DrawStyle | None = None) -> None:
    """Draw text lines at the top-left on a darkened panel (in place).

    Parameters
    ----------
    image : ndarray of shape (H, W, 3), uint8
        BGR image, modified in place.
    lines : list of str
        One entry per text line, top to bottom.
    style : DrawStyle, optional
        Defaults to :meth:`DrawStyle.for_height` of the image.
    """
    import cv2

    if not lines:
        return
    style = style or DrawStyle.for_height(image.shape[0])
    font = cv2.FONT_HERSHEY_SIMPLEX
    sizes = [cv2.getTextSize(line, font, style.font_scale, style.font_thickness) for line in lines]
    line_height = max(h + baseline for (_, h), baseline in sizes) + 2 * style.font_thickness + 2
    pad = 2 * line_height // 5
    panel_width = max(w for (w, _), _ in sizes) + 2 * pad
    panel_height = line_height * len(lines) + pad
    height, width = image.shape[:2]
    panel = image[: min(panel_height, height), : min(panel_width, width)]
    # Darken rather than paint over, so that what is underneath stays visible.
    panel[:] = (panel.astype(np.uint16) * 2 // 5).astype(np.uint8)
    for i, (line, ((_, text_height), _)) in enumerate(zip(lines, sizes)):
        origin = (pad, pad + i * line_height + text_height + style.font_thickness)
        cv2.putText(image, line, origin, font, style.font_scale, (255, 255, 255),
                    style.font_thickness, cv2.LINE_AA)


def bottom_centers(tlwh: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Return the bottom-centre (feet) point of ``tlwh`` boxes.

    Parameters
    ----------
    tlwh : array-like of shape (N, 4), float

    Returns
    -------
    ndarray of shape (N, 2), float64
        (x, y) in pixels.

    Examples
    --------
    >>> bottom_centers([[10, 20, 30, 40]]).tolist()
    [[25.0, 60.0]]
    """
    tlwh = np.asarray(tlwh, dtype=np.float64).reshape(-1, 4)
    return np.stack([tlwh[:, 0] + tlwh[:, 2] / 2, tlwh[:, 1] + tlwh[:, 3]], axis=1)


def tracks_to_rows(tracks: Iterable[Any], max_time_since_update: int = 0) -> npt.NDArray[np.float64]:
    """Turn tracker tracks into the ``[track_id, l, t, w, h]`` rows that are drawn.

    Like the published display, only confirmed tracks updated in this frame
    are drawn (``max_time_since_update`` = 0).

    Parameters
    ----------
    tracks : iterable of Track
        Objects with ``track_id``, ``time_since_update``, ``is_confirmed()``
        and ``to_tlwh()`` (:class:`deep_sort.track.Track`).
    max_time_since_update : int
        Also draw confirmed tracks missed for up to this many frames (shown
        at their predicted box).

    Returns
    -------
    ndarray of shape (K, 5), float64
    """
    rows = [
        [float(track.track_id), *(float(v) for v in track.to_tlwh())]
        for track in tracks
        if track.is_confirmed() and track.time_since_update <= max_time_since_update
    ]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 5)


def detections_to_tlwh(detections: Iterable[Any]) -> npt.NDArray[np.float64]:
    """Stack the ``tlwh`` boxes of detection objects (:class:`deep_sort.detection.Detection`).

    Returns
    -------
    ndarray of shape (M, 4), float64
    """
    return np.asarray([detection.tlwh for detection in detections], dtype=np.float64).reshape(-1, 4)


class FrameRenderer:
    """Draw one annotated frame at a time, remembering track trails.

    Parameters
    ----------
    trail_length : int
        Number of frames of history drawn as a trail behind each current
        track (0 = no trails).
    show_info : bool
        Whether to draw the info overlay (sequence, frame, counts).
    sequence_name : str, optional
        Shown in the info overlay.
    last_frame : int, optional
        Shown as ``frame F/LAST`` in the info overlay.

    Notes
    -----
    Trails are built from the frames rendered so far. Rendering a frame at or
    before the previous one (stepping back in a player) forgets the history
    from that frame on, so a trail never shows the future.

    Examples
    --------
    >>> renderer = FrameRenderer(trail_length=10)
    >>> image = renderer.render(1, blank_canvas((64, 48)), [[1, 5, 5, 20, 30]])
    >>> image.shape, image.dtype.name
    ((48, 64, 3), 'uint8')
    """

    def __init__(self, *, trail_length: int = 0, show_info: bool = True,
                 sequence_name: str | None = None, last_frame: int | None = None) -> None:
        if trail_length < 0:
            raise ValueError(f"trail_length must be >= 0, got {trail_length}")
        self.trail_length = int(trail_length)
        self.show_info = show_info
        self.sequence_name = sequence_name
        self.last_frame = last_frame
        self._history: dict[int, dict[int, tuple[float, float]]] = {}
        self._previous_frame: int | None = None

    def reset(self) -> None:
        """Forget all trails."""
        self._history.clear()
        self._previous_frame = None

    def _update_trails(self, frame_idx: int, tracks: np.ndarray) -> dict[int, np.ndarray]:
        if self._previous_frame is not None and frame_idx <= self._previous_frame:
            for positions in self._history.values():
                for frame in [f for f in positions if f >= frame_idx]:
                    del positions[frame]
        self._previous_frame = frame_idx
        for track_id, point in zip(tracks[:, 0].astype(int), bottom_centers(tracks[:, 1:5])):
            self._history.setdefault(int(track_id), {})[frame_idx] = (float(point[0]), float(point[1]))
        oldest = frame_idx - self.trail_length
        for track_id in list(self._history):
            positions = self._history[track_id]
            for frame in [f for f in positions if f <= oldest]:
                del positions[frame]
            if not positions:
                del self._history[track_id]
        current = {int(track_id) for track_id in tracks[:, 0]}
        return {
            track_id: np.array([positions[f] for f in sorted(positions)])
            for track_id, positions in self._history.items()
            if track_id in current
        }

    def render(self, frame_idx: int, image: np.ndarray, tracks: npt.ArrayLike | None = None,
               detections_tlwh: npt.ArrayLike | None = None,
               groundtruth: npt.ArrayLike | None = None) -> npt.NDArray[np.uint8]:
        """Return a copy of ``image`` with everything drawn on it.

        Drawing order, bottom to top: ground truth, detections, trails,
        tracks, info overlay.

        Parameters
        ----------
        frame_idx : int
            Frame index (1-based, as in MOT files).
        image : ndarray of shape (H, W, 3), uint8
            BGR frame; not modified.
        tracks : array-like of shape (K, 5), float, or None
            ``[track_id, left, top, width, height]`` rows (tlwh pixels).
        detections_tlwh : array-like of shape (M, 4), float, or None
            Detection boxes; None hides them (and their count).
        groundtruth : array-like of shape (G, 5), float, or None
            ``[gt_id, left, top, width, height]`` rows; None hides them.

        Returns
        -------
        ndarray of shape (H, W, 3), uint8
        """
        image = np.array(image, dtype=np.uint8, copy=True)
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"image: expected shape (H, W, 3), got {image.shape}")
        tracks = _as_rows(tracks, 5, "tracks")
        style = DrawStyle.for_height(image.shape[0])
        if groundtruth is not None:
            draw_groundtruth(image, groundtruth, style)
        if detections_tlwh is not None:
            draw_detections(image, detections_tlwh, style)
        if self.trail_length > 0:
            draw_trails(image, self._update_trails(int(frame_idx), tracks), style)
        draw_tracks(image, tracks, style)
        if self.show_info:
            draw_info(image, self.info_lines(frame_idx, tracks, detections_tlwh, groundtruth), style)
        return image

    def info_lines(self, frame_idx: int, tracks: np.ndarray, detections_tlwh: npt.ArrayLike | None,
                   groundtruth: npt.ArrayLike | None) -> list[str]:
        """Return the info overlay text: sequence and frame, then object counts."""
        frame_text = f"frame {int(frame_idx)}" + (f"/{self.last_frame}" if self.last_frame else "")
        first = f"{self.sequence_name}  {frame_text}" if self.sequence_name else frame_text
        counts = [f"tracks {len(tracks)}"]
        if detections_tlwh is not None:
            counts.append(f"detections {len(_as_rows(detections_tlwh, 4, 'detections_tlwh'))}")
        if groundtruth is not None:
            counts.append(f"gt {len(_as_rows(groundtruth, 5, 'groundtruth'))}")
        return [first, "  ".join(counts)]


# --- a whole sequence: images, gt, window, video ------------------------------

#: Frame rate used when neither seqinfo.ini nor ``update_ms`` gives one.
DEFAULT_FPS = 30.0
#: Canvas (width, height) when a sequence has no images and no size is known.
DEFAULT_CANVAS_SIZE = (1920, 1080)
#: Column of the ``consider`` flag in a 9-column gt.txt (0 = ignored row).
GT_CONSIDER_COLUMN = 6

#: Per-frame input of :meth:`SequenceVisualizer.play`: (tracks (K, 5), detections_tlwh (M, 4) or None).
FrameData = tuple[np.ndarray | None, np.ndarray | None]


class FrameTable:
    """MOT rows grouped by frame, indexed once.

    Parameters
    ----------
    rows : ndarray of shape (N, C), float
        Rows whose column 0 is the frame index.

    Examples
    --------
    >>> table = FrameTable(np.array([[2, 7.0], [1, 5.0], [2, 9.0]]))
    >>> table[2].tolist(), table[3].shape
    ([[2.0, 7.0], [2.0, 9.0]], (0, 2))
    """

    def __init__(self, rows: np.ndarray) -> None:
        self._rows = np.asarray(rows, dtype=np.float64)
        order, self._offsets = frame_offsets(self._rows[:, 0]) if len(self._rows) else ([], {})
        self._rows = self._rows[np.asarray(order, dtype=np.int64)]

    def __getitem__(self, frame_idx: int) -> np.ndarray:
        start, stop = self._offsets.get(int(frame_idx), (0, 0))
        return self._rows[start:stop]


def sequence_frame_range(seq_info: SequenceInfo) -> tuple[int, int] | None:
    """Return the sequence's (first, last) frame, inclusive, or None if unknown.

    Frames run from 1 (or the first image without seqinfo.ini) to the larger
    of seqLength and the last image.
    """
    image_frames = list(seq_info.image_filenames)
    last = max(max(image_frames, default=0), seq_info.seq_length or 0)
    if last == 0:
        return None
    first = 1 if seq_info.seq_length else min(image_frames)
    return first, last


def groundtruth_rows(groundtruth: np.ndarray) -> np.ndarray:
    """Return the gt rows to draw: 9-column rows with ``consider`` = 0 are dropped.

    Parameters
    ----------
    groundtruth : ndarray of shape (N, 9) or (N, 10), float
        As returned by :func:`deep_sort.io.load_groundtruth`.

    Returns
    -------
    ndarray of shape (N', C), float
    """
    if groundtruth.shape[1] == 9:
        return groundtruth[groundtruth[:, GT_CONSIDER_COLUMN] != 0]
    return groundtruth


class SequenceVisualizer(CloseOnExit):
    """Draw, show and/or record a sequence frame by frame.

    Call :meth:`update` once per frame (in any frame order for
    :meth:`draw_frame`, forward for a video), then :meth:`close`. Or use it
    as a context manager: an exception discards the unfinished video.

    Parameters
    ----------
    seq_info : SequenceInfo
        The sequence: images, size, frame rate, gt path.
    show_detections : bool
        Whether detections passed per frame are drawn.
    show_gt : bool
        Whether ground truth is drawn (loaded from ``seq_info`` unless
        ``groundtruth`` is given).
    groundtruth : ndarray of shape (N, 9) or (N, 10), float, optional
        Pre-loaded gt.txt rows (``consider`` = 0 rows are not drawn).
    trail_length : int
        Frames of history drawn behind each track (0 = none).
    show_info : bool
        Whether the info overlay (frame number, counts) is drawn.
    window : bool
        Show frames in an OpenCV window (space pauses, right arrow steps,
        Esc/q quits).
    update_ms : int, optional
        Milliseconds per frame; default from the sequence frame rate. Also
        sets the video frame rate (1000 / update_ms).
    output_file : str or PathLike, optional
        Record the frames to this video (written atomically on :meth:`close`).
    convert_h264 : bool
        Re-encode the video to H.264 (imageio-ffmpeg's ffmpeg).
    canvas_size : tuple of (int, int), optional
        (width, height) of the blank canvas for frames without an image;
        default the sequence image size, else 1920x1080.

    Raises
    ------
    InputError
        ``window`` without a usable screen (see
        :func:`~deep_sort.app.image_viewer.screen_available`), ``show_gt``
        without gt, bad ``output_file`` extension, missing ffmpeg.

    Examples
    --------
    Per frame in a tracking loop (``tracks`` rows ``[track_id, l, t, w, h]``)::

        with SequenceVisualizer(seq_info, window=True) as visualizer:
            for frame_idx in frames:
                ...  # track
                if not visualizer.update(frame_idx, tracks, detections_tlwh):
                    break  # the user pressed Esc
    """

    def __init__(
        self,
        seq_info: SequenceInfo,
        *,
        show_detections: bool = True,
        show_gt: bool = False,
        groundtruth: np.ndarray | None = None,
        trail_length: int = 0,
        show_info: bool = True,
        window: bool = False,
        update_ms: int | None = None,
        output_file: str | os.PathLike[str] | None = None,
        convert_h264: bool = False,
        canvas_size: tuple[int, int] | None = None,
    ) -> None:
        if update_ms is not None and update_ms < 1:
            raise ValueError(f"update_ms must be >= 1, got {update_ms}")
        if window and not screen_available():
            raise InputError(
                "cannot open a window: no display (DISPLAY/WAYLAND_DISPLAY unset or unreachable) "
                "or OpenCV has no GUI support; render a video instead"
            )
        if output_file is not None:
            check_video_path(output_file)
        self.seq_info = seq_info
        self.show_detections = show_detections
        self.canvas_size = canvas_size or seq_info.image_size or DEFAULT_CANVAS_SIZE
        self._groundtruth: FrameTable | None = None
        if show_gt:
            if groundtruth is None:
                if seq_info.groundtruth_path is None:
                    raise InputError(
                        f"{seq_info.sequence_dir}: no gt/gt.txt to show (sequence {seq_info.name})"
                    )
                groundtruth = load_groundtruth(seq_info.groundtruth_path)
            self._groundtruth = FrameTable(groundtruth_rows(groundtruth))
        frame_range = sequence_frame_range(seq_info)
        self.renderer = FrameRenderer(trail_length=trail_length, show_info=show_info,
                                      sequence_name=seq_info.name,
                                      last_frame=frame_range[1] if frame_range else None)
        if update_ms is not None:
            self.fps = 1000.0 / update_ms
        else:
            self.fps = seq_info.frame_rate or DEFAULT_FPS
        self.viewer = ImageViewer(update_ms or int(1000 / self.fps), title=seq_info.name) if window else None
        self.writer = VideoWriter(output_file, self.fps, convert_h264=convert_h264) if output_file else None
        self._warned_blank = False

    def image(self, frame_idx: int) -> npt.NDArray[np.uint8]:
        """Read the frame's image, or a blank canvas when the sequence has none.

        Raises
        ------
        InputError
            If the image file exists but is cut short or cannot be decoded.
        """
        path = self.seq_info.image_filenames.get(int(frame_idx))
        if path is None:
            if not self._warned_blank:
                self._warned_blank = True
                width, height = self.canvas_size
                logger.warning("%s: no image for frame %d (and possibly others): drawing on a blank "
                               "%dx%d canvas", self.seq_info.name, frame_idx, width, height)
            return blank_canvas(self.canvas_size)
        from ..io.images import read_image

        return read_image(path, what=f"frame {frame_idx} of {self.seq_info.name}")

    def draw_frame(self, frame_idx: int, tracks: npt.ArrayLike | None = None,
                   detections_tlwh: npt.ArrayLike | None = None, *, image: np.ndarray | None = None,
                   groundtruth: npt.ArrayLike | None = None) -> npt.NDArray[np.uint8]:
        """Return the annotated frame (no window, no video).

        Parameters
        ----------
        frame_idx : int
            Frame index, 1-based.
        tracks : array-like of shape (K, 5), float, optional
            ``[track_id, left, top, width, height]`` rows (tlwh pixels, ids
            as whole numbers); None or (0, 5) for no tracks.
        detections_tlwh : array-like of shape (M, 4), float, optional
            Detection boxes (tlwh pixels); ignored unless ``show_detections``.
        image : ndarray of shape (H, W, 3), uint8, optional
            The frame, if the caller has it already; else it is read (or a
            blank canvas is used).
        groundtruth : array-like of shape (G, 5), float, optional
            ``[gt_id, l, t, w, h]`` rows overriding the loaded gt of this frame.

        Returns
        -------
        ndarray of shape (H, W, 3), uint8
            BGR image.
        """
        if image is None:
            image = self.image(frame_idx)
        if groundtruth is None and self._groundtruth is not None:
            groundtruth = self._groundtruth[frame_idx][:, 1:6]
        return self.renderer.render(frame_idx, image, tracks,
                                    detections_tlwh if self.show_detections else None, groundtruth)

    def update(self, frame_idx: int, tracks: npt.ArrayLike | None = None,
               detections_tlwh: npt.ArrayLike | None = None, *, image: np.ndarray | None = None,
               groundtruth: npt.ArrayLike | None = None) -> bool:
        """Draw the frame, show it (window) and append it (video).

        Parameters are those of :meth:`draw_frame`. With a window this
        blocks for ``update_ms`` (or while paused); the step-back key is
        ignored because the tracking loop cannot go back.

        Returns
        -------
        bool
            False when the user quit (Esc/q, window closed): stop calling.
        """
        annotated = self.draw_frame(frame_idx, tracks, detections_tlwh, image=image, groundtruth=groundtruth)
        if self.writer is not None:
            self.writer.write(annotated)
        if self.viewer is not None:
            self.viewer.show(annotated)
            return self.viewer.wait(can_step_back=False) is not Action.QUIT
        return True

    def show_tracking_frame(self, frame_idx: int, detections: Iterable[Any], tracks: Iterable[Any]) -> bool:
        """Like :meth:`update`, from the tracker's objects (for a frame callback).

        Parameters
        ----------
        frame_idx : int
            Frame index, 1-based.
        detections : iterable of Detection
            This frame's detections (objects with ``tlwh``).
        tracks : iterable of Track
            ``tracker.tracks``; confirmed tracks updated in this frame are
            drawn, as in the published display (see
            :func:`~deep_sort.app.visualization.tracks_to_rows`).

        Returns
        -------
        bool
            False when the user quit.
        """
        return self.update(frame_idx, tracks_to_rows(tracks), detections_to_tlwh(detections))

    def play(self, frame_indices: Sequence[int], frame_data: Callable[[int], FrameData]) -> int:
        """Play frames in the window with random access (stepping back works).

        Parameters
        ----------
        frame_indices : sequence of int
            Frames in playing order.
        frame_data : callable
            ``frame_data(frame_idx) -> (tracks, detections_tlwh)`` as for
            :meth:`draw_frame`.

        Returns
        -------
        int
            Number of frames shown.
        """
        if self.viewer is None:
            raise ValueError("play() needs a SequenceVisualizer created with window=True")

        def render(frame_idx: int) -> np.ndarray:
            tracks, detections_tlwh = frame_data(frame_idx)
            return self.draw_frame(frame_idx, tracks, detections_tlwh)

        return self.viewer.run(frame_indices, render)

    def close(self) -> Path | None:
        """Finish the video (if any) and close the window (if any).

        Returns
        -------
        Path or None
            The written video.
        """
        try:
            return self.writer.close() if self.writer is not None else None
        finally:
            if self.viewer is not None:
                self.viewer.close()

    def abort(self) -> None:
        """Discard the unfinished video and close the window."""
        if self.writer is not None:
            self.writer.abort()
        if self.viewer is not None:
            self.viewer.close()
