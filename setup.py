"""Build the optional compiled assignment solver (``deep_sort._lsap``).

``pip install .`` builds it with the package; in a source checkout,
``python3 run.py ...`` builds it in place (``setup.py build_ext --inplace``).
Without a C compiler the build is skipped and the tracker uses
``scipy.optimize.linear_sum_assignment``, which returns the same assignments.
"""
from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "deep_sort._lsap",
            ["deep_sort/_lsap.c"],
            # No fused multiply-add: the solver's sums must be those of scipy's.
            extra_compile_args=["-O2", "-ffp-contract=off", "-fno-fast-math"],
            optional=True,
        )
    ]
)
