"""The conv epilogue ``act(y + bias)`` applied in place, and the relu gradient mask.

A layer's bias and relu run on the conv's freshly written output instead of
allocating two more arrays of its size (fresh memory costs page faults, and
numpy's elementwise ops use one thread). Elementwise only: every value is what
numpy gives for ``np.fmax(y + b, 0) + 0`` and ``g * (y > 0)``, whatever the
thread count.

Example:
    y = np.ones((6, 4), "float32"); bias_relu(y, np.full(4, -2, "float32"), True)   # y is all 0
"""
from numba import njit, prange

from .config import PARALLEL_JIT


@njit(**PARALLEL_JIT)
def bias_relu(y, bias, relu):
    """y[i, c] = y[i, c] + bias[c], then max(., 0) if relu (nan -> 0, -0 -> 0); y is [M, C]."""
    M, C = y.shape
    zero = y.dtype.type(0)
    for i in prange(M):
        for c in range(C):
            v = y[i, c] + bias[c]
            if relu:
                v = v if v > zero else zero
            y[i, c] = v


@njit(**PARALLEL_JIT)
def relu_grad(g, y, out):
    """out = g * (y > 0) (1.0 or 0.0, so -0.0 and nan propagate as in g * mask); all [M, C]."""
    M, C = g.shape
    one = g.dtype.type(1)
    zero = g.dtype.type(0)
    for i in prange(M):
        for c in range(C):
            out[i, c] = g[i, c] * (one if y[i, c] > zero else zero)
