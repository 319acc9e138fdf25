"""``explain_conv_transpose``: the output-size reasoning of a transposed convolution, spelled out.

Every number comes from ``slimlayers.nn.shapes`` (the one home of conv size
arithmetic); this module only arranges them into sentences. See
``docs/transposed_conv.md`` for the same reasoning in prose.

Example:
    >>> info = explain_conv_transpose((1, 4, 4, 1), 3, 2, "valid")   # prints the reasoning
    Transposed convolution: input 4x4, kernel 3x3, strides 2x2, padding 'valid', ...
    >>> info.output_size
    (9, 9)
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass

from ..validation import arg_error, check_int, int_tuple, padding_mode
from .shapes import (check_output_padding, check_strides_and_dilation, conv_output_length,
                     conv_transpose_output_length, effective_kernel, transpose_crop, transpose_output_range)

__all__ = ["ConvTransposeExplanation", "explain_conv_transpose"]


@dataclass(frozen=True)
class AxisReasoning:
    """The numbers behind one spatial axis (all from ``nn.shapes``)."""

    axis: str
    input: int
    kernel: int
    stride: int
    dilation: int
    output_padding: int | None
    effective_kernel: int      # dk = d*(k-1) + 1
    full_length: int           # (i-1)*s + dk: the length of the un-cropped scatter
    output: int                # the layer's output length (Keras rule)
    accepted: tuple            # (lo, hi): sizes whose forward conv maps back to `input`
    crop_before: int           # rows dropped at the top/left of the full result
    forward_check: int         # conv_output_length(output, ...) — equals `input` when output is accepted

    @property
    def in_accepted_range(self):
        return self.accepted[0] <= self.output <= self.accepted[1]


class ConvTransposeExplanation:
    """The reasoning for one configuration: ``print`` it, or read ``output_size`` / ``axes``."""

    def __init__(self, padding, axes, text):
        self.padding = padding
        self.axes = axes
        self.text = text

    @property
    def output_size(self):
        return tuple(a.output for a in self.axes)

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<ConvTransposeExplanation output_size={self.output_size} padding={self.padding!r}>"


def _spatial(input_shape):
    if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
        n = check_int("input_shape", input_shape, minimum=1)
        return n, n
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) not in (2, 4):
        raise arg_error("input_shape", "must be an int, (height, width) or a 4-D NHWC shape", input_shape)
    hw = input_shape[1:3] if len(input_shape) == 4 else input_shape
    return tuple(check_int("input_shape", v, minimum=1) for v in hw)


def explain_conv_transpose(input_shape, kernel_size, strides, padding, output_padding=None, dilation=1):
    """Print (and return) why a Keras-style transposed conv produces its output size.

    Args:
        input_shape: an int, ``(height, width)`` or a 4-D NHWC shape.
        kernel_size, strides, dilation: int or pair.
        padding: ``"same"`` or ``"valid"`` (any case).
        output_padding: ``None`` or int / pair, each ``< stride`` (Keras rule).

    Returns:
        A ``ConvTransposeExplanation``: ``.output_size``, per-axis ``.axes``, ``str()`` = the printed text.

    Example:
        >>> explain_conv_transpose(4, 3, 2, "same").output_size     # doctest: +ELLIPSIS
        Transposed convolution: ...
        (8, 8)
    """
    hw = _spatial(input_shape)
    kernel = int_tuple("kernel_size", kernel_size)
    stride = int_tuple("strides", strides)
    dil = int_tuple("dilation", dilation)
    mode = padding_mode(padding)
    check_strides_and_dilation(stride, dil)  # worded as the layer words it
    ops = check_output_padding(output_padding, stride) or (None, None)

    axes = []
    for name, i, k, s, d, op in zip(("height", "width"), hw, kernel, stride, dil, ops):
        dk = effective_kernel(k, d)
        full = transpose_output_range(i, k, s, "valid", d)[0]
        o = conv_transpose_output_length(i, k, mode, s, d, op)
        axes.append(AxisReasoning(
            axis=name, input=i, kernel=k, stride=s, dilation=d, output_padding=op, effective_kernel=dk,
            full_length=full, output=o, accepted=transpose_output_range(i, k, s, mode, d),
            crop_before=transpose_crop(o, i, k, s, mode, d),
            forward_check=conv_output_length(o, k, mode, s, d)))
    text = _render(mode, output_padding, axes)
    print(text)
    return ConvTransposeExplanation(mode, axes, text)


def _pair(values):
    a, b = values
    return f"{a}x{b}"


def _render(mode, output_padding, axes):
    h, w = axes
    lines = [f"Transposed convolution: input {h.input}x{w.input}, kernel {h.kernel}x{w.kernel}, strides "
             f"{h.stride}x{w.stride}, padding {mode!r}, output_padding {output_padding!r}, dilation "
             f"{h.dilation}x{w.dilation}",
             f"Output size: {h.output}x{w.output}", ""]
    same_axes = (h.input, h.kernel, h.stride, h.dilation, h.output_padding) == \
        (w.input, w.kernel, w.stride, w.dilation, w.output_padding)
    for a in ([h] if same_axes else axes):
        lines.append(f"{'Height and width' if same_axes else a.axis.capitalize()} "
                     f"(i={a.input}, k={a.kernel}, s={a.stride}, d={a.dilation}):")
        lines.extend("  " + line for line in _axis_lines(mode, a))
        lines.append("")
    return "\n".join(lines).rstrip()


def _axis_lines(mode, a):
    i, k, s, d, op, dk = a.input, a.kernel, a.stride, a.dilation, a.output_padding, a.effective_kernel
    out = [f"effective kernel  dk = d*(k-1) + 1 = {d}*({k}-1) + 1 = {dk}",
           f"full scatter      every input sample stamps the kernel {s} apart: "
           f"L = (i-1)*s + dk = ({i}-1)*{s} + {dk} = {a.full_length}"]
    if op is None and mode == "valid":
        out.append(f"output length     'valid', output_padding=None: o = (i-1)*s + max(dk, s) = "
                   f"({i}-1)*{s} + max({dk}, {s}) = {a.output}")
    elif op is None:
        out.append(f"output length     'same', output_padding=None: o = i*s = {i}*{s} = {a.output}")
    elif mode == "valid":
        out.append(f"output length     'valid', output_padding={op}: o = (i-1)*s + dk + op = "
                   f"({i}-1)*{s} + {dk} + {op} = {a.output}")
    else:
        out.append(f"output length     'same', output_padding={op}: o = (i-1)*s + dk%2 + op = "
                   f"({i}-1)*{s} + {dk}%2 + {op} = {a.output}")
    lo, hi = a.accepted
    sizes = f"{lo}" if lo == hi else f"{lo}..{hi}"
    out.append(f"accepted lengths  a forward conv ({mode}, k={k}, s={s}, d={d}) maps each of {sizes} back to "
               f"{i} ({s} size{'s' if s > 1 else ''}; tf.nn.conv2d_transpose accepts any of them as "
               f"output_shape, output_padding picks one)")
    if mode == "same":
        out.append(f"crop              SAME removes P//2 = {a.crop_before} row(s) at the start of the full "
                   f"result (P = max(L - o, 0)); the forward conv padded the same way")
    else:
        out.append("crop              VALID removes nothing at the start")
    tail = a.full_length - a.crop_before - a.output
    if tail > 0:
        out.append(f"end               the last {tail} row(s) of the full result are cut off")
    elif tail < 0:
        out.append(f"end               {-tail} row(s) past the full result are zeros (+ bias): no input reaches "
                   f"them")
    if a.in_accepted_range:
        out.append(f"check             conv_output_length({a.output}, k={k}, {mode!r}, s={s}) = "
                   f"{a.forward_check} = i  (the forward conv maps the output back to the input)")
    else:
        out.append(f"check             o = {a.output} is outside {lo}..{hi}: the forward conv maps it to "
                   f"{a.forward_check}, not {i}. Keras on TensorFlow raises here (TF's op refuses the size); "
                   f"slimlayers, like Keras on torch, computes the cropped result")
    return out
