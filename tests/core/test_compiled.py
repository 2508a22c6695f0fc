"""The compiled tracker steps (deep_sort._kernels) give the results of their Python forms.

``linear_sum_assignment`` must return scipy's assignment itself, not merely
one of equal cost: the tracker's ids depend on which of several equally
cheap assignments the solver picks. The matrices here are full of ties
(integer costs, constant blocks, thresholded cascade levels), where a
different search order would show.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment as scipy_solver

from deep_sort import compiled, linear_assignment
from deep_sort.linear_assignment import INFTY_COST, min_cost_matching
from support import ROOT

kernels = compiled.kernels
needs_kernels = pytest.mark.skipif(kernels is None, reason="deep_sort._kernels is not built")


def test_kernels_are_built_where_a_compiler_exists():
    # run.py builds them; CI machines have a C compiler, so a broken build
    # must fail here rather than leave only the Python path tested.
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        pytest.skip(f"no C compiler ({compiler}) on this machine")
    if os.environ.get("DEEP_SORT_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("DEEP_SORT_PURE_PYTHON is set")
    assert kernels is not None, "deep_sort._kernels is not built: run `python3 run.py python -c pass`"


@pytest.mark.parametrize("value, expected", [("1", "None"), ("0", "kernels"), ("", "kernels")])
def test_environment_variable_selects_the_python_forms(value, expected):
    if kernels is None and expected == "kernels":
        pytest.skip("deep_sort._kernels is not built")
    code = "from deep_sort import compiled; print('None' if compiled.kernels is None else 'kernels')"
    env = {**os.environ, "DEEP_SORT_PURE_PYTHON": value}
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True).stdout.strip()
    assert output == expected


def tie_heavy_matrix(rng: np.random.Generator, n_rows: int, n_cols: int) -> np.ndarray:
    kind = int(rng.integers(6))
    if kind == 0:  # small integers: many optimal assignments
        return rng.integers(0, 3, size=(n_rows, n_cols)).astype(np.float64)
    if kind == 1:  # distinct values: one optimum
        return rng.random((n_rows, n_cols))
    if kind == 2:  # a thresholded cascade level: mostly the capped cost
        few = rng.random((n_rows, n_cols)) < 0.2
        return np.where(few, rng.choice([0.05, 0.1, 0.2], size=(n_rows, n_cols)), 0.2 + 1e-5)
    if kind == 3:  # one value everywhere
        return np.full((n_rows, n_cols), float(rng.choice([0.0, 1.0, 0.2 + 1e-5])))
    if kind == 4:  # gated entries left at INFTY_COST (no thresholding)
        return rng.choice([0.1, 0.3, INFTY_COST], size=(n_rows, n_cols), p=[0.2, 0.2, 0.6])
    # infinite entries, but a finite assignment exists (a finite diagonal)
    matrix = np.where(rng.random((n_rows, n_cols)) < 0.5, np.inf, rng.integers(0, 4, (n_rows, n_cols)) * 1.0)
    diagonal = np.arange(min(n_rows, n_cols))
    matrix[diagonal, diagonal] = rng.integers(0, 4, len(diagonal))
    return matrix


@needs_kernels
def test_solver_returns_scipys_assignment_on_tie_heavy_matrices(rng):
    n_trials = 0
    for n_rows in range(1, 13):
        for n_cols in range(1, 16):
            for _ in range(12):
                cost_matrix = tie_heavy_matrix(rng, n_rows, n_cols)
                for matrix in (cost_matrix, np.ascontiguousarray(cost_matrix.T)):
                    rows, cols = scipy_solver(matrix)
                    assert kernels.linear_sum_assignment(matrix) == (rows.tolist(), cols.tolist()), matrix
                    n_trials += 1
    assert n_trials == 12 * 15 * 12 * 2


@needs_kernels
def test_solver_returns_scipys_assignment_on_larger_matrices(rng):
    for _ in range(20):
        n_rows, n_cols = (int(v) for v in rng.integers(30, 120, size=2))
        cost_matrix = tie_heavy_matrix(rng, n_rows, n_cols)
        rows, cols = scipy_solver(cost_matrix)
        assert kernels.linear_sum_assignment(cost_matrix) == (rows.tolist(), cols.tolist())


@needs_kernels
@pytest.mark.parametrize("shape", [(0, 0), (0, 3), (4, 0)])
def test_solver_takes_empty_matrices(shape):
    assert kernels.linear_sum_assignment(np.zeros(shape)) == ([], [])


def scipy_error(cost_matrix: np.ndarray) -> str:
    with pytest.raises(ValueError) as info:
        scipy_solver(cost_matrix)
    return str(info.value)


@needs_kernels
@pytest.mark.parametrize("entry, shape", [
    (np.nan, (3, 3)),  # a NaN cost
    (-np.inf, (3, 3)),  # minus infinity
    (np.nan, (2, 4)),  # rectangular
])
def test_solver_rejects_invalid_entries_like_scipy(entry, shape):
    cost_matrix = np.zeros(shape)
    cost_matrix[1, 1] = entry
    with pytest.raises(ValueError, match=f"^{scipy_error(cost_matrix)}$"):
        kernels.linear_sum_assignment(cost_matrix)


@needs_kernels
def test_solver_reports_infeasible_matrices_like_scipy():
    cost_matrix = np.array([[np.inf, np.inf], [1.0, np.inf]])
    with pytest.raises(ValueError, match=f"^{scipy_error(cost_matrix)}$"):
        kernels.linear_sum_assignment(cost_matrix)
    assert kernels.linear_sum_assignment(np.array([[np.inf, 1.0], [2.0, np.inf]])) == ([0, 1], [1, 0])


@needs_kernels
def test_solver_takes_only_contiguous_float64_matrices():
    with pytest.raises(TypeError, match="float64"):
        kernels.linear_sum_assignment(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises((TypeError, ValueError)):
        kernels.linear_sum_assignment(np.zeros((3, 4))[:, ::2])
    with pytest.raises(TypeError):
        kernels.linear_sum_assignment(np.zeros(3))


def test_wrapper_converts_any_matrix_on_both_paths(rng, assignment_path):
    cost_matrix = rng.integers(0, 3, size=(5, 8))
    expected = tuple(part.tolist() for part in scipy_solver(cost_matrix))
    for matrix in (cost_matrix, cost_matrix.astype(np.float32), cost_matrix.astype(float)[:, ::-1][:, ::-1],
                   np.asfortranarray(cost_matrix, dtype=float)):
        assert linear_assignment.linear_sum_assignment(matrix) == expected


@needs_kernels
def test_assign_is_min_cost_matchings_python_step(rng, monkeypatch):
    for trial in range(2000):
        n_rows, n_cols = (int(v) for v in rng.integers(1, 9, size=2))
        cost_matrix = rng.choice([0.05, 0.1, 0.2, 0.2 + 1e-9, 0.3, INFTY_COST], size=(n_rows, n_cols))
        track_indices = rng.permutation(30)[:n_rows].tolist()
        detection_indices = rng.permutation(30)[:n_cols].tolist()
        compiled_matrix = cost_matrix.copy()
        actual = kernels.assign(compiled_matrix, 0.2, track_indices, detection_indices)
        with monkeypatch.context() as patch:
            patch.setattr(compiled, "kernels", None)
            python_matrix = cost_matrix.copy()
            expected = min_cost_matching(lambda rows, cols: python_matrix, 0.2, track_indices, detection_indices)
        assert actual == expected, trial
        np.testing.assert_array_equal(compiled_matrix, python_matrix)  # thresholded in place alike


@needs_kernels
def test_assign_checks_its_arguments():
    with pytest.raises(ValueError, match="track_indices"):
        kernels.assign(np.zeros((2, 2)), 0.2, [0], [0, 1])
    with pytest.raises(ValueError, match="detection_indices"):
        kernels.assign(np.zeros((2, 2)), 0.2, [0, 1], (0, 1))  # a tuple, not a list
    with pytest.raises(TypeError, match="float64"):
        kernels.assign(np.zeros((2, 2), dtype=np.float32), 0.2, [0, 1], [0, 1])
    read_only = np.zeros((2, 2))
    read_only.setflags(write=False)
    with pytest.raises((TypeError, ValueError, BufferError)):
        kernels.assign(read_only, 0.2, [0, 1], [0, 1])
    with pytest.raises(ValueError, match="invalid numeric entries"):
        kernels.assign(np.array([[0.1, np.nan]]), 0.2, [0], [0, 1])


def float32_cost_split_by_the_cap() -> np.ndarray:
    """A float32 cost matrix whose optimum depends on the precision of the cap ``0.2 + 1e-5``.

    Straight assignment: 0 + cap. Crossed: 0.2 + f, with 0.2 + f between the
    cap in float64 and the cap rounded to float32.
    """
    cap64 = 0.2 + 1e-5
    cap32 = float(np.float32(cap64))
    f = np.float32(cap64 - float(np.float32(0.2)) + (cap32 - cap64) / 2)
    assert cap64 < float(np.float32(0.2)) + float(f) < cap32
    return np.array([[0.0, 0.2], [f, 0.9]], dtype=np.float32)


@pytest.mark.parametrize("path", ["compiled", "python"])
def test_float32_cost_matrices_are_thresholded_in_float64(path, monkeypatch):
    # The published cost matrices are float64 (np.zeros, then filled), so
    # min_cost_matching converts others before thresholding, on both paths.
    if path == "compiled" and kernels is None:
        pytest.skip("deep_sort._kernels is not built")
    if path == "python":
        monkeypatch.setattr(compiled, "kernels", None)
    cost_matrix = float32_cost_split_by_the_cap()
    # In float64 the cap 0.2 + 1e-5 is below 0.2 + f: the straight assignment wins.
    expected = ([(0, 0)], [1], [1])
    assert min_cost_matching(lambda rows, cols: cost_matrix.copy(), 0.2, [0, 1], [0, 1]) == expected


def _filter_states(rng, n):
    """States the filter itself produces: initiated, predicted and updated a few times."""
    from deep_sort.kalman_filter import KalmanFilter

    kf = KalmanFilter()
    boxes = np.column_stack([rng.uniform(0, 1900, n), rng.uniform(0, 1000, n), rng.uniform(0.3, 0.5, n),
                             rng.uniform(20, 400, n)])
    mean, covariance = kf.initiate(boxes)
    for _ in range(5):
        mean, covariance = kf.predict(mean, covariance)
        mean, covariance = kf.update(mean, covariance, mean[:4].T + rng.normal(0, 2, (n, 4)) * [1, 1, 0.01, 1])
    return kf, mean, covariance


def test_kalman_kernels_give_the_numpy_forms_numbers_bit_for_bit(rng, monkeypatch):
    if compiled.kernels is None:
        pytest.skip("deep_sort._kernels is not built")
    kf, mean, covariance = _filter_states(rng, 40)
    measurements = mean[:4].T + rng.normal(0, 3, (40, 4)) * [1, 1, 0.01, 1]
    queries = np.vstack([measurements[::3], mean[:4, :5].T])  # some exactly at a state
    fast = (kf.predict(mean, covariance), kf.update(mean, covariance, measurements),
            kf.gate(mean, covariance, queries, 9.4877), kf.gate(mean, covariance, queries, 1e9))
    monkeypatch.setattr(compiled, "kernels", None)
    slow = (kf.predict(mean, covariance), kf.update(mean, covariance, measurements),
            kf.gate(mean, covariance, queries, 9.4877), kf.gate(mean, covariance, queries, 1e9))
    for (fast_mean, fast_covariance), (slow_mean, slow_covariance) in zip(fast[:2], slow[:2]):
        assert np.array_equal(fast_mean, slow_mean) and np.array_equal(fast_covariance, slow_covariance)
    for fast_pairs, slow_pairs in zip(fast[2:], slow[2:]):
        assert all(np.array_equal(f, s) and f.dtype == s.dtype for f, s in zip(fast_pairs, slow_pairs))
    assert 0 < len(fast[2][0]) < 40 * len(queries) and len(fast[3][0]) == 40 * len(queries)


def test_kernel_gate_is_the_gating_distance_at_the_threshold(rng):
    if compiled.kernels is None:
        pytest.skip("deep_sort._kernels is not built")
    kf, mean, covariance = _filter_states(rng, 8)
    queries = mean[:4].T + rng.normal(0, 3, (8, 4)) * [1, 1, 0.01, 1]
    distance = kf.gating_distance(mean, covariance, queries)
    # Threshold exactly at a pair's distance: that pair is inside, the next float below leaves it out.
    threshold = float(distance[3, 5])
    rows, cols = kf.gate(mean, covariance, queries, threshold)
    assert (3, 5) in set(zip(rows.tolist(), cols.tolist()))
    rows, cols = kf.gate(mean, covariance, queries, float(np.nextafter(threshold, 0)))
    assert (3, 5) not in set(zip(rows.tolist(), cols.tolist()))


def test_kalman_kernels_check_their_arguments():
    if compiled.kernels is None:
        pytest.skip("deep_sort._kernels is not built")
    kernels = compiled.kernels
    with pytest.raises(ValueError, match="mean \\(8, N\\)"):
        kernels.kalman_predict(np.zeros((8, 3)), np.zeros((2, 2, 4, 2)), 0.05, 0.00625)
    with pytest.raises(TypeError, match="mean must be a writable C-contiguous 2-D float64"):
        kernels.kalman_predict(np.zeros((8, 3), np.float32), np.zeros((2, 2, 4, 3)), 0.05, 0.00625)
    with pytest.raises(ValueError, match="measurements must be \\(N, 4\\)"):
        kernels.kalman_update(np.zeros((8, 3)), np.zeros((2, 2, 4, 3)), np.zeros((2, 4)), 0.05)
