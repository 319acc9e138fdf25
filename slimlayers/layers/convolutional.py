"""``Conv2D`` and ``Conv2DTranspose`` with Keras 3 semantics and defaults.

Sizes and argument rules come from ``slimlayers.nn.shapes``, the arithmetic
from ``sl.nn.fused_conv2d`` / ``sl.nn.fused_conv2d_transpose`` (conv, bias and
activation in one op); this module only normalises arguments, creates weights
and checks its input against them.

Example:
    >>> x = np.ones((1, 4, 4, 1), "float32")
    >>> sl.layers.Conv2DTranspose(1, 3, strides=2, padding="valid")(x).shape
    (1, 9, 9, 1)
    >>> sl.layers.Conv2D(8, 3, padding="same")(np.ones((2, 5, 5, 3), "float32")).shape
    (2, 5, 5, 8)
"""
from __future__ import annotations

from .. import activations, initializers, regularizers
from ..nn.conv import fused_conv2d, fused_conv2d_transpose
from ..nn.layout import join_shape, split_shape
from ..nn.shapes import check_output_padding, check_strides_and_dilation, forward_geometry, transpose_geometry
from ..scopes import add_arg_scope
from ..validation import arg_error, check_int, int_tuple, keras_data_format, padding_mode, to_tf_format
from .input_spec import check_axis_size, check_rank
from .base import Layer

__all__ = ["Conv2D", "Conv2DTranspose"]


class _Conv(Layer):
    """Arguments, weights and the bias/activation tail shared by both convolutions."""

    def __init__(self, filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                 use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                 activity_regularizer, name, trainable, dtype):
        super().__init__(trainable=trainable, name=name, dtype=dtype, activity_regularizer=activity_regularizer)
        self.filters = check_int("filters", filters, minimum=1)
        self.kernel_size = int_tuple("kernel_size", kernel_size)
        self.strides = int_tuple("strides", strides)
        self.padding = padding_mode(padding)
        self.data_format = keras_data_format(data_format)
        self.dilation_rate = int_tuple("dilation_rate", dilation_rate)
        self.groups = check_int("groups", groups, minimum=1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        check_strides_and_dilation(self.strides, self.dilation_rate)
        if self.filters % self.groups:
            raise arg_error("groups", f"must divide filters={self.filters} (the number of filters must be "
                            "evenly divisible by the number of groups)", self.groups)
        self.kernel = self.bias = None

    def _input_channels(self, input_shape):
        check_rank(self, input_shape, 4)
        channels = split_shape(input_shape, self.data_format)[3]
        if channels is None:
            raise ValueError(f"Layer {self.name!r} needs a known number of input channels; received input "
                             f"shape {tuple(input_shape)}")
        if channels % self.groups:
            raise ValueError(f"The number of input channels must be evenly divisible by the number of groups. "
                             f"Received groups={self.groups}, but the input has {channels} channels (full "
                             f"input shape is {tuple(input_shape)}).")
        return channels

    # (in_axes, out_axes) of the kernel for fan-based initializers; None = the [..., in, out] rule
    _KERNEL_FAN_AXES = None

    def _create_weights(self, input_shape, kernel_shape):
        self.kernel = self.add_weight("kernel", kernel_shape, self.kernel_initializer, self.kernel_regularizer,
                                      fan_axes=self._KERNEL_FAN_AXES)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer, self.bias_regularizer)
        self._built_channels = self._input_channels(input_shape)
        self._output_size(split_shape(input_shape, self.data_format)[1:3])  # refuses an empty output now
        super().build(input_shape)

    def call(self, inputs):
        check_rank(self, inputs.shape, 4)
        channel_axis = 3 if self.data_format == "channels_last" else 1
        check_axis_size(self, inputs.shape, channel_axis, self._built_channels)
        return self._op(inputs, self.kernel, self.bias if self.use_bias else None, self.activation,
                        **self._op_arguments())

    def _op_arguments(self):
        return dict(strides=self.strides, padding=self.padding.upper(), dilations=self.dilation_rate,
                    groups=self.groups, data_format=to_tf_format(self.data_format))

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, _ = split_shape(input_shape, self.data_format)
        oh, ow = self._output_size((h, w))
        return join_shape(n, oh, ow, self.filters, self.data_format)


@add_arg_scope
class Conv2D(_Conv):
    """2-D convolution (cross-correlation) layer, as ``keras.layers.Conv2D``.

    Output length per axis (``dk = d*(k-1)+1``): ``'valid'`` ``floor((i - dk)/s) + 1``;
    ``'same'`` ``ceil(i/s)`` with TF's padding split (the extra row/column at the bottom/right).

    Args:
        filters: number of output channels (> 0, divisible by ``groups``).
        kernel_size, strides, dilation_rate: int or tuple of 2 ints (> 0); strides > 1 together
            with dilation_rate > 1 is rejected, as in Keras.
        padding: ``'valid'`` or ``'same'`` (any case).
        data_format: ``'channels_last'`` (default, ``None``) or ``'channels_first'``.
        groups: split the input channels into ``groups`` independent convolutions.
        activation: name or callable applied after the bias (``None``: linear).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer: names, config dicts or objects.

    Weights: ``kernel`` ``(kh, kw, in_channels/groups, filters)`` and ``bias`` ``(filters,)``.

    Example:
        >>> Conv2D(6, 3, groups=2)(np.ones((1, 8, 8, 4), "float32")).shape
        (1, 6, 6, 6)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, name=None, trainable=True, dtype=None):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, name, trainable, dtype)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._create_weights(input_shape, (*self.kernel_size, channels // self.groups, self.filters))

    _op = staticmethod(fused_conv2d)

    def _output_size(self, input_hw):
        return forward_geometry(input_hw, self.kernel_size, self.strides, self.dilation_rate, self.padding,
                                context=f"layer {self.name!r}")[1]


@add_arg_scope
class Conv2DTranspose(_Conv):
    """Transposed 2-D convolution (the adjoint of ``Conv2D``), as ``keras.layers.Conv2DTranspose``.

    Output length per axis (Keras formulas, ``dk = d*(k-1)+1``; see
    ``sl.nn.conv_transpose_output_length``):

    =========  ==========================  ==============================
    padding    output_padding=None         output_padding=op
    =========  ==========================  ==============================
    'valid'    ``(i-1)*s + max(dk, s)``    ``(i-1)*s + dk + op``
    'same'     ``i*s``                     ``(i-1)*s + dk % 2 + op``
    =========  ==========================  ==============================

    The full scatter result is cropped by ``P // 2`` rows/columns at the start,
    ``P = max((i-1)*s + dk - o, 0)`` for ``'same'`` (0 for ``'valid'``). This also
    covers ``'same'`` with an even ``dk`` and ``output_padding=0``, where Keras'
    TensorFlow backend crashes and its torch backend returns this result.

    Beyond Keras 3: dilation runs on CPU (TF's CPU kernel refuses it),
    ``channels_first`` runs, and ``groups`` works as in PyTorch/MindSpore.

    Args:
        filters: number of output channels (> 0, divisible by ``groups``).
        kernel_size, strides, dilation_rate: int or tuple of 2 ints (> 0); strides > 1 together
            with dilation_rate > 1 is rejected, as in Keras.
        padding: ``'valid'`` or ``'same'`` (any case).
        output_padding: ``None`` or int / tuple of 2 ints, each ``>= 0`` and strictly less than
            the stride on its axis.
        data_format, groups, activation, use_bias, initializers, regularizers: as ``Conv2D``.

    Weights: ``kernel`` ``(kh, kw, filters/groups, in_channels)`` (the filter of the forward conv
    it is the adjoint of) and ``bias`` ``(filters,)``.

    Initializer fans (where slimlayers differs from Keras): the kernel declares its
    axes explicitly — fan_in from axis 3 (the layer's *input* channels) and fan_out
    from axis 2 (its ``filters/groups`` outputs), times ``kh*kw`` — so He and LeCun
    scale by the connections feeding each output, as they do for ``Conv2D``.
    Keras (and PyTorch) apply the ``[..., in, out]`` rule to this kernel, which
    reads the *output* channels as fan_in: ``Conv2DTranspose(8, 3,
    kernel_initializer="he_uniform")`` on 2 channels draws from ``±sqrt(6/18)``
    here and ``±sqrt(6/72)`` in Keras. Glorot (the default) averages the two fans
    and is identical in both. To reproduce Keras' He/LeCun numbers pass an
    initializer with its own axes, e.g. ``VarianceScaling(2.0, "fan_in",
    "uniform", input_axes=2, output_axes=3)`` (axes given to an initializer win).
    With ``groups > 1`` fan_in counts all input channels, as Keras' fan_out does.

    Example:
        >>> Conv2DTranspose(1, 3, strides=2, padding="same")(np.ones((1, 4, 4, 1), "float32")).shape
        (1, 8, 8, 1)
    """

    _KERNEL_FAN_AXES = ((3,), (2,))  # see the class docstring: fans from the layer's own in/out

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, name=None, trainable=True, dtype=None):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                         activity_regularizer, name, trainable, dtype)
        self.output_padding = check_output_padding(output_padding, self.strides)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._create_weights(input_shape, (*self.kernel_size, self.filters // self.groups, channels))

    _op = staticmethod(fused_conv2d_transpose)

    def _op_arguments(self):
        return dict(super()._op_arguments(), output_padding=self.output_padding)

    def _output_size(self, input_hw):
        return transpose_geometry(input_hw, self.kernel_size, self.strides, self.dilation_rate, self.padding,
                                  self.output_padding, context=f"layer {self.name!r}")[1]
