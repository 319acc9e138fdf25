"""Convolution shape arithmetic: the one place every geometric rule lives.

Pure functions of integers; no numpy arrays, no layers. The per-axis formulas
work one axis at a time, with ``dk = dilation * (kernel - 1) + 1`` the
effective (dilated) kernel; the ``*_geometry`` functions apply them to both
spatial axes and enforce the rules every op and layer shares (an output size
must be positive; ``output_padding < stride``, or ``< max(stride, dilation)`` in
the PyTorch/MindSpore rule; no stride > 1 with dilation > 1 in the Keras/Slim
faces). ``sl.nn`` ops, layers, Slim, pooling, the MindSpore face and
``explain_conv_transpose`` all call these.

Example:
    >>> conv_transpose_output_length(4, 3, "valid", 2)
    9
    >>> conv_transpose_output_length(4, 3, "same", 2)
    8
"""
from __future__ import annotations

from ..validation import arg_error, check_int, int_tuple, padding_mode

__all__ = [
    "effective_kernel",
    "conv_output_length",
    "conv_transpose_output_length",
    "same_padding",
    "explicit_output_length",
    "transpose_output_range",
    "transpose_crop",
    "forward_geometry",
    "transpose_geometry",
    "zero_padded_transpose_geometry",
    "check_strides_and_dilation",
    "check_output_padding",
]

_AXES = ("height", "width")


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


# -- rules on whole argument sets -------------------------------------------------------------
def check_strides_and_dilation(strides, dilations, names=("strides", "dilation_rate")):
    """Keras' and TF-Slim's rule: a stride > 1 together with a dilation > 1 is refused.

    ``names`` are the two arguments as the caller's API spells them (``("stride", "rate")`` for Slim).
    """
    if max(strides) > 1 and max(dilations) > 1:
        s, d = names
        raise ValueError(f"Invalid arguments `{s}` and `{d}`: `{s} > 1` is not supported together with "
                         f"`{d} > 1`. Received: {s}={tuple(strides)} and {d}={tuple(dilations)}")


def check_output_padding(output_padding, strides, dilations=None):
    """``None``, or ``output_padding`` as a pair of ints, each ``>= 0`` and strictly below its axis' bound.

    The bound is the stride (Keras' rule) or, when ``dilations`` are given, ``max(stride, dilation)``
    (PyTorch's and MindSpore's rule: a dilated kernel's full result already reaches that far).

    Example:
        >>> check_output_padding(1, (1, 2), dilations=(2, 1))
        (1, 1)
    """
    if output_padding is None:
        return None
    output_padding = int_tuple("output_padding", output_padding, minimum=0)
    if dilations is None:
        bounds, rule, name = tuple(strides), "`strides`", "strides"
        received = f"strides={tuple(strides)}"
    else:
        bounds = tuple(max(s, d) for s, d in zip(strides, dilations))
        rule = name = "max(stride, dilation)"
        received = f"stride={tuple(strides)}, dilation={tuple(dilations)}"
    for axis, (op, bound) in enumerate(zip(output_padding, bounds)):
        if op >= bound:
            raise ValueError(
                f"Invalid argument `output_padding`: must be strictly less than {rule} on every axis. "
                f"At dimension {axis}, output_padding is {op} but {name} is {bound}. "
                f"Received: output_padding={output_padding}, {received}")
    return output_padding


def _empty_output(axis, size, kernel, dilation, pads, output, what, context):
    pb, pa = pads
    name = _AXES[axis]
    where = f" in {context}" if context else ""
    return ValueError(
        f"Computed output size would be zero or negative{where}: output {name} {output}. The {what} {name} "
        f"{effective_kernel(kernel, dilation)} (kernel {kernel}, dilation {dilation}) is larger than the "
        f"padded input {name} {size + pb + pa} (input {size}, padding {pb}+{pa}).")


def forward_geometry(input_hw, kernel_hw, strides, dilations, padding, what="kernel", context=""):
    """Per-axis ``(before, after)`` padding and output size of a forward convolution or pooling window.

    ``padding`` is ``"same"``/``"valid"`` (any case) or explicit ``((top, bottom), (left, right))``.
    Unknown sizes (``None``) give ``None`` outputs (symbolic shapes). An output size ``<= 0`` is a
    ``ValueError`` naming the axis and the sizes (``context`` says where: a layer, an op).

    Example:
        >>> forward_geometry((5, 6), (3, 3), (2, 2), (1, 1), "same")
        (((1, 1), (0, 1)), (3, 3))
    """
    pads, out = [], []
    for axis in range(2):
        i, k, s, d = input_hw[axis], kernel_hw[axis], strides[axis], dilations[axis]
        if isinstance(padding, str):
            mode = padding_mode(padding)
            if i is None:
                pads.append(None)
                out.append(None)
                continue
            pair = same_padding(i, k, s, d) if mode == "same" else (0, 0)
        else:
            pair = tuple(padding[axis])
            if i is None:
                pads.append(pair)
                out.append(None)
                continue
        o = explicit_output_length(i, k, pair[0], pair[1], s, d)
        if o <= 0:
            raise _empty_output(axis, i, k, d, pair, o, what, context)
        pads.append(pair)
        out.append(o)
    return tuple(pads), tuple(out)


def transpose_geometry(input_hw, kernel_hw, strides, dilations, padding, output_padding=None, context="",
                       allow_empty=False):
    """Output size and start crop, per axis, of a transposed convolution (Keras' size rules).

    ``padding`` is ``"same"``/``"valid"`` (any case; sizes from ``conv_transpose_output_length``) or
    explicit ``((top, bottom), (left, right))``: the forward conv's padding, cropped from the full
    result, ``o = (i-1)*s + dk - before - after + output_padding``. Returns ``(crop_before, out_hw)``;
    unknown sizes give ``None``; an output size ``< 0`` is a ``ValueError``, and so is ``0`` unless
    ``allow_empty``.

    Example:
        >>> transpose_geometry((4, 4), (3, 3), (2, 2), (1, 1), "same")
        ((0, 0), (8, 8))
    """
    ops = output_padding or (None, None)
    crops, out = [], []
    for axis in range(2):
        i, k, s, d, op = input_hw[axis], kernel_hw[axis], strides[axis], dilations[axis], ops[axis]
        if i is None:
            crops.append(None)
            out.append(None)
            continue
        if isinstance(padding, str):
            o = conv_transpose_output_length(i, k, padding, s, d, op)
            crop = transpose_crop(o, i, k, s, padding, d) if o > 0 else 0
        else:
            before, after = padding[axis]
            o = (i - 1) * s + effective_kernel(k, d) - before - after + (op or 0)
            crop = before
        if o < 0 or (o == 0 and not allow_empty):
            where = f" in {context}" if context else ""
            raise ValueError(f"Computed output size would be {'zero or ' if not allow_empty else ''}negative{where}: "
                             f"output {_AXES[axis]} {o} from input {_AXES[axis]} {i} (kernel {k}, stride {s}, "
                             f"dilation {d}, padding {padding if isinstance(padding, str) else padding[axis]}).")
        crops.append(crop)
        out.append(o)
    return tuple(crops), tuple(out)


def zero_padded_transpose_geometry(input_hw, kernel_hw, strides, dilations, padding, output_padding, context=""):
    """MindSpore's ``Conv2dTranspose`` sizes: the transposed conv, then ``output_padding`` zero rows/columns.

    The transposed conv (``transpose_geometry`` without output_padding) may be empty on an axis but
    never negative; ``(bottom, right) = output_padding`` zeros are then appended, and that result must
    not be empty. Returns ``(conv_hw, out_hw)``; unknown sizes give ``None``.

    Example:
        >>> zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (4, 1), ((0, 0), (1, 1)), (1, 1))
        ((1, 7), (2, 8))
        >>> zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (4, 1), ((1, 0), (1, 1)), (1, 0))[1]
        (1, 7)
    """
    conv_hw = transpose_geometry(input_hw, kernel_hw, strides, dilations, padding, context=context,
                                 allow_empty=True)[1]
    out_hw = tuple(None if o is None else o + extra for o, extra in zip(conv_hw, output_padding))
    for axis, o in enumerate(out_hw):
        if o == 0:
            where = f" in {context}" if context else ""
            raise ValueError(f"Computed output size would be zero{where}: output {_AXES[axis]} 0 (the transposed "
                             f"convolution is empty on that axis and output_padding adds nothing).")
    return conv_hw, out_hw


def transpose_output_check(input_hw, output_hw, kernel_hw, strides, dilations, padding, received):
    """tf.nn's rule for a requested ``output_shape``: each size must map back to the input.

    Returns the start crop per axis; a size outside ``transpose_output_range`` is a ``ValueError``
    naming the accepted sizes. ``padding``: ``"SAME"``/``"VALID"`` or explicit pairs.
    """
    crops = []
    for axis in range(2):
        i, k, s, d, o = input_hw[axis], kernel_hw[axis], strides[axis], dilations[axis], output_hw[axis]
        mode = padding.lower() if isinstance(padding, str) else padding[axis]
        lo, hi = transpose_output_range(i, k, s, mode, d)
        if not lo <= o <= hi or o <= 0:
            name = _AXES[axis]
            accepted = f"{lo}" if lo == hi else f"{lo}..{hi}"
            raise arg_error("output_shape", f"output {name} {o} cannot be produced from input {name} {i} "
                            f"(kernel {k}, stride {s}, dilation {d}, padding {mode}); accepted {name}: "
                            f"{accepted}", received)
        crops.append(transpose_crop(o, i, k, s, mode, d))
    return tuple(crops)
