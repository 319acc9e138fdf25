"""Helpers shared by the image layers: channels_first ↔ channels_last and input checks.

Everything computes in NHWC; a ``channels_first`` layer transposes on the way
in and out (TensorFlow's CPU kernels are NHWC-only; this runs everywhere).
"""
from __future__ import annotations

from ..autodiff import ops


def to_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.transpose(x, (0, 2, 3, 1))


def from_channels_last(x, data_format):
    return x if data_format == "channels_last" else ops.transpose(x, (0, 3, 1, 2))


def split_shape(shape, data_format):
    """``(batch, height, width, channels)`` of a rank-4 shape in ``data_format``."""
    n, a, b, c = shape
    return (n, a, b, c) if data_format == "channels_last" else (n, b, c, a)


def join_shape(batch, height, width, channels, data_format):
    if data_format == "channels_last":
        return (batch, height, width, channels)
    return (batch, channels, height, width)


def check_rank(layer, shape, ndim):
    """Keras' input-spec message for a wrong rank."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected "
                         f"ndim={ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def check_axis_size(layer, shape, axis, expected):
    """The input's size on ``axis`` must equal the size the layer was built for."""
    if shape[axis] != expected:
        raise ValueError(f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected axis "
                         f"{axis} of the input to have value {expected}, but received an input with shape "
                         f"{tuple(shape)}")
