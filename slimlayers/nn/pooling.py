"""``max_pool2d`` and ``avg_pool2d`` with tf.nn semantics (differentiable).

Window placement is the convolution's: VALID output ``floor((i - k)/s) + 1``,
SAME output ``ceil(i/s)`` with TF's padding split (extra row/column at the
bottom/right). Padded positions never win a max, and SAME average pooling
divides by the number of real (non-padded) positions in each window.

Example:
    >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    >>> sl.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from ..autodiff.tape import record
from ..kernels import pooling as kernels
from ..validation import float_dtype, padding_mode, spatial_pair, tf_data_format
from .layout import from_nhwc, to_nhwc
from .operands import new_result, rank4
from .shapes import forward_geometry

__all__ = ["max_pool2d", "avg_pool2d"]


def _window(input, ksize, strides, padding, data_format):
    """Validated NHWC input and ``(kernel, strides, pad_before, out_hw)`` of the pooling windows."""
    df = tf_data_format(data_format)
    x = rank4("input", input)
    float_dtype("input", x._value)
    ksize = spatial_pair("ksize", ksize, df)
    strides = spatial_pair("strides", strides, df)
    xh = to_nhwc(x, df)
    pads, out_hw = forward_geometry(xh.shape[1:3], ksize, strides, (1, 1), padding_mode(padding), what="window",
                                    context="pooling")
    pad_before = (pads[0][0], pads[1][0])
    return df, xh, ksize, strides, pad_before, out_hw


def _pool(input, ksize, strides, padding, data_format, forward, backward):
    """The frame both pools share: validate, allocate, ``forward`` the kernel, record ``backward``.

    ``forward(x, out, kh, kw, sh, sw, pt, pl)`` may return state (max pooling's argmax) that
    ``backward(g, gx, state, kh, kw, sh, sw, pt, pl)`` receives.
    """
    df, x, ksize, strides, pad_before, (oh, ow) = _window(input, ksize, strides, padding, data_format)
    geometry = (*ksize, *strides, *pad_before)
    xv = np.ascontiguousarray(x._value)
    out = new_result((xv.shape[0], oh, ow, xv.shape[3]), xv.dtype)
    state = forward(xv, out, *geometry) if out.size else None

    def vjp(g):
        gx = np.zeros(xv.shape, xv.dtype)
        if g.size:
            backward(np.ascontiguousarray(g, dtype=xv.dtype), gx, state, *geometry)
        return (gx,)

    return from_nhwc(record(out, (x,), vjp), df)


def _max_forward(x, out, *geometry):
    argmax = np.empty(out.shape, np.int64)
    kernels.max_pool_forward(x, out, argmax, *geometry)
    return argmax


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Maximum over each window; the gradient flows to the first maximum of the window (as TF).

    Args:
        input: ``[N, H, W, C]`` (or ``[N, C, H, W]`` for NCHW), float32/float64.
        ksize, strides: int or list of length 1, 2 or 4 (data_format order).
        padding: ``"SAME"`` or ``"VALID"`` (any letter case).
    """
    return _pool(input, ksize, strides, padding, data_format, _max_forward,
                 lambda g, gx, argmax, *geometry: kernels.max_pool_backward(g, argmax, gx))


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):
    """Mean over each window (SAME: over the positions inside the input only, as TF).

    Args:
        input: ``[N, H, W, C]`` (or ``[N, C, H, W]`` for NCHW), float32/float64.
        ksize, strides: int or list of length 1, 2 or 4 (data_format order).
        padding: ``"SAME"`` or ``"VALID"`` (any letter case).
    """
    return _pool(input, ksize, strides, padding, data_format, kernels.avg_pool_forward,
                 lambda g, gx, _, *geometry: kernels.avg_pool_backward(g, gx, *geometry))
