"""``resize``: nearest / bilinear image resizing as ``tf.image.resize`` (differentiable).

Half-pixel centres, no antialiasing (TF2 ``tf.image.resize`` defaults, which
Keras 3 ``UpSampling2D(interpolation="bilinear")`` uses): output pixel ``j``
samples the input at ``(j + 0.5) * in/out - 0.5``. Coordinates are computed
in float32, as TensorFlow does, so the interpolation weights match it.

Example:
    >>> x = np.array([0.0, 1.0], "float32").reshape(1, 1, 2, 1)
    >>> sl.nn.resize(x, (1, 4), "bilinear").numpy().ravel()
    array([0.  , 0.25, 0.75, 1.  ], dtype=float32)
"""
from __future__ import annotations

import numpy as np

from ..autodiff.tape import record
from ..kernels import upsampling as kernels
from ..validation import arg_error, check_int, float_dtype, tf_data_format
from .layout import from_nhwc, to_nhwc
from .operands import new_result, rank4

__all__ = ["resize"]

METHODS = ("nearest", "bilinear")


def _nearest_table(in_size, out_size):
    """Source index of every output index: ``min(floor((j + 0.5) * in/out), in - 1)``."""
    scale = np.float32(in_size / out_size)
    src = np.floor((np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale).astype(np.int64)
    return np.minimum(src, in_size - 1)


def _bilinear_table(in_size, out_size):
    """``(lower, upper, lerp)`` per output index, exactly TF's ``compute_interpolation_weights``."""
    scale = np.float32(in_size / out_size)
    pos = (np.arange(out_size, dtype=np.float32) + np.float32(0.5)) * scale - np.float32(0.5)
    floor = np.floor(pos)
    lower = np.maximum(floor.astype(np.int64), 0)
    upper = np.minimum(np.ceil(pos).astype(np.int64), in_size - 1)
    return lower, upper, (pos - floor).astype(np.float32)


def resize(images, size, method="bilinear", data_format="NHWC", name=None):
    """Resize the spatial axes of a batch of images to ``size = (height, width)``.

    Args:
        images: ``[N, H, W, C]`` (or ``[N, C, H, W]`` with ``data_format="NCHW"``), float32/float64.
        size: two positive ints, the new height and width.
        method: ``"nearest"`` or ``"bilinear"``.
    """
    df = tf_data_format(data_format)
    x = rank4("images", images)
    float_dtype("images", x._value)
    if method not in METHODS:
        raise arg_error("method", f"must be one of {METHODS}", method)
    if not isinstance(size, (list, tuple, np.ndarray)) or len(size) != 2:
        raise arg_error("size", "must be a pair of positive ints (height, width)", size, TypeError)
    oh, ow = (check_int("size", v, 1) for v in size)
    xh = to_nhwc(x, df)
    xv = np.ascontiguousarray(xh._value)
    n, h, w, c = xv.shape
    if 0 in (h, w):
        raise arg_error("images", "must have positive height and width", xv.shape)
    out = new_result((n, oh, ow, c), xv.dtype)
    if method == "nearest":
        tables = (_nearest_table(h, oh), _nearest_table(w, ow))
        forward, backward = kernels.nearest_forward, kernels.nearest_backward
    else:
        tables = _bilinear_table(h, oh) + _bilinear_table(w, ow)
        forward, backward = kernels.bilinear_forward, kernels.bilinear_backward
    if out.size:
        forward(xv, out, *tables)

    def vjp(g):
        gx = np.zeros(xv.shape, xv.dtype)
        if g.size:
            backward(np.ascontiguousarray(g, dtype=xv.dtype), gx, *tables)
        return (gx,)

    return from_nhwc(record(out, (xh,), vjp), df)
