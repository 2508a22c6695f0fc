"""The nearest-neighbour appearance metric: galleries, budget, distances (SPEC.md section 5)."""
from __future__ import annotations

import numpy as np
import pytest

from deep_sort.nn_matching import NearestNeighborDistanceMetric, normalize_rows


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def cosine(budget=None):
    return NearestNeighborDistanceMetric("cosine", 0.2, budget=budget)


def test_cosine_distance_is_the_minimum_over_the_gallery():
    metric = cosine()
    metric.partial_fit(np.array([[1, 0], [0, 1]], dtype=np.float32), [1, 1], [1])
    queries = np.array([[1, 0], [1, 1], [-1, 0]], dtype=np.float32)
    np.testing.assert_allclose(metric.distance(queries, [1]), [[0, 1 - np.sqrt(0.5), 1]], atol=1e-6)


def test_cosine_distance_ignores_descriptor_length():
    metric = cosine()
    metric.partial_fit(np.array([[3.0, 0.0]]), [1], [1])
    np.testing.assert_allclose(metric.distance(np.array([[0.5, 0.0], [0.0, 7.0]]), [1]), [[0.0, 1.0]], atol=1e-7)
    # Samples are stored as unit rows, in float32.
    assert metric.samples(1).tolist() == [[1.0, 0.0]] and metric.samples(1).dtype == np.float32


def test_euclidean_distance_is_squared_and_unnormalised():
    metric = NearestNeighborDistanceMetric("euclidean", 0.2)
    metric.partial_fit(np.array([[0, 0], [3, 4]], dtype=np.float32), [1, 1], [1])
    np.testing.assert_allclose(metric.distance(np.array([[3, 4], [6, 8]], dtype=np.float32), [1]), [[0, 25]])
    assert metric.samples(1).tolist() == [[0.0, 0.0], [3.0, 4.0]]


def test_distance_rows_are_targets_columns_are_queries():
    metric = cosine()
    metric.partial_fit(np.array([unit([1, 0]), unit([0, 1])]), [1, 2], [1, 2])
    cost = metric.distance(np.array([unit([0, 1]), unit([1, 0]), unit([1, 1])]), [2, 1])
    assert cost.shape == (2, 3) and cost.dtype == np.float64
    np.testing.assert_allclose(cost[:, :2], [[0, 1], [1, 0]], atol=1e-6)
    assert metric.distance(np.zeros((0, 2), np.float32), [2, 1]).shape == (2, 0)
    assert metric.distance(np.zeros((3, 2), np.float32), []).shape == (0, 3)


def test_pair_distances_are_the_matrix_entries():
    metric = cosine()
    rng = np.random.default_rng(3)
    metric.partial_fit(rng.normal(size=(9, 8)).astype(np.float32), [1, 2, 3] * 3, [1, 2, 3])
    queries = rng.normal(size=(4, 8)).astype(np.float32)
    matrix = metric.distance(queries, [3, 1, 2])
    pairs = metric.distance(queries, [1, 1, 3, 2], pairs=[0, 3, 2, 2])
    np.testing.assert_array_equal(pairs, [matrix[1, 0], matrix[1, 3], matrix[0, 2], matrix[2, 2]])


def test_budget_keeps_the_most_recent_samples():
    metric = cosine(budget=2)
    metric.partial_fit(np.array([unit([1, 0]), unit([0, 1]), unit([1, 1])]), [7, 7, 7], active_targets=[7])
    np.testing.assert_allclose(metric.samples(7), [unit([0, 1]), unit([1, 1])])
    # The oldest sample is gone: [1, 0] is no longer at distance 0.
    assert metric.distance(np.array([unit([1, 0])]), [7])[0, 0] > 0.2
    metric.partial_fit(np.array([unit([1, 0])]), [7], active_targets=[7])
    np.testing.assert_allclose(metric.samples(7), [unit([1, 1]), unit([1, 0])])  # oldest first


def test_budget_over_many_calls_keeps_the_last_n(rng):
    metric = cosine(budget=5)
    history = []
    for _ in range(12):
        features = rng.normal(size=(int(rng.integers(0, 4)), 6)).astype(np.float32)
        history += list(features)
        metric.partial_fit(features, [1] * len(features), [1] if history else [])
    np.testing.assert_array_equal(metric.samples(1), normalize_rows(np.array(history[-5:])))


def test_unbounded_gallery_keeps_everything():
    metric = cosine()
    metric.partial_fit(np.array([unit([1, 0])] * 40), [1] * 40, active_targets=[1])
    assert len(metric.samples(1)) == 40


def test_inactive_targets_lose_their_galleries():
    metric = cosine()
    metric.partial_fit(np.array([unit([1, 0]), unit([0, 1])]), [1, 2], active_targets=[1, 2])
    metric.partial_fit(np.zeros((0, 2), np.float32), [], active_targets=[2])
    assert metric.targets() == [2]
    with pytest.raises(KeyError):
        metric.samples(1)
    # A target that comes back starts an empty gallery.
    metric.partial_fit(np.array([unit([1, 1])]), [1], active_targets=[1, 2])
    assert len(metric.samples(1)) == 1


def test_zero_descriptors_are_at_distance_one():
    metric = cosine()
    metric.partial_fit(np.array([[1, 0], [0, 0]], dtype=np.float32), [1, 2], [1, 2])
    distances = metric.distance(np.array([[0, 0], [1, 0]], dtype=np.float32), [1, 2])
    assert distances.tolist() == [[1.0, 0.0], [1.0, 1.0]]


def test_normalize_rows():
    assert normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]])).tolist() == [[0.6, 0.8], [0.0, 0.0]]
    assert normalize_rows(np.ones((2, 3), np.float32)).dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normalize_rows_divides_by_numpys_norm_bit_for_bit(rng, dtype):
    features = (rng.normal(size=(50, 128)) * rng.uniform(1e-3, 1e3, size=(50, 1))).astype(dtype)
    features[7] = 0
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    norms[norms == 0] = 1
    normalized = normalize_rows(features)
    assert normalized.dtype == dtype
    np.testing.assert_array_equal(normalized, features / norms)
    # A row's result does not depend on the rest of the stack.
    rows = [31, 7, 2, 2, 49]
    np.testing.assert_array_equal(normalize_rows(features[rows]), normalized[rows])


def test_prepare_gives_float32_unit_rows():
    prepared = cosine().prepare(np.array([[3.0, 4.0]]))
    assert prepared.dtype == np.float32 and prepared.tolist() == [[0.6000000238418579, 0.800000011920929]]
    euclidean = NearestNeighborDistanceMetric("euclidean", 1.0).prepare(np.array([[3.0, 4.0]]))
    assert euclidean.tolist() == [[3.0, 4.0]] and euclidean.dtype == np.float32


def test_prepared_samples_are_stored_as_given():
    metric = cosine()
    raw = np.array([[3.0, 4.0]], dtype=np.float32)
    metric.partial_fit(raw, [1], [1], prepared=True)  # taken as already prepared: not normalised again
    assert metric.samples(1).tolist() == [[3.0, 4.0]]


@pytest.mark.parametrize("kwargs", [
    {"metric": "manhattan", "matching_threshold": 0.2},  # unknown metric
    {"metric": "cosine", "matching_threshold": -1},  # negative threshold
    {"metric": "cosine", "matching_threshold": float("nan")},  # not a number
    {"metric": "cosine", "matching_threshold": 0.2, "budget": 0},  # empty budget
    {"metric": "cosine", "matching_threshold": 0.2, "budget": 2.5},  # not a whole number
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        NearestNeighborDistanceMetric(**kwargs)
