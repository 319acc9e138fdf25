"""Convolution shape arithmetic: the one place every size rule lives.

Pure functions of integers; no numpy arrays, no layers. One axis at a time,
with ``dk = dilation * (kernel - 1) + 1`` the effective (dilated) kernel.

Example:
    >>> conv_transpose_output_length(4, 3, "valid", 2)
    9
    >>> conv_transpose_output_length(4, 3, "same", 2)
    8
"""
from __future__ import annotations

from ..validation import check_int, padding_mode

__all__ = [
    "effective_kernel",
    "conv_output_length",
    "conv_transpose_output_length",
    "same_padding",
    "explicit_output_length",
    "transpose_output_range",
    "transpose_crop",
]


def effective_kernel(kernel, dilation=1):
    """``dk = dilation * (kernel - 1) + 1``."""
    return dilation * (kernel - 1) + 1


def _checked(length, kernel, stride, dilation, padding):
    return (check_int("length", length, minimum=0), check_int("kernel", kernel, minimum=1),
            check_int("stride", stride, minimum=1), check_int("dilation", dilation, minimum=1),
            padding_mode(padding))


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Output length of a forward convolution (Keras/TF formulas).

    ``valid``: ``floor((length - dk) / stride) + 1``; ``same``: ``ceil(length / stride)``.
    Returns ``None`` when ``length`` is ``None`` (unknown size).
    """
    if length is None:
        return None
    length, kernel, stride, dilation, mode = _checked(length, kernel, stride, dilation, padding)
    if mode == "same":
        return -(-length // stride)
    return (length - effective_kernel(kernel, dilation)) // stride + 1


def explicit_output_length(length, kernel, pad_before, pad_after, stride, dilation=1):
    """Forward output length with explicit padding: ``floor((i + pb + pa - dk) / s) + 1``."""
    return (length + pad_before + pad_after - effective_kernel(kernel, dilation)) // stride + 1


def same_padding(length, kernel, stride, dilation=1):
    """TF's SAME split for a forward conv: ``(before, after)``, the extra unit after.

    ``P = max((ceil(i/s) - 1) * s + dk - i, 0)``, ``before = P // 2``.
    """
    total = max((-(-length // stride) - 1) * stride + effective_kernel(kernel, dilation) - length, 0)
    return total // 2, total - total // 2


def conv_transpose_output_length(length, kernel, padding, stride, dilation=1, output_padding=None):
    """Output length of a Keras ``Conv2DTranspose`` (identical in Keras 3 and tf_keras).

    =========  ==========================  ==============================
    padding    output_padding=None         output_padding=op
    =========  ==========================  ==============================
    valid      ``(i-1)*s + max(dk, s)``    ``(i-1)*s + dk + op``
    same       ``i*s``                     ``(i-1)*s + dk % 2 + op``
    =========  ==========================  ==============================
    """
    if length is None:
        return None
    length, kernel, stride, dilation, mode = _checked(length, kernel, stride, dilation, padding)
    dk = effective_kernel(kernel, dilation)
    if output_padding is None:
        if mode == "valid":
            return (length - 1) * stride + max(dk, stride)
        return length * stride
    op = check_int("output_padding", output_padding, minimum=0)
    if mode == "valid":
        return (length - 1) * stride + dk + op
    return (length - 1) * stride + dk % 2 + op


def transpose_output_range(length, kernel, stride, padding, dilation=1):
    """Inclusive ``(lo, hi)`` of the output lengths a transposed conv accepts.

    Exactly the lengths ``o`` whose forward conv (same kernel, stride, dilation
    and padding) maps back to ``length``; there are ``stride`` of them.
    ``padding`` is ``"same"``, ``"valid"`` or an explicit ``(before, after)`` pair.
    """
    dk = effective_kernel(kernel, dilation)
    if isinstance(padding, str):
        mode = padding_mode(padding)
        lo = (length - 1) * stride + (1 if mode == "same" else dk)
    else:
        before, after = padding
        lo = (length - 1) * stride + dk - before - after
    return lo, lo + stride - 1


def transpose_crop(output_length, input_length, kernel, stride, padding, dilation=1):
    """Rows cropped at the start of the full transposed result (the forward conv's ``pad_before``).

    For SAME it is derived from the *output* length: ``P = max((i-1)*s + dk - o, 0)``, ``P // 2``.
    """
    if isinstance(padding, str):
        if padding_mode(padding) == "valid":
            return 0
        total = max((input_length - 1) * stride + effective_kernel(kernel, dilation) - output_length, 0)
        return total // 2
    return padding[0]
