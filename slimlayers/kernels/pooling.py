"""Numba kernels for 2-D max and average pooling (NHWC, float32/float64).

Plain arrays and ints only; the caller (``slimlayers.nn.pooling``) validates,
pads nothing and allocates. A window starts at ``(oy*sh - pt, ox*sw - pl)``;
positions outside the input are padding and are skipped (max pool ignores
them, average pool divides by the number of positions actually inside, as
TensorFlow does for SAME).

Parallelism: forward kernels split independent output rows; backward kernels
scatter into the input, so they split by batch item only — each thread owns
whole input images, and every sum is taken in the same order whatever the
thread count.
"""
from __future__ import annotations

import numba
from numba import prange

from .config import PARALLEL_JIT


@numba.njit(**PARALLEL_JIT)
def max_pool_forward(x, out, argmax, kh, kw, sh, sw, pt, pl):
    """``out`` = window maxima; ``argmax`` = flat ``y * W + x`` of the first maximum (row-major scan)."""
    n, h, w, c = x.shape
    oh, ow = out.shape[1], out.shape[2]
    for job in prange(n * oh):
        b = job // oh
        oy = job % oh
        y0 = oy * sh - pt
        for ox in range(ow):
            x0 = ox * sw - pl
            for ch in range(c):
                argmax[b, oy, ox, ch] = -1
            for ky in range(kh):
                yy = y0 + ky
                if yy < 0 or yy >= h:
                    continue
                for kx in range(kw):
                    xx = x0 + kx
                    if xx < 0 or xx >= w:
                        continue
                    flat = yy * w + xx
                    for ch in range(c):
                        v = x[b, yy, xx, ch]
                        # strict '>' keeps the first maximum, as TF's argmax does
                        if argmax[b, oy, ox, ch] < 0 or v > out[b, oy, ox, ch]:
                            out[b, oy, ox, ch] = v
                            argmax[b, oy, ox, ch] = flat


@numba.njit(**PARALLEL_JIT)
def max_pool_backward(grad_out, argmax, grad_in):
    """``grad_in`` (zeroed by the caller) += each output gradient at its window's argmax."""
    n, oh, ow, c = grad_out.shape
    w = grad_in.shape[2]
    for b in prange(n):
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    flat = argmax[b, oy, ox, ch]
                    if flat >= 0:
                        grad_in[b, flat // w, flat % w, ch] += grad_out[b, oy, ox, ch]


@numba.njit(**PARALLEL_JIT)
def avg_pool_forward(x, out, kh, kw, sh, sw, pt, pl):
    """``out`` = mean over the in-bounds part of each window."""
    n, h, w, c = x.shape
    oh, ow = out.shape[1], out.shape[2]
    for job in prange(n * oh):
        b = job // oh
        oy = job % oh
        y0 = oy * sh - pt
        ylo, yhi = max(y0, 0), min(y0 + kh, h)
        for ox in range(ow):
            x0 = ox * sw - pl
            xlo, xhi = max(x0, 0), min(x0 + kw, w)
            for ch in range(c):
                out[b, oy, ox, ch] = 0
            for yy in range(ylo, yhi):
                for xx in range(xlo, xhi):
                    for ch in range(c):
                        out[b, oy, ox, ch] += x[b, yy, xx, ch]
            count = max((yhi - ylo) * (xhi - xlo), 1)
            for ch in range(c):
                out[b, oy, ox, ch] /= count


@numba.njit(**PARALLEL_JIT)
def avg_pool_backward(grad_out, grad_in, kh, kw, sh, sw, pt, pl):
    """``grad_in`` (zeroed by the caller) += each output gradient / window count over its window."""
    n, oh, ow, c = grad_out.shape
    h, w = grad_in.shape[1], grad_in.shape[2]
    for b in prange(n):
        for oy in range(oh):
            y0 = oy * sh - pt
            ylo, yhi = max(y0, 0), min(y0 + kh, h)
            for ox in range(ow):
                x0 = ox * sw - pl
                xlo, xhi = max(x0, 0), min(x0 + kw, w)
                count = max((yhi - ylo) * (xhi - xlo), 1)
                for yy in range(ylo, yhi):
                    for xx in range(xlo, xhi):
                        for ch in range(c):
                            grad_in[b, yy, xx, ch] += grad_out[b, oy, ox, ch] / count
