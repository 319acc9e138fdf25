"""Numba kernels for nearest and bilinear 2-D resizing (NHWC, float32/float64).

Kernels take per-axis tables computed by the caller (``slimlayers.nn.resize``):
nearest gets the source row of every output row (and column); bilinear gets
the ``lower``/``upper`` source rows and the fraction ``lerp``. The arithmetic order
follows TensorFlow's ``ResizeBilinear``::

    top = tl + (tr - tl) * x_lerp;  bottom = bl + (br - bl) * x_lerp
    out = top + (bottom - top) * y_lerp

Backward kernels scatter into the input and split by batch item only, so
each sum runs in one fixed order whatever the thread count.
"""
from __future__ import annotations

import numba
from numba import prange

from .config import PARALLEL_JIT


@numba.njit(**PARALLEL_JIT)
def nearest_forward(x, out, y_src, x_src):
    """``out[b, y, x] = x[b, y_src[y], x_src[x]]``."""
    n, oh, ow, c = out.shape
    for job in prange(n * oh):
        b = job // oh
        oy = job % oh
        sy = y_src[oy]
        for ox in range(ow):
            sx = x_src[ox]
            for ch in range(c):
                out[b, oy, ox, ch] = x[b, sy, sx, ch]


@numba.njit(**PARALLEL_JIT)
def nearest_backward(grad_out, grad_in, y_src, x_src):
    """``grad_in`` (zeroed by the caller) += each output gradient at its source pixel."""
    n, oh, ow, c = grad_out.shape
    for b in prange(n):
        for oy in range(oh):
            sy = y_src[oy]
            for ox in range(ow):
                sx = x_src[ox]
                for ch in range(c):
                    grad_in[b, sy, sx, ch] += grad_out[b, oy, ox, ch]


@numba.njit(**PARALLEL_JIT)
def bilinear_forward(x, out, y_lo, y_hi, y_lerp, x_lo, x_hi, x_lerp):
    n, oh, ow, c = out.shape
    for job in prange(n * oh):
        b = job // oh
        oy = job % oh
        ty, by, fy = y_lo[oy], y_hi[oy], y_lerp[oy]
        for ox in range(ow):
            lx, rx, fx = x_lo[ox], x_hi[ox], x_lerp[ox]
            for ch in range(c):
                tl = x[b, ty, lx, ch]
                tr = x[b, ty, rx, ch]
                bl = x[b, by, lx, ch]
                br = x[b, by, rx, ch]
                top = tl + (tr - tl) * fx
                bottom = bl + (br - bl) * fx
                out[b, oy, ox, ch] = top + (bottom - top) * fy


@numba.njit(**PARALLEL_JIT)
def bilinear_backward(grad_out, grad_in, y_lo, y_hi, y_lerp, x_lo, x_hi, x_lerp):
    """``grad_in`` (zeroed by the caller) += the adjoint of ``bilinear_forward``."""
    n, oh, ow, c = grad_out.shape
    for b in prange(n):
        for oy in range(oh):
            ty, by, fy = y_lo[oy], y_hi[oy], y_lerp[oy]
            for ox in range(ow):
                lx, rx, fx = x_lo[ox], x_hi[ox], x_lerp[ox]
                for ch in range(c):
                    g = grad_out[b, oy, ox, ch]
                    g_top = g * (1 - fy)
                    g_bottom = g * fy
                    grad_in[b, ty, lx, ch] += g_top * (1 - fx)
                    grad_in[b, ty, rx, ch] += g_top * fx
                    grad_in[b, by, lx, ch] += g_bottom * (1 - fx)
                    grad_in[b, by, rx, ch] += g_bottom * fx
