"""``Conv2d`` and ``Conv2dTranspose`` exactly as MindSpore 2.10 computes them.

A face, not a second convolution: the weight is kept in MindSpore's layout and
transposed on the fly (a differentiable ``transpose``) into the TF layout that
``sl.nn.fused_conv2d`` / ``sl.nn.fused_conv2d_transpose`` take; output sizes come
from ``slimlayers.nn.shapes``. What is MindSpore's own lives here: argument names
and rules, parameter layouts and initializers, and ``output_padding`` as zeros
appended after the bias.

Example:
    >>> x = np.zeros((1, 3, 16, 50), "float32")
    >>> Conv2dTranspose(3, 64, 4, pad_mode="pad")(x).shape
    (1, 64, 19, 53)
    >>> Conv2d(3, 8, 3, stride=2)(x).shape
    (1, 8, 8, 25)
"""
from __future__ import annotations

from ..autodiff import ops
from ..autodiff.tensor import Tensor
from ..layers.input_spec import check_axis_size, check_rank
from ..layers.base import Layer
from ..layers.catalog import register_layer
from ..nn.conv import fused_conv2d, fused_conv2d_transpose
from ..nn.layout import join_shape, split_shape
from ..nn.shapes import check_output_padding, forward_geometry, zero_padded_transpose_geometry
from ..scopes import add_arg_scope
from ..validation import check_int, int_tuple
from . import arguments
from .initializers import FAN_AXES, default_bias_init, default_weight_init, resolve

__all__ = ["Conv2d", "Conv2dTranspose"]

_TO_TF_LAYOUT = (2, 3, 1, 0)  # (a, b, kh, kw) -> (kh, kw, b, a) for both layouts


class _Conv(Layer):
    """Arguments, parameters and input checks shared by MindSpore's two convolutions.

    The parameters are created in the constructor, as MindSpore does (``in_channels``
    fixes their shapes): ``layer.weight`` exists before the first call. ``build`` then
    only checks an input shape against the layer.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                 has_bias, weight_init, bias_init, data_format, dtype, name, trainable):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.in_channels = check_int("in_channels", in_channels, minimum=1)
        self.out_channels = check_int("out_channels", out_channels, minimum=1)
        self.kernel_size = int_tuple("kernel_size", kernel_size)
        self.stride = int_tuple("stride", stride)
        self.pad_mode = arguments.pad_mode(pad_mode)
        self.padding = arguments.padding(padding, self.pad_mode)
        self.dilation = int_tuple("dilation", dilation)
        self.group = check_int("group", group, minimum=1)
        arguments.check_group(self.in_channels, self.out_channels, self.group)
        self.has_bias = arguments.boolean("has_bias", has_bias)
        self.data_format = arguments.data_format(data_format)
        # kept as given (an sl.Tensor as its array), so get_config returns the argument
        self.weight_init = weight_init.numpy() if isinstance(weight_init, Tensor) else weight_init
        self.bias_init = bias_init.numpy() if isinstance(bias_init, Tensor) else bias_init

        shape = self._weight_shape()
        init = resolve(self.weight_init, "weight_init")
        self.weight = self.add_weight("weight", shape, default_weight_init() if init is None else init,
                                      fan_axes=FAN_AXES)
        self.bias = None
        if self.has_bias:
            init = resolve(self.bias_init, "bias_init")
            self.bias = self.add_weight("bias", (self.out_channels,),
                                        default_bias_init(shape) if init is None else init)

    def build(self, input_shape):
        self._check_input(input_shape)
        self._output_size(split_shape(input_shape, self.data_format)[1:3])  # refuses an impossible input now
        super().build(input_shape)

    def call(self, inputs):
        self._check_input(inputs.shape)
        return self._convolve(inputs, ops.transpose(self.weight, _TO_TF_LAYOUT))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, _ = split_shape(input_shape, self.data_format)
        oh, ow = self._output_size((h, w))
        return join_shape(n, oh, ow, self.out_channels, self.data_format)

    def _check_input(self, shape):
        check_rank(self, shape, 4)
        check_axis_size(self, shape, 1 if self.data_format == "NCHW" else 3, self.in_channels)

    def spatial_summary(self):
        """The window in ``model.summary()``'s Spatial column: ``("k4", "s2", "pad(1,1,1,1)")``."""
        dims = [f"k{_dims(self.kernel_size)}", f"s{_dims(self.stride)}"]
        if self.dilation != (1, 1):
            dims.append(f"d{_dims(self.dilation)}")
        (top, bottom), (left, right) = arguments.pad_pairs(self.padding)
        mode = f"pad({top},{bottom},{left},{right})" if self.pad_mode == "pad" else self.pad_mode
        return (*dims, mode, *self._extra_summary())

    def _extra_summary(self):
        return ()

    def _geometry_padding(self):
        """``"same"``, ``"valid"`` or ``((top, bottom), (left, right))`` for ``nn.shapes``."""
        return arguments.pad_pairs(self.padding) if self.pad_mode == "pad" else self.pad_mode

    def _op_padding(self):
        """The same padding for the fused ops: a mode, or four pairs in ``data_format`` order."""
        pads = self._geometry_padding()
        return pads.upper() if isinstance(pads, str) else join_shape((0, 0), *pads, (0, 0), self.data_format)

    def _op_arguments(self):
        return dict(strides=self.stride, padding=self._op_padding(), dilations=self.dilation, groups=self.group,
                    data_format=self.data_format)


def _dims(pair):
    a, b = pair
    return f"{a}" if a == b else f"{a}x{b}"


@register_layer(package="mindspore")
@add_arg_scope
class Conv2d(_Conv):
    """2-D convolution (cross-correlation), as ``mindspore.nn.Conv2d``.

    Output length per axis (``dk = dilation*(k-1)+1``): ``"same"`` ``ceil(i/s)`` with the odd
    padding row/column at the bottom/right (as TF); ``"valid"`` ``floor((i - dk)/s) + 1``;
    ``"pad"`` ``floor((i + top + bottom - dk)/s) + 1``.

    Args:
        in_channels, out_channels: channel counts (> 0), both divisible by ``group``.
        kernel_size, stride, dilation: int or tuple ``(height, width)`` of ints > 0; a stride
            and a dilation above 1 together are allowed.
        pad_mode: ``"same"`` (default), ``"valid"`` or ``"pad"`` (case-sensitive).
        padding: int or ``(top, bottom, left, right)``, >= 0; non-zero only with ``"pad"``.
        group: split the channels into ``group`` independent convolutions.
        has_bias: add a bias (default ``False``, as MindSpore).
        weight_init, bias_init: a MindSpore initializer name (``"normal"`` N(0, 0.01²),
            ``"TruncatedNormal"``, ``"HeUniform"``, ``"XavierUniform"``, ``"Uniform"``, ``"One"``,
            ``"Zero"``, …, any letter case), a number, an array of the parameter's shape or an
            ``sl.initializers`` object. ``None``: MindSpore's defaults, weight
            ``HeUniform(negative_slope=sqrt(5))`` = U(±1/sqrt(fan_in)), bias U(±1/sqrt(fan_in)),
            with ``fan_in = in/group*kh*kw``.
        data_format: ``"NCHW"`` (default) or ``"NHWC"`` (beyond MindSpore's CPU build).
        dtype: ``"float32"`` (default, ``None``) or ``"float64"``.
        name, trainable: as every slimlayers layer.

    Parameters: ``weight`` ``(out_channels, in_channels/group, kh, kw)`` whatever the data format,
    and ``bias`` ``(out_channels,)`` (``None`` without ``has_bias``). ``get_weights()`` is
    ``[weight]`` or ``[weight, bias]``.

    Example:
        >>> Conv2d(4, 6, 3, pad_mode="pad", padding=(1, 0, 1, 0), group=2)(np.ones((1, 4, 8, 8), "float32")).shape
        (1, 6, 7, 7)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCHW", dtype=None,
                 name=None, trainable=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype, name, trainable)

    def _weight_shape(self):
        return (self.out_channels, self.in_channels // self.group, *self.kernel_size)

    def _output_size(self, input_hw):
        return forward_geometry(input_hw, self.kernel_size, self.stride, self.dilation, self._geometry_padding(),
                                context=f"layer {self.name!r}")[1]

    def _convolve(self, inputs, filters):
        return fused_conv2d(inputs, filters, self.bias, **self._op_arguments())


@register_layer(package="mindspore")
@add_arg_scope
class Conv2dTranspose(_Conv):
    """Transposed 2-D convolution (the adjoint of ``Conv2d``), as ``mindspore.nn.Conv2dTranspose``.

    Output length per axis (``dk = dilation*(k-1)+1``):

    ==========  ======================================================
    pad_mode    output length
    ==========  ======================================================
    ``"same"``  ``i*s`` (cropped as the adjoint of ``Conv2d("same")``)
    ``"valid"`` ``i*s + max(dk - s, 0)`` (zeros plus bias where nothing lands)
    ``"pad"``   ``(i-1)*s + dk - top - bottom``, then ``+ output_padding``
    ==========  ======================================================

    ``output_padding`` appends that many rows (bottom) / columns (right) of zeros *after*
    the bias, as MindSpore does: they stay 0 with a bias and pass no gradient (PyTorch
    computes real values there instead). Only with ``pad_mode="pad"``, each entry in
    ``[0, max(stride, dilation))``; MindSpore checks both when the layer is called, and so
    does this layer.

    Args:
        output_padding: int or ``(bottom, right)``.
        everything else: as ``Conv2d``; the default weight's fan_in is ``out/group*kh*kw``.

    Parameters: ``weight`` ``(in_channels, out_channels/group, kh, kw)`` (the weight of the
    ``Conv2d`` it is the adjoint of) and ``bias`` ``(out_channels,)``.

    Example:
        >>> layer = Conv2dTranspose(2, 2, 3, stride=2, pad_mode="pad", padding=1, output_padding=1, has_bias=True,
        ...                         bias_init=1.0)
        >>> y = np.asarray(layer(np.zeros((1, 2, 4, 4), "float32")))
        >>> y.shape, float(y[0, 0, 0, 0]), float(y[0, 0, -1, -1])
        ((1, 2, 8, 8), 1.0, 0.0)
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 output_padding=0, dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None,
                 data_format="NCHW", dtype=None, name=None, trainable=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype, name, trainable)
        self.output_padding = arguments.output_padding(output_padding)

    def _weight_shape(self):
        return (self.in_channels, self.out_channels // self.group, *self.kernel_size)

    def _extra_summary(self):
        op = self.output_padding
        return () if op in (0, (0, 0)) else (f"op{op if isinstance(op, int) else _dims(op)}",)

    def _appended(self):
        """``(bottom, right)`` zero rows/columns; MindSpore's call-time rules on ``output_padding``."""
        pair = arguments.output_padding_pair(self.output_padding, self.pad_mode)
        return check_output_padding(pair, self.stride, self.dilation)

    def _output_size(self, input_hw):
        return zero_padded_transpose_geometry(input_hw, self.kernel_size, self.stride, self.dilation,
                                              self._geometry_padding(), self._appended(),
                                              context=f"layer {self.name!r}")[1]

    def _convolve(self, inputs, filters):
        # the conv part may be empty (MindSpore then returns only the appended zeros)
        y = fused_conv2d_transpose(inputs, filters, self.bias, allow_empty=True, **self._op_arguments())
        bottom, right = self._appended()
        if bottom or right:  # after the bias: these entries are exactly 0 and their gradient is dropped
            y = ops.pad(y, join_shape((0, 0), (0, bottom), (0, right), (0, 0), self.data_format))
        return y
