"""Keep numpy's OpenBLAS on one thread around the tracker's many tiny products.

The appearance cost is one matrix-vector product per gated track/detection
pair (a gallery of up to ``nn_budget`` rows times one descriptor), about 30
per frame on a crowded MOT16 sequence. OpenBLAS runs a matrix-vector product
on all its threads once the matrix has more than about 9000 entries (a
100 x 128 gallery has 12800), and starting and joining the other threads
costs more than the product: about 40 % more CPU time per product, and on a
busy machine the main thread can wait for a thread that is not scheduled.

:func:`single_blas_thread` sets the OpenBLAS bundled with numpy (the
``scipy_openblas`` of the numpy wheels, or a system ``libopenblas``) to one
thread for the duration of a ``with`` block and restores the previous count.
With any other BLAS, or if the library cannot be found, it does nothing.
The number of threads does not change any result: every output element is
computed by one thread either way. Blocks running at the same time in
several Python threads are not coordinated; at worst OpenBLAS is left on one
thread (slower large products elsewhere, never different numbers).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

# (set, get) function names, by OpenBLAS build.
_THREAD_FUNCTIONS = (
    ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
    ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
    ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
    ("openblas_set_num_threads", "openblas_get_num_threads"),
)

_api: tuple[Callable[[int], None], Callable[[], int]] | None = None
_searched = False

# (sgemv, sdot, 64-bit integers) symbol names, by OpenBLAS build.
_PRODUCT_FUNCTIONS = (
    ("scipy_cblas_sgemv64_", "scipy_cblas_sdot64_", True),
    ("cblas_sgemv64_", "cblas_sdot64_", True),
    ("scipy_cblas_sgemv", "scipy_cblas_sdot", False),
    ("cblas_sgemv", "cblas_sdot", False),
)


def _openblas_libraries() -> list:
    import ctypes  # imported here: only needed once, and ctypes is slow to import
    import glob

    import numpy

    site = os.path.dirname(os.path.dirname(numpy.__file__))
    libraries = []
    for path in sorted(glob.glob(os.path.join(site, "numpy.libs", "*openblas*"))):
        try:
            libraries.append(ctypes.CDLL(path))  # already loaded by numpy: the same handle
        except OSError:
            continue
    return libraries


def float32_product_functions() -> tuple[int, int, bool] | None:
    """Addresses of ``cblas_sgemv`` and ``cblas_sdot`` in numpy's bundled OpenBLAS.

    Returns
    -------
    tuple of (int, int, bool) or None
        The two function addresses and whether the library takes 64-bit
        integers; None if numpy's OpenBLAS is not found. Whether numpy's own
        float32 products go through these functions is for the caller to
        check (``deep_sort.compiled`` compares results with ``ndarray.dot``).
    """
    import ctypes

    for library in _openblas_libraries():
        for gemv_name, dot_name, ilp64 in _PRODUCT_FUNCTIONS:
            gemv, dot = getattr(library, gemv_name, None), getattr(library, dot_name, None)
            if gemv is not None and dot is not None:
                return (ctypes.cast(gemv, ctypes.c_void_p).value, ctypes.cast(dot, ctypes.c_void_p).value, ilp64)
    return None


def _find_openblas() -> tuple[Callable[[int], None], Callable[[], int]] | None:
    import ctypes

    for library in _openblas_libraries():
        for set_name, get_name in _THREAD_FUNCTIONS:
            set_threads, get_threads = getattr(library, set_name, None), getattr(library, get_name, None)
            if set_threads is not None and get_threads is not None:
                set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
                get_threads.argtypes, get_threads.restype = [], ctypes.c_int
                return set_threads, get_threads
    return None


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Run the block with numpy's OpenBLAS limited to one thread (no-op with another BLAS)."""
    global _api, _searched
    if not _searched:
        _searched = True
        try:
            _api = _find_openblas()
        except (ImportError, AttributeError, OSError, TypeError):
            _api = None
    if _api is None:
        yield
        return
    set_threads, get_threads = _api
    previous = get_threads()
    if previous == 1:
        yield
        return
    set_threads(1)
    try:
        yield
    finally:
        set_threads(previous)
