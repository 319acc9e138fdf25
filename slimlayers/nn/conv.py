"""``conv2d``, ``conv2d_transpose`` and ``bias_add`` with tf.nn semantics.

Validation and layout live here; the arithmetic lives in ``slimlayers.kernels``
(three kernels, each used twice: the transposed conv *is* the conv's input
gradient, so the forward of one is the backward of the other).

Beyond TensorFlow's CPU build: NCHW runs (via NHWC), dilated transposed
convolutions run (they are the adjoint of the dilated conv), and grouped
transposed convolutions are available to layers through ``groups``.

Example:
    >>> x = np.ones((1, 4, 4, 1), "float32"); w = np.ones((3, 3, 1, 1), "float32")
    >>> sl.nn.conv2d_transpose(x, w, [1, 9, 9, 1], strides=2, padding="VALID").shape
    (1, 9, 9, 1)
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import kernels, validation
from .activations import relu
from ..autodiff import ops
from ..autodiff.tape import needs_gradient, record, unbroadcast
from ..autodiff.tensor import Tensor
from ..kernels import epilogue
from ..validation import (
    CheckedArguments, arg_error, cache_key, check_allocation, check_int, float_dtype, int_tuple, spatial_pair,
    tf_data_format, tf_padding,
)
from ._recycle import empty as recycled
from .layout import from_nhwc, split_shape, to_nhwc
from .operands import rank4, tensor
from .shapes import forward_geometry, transpose_geometry, transpose_output_check

__all__ = ["fused_conv2d", "fused_conv2d_transpose", "conv2d", "conv2d_transpose", "bias_add"]


# -- the primitive: one kernel pair, both directions ----------------------------------
def _adjoint_pair(x, f, out_hwc, geometry, transposed, bias=None, relu=False):
    """One primitive for both directions: the forward of each is the input gradient of the other.

    ``geometry`` is ``(sh, sw, dh, dw, pt, pl, groups)`` of the *forward* conv; the result's size
    has passed ``check_allocation`` (in the caller's plan). With ``bias``
    and/or ``relu`` the result is ``relu(conv + bias)``, computed in place; the gradients are
    those of the three ops in a row (bias: ``unbroadcast`` of the masked gradient, as ``add``).
    """
    xv, fv = np.ascontiguousarray(x._value), np.ascontiguousarray(f._value)
    apply, adjoint = kernels.conv2d_forward, kernels.conv2d_backprop_input
    if transposed:
        apply, adjoint = adjoint, apply
    shape = (xv.shape[0], *out_hwc)
    out = recycled(shape, xv.dtype) if xv.size else np.zeros(shape, xv.dtype)
    if out.size and xv.size:
        apply(xv, fv, out, *geometry)
    channels = out.reshape(-1, shape[3]) if out.size else None
    if (bias is not None or relu) and out.size:
        bv = np.zeros(shape[3], out.dtype) if bias is None else np.ascontiguousarray(bias._value)
        epilogue.bias_relu(channels, bv, relu)

    # an input no tape tracks now (e.g. a model's data) never gets a gradient from this node:
    # skip its kernel (a third of the backward pass of a first layer)
    need_gx = needs_gradient(x)

    def vjp(g):
        g = np.ascontiguousarray(g, dtype=xv.dtype)
        if relu and g.size:
            g = _relu_grad(g, channels)
        # the kernels overwrite their whole output: zeros only where a kernel is skipped
        run = bool(g.size and xv.size)
        gx = recycled(xv.shape, xv.dtype) if run and need_gx else np.zeros(xv.shape, xv.dtype)
        gf = recycled(fv.shape, fv.dtype) if run else np.zeros(fv.shape, fv.dtype)
        if run:
            if need_gx:
                adjoint(g, fv, gx, *geometry)
            # the filter gradient always pairs the forward conv's input with its output gradient
            conv_in, conv_out_grad = (g, xv) if transposed else (xv, g)
            kernels.conv2d_backprop_filter(conv_in, conv_out_grad, gf, *geometry)
        grads = (gx if need_gx else None), gf
        return grads if bias is None else grads + (unbroadcast(g, bias.shape),)

    return record(out, (x, f) if bias is None else (x, f, bias), vjp)


def _relu_grad(g, y_channels):
    masked = recycled(g.shape, g.dtype)
    epilogue.relu_grad(g.reshape(y_channels.shape), y_channels, masked.reshape(y_channels.shape))
    return masked


# -- the fused ops every conv layer calls ----------------------------------------------
# A plan is everything an op call derives from the operands' shapes and dtypes and its other
# arguments, all checked: ``(NHWC output (H, W, C), kernel geometry)``. A layer makes
# the same call every step, so plans are memoised (see ``CheckedArguments``).
_PLANS = CheckedArguments()


def _planned(plan, x, f, *args):
    key = cache_key(*args)
    # the allocation limit too: it is a module setting a user may lower
    key = key and (plan, x.shape, f.shape, x.dtype, f.dtype, validation.MAX_ARRAY_BYTES, key)
    return _PLANS.get(key, plan, x, f, *args)


def _check_operands(x, f, df, strides, padding, dilations):
    """The checks every conv op makes; returns strides, padding and dilations in canonical form."""
    float_dtype("input/filters", x, f)
    if 0 in f.shape[:2]:
        raise ValueError(f"Invalid argument `filters`: kernel height and width must be positive. "
                         f"Received: filters with shape {f.shape}")
    strides, dilations = spatial_pair("strides", strides, df), spatial_pair("dilations", dilations, df)
    return strides, tf_padding(padding, df), dilations


def _checked_result(n, out_hwc, dtype):
    check_allocation("The result", (n, *out_hwc), dtype)
    return out_hwc


def _conv_plan(x, f, df, strides, padding, dilations, groups):
    strides, padding, dilations = _check_operands(x, f, df, strides, padding, dilations)
    groups = check_int("groups", groups, minimum=1)
    n, h, w, cin = split_shape(x.shape, df)
    cout = f.shape[3]
    if f.shape[2] * groups != cin or cout % groups:
        raise ValueError(f"Invalid convolution: with groups={groups}, filters.shape[2] ({f.shape[2]}) times the "
                         f"groups must equal the input channels ({cin}) and filters.shape[3] ({cout}) must be "
                         f"divisible by the groups. Received: input shape {x.shape}, filters shape {f.shape}")
    pads, out_hw = forward_geometry((h, w), f.shape[:2], strides, dilations, padding, context="conv2d")
    return _checked_result(n, (*out_hw, cout), x.dtype), (*strides, *dilations, pads[0][0], pads[1][0], groups)


def _transpose_plan(x, f, df, strides, padding, dilations, groups, output_padding, allow_empty):
    strides, padding, dilations = _check_operands(x, f, df, strides, padding, dilations)
    groups = check_int("groups", groups, minimum=1)
    n, h, w, cin = split_shape(x.shape, df)
    if f.shape[3] != cin or cin % groups:
        raise ValueError(f"Invalid transposed convolution: filters.shape[3] ({f.shape[3]}) must equal the input "
                         f"channels ({cin}), which must be divisible by groups={groups}. Received: input shape "
                         f"{x.shape}, filters shape {f.shape}")
    if output_padding is not None:
        output_padding = int_tuple("output_padding", output_padding, minimum=0)
    crop, out_hw = transpose_geometry((h, w), f.shape[:2], strides, dilations, padding, output_padding,
                                      context="conv2d_transpose", allow_empty=allow_empty)
    return _checked_result(n, (*out_hw, f.shape[2] * groups), x.dtype), (*strides, *dilations, *crop, groups)


def _transpose_output_plan(x, f, df, output_shape, strides, padding, dilations):
    strides, padding, dilations = _check_operands(x, f, df, strides, padding, dilations)
    n, h, w, cin = split_shape(x.shape, df)
    if f.shape[3] != cin:
        raise ValueError(f"Invalid transposed convolution: filters.shape[3] ({f.shape[3]}) must equal the input "
                         f"channels ({cin}). Received: input shape {x.shape}, filters shape {f.shape}")
    out_hw = _output_shape(output_shape, n, f.shape[2], df)
    received = output_shape.tolist() if isinstance(output_shape, np.ndarray) else list(output_shape)
    crop = transpose_output_check((h, w), out_hw, f.shape[:2], strides, dilations, padding, received)
    return _checked_result(n, (*out_hw, f.shape[2]), x.dtype), (*strides, *dilations, *crop, 1)


def _epilogue(bias, activation, channels, dtype):
    """``(bias Tensor or None, fuse_relu, activation left to apply)`` for the primitive."""
    if bias is not None:
        bias = tensor("bias", bias)
        if bias.shape != (channels,):
            raise ValueError(f"Invalid argument `bias`: must have shape ({channels},), one value per output "
                             f"channel. Received: bias with shape {bias.shape}")
        if bias.dtype != dtype:
            bias = ops.cast(bias, dtype)
    if activation is not None and not callable(activation):
        raise arg_error("activation", "must be a callable or None", activation, TypeError)
    fuse_relu = activation is relu
    return bias, fuse_relu, (None if fuse_relu else activation)


def _finish(y, activation, df):
    return from_nhwc(y if activation is None else activation(y), df)


def fused_conv2d(input, filters, bias=None, activation=None, strides=1, padding="VALID", dilations=1, groups=1,
                 data_format="NHWC"):
    """``activation(conv2d(input, filters) + bias)``: the convolution every conv layer computes.

    Bias and ``sl.nn.relu`` are applied in place inside the conv primitive (one result array, one
    tape node); any other activation runs after it. Arguments as ``sl.nn.conv2d``, plus:

    Args:
        bias: ``None`` or one value per output channel.
        activation: ``None`` or a callable (``sl.nn.relu`` is fused).
        groups: ``filters`` is ``[kh, kw, C / groups, out]``; ``out`` must be divisible by ``groups``.

    Example:
        >>> fused_conv2d(np.ones((1, 4, 4, 2), "float32"), np.ones((3, 3, 2, 5), "float32"),
        ...              bias=np.zeros(5, "float32"), activation=sl.nn.relu, padding="SAME").shape
        (1, 4, 4, 5)
    """
    df = tf_data_format(data_format)
    x, f = rank4("input", input), rank4("filters", filters)
    out_hwc, geometry = _planned(_conv_plan, x, f, df, strides, padding, dilations, groups)
    bias, fuse_relu, after = _epilogue(bias, activation, out_hwc[2], x.dtype)
    return _finish(_adjoint_pair(to_nhwc(x, df), f, out_hwc, geometry, False, bias, fuse_relu), after, df)


def fused_conv2d_transpose(input, filters, bias=None, activation=None, strides=1, padding="VALID",
                           output_padding=None, dilations=1, groups=1, data_format="NHWC", allow_empty=False):
    """``activation(conv2d_transpose(input, filters) + bias)`` with Keras' output sizes.

    Output length per axis (``sl.nn.conv_transpose_output_length``): ``'VALID'`` ``(i-1)*s + max(dk, s)``,
    ``'SAME'`` ``i*s``; with ``output_padding=op`` ``(i-1)*s + dk + op`` and ``(i-1)*s + dk % 2 + op``;
    explicit pairs ``(i-1)*s + dk - before - after + op``. ``filters`` is ``[kh, kw, out / groups, in]``.
    Bias and ``sl.nn.relu`` are fused as in ``fused_conv2d``. An output size of 0 is refused unless
    ``allow_empty`` (then the result is empty, with zero gradients: MindSpore appends zeros to it).

    Example:
        >>> fused_conv2d_transpose(np.ones((1, 4, 4, 1), "float32"), np.ones((3, 3, 1, 1), "float32"),
        ...                        strides=2).shape
        (1, 9, 9, 1)
    """
    df = tf_data_format(data_format)
    x, f = rank4("input", input), rank4("filters", filters)
    out_hwc, geometry = _planned(_transpose_plan, x, f, df, strides, padding, dilations, groups, output_padding,
                                     allow_empty)
    bias, fuse_relu, after = _epilogue(bias, activation, out_hwc[2], x.dtype)
    return _finish(_adjoint_pair(to_nhwc(x, df), f, out_hwc, geometry, True, bias, fuse_relu), after, df)


# -- tf.nn ----------------------------------------------------------------------------
def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D cross-correlation with ``tf.nn.conv2d`` semantics.

    Args:
        input: ``[N, H, W, C]`` (or ``[N, C, H, W]`` for NCHW), float32/float64.
        filters: ``[kh, kw, C / groups, out]``; ``groups = C / filters.shape[2]``.
        strides, dilations: int or list of length 1, 2 or 4.
        padding: ``"SAME"``, ``"VALID"`` or four explicit ``[before, after]`` pairs.

    Output size per axis: SAME ``ceil(i/s)``, VALID ``floor((i - dk)/s) + 1``.
    """
    x, f = rank4("input", input), rank4("filters", filters)
    cin, cg, cout = x.shape[3 if tf_data_format(data_format) == "NHWC" else 1], f.shape[2], f.shape[3]
    if cg == 0 or cin % cg:
        raise ValueError(f"Invalid convolution: input channels ({cin}) must be a positive multiple of the "
                         f"filter's input depth filters.shape[2] ({cg}). Received: input shape {x.shape}, "
                         f"filters shape {f.shape}")
    groups = cin // cg
    if cout % groups:
        raise ValueError(f"Invalid convolution: output channels filters.shape[3] ({cout}) must be divisible "
                         f"by the number of groups ({groups} = {cin} input channels / {cg}). "
                         f"Received: filters shape {f.shape}")
    return fused_conv2d(x, f, strides=strides, padding=padding, dilations=dilations, groups=groups,
                        data_format=data_format)


def _output_shape(output_shape, n, channels, df):
    """Normalise ``output_shape`` (length 4 or 2) to spatial ``(H, W)``, checking batch and channels."""
    if isinstance(output_shape, Tensor):
        output_shape = output_shape.numpy()
    if isinstance(output_shape, np.ndarray):
        if output_shape.dtype.kind not in "iu" or output_shape.ndim != 1:
            raise arg_error("output_shape", "must be a 1-D integer array, list or tuple", output_shape.tolist(),
                            TypeError)
        output_shape = output_shape.tolist()
    if isinstance(output_shape, numbers.Number) or not isinstance(output_shape, (list, tuple)):
        raise arg_error("output_shape", "must be a list, tuple or 1-D integer array of length 4 or 2",
                        output_shape, TypeError)
    vals = [check_int("output_shape", v, 0) for v in output_shape]
    if len(vals) == 2:
        return tuple(vals)
    if len(vals) != 4:
        raise arg_error("output_shape", f"must have 4 values (full shape) or 2 (spatial), not {len(vals)}",
                        list(output_shape))
    b, c = vals[0], vals[3] if df == "NHWC" else vals[1]
    if b != n:
        raise arg_error("output_shape", f"batch entry must equal the input batch size {n}", list(output_shape))
    if c != channels:
        raise arg_error("output_shape", f"channel entry must equal filters.shape[2] = {channels}",
                        list(output_shape))
    return (vals[1], vals[2]) if df == "NHWC" else (vals[2], vals[3])


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",
                     dilations=None, name=None):
    """Transposed convolution with ``tf.nn.conv2d_transpose`` semantics.

    The adjoint of ``conv2d`` whose input has ``output_shape``. Filters are
    ``[kh, kw, out_channels, in_channels]``. Per axis the accepted output sizes
    are the ``s`` lengths whose forward conv gives the input length:
    SAME ``[(i-1)s+1, i*s]``, VALID ``[(i-1)s+dk, (i-1)s+dk+s-1]``,
    explicit ``(pb, pa)``: ``[(i-1)s+dk-pb-pa, … + s-1]``.
    """
    df = tf_data_format(data_format)
    x, f = rank4("input", input), rank4("filters", filters)
    out_hwc, geometry = _planned(_transpose_output_plan, x, f, df, output_shape, strides, padding, dilations)
    return from_nhwc(_adjoint_pair(to_nhwc(x, df), f, out_hwc, geometry, True), df)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` along the channel axis (last for NHWC / None, axis 1 for NC…)."""
    x = tensor("value", value)
    b = tensor("bias", bias)
    if b.ndim != 1:
        raise ValueError(f"Invalid argument `bias`: must be 1-D. Received: bias with shape {b.shape}")
    if x.ndim < 2:
        raise ValueError(f"Invalid argument `value`: must have rank >= 2. Received: value with shape {x.shape}")
    channels_first = data_format is not None and str(data_format).startswith("NC")
    axis = 1 if channels_first else x.ndim - 1
    if x.shape[axis] != b.shape[0]:
        raise ValueError(f"Invalid argument `bias`: its length {b.shape[0]} must equal the channel dimension "
                         f"{x.shape[axis]} of value (shape {x.shape}, data_format {data_format or 'NHWC'})")
    if channels_first:
        b = ops.reshape(b, (b.shape[0],) + (1,) * (x.ndim - 2))
    return ops.add(x, b)
