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

_blas_libraries: list | None = None


def _libraries() -> list:
    global _blas_libraries
    if _blas_libraries is None:
        from threadpoolctl import ThreadpoolController

        _blas_libraries = ThreadpoolController().select(user_api="blas").lib_controllers
    return _blas_libraries


class single_blas_thread:
    """Limit BLAS to one thread for the duration of a ``with`` block (about 4 microseconds to enter and leave)."""

    def __enter__(self) -> None:
        threads = [(library, library.num_threads) for library in _libraries()]
        self._changed = [(library, n_threads) for library, n_threads in threads if n_threads != 1]
        for library, _ in self._changed:
            library.set_num_threads(1)

    def __exit__(self, *exc_info: object) -> None:
        for library, n_threads in self._changed:
            library.set_num_threads(n_threads)
