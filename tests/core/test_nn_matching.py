from __future__ import annotations

import numpy as np
import pytest

from deep_sort.nn_matching import NearestNeighborDistanceMetric, nn_cosine_distance, nn_euclidean_distance


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_cosine_distance_is_min_over_gallery():
    gallery = np.array([[1, 0], [0, 1]], dtype=np.float32)
    queries = np.array([[1, 0], [1, 1], [-1, 0]], dtype=np.float32)
    np.testing.assert_allclose(nn_cosine_distance(gallery, queries), [0, 1 - np.sqrt(0.5), 1], atol=1e-6)


def test_cosine_renormalises_features():
    np.testing.assert_allclose(nn_cosine_distance([[3.0, 0.0]], [[0.5, 0.0]]), [0.0], atol=1e-7)


def test_euclidean_distance_is_squared_and_clipped():
    np.testing.assert_allclose(nn_euclidean_distance([[0, 0], [3, 4]], [[3, 4], [6, 8]]), [0, 25])


def test_budget_keeps_most_recent_samples():
    metric = NearestNeighborDistanceMetric("cosine", 0.2, budget=2)
    features = [unit([1, 0]), unit([0, 1]), unit([1, 1])]
    metric.partial_fit(features, [7, 7, 7], active_targets=[7])
    assert len(metric.samples[7]) == 2
    np.testing.assert_allclose(metric.samples[7][0], unit([0, 1]))
    np.testing.assert_allclose(metric.samples[7][1], unit([1, 1]))
    # Oldest sample is gone: distance to [1, 0] is no longer 0.
    assert metric.distance(np.array([unit([1, 0])]), [7])[0, 0] > 0.2


def test_unbounded_gallery_and_inactive_targets_dropped():
    metric = NearestNeighborDistanceMetric("cosine", 0.2)
    metric.partial_fit([unit([1, 0])] * 5, [1] * 5, active_targets=[1])
    metric.partial_fit([unit([0, 1])], [2], active_targets=[1, 2])
    assert len(metric.samples[1]) == 5
    metric.partial_fit([], [], active_targets=[2])
    assert list(metric.samples) == [2]


def test_distance_matrix_shape_and_rows():
    metric = NearestNeighborDistanceMetric("cosine", 0.2)
    metric.partial_fit([unit([1, 0]), unit([0, 1])], [1, 2], active_targets=[1, 2])
    cost = metric.distance(np.array([unit([0, 1]), unit([1, 0]), unit([1, 1])]), [2, 1])
    assert cost.shape == (2, 3)
    np.testing.assert_allclose(cost[:, :2], [[0, 1], [1, 0]], atol=1e-6)


@pytest.mark.parametrize("kwargs", [
    {"metric": "manhattan", "matching_threshold": 0.2},  # unknown metric
    {"metric": "cosine", "matching_threshold": -1},  # negative threshold
    {"metric": "cosine", "matching_threshold": 0.2, "budget": 0},  # empty budget
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        NearestNeighborDistanceMetric(**kwargs)
