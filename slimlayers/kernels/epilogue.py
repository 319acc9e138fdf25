"""The conv epilogue ``act(y + bias)`` applied in place, the relu gradient mask, and the
bias gradient (``channel_sums``).

A layer's bias and relu run on the conv's freshly written output instead of
allocating two more arrays of its size (fresh memory costs page faults, and
numpy's elementwise ops use one thread). Elementwise only: every value is what
numpy gives for ``np.fmax(y + b, 0) + 0`` and ``g * (y > 0)``, whatever the
thread count.

Example:
    y = np.ones((6, 4), "float32"); bias_relu(y, np.full(4, -2, "float32"), True)   # y is all 0
"""
import numpy as np
from numba import njit, prange

from .config import JIT, PARALLEL_JIT

_SUM_ROWS = 64  # rows per partial sum of channel_sums (fixed: no result depends on the machine)


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


@njit(**JIT)
def channel_sums(g, out):
    """out[c] = sum over rows i of g[i, c] (g [M, C]): rows summed in chunks of _SUM_ROWS, each
    chunk in order, then the chunks' sums in order.

    Why not numpy's ``g.sum(axis=0)``: it adds one row at a time, which for a conv layer's
    [N*H*W, 32..256] gradient ran at a fifth of memory speed (226 us for bench shapes'
    1.6 MB) and, as one running float32 sum over 12544 rows, was 10x less accurate than
    short chunks (error 2.4e-2 vs 2.2e-3 against a float64 sum).
    """
    M, C = g.shape
    acc = np.empty(C, g.dtype)
    for c in range(C):
        out[c] = 0
    for k0 in range(0, M, _SUM_ROWS):
        for c in range(C):
            acc[c] = 0
        for i in range(k0, min(M, k0 + _SUM_ROWS)):
            for c in range(C):
                acc[c] += g[i, c]
        for c in range(C):
            out[c] += acc[c]
