"""``erfc`` as a float64 ufunc (numpy has none): Numba's ``math.erfc`` is the C library's, accurate to ~1 ulp.

Compiled on first use, cached on disk with the project's kernel flags, so
importing ``sl.nn`` never waits for Numba.

Example:
    >>> float(erfc(np.array([0.0]))[0])
    1.0
"""
from __future__ import annotations

import math

import numpy as np

from ..kernels.config import JIT

_ufunc = None


def _compile():
    import numba

    @numba.vectorize(["float64(float64)"], cache=JIT["cache"], fastmath=JIT["fastmath"])
    def erfc64(x):
        return math.erfc(x)

    return erfc64


def erfc(x):
    """Complementary error function of an array, computed in float64 (result float64)."""
    global _ufunc
    if _ufunc is None:
        _ufunc = _compile()
    return _ufunc(np.asarray(x, dtype=np.float64))
