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

from .. import kernels
from ..kernels import epilogue
from ..autodiff import ops
from ..autodiff.tape import needs_gradient, record, unbroadcast
from ..autodiff.tensor import Tensor, as_array
from ._recycle import empty as recycled
from ..validation import arg_error, check_allocation, check_int, float_dtype, spatial_pair, tf_data_format, tf_padding
from .shapes import effective_kernel, explicit_output_length, same_padding, transpose_crop, \
    transpose_output_range

# -- differentiable NHWC cores (no validation: callers validate) -------------
def conv2d_nhwc(x, f, strides, pad_before, dilations, groups, out_hw, bias=None, relu=False):
    """Forward conv of NHWC Tensors; ``out_hw`` fixes the output size (extra input rows are ignored).

    ``bias`` (a Tensor of the output's dtype, one value per output channel) and ``relu`` are applied
    to the result in the same primitive (a layer's epilogue: no extra arrays, one tape node).
    """
    return _adjoint_pair(x, f, (*out_hw, f.shape[3]), (*strides, *dilations, *pad_before, groups), False,
                         bias, relu)


def conv2d_transpose_nhwc(x, f, strides, pad_before, dilations, groups, out_hw, bias=None, relu=False):
    """Transposed conv of NHWC Tensors: the input gradient of ``conv2d_nhwc`` (filter ``[kh, kw, out/g, in]``)."""
    return _adjoint_pair(x, f, (*out_hw, f.shape[2] * groups), (*strides, *dilations, *pad_before, groups), True,
                         bias, relu)


def _adjoint_pair(x, f, out_hwc, geometry, transposed, bias=None, relu=False):
    """One primitive for both directions: the forward of each is the input gradient of the other.

    ``geometry`` is ``(sh, sw, dh, dw, pt, pl, groups)`` of the *forward* conv. With ``bias``
    and/or ``relu`` the result is ``relu(conv + bias)``, computed in place; the gradients are
    those of the three ops in a row (bias: ``unbroadcast`` of the masked gradient, as ``add``).
    """
    xv, fv = np.ascontiguousarray(x._value), np.ascontiguousarray(f._value)
    apply, adjoint = kernels.conv2d_forward, kernels.conv2d_backprop_input
    if transposed:
        apply, adjoint = adjoint, apply
    shape = (xv.shape[0], *out_hwc)
    out = _empty(shape, xv.dtype) if xv.size else np.zeros(shape, xv.dtype)
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


def _empty(shape, dtype):
    check_allocation("The result", shape, dtype)
    return recycled(shape, dtype)


# -- argument checks shared by the public ops ------------------------------
def _rank4(name, value):
    t = value if isinstance(value, Tensor) else Tensor(as_array(value, name=name))
    if t.ndim != 4:
        raise ValueError(f"Invalid argument `{name}`: must be a rank-4 tensor, not rank {t.ndim}. "
                         f"Received: {name} with shape {t.shape}")
    return t


def _operands(input, filters):
    x, f = _rank4("input", input), _rank4("filters", filters)
    float_dtype("input/filters", x._value, f._value)
    if 0 in f.shape[:2]:
        raise ValueError(f"Invalid argument `filters`: kernel height and width must be positive. "
                         f"Received: filters with shape {f.shape}")
    return x, f


def _normalize(input, filters, strides, padding, data_format, dilations):
    """Every tf.nn argument in canonical form, plus the input viewed as NHWC."""
    df = tf_data_format(data_format)
    x, f = _operands(input, filters)
    strides = spatial_pair("strides", strides, df)
    dilations = spatial_pair("dilations", dilations, df)
    padding = tf_padding(padding, df)
    return df, x, f, _to_nhwc(x, df), strides, padding, dilations


def _to_nhwc(t, data_format):
    return t if data_format == "NHWC" else ops.transpose(t, (0, 2, 3, 1))


def _from_nhwc(t, data_format):
    return t if data_format == "NHWC" else ops.transpose(t, (0, 3, 1, 2))


def _forward_pads(size_hw, kernel_hw, strides, dilations, padding):
    """Per-axis ``(before, after)`` padding of the forward conv, and its output size."""
    pads, out = [], []
    for axis in range(2):
        i, k, s, d = size_hw[axis], kernel_hw[axis], strides[axis], dilations[axis]
        if padding == "SAME":
            pb, pa = same_padding(i, k, s, d)
        elif padding == "VALID":
            pb, pa = 0, 0
        else:
            pb, pa = padding[axis]
        if i + pb + pa < effective_kernel(k, d):
            name = ("height", "width")[axis]
            raise ValueError(
                f"Invalid convolution: the effective kernel {name} {effective_kernel(k, d)} (kernel {k}, "
                f"dilation {d}) is larger than the padded input {name} {i + pb + pa} "
                f"(input {i}, padding {pb}+{pa}); the output would be empty.")
        pads.append((pb, pa))
        out.append(explicit_output_length(i, k, pb, pa, s, d))
    return pads, out


def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):
    """2-D cross-correlation with ``tf.nn.conv2d`` semantics.

    Args:
        input: ``[N, H, W, C]`` (or ``[N, C, H, W]`` for NCHW), float32/float64.
        filters: ``[kh, kw, C / groups, out]``; ``groups = C / filters.shape[2]``.
        strides, dilations: int or list of length 1, 2 or 4.
        padding: ``"SAME"``, ``"VALID"`` or four explicit ``[before, after]`` pairs.

    Output size per axis: SAME ``ceil(i/s)``, VALID ``floor((i - dk)/s) + 1``.
    """
    df, x, f, xh, strides, padding, dilations = _normalize(input, filters, strides, padding, data_format,
                                                           dilations)
    cin, cg, cout = xh.shape[3], f.shape[2], f.shape[3]
    if cg == 0 or cin % cg:
        raise ValueError(f"Invalid convolution: input channels ({cin}) must be a positive multiple of the "
                         f"filter's input depth filters.shape[2] ({cg}). Received: input shape {x.shape}, "
                         f"filters shape {f.shape}")
    groups = cin // cg
    if cout % groups:
        raise ValueError(f"Invalid convolution: output channels filters.shape[3] ({cout}) must be divisible "
                         f"by the number of groups ({groups} = {cin} input channels / {cg}). "
                         f"Received: filters shape {f.shape}")
    pads, out_hw = _forward_pads(xh.shape[1:3], f.shape[:2], strides, dilations, padding)
    y = conv2d_nhwc(xh, f, strides, (pads[0][0], pads[1][0]), dilations, groups, out_hw)
    return _from_nhwc(y, df)


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
    df, x, f, xh, strides, padding, dilations = _normalize(input, filters, strides, padding, data_format,
                                                           dilations)
    if f.shape[3] != xh.shape[3]:
        raise ValueError(f"Invalid transposed convolution: filters.shape[3] ({f.shape[3]}) must equal the input "
                         f"channels ({xh.shape[3]}). Received: input shape {x.shape}, filters shape {f.shape}")
    out_hw = _output_shape(output_shape, xh.shape[0], f.shape[2], df)
    pad_before = []
    for axis in range(2):
        i, k, s, d, o = xh.shape[1 + axis], f.shape[axis], strides[axis], dilations[axis], out_hw[axis]
        mode = padding if isinstance(padding, str) else padding[axis]
        lo, hi = transpose_output_range(i, k, s, mode.lower() if isinstance(mode, str) else mode, d)
        if not lo <= o <= hi or o <= 0:
            name = ("height", "width")[axis]
            accepted = f"{lo}" if lo == hi else f"{lo}..{hi}"
            raise ValueError(
                f"Invalid argument `output_shape`: output {name} {o} cannot be produced from input {name} {i} "
                f"(kernel {k}, stride {s}, dilation {d}, padding {mode}); accepted {name}: {accepted}. "
                f"Received: output_shape={list(output_shape) if not isinstance(output_shape, np.ndarray) else output_shape.tolist()}")
        pad_before.append(transpose_crop(o, i, k, s, mode, d))
    y = conv2d_transpose_nhwc(xh, f, strides, tuple(pad_before), dilations, 1, out_hw)
    return _from_nhwc(y, df)


def bias_add(value, bias, data_format=None, name=None):
    """``value + bias`` along the channel axis (last for NHWC / None, axis 1 for NC…)."""
    x = value if isinstance(value, Tensor) else Tensor(as_array(value, name="value"))
    b = bias if isinstance(bias, Tensor) else Tensor(as_array(bias, name="bias"))
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
