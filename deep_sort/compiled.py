"""The optional compiled hot-path helpers, ``deep_sort._speedups`` (or None).

``deep_sort/_speedups.c`` does a few per-frame steps of the tracker in C
with exactly the results of the Python code they stand in for: the Kalman
predict and update of all tracks, the gate and the IoU-stage cost matrix
(the same IEEE operations in the same order, no fused multiply-add), the
matching-cascade levels and the IoU-stage assignment (scipy's assignment
algorithm with its tie-breaking), and the cosine distances of gated pairs
(numpy's own BLAS calls, see :func:`float32_products_ready`).
``setup.py`` builds it (``run.py`` does in a source checkout); without it, or
with the environment variable ``DEEP_SORT_PURE_PYTHON=1``, everything runs in
Python. The tests run the tracker both ways.
"""
from __future__ import annotations

import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("DEEP_SORT_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        from . import _speedups
    except ImportError:
        return None
    return _speedups


#: ``deep_sort._speedups``, or None when it is not built or disabled.
speedups: ModuleType | None = _load()

_float32_products: bool | None = None


def float32_products_ready() -> bool:
    """Let ``speedups`` compute float32 products with numpy's own OpenBLAS functions; True if it can.

    The addresses of ``cblas_sgemv`` / ``cblas_sdot`` are taken from numpy's
    bundled OpenBLAS once; they are used only if they give exactly what
    ``ndarray.dot`` gives on a set of matrices of 1 to 130 rows (with another
    BLAS, or a numpy that calls it differently, they do not, and the Python
    products are used).
    """
    global _float32_products
    if _float32_products is None:
        _float32_products = False
        if speedups is not None:
            from ._blas import float32_product_functions

            functions = float32_product_functions()
            if functions is not None:
                speedups.set_float32_products(*functions)
                _float32_products = _products_match_numpy()
                if not _float32_products:
                    speedups.set_float32_products(0, 0, False)
    return _float32_products


def _products_match_numpy() -> bool:
    import numpy as np

    # Deterministic data without numpy.random (not imported by the tracker).
    samples = np.sin(np.arange(130 * 128, dtype=np.float32) * np.float32(0.731)).reshape(130, 128)
    queries = np.cos(np.arange(3 * 128, dtype=np.float32) * np.float32(1.37)).reshape(3, 128)
    for n in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 99, 100, 128, 130):
        for query in range(len(queries)):
            out = np.empty(n, dtype=np.float32)
            speedups.matrix_vector(samples[:n], queries, query, out)
            if not np.array_equal(out, samples[:n].dot(queries[query])):
                return False
    return True
