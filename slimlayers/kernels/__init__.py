"""Numba kernels: contiguous arrays and plain ints in, results written in place.

No defaults, no validation, no API knowledge here; see slimlayers.nn for that.
"""
from .conv import conv2d_backprop_filter, conv2d_backprop_input, conv2d_forward

__all__ = ["conv2d_forward", "conv2d_backprop_input", "conv2d_backprop_filter"]
