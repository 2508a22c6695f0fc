"""Build the optional compiled leaf steps of the tracker (``deep_sort._kernels``).

``pip install .`` builds it with the package; in a source checkout,
``python3 run.py ...`` builds it in place (``setup.py build_ext --inplace``).
Without a C compiler the build is skipped and the tracker runs the Python
forms of those steps, with the same results (``deep_sort/compiled.py``).
"""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "deep_sort._kernels",
            ["deep_sort/_kernels.c"],
            # No fused multiply-add: the arithmetic must be the written one.
            extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
