"""Run the tracker with the BLAS library on one thread.

The tracker's appearance distances are many tiny matrix-vector products (a
gallery of up to ``nn_budget`` descriptors times one descriptor). OpenBLAS
splits a product of more than about 9000 entries across its threads, and
for products this small, starting and joining the threads costs more than
the arithmetic (several times more on a busy machine). The number of
threads never changes a result: each output element is computed by one
thread either way.

:func:`single_blas_thread` limits the BLAS libraries loaded in the process
(numpy's, and any other) to one thread inside a ``with`` block and restores
their settings afterwards, through ``threadpoolctl``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

_blas_libraries: list | None = None


def _libraries() -> list:
    global _blas_libraries
    if _blas_libraries is None:
        from threadpoolctl import ThreadpoolController

        _blas_libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    return _blas_libraries


@contextlib.contextmanager
def single_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread for the duration of the block (a few microseconds to enter)."""
    libraries = _libraries()
    previous = [library.num_threads for library in libraries]
    for library in libraries:
        library.set_num_threads(1)
    try:
        yield
    finally:
        for library, n_threads in zip(libraries, previous):
            library.set_num_threads(n_threads)
