"""Pure drawing: track colours, boxes, labels, ground truth, trails, info overlay."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

from deep_sort.app.visualization import (
    DETECTION_COLOR,
    GROUNDTRUTH_COLOR,
    DrawStyle,
    FrameRenderer,
    blank_canvas,
    draw_detections,
    draw_groundtruth,
    draw_tracks,
    text_color_for,
    track_color,
)

GREY = (90, 90, 90)


def canvas(width: int = 320, height: int = 240) -> np.ndarray:
    return blank_canvas((width, height), GREY)


def has_color(image: np.ndarray, color: tuple[int, int, int], tolerance: int = 0) -> np.ndarray:
    return np.abs(image.astype(int) - np.array(color)).max(axis=2) <= tolerance


# --- colours ---------------------------------------------------------------


def test_track_color_is_a_fixed_function_of_the_id():
    # Pinned values: colours must not change between runs or versions.
    assert track_color(1) == (191, 76, 29)
    assert track_color(2) == (34, 230, 148)
    assert track_color(np.int64(1)) == track_color(1.0) == (191, 76, 29)


def test_track_colors_are_well_separated():
    colors = np.array([track_color(track_id) for track_id in range(1, 31)], dtype=float)
    distances = [np.abs(a - b).max() for a, b in itertools.combinations(colors, 2)]
    assert len({tuple(c) for c in colors}) == 30
    assert min(distances) >= 15
    # Consecutive ids, the usual neighbours on screen, differ strongly.
    assert min(np.abs(colors[1:] - colors[:-1]).max(axis=1)) >= 100


def test_track_colors_avoid_the_detection_and_gt_colors():
    for track_id in range(1, 200):
        color = np.array(track_color(track_id))
        assert np.abs(color - DETECTION_COLOR).max() > 30
        assert np.abs(color - GROUNDTRUTH_COLOR).max() > 20


@pytest.mark.parametrize(
    ("background", "expected"),
    [
        ((0, 255, 255), (0, 0, 0)),  # yellow: black text
        ((255, 255, 255), (0, 0, 0)),  # white: black text
        ((128, 0, 0), (255, 255, 255)),  # dark blue: white text
        ((0, 0, 0), (255, 255, 255)),  # black: white text
    ],
)
def test_text_color_contrasts(background, expected):
    assert text_color_for(background) == expected


# --- boxes -----------------------------------------------------------------


def test_track_box_drawn_in_its_color_at_its_place():
    image = canvas()
    draw_tracks(image, np.array([[5, 100, 50, 60, 120]]))
    color = track_color(5)
    mask = has_color(image, color)
    assert mask[110, 100] and mask[110, 160]  # left and right edges
    assert mask[170, 130]  # bottom edge
    assert not mask[110, 130]  # inside stays untouched
    assert (image[110, 130] == GREY).all()
    assert not mask[:, :95].any() and not mask[:, 166:].any()
    # The id tag sits above the top-left corner, filled with the track colour.
    assert mask[40:50, 100:110].any()


@pytest.mark.parametrize(
    "tracks",
    [
        None,  # nothing given
        np.zeros((0, 5)),  # no tracks this frame
        [],  # empty list
    ],
)
def test_no_tracks_draws_nothing(tracks):
    image = canvas()
    draw_tracks(image, tracks)
    assert (image == GREY).all()


@pytest.mark.parametrize(
    "tracks",
    [
        np.zeros((2, 4)),  # tlwh without id
        np.zeros(5),  # one row, not 2-D
    ],
)
def test_bad_track_shape_raises(tracks):
    with pytest.raises(ValueError, match=r"expected shape \(N, 5\)"):
        draw_tracks(canvas(), tracks)


def test_boxes_partly_outside_the_image_are_clipped():
    image = canvas()
    draw_tracks(image, [[1, -30, -40, 60, 80], [2, 300, 200, 100, 100], [3, 1e9, 1e9, 5, 5]])
    assert has_color(image, track_color(1))[:40, 29].any()
    assert has_color(image, track_color(2))[200, 300]


def test_detections_are_thin_white():
    image = canvas()
    draw_detections(image, [[20, 30, 40, 50]])
    mask = has_color(image, DETECTION_COLOR)
    assert mask[50, 20] and mask[30, 40]
    assert not mask[50, 22]  # 1 px line at 240 px height


def test_groundtruth_is_dashed_gold_with_tag():
    image = canvas()
    draw_groundtruth(image, [[7, 60, 40, 100, 120]])
    left_edge = np.abs(image[40:160, 60].astype(int) - GROUNDTRUTH_COLOR).max(axis=1) < 60
    assert 0.3 < left_edge.mean() < 0.9  # dashes and gaps
    # "gt 7" tag below the bottom-left corner.
    assert has_color(image, GROUNDTRUTH_COLOR)[162:175, 60:70].any()


def test_blank_canvas_rejects_empty_size():
    with pytest.raises(ValueError, match="positive"):
        blank_canvas((0, 10))


def test_style_scales_with_image_height():
    small, large = DrawStyle.for_height(240), DrawStyle.for_height(2160)
    assert small.track_thickness == 2 and small.font_scale == 0.4
    assert large.track_thickness > small.track_thickness and large.font_scale > small.font_scale


# --- renderer --------------------------------------------------------------


def test_render_draws_on_a_copy_and_layers_everything():
    image = canvas()
    renderer = FrameRenderer(show_info=False)
    out = renderer.render(1, image, tracks=[[3, 100, 60, 50, 100]],
                          detections_tlwh=[[20, 20, 30, 30]], groundtruth=[[1, 200, 60, 40, 80]])
    assert (image == GREY).all()
    assert has_color(out, track_color(3)).any()
    assert has_color(out, DETECTION_COLOR).any()
    assert (np.abs(out.astype(int) - GROUNDTRUTH_COLOR).max(axis=2) < 40).any()


def test_render_accepts_grayscale_and_rejects_other_shapes():
    renderer = FrameRenderer(show_info=False)
    out = renderer.render(1, np.full((40, 50), 90, np.uint8), [[1, 5, 5, 10, 10]])
    assert out.shape == (40, 50, 3)
    with pytest.raises(ValueError, match=r"\(H, W, 3\)"):
        renderer.render(1, np.zeros((40, 50, 4), np.uint8))


def test_info_overlay_darkens_top_left_only_when_enabled():
    image = canvas()
    with_info = FrameRenderer(sequence_name="SEQ", last_frame=10).render(3, image)
    without = FrameRenderer(show_info=False).render(3, image)
    assert (without == GREY).all()
    assert (with_info[2:6, 2:6] < GREY[0]).all()
    assert (with_info[200:, 200:] == GREY).all()


def test_info_lines_count_objects():
    renderer = FrameRenderer(sequence_name="SEQ", last_frame=10)
    lines = renderer.info_lines(3, np.zeros((2, 5)), np.zeros((4, 4)), None)
    assert lines == ["SEQ  frame 3/10", "tracks 2  detections 4"]
    assert FrameRenderer().info_lines(7, np.zeros((0, 5)), None, np.zeros((1, 5))) == [
        "frame 7", "tracks 0  gt 1"]


def feet(frame_idx: int) -> tuple[int, int]:
    return 40 + 20 * frame_idx + 10, 150  # bottom-centre of the box below


def render_walk(renderer: FrameRenderer, frames) -> np.ndarray:
    out = None
    for frame_idx in frames:
        out = renderer.render(frame_idx, canvas(), [[4, 40 + 20 * frame_idx, 50, 20, 100]])
    return out


def test_trail_follows_the_feet_of_recent_frames():
    out = render_walk(FrameRenderer(trail_length=3, show_info=False), range(1, 8))
    mask = has_color(out, track_color(4), tolerance=40)  # trails are anti-aliased
    # Frames 5 and 6 are within the trail (7 - 3 < f); frames 1 to 4 are not.
    assert mask[148:153, feet(5)[0] + 2: feet(6)[0] - 2].all(axis=1).any()
    assert mask[148:153, feet(6)[0] + 2: feet(7)[0] - 2].all(axis=1).any()
    assert not mask[:, : feet(5)[0] - 1].any()


def test_no_trail_by_default():
    out = render_walk(FrameRenderer(show_info=False), range(1, 8))
    assert not has_color(out, track_color(4), tolerance=40)[149:152, feet(5)[0]].any()


def test_trail_forgets_the_future_when_stepping_back():
    renderer = FrameRenderer(trail_length=10, show_info=False)
    render_walk(renderer, range(1, 8))
    out = render_walk(renderer, [4])
    mask = has_color(out, track_color(4), tolerance=40)
    assert mask[149:152, feet(2)[0]].any()  # the past is kept
    assert not mask[140:160, feet(6)[0]].any()  # frames 5..7 are gone


def test_trail_only_for_tracks_in_the_current_frame():
    renderer = FrameRenderer(trail_length=10, show_info=False)
    render_walk(renderer, range(1, 5))
    out = renderer.render(5, canvas(), np.zeros((0, 5)))
    assert (out == GREY).all()


def test_negative_trail_length_rejected():
    with pytest.raises(ValueError, match="trail_length"):
        FrameRenderer(trail_length=-1)


# --- adapters for the tracker's objects ----------------------------------------


def tracker_tracks():
    """Tracks of a real tracker after three frames (n_init=2).

    Track 1: confirmed and updated in frame 3; track 2: confirmed, missed in
    frame 3; track 3: tentative, started in frame 3.
    """
    from deep_sort.detection import Detections
    from deep_sort.tracker import Tracker

    a, b, c = [10, 20, 30, 60], [50, 20, 30, 60], [200, 20, 30, 60]
    tracker = Tracker(None, n_init=2)
    for boxes in ([a, c], [a, c], [a, b]):
        tracker.predict()
        tracker.update(Detections(boxes, [0.9] * len(boxes)))
    return tracker.tracks


def test_tracks_to_rows_keeps_confirmed_tracks_updated_this_frame():
    from deep_sort.app.visualization import tracks_to_rows

    tracks = tracker_tracks()
    assert [(t.track_id, t.state.name, t.time_since_update) for t in tracks] == [
        (1, "Confirmed", 0), (2, "Confirmed", 1), (3, "Tentative", 0)]
    np.testing.assert_allclose(tracks_to_rows(tracks), [[1, 10, 20, 30, 60]])  # a box that never moved
    assert tracks_to_rows(tracks, max_time_since_update=1)[:, 0].tolist() == [1, 2]
    assert tracks_to_rows([]).shape == (0, 5)


def test_detections_to_tlwh():
    from deep_sort.app.visualization import detections_to_tlwh
    from deep_sort.detection import Detection

    boxes = detections_to_tlwh([Detection([1, 2, 3, 4], 0.9), Detection([5, 6, 7, 8], 0.5)])
    assert boxes.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert detections_to_tlwh([]).shape == (0, 4)
