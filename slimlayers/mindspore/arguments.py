"""MindSpore's argument rules for ``Conv2d`` / ``Conv2dTranspose``, each written once.

Everything is checked with ``slimlayers.validation`` (one error format); this module only
adds MindSpore's own spellings: ``pad_mode`` (case-sensitive), ``padding`` as
``(top, bottom, left, right)``, ``output_padding``, ``group``, ``has_bias`` and the
``"NCHW"`` default data format. Geometry (output sizes, the ``output_padding`` range)
stays in ``slimlayers.nn.shapes``.

Example:
    >>> padding((1, 0, 2, 1), "pad")
    (1, 0, 2, 1)
    >>> padding(1, "same")
    Traceback (most recent call last):
    ...
    ValueError: Invalid argument `padding`: must be 0 or (0, 0, 0, 0) unless pad_mode='pad'. Received: padding=1
"""
from __future__ import annotations

import numbers

import numpy as np

from ..validation import arg_error, int_tuple, tf_data_format

__all__ = ["PAD_MODES", "pad_mode", "padding", "pad_pairs", "output_padding", "output_padding_pair",
           "check_group", "boolean", "data_format"]

PAD_MODES = ("same", "valid", "pad")


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def pad_mode(value):
    """``"same"``, ``"valid"`` or ``"pad"``, spelled exactly so (MindSpore is case-sensitive)."""
    if not isinstance(value, str) or value not in PAD_MODES:
        raise arg_error("pad_mode", "must be 'same', 'valid' or 'pad' (lower case: MindSpore is case-sensitive)",
                        value)
    return value


def padding(value, mode):
    """An int or ``(top, bottom, left, right)``, each ``>= 0``; non-zero only with ``pad_mode="pad"``.

    Returns the value as MindSpore keeps it: an int stays an int, a sequence becomes a 4-tuple.
    """
    pads = int_tuple("padding", value, n=4, minimum=0)
    if mode != "pad" and any(pads):
        raise arg_error("padding", "must be 0 or (0, 0, 0, 0) unless pad_mode='pad'", value)
    return pads[0] if _is_int(value) else pads


def pad_pairs(value):
    """``((top, bottom), (left, right))`` of a normalised ``padding``."""
    top, bottom, left, right = (value,) * 4 if _is_int(value) else value
    return (top, bottom), (left, right)


def output_padding(value):
    """An int or a pair ``(bottom, right)``, kept as given; its range is checked when the layer is called,
    as MindSpore does (``output_padding_pair`` + ``nn.shapes.check_output_padding``)."""
    pair = int_tuple("output_padding", value, n=2, minimum=None)
    return pair[0] if _is_int(value) else pair


def output_padding_pair(value, mode):
    """A normalised ``output_padding`` as a pair; non-zero only with ``pad_mode="pad"``."""
    pair = (value, value) if _is_int(value) else value
    if mode != "pad" and any(pair):
        raise arg_error("output_padding", "must be 0 or (0, 0) unless pad_mode='pad'", value)
    return pair


def check_group(in_channels, out_channels, group):
    """MindSpore splits both channel counts into ``group`` equal parts."""
    for name, channels in (("in_channels", in_channels), ("out_channels", out_channels)):
        if channels % group:
            raise arg_error(name, f"must be divisible by group={group}", channels)


def boolean(name, value):
    """A real bool (MindSpore refuses ``has_bias=1``)."""
    if not isinstance(value, (bool, np.bool_)):
        raise arg_error(name, "must be a bool", value, TypeError)
    return bool(value)


def data_format(value):
    """``"NCHW"`` (MindSpore's default) or ``"NHWC"``, spelled exactly so."""
    if value is None:
        raise arg_error("data_format", "must be 'NCHW' or 'NHWC'", value)
    return tf_data_format(value)
