"""Build the optional compiled hot-path helpers (``deep_sort._speedups``).

``pip install .`` builds it with the package; in a source checkout,
``python3 run.py ...`` builds it in place (``setup.py build_ext --inplace``).
Without a C compiler the build is skipped and the tracker uses its pure
Python path, with the same results (``deep_sort/_speedups.c`` says why).
"""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "deep_sort._speedups",
            ["deep_sort/_speedups.c"],
            # No fused multiply-add: the results must be those of the written
            # double-precision operations, as in the Python path and in scipy.
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
