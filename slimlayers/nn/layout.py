"""Channels-first ↔ channels-last, in one place: the kernels compute in NHWC only.

Every helper takes a data format in either spelling (tf.nn's ``"NHWC"``/``"NCHW"``
or Keras' ``"channels_last"``/``"channels_first"``), already normalised by
``slimlayers.validation``.

Example:
    >>> split_shape((8, 3, 28, 28), "channels_first")
    (8, 28, 28, 3)
"""
from __future__ import annotations

from ..autodiff import ops

__all__ = ["is_channels_last", "to_nhwc", "from_nhwc", "split_shape", "join_shape"]


def is_channels_last(data_format):
    return data_format in ("NHWC", "channels_last")


def to_nhwc(t, data_format):
    """A rank-4 Tensor in ``data_format`` viewed as NHWC (a differentiable transpose when needed)."""
    return t if is_channels_last(data_format) else ops.transpose(t, (0, 2, 3, 1))


def from_nhwc(t, data_format):
    """The inverse of ``to_nhwc``."""
    return t if is_channels_last(data_format) else ops.transpose(t, (0, 3, 1, 2))


def split_shape(shape, data_format):
    """``(batch, height, width, channels)`` of a rank-4 shape in ``data_format``."""
    n, a, b, c = shape
    return (n, a, b, c) if is_channels_last(data_format) else (n, b, c, a)


def join_shape(batch, height, width, channels, data_format):
    """The rank-4 shape in ``data_format`` order."""
    if is_channels_last(data_format):
        return (batch, height, width, channels)
    return (batch, channels, height, width)
