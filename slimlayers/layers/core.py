"""Core layers: ``Input``/``InputLayer``, ``Dense``, ``Flatten``, ``Reshape``, ``Activation``, ``LeakyReLU``.

Example:
    >>> x = np.ones((2, 3, 4), "float32")
    >>> sl.layers.Dense(5)(x).shape              # applies to the last axis
    (2, 3, 5)
    >>> sl.layers.Reshape((-1, 2))(x).shape
    (2, 6, 2)
"""
from __future__ import annotations

import math
import numbers

from .. import activations, initializers, regularizers
from ..autodiff import ops
from ..validation import arg_error, check_int, keras_data_format
from ..scopes import add_arg_scope
from .base import Layer
from .symbolic import SymbolicTensor

__all__ = ["Activation", "Dense", "Flatten", "Input", "InputLayer", "LeakyReLU", "Reshape"]


@add_arg_scope
class InputLayer(Layer):
    """The entry point of a functional model: holds a ``SymbolicTensor`` of shape ``(batch_size, *shape)``.

    Called on real data it passes it through (cast to its dtype) after
    checking the rank and every known size.

    Args:
        shape: the shape of one sample (``None`` for a size that may vary).
        batch_size: fixed batch size, or ``None``.
        dtype: ``"float32"`` (default) or ``"float64"``.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if shape is None:
            raise arg_error("shape", "is required (the shape of one sample, without the batch axis)", shape)
        if isinstance(shape, numbers.Integral):
            shape = (shape,)
        self.shape = tuple(None if s is None else check_int("shape", s, minimum=0) for s in shape)
        self.batch_size = None if batch_size is None else check_int("batch_size", batch_size, minimum=1)
        self.output = SymbolicTensor((self.batch_size, *self.shape), self.dtype, layer=self)
        super().build(self.output.shape)

    def call(self, inputs):
        expected = self.output.shape
        if inputs.ndim != len(expected) or any(e is not None and e != g for e, g in zip(expected, inputs.shape)):
            raise ValueError(f"Input layer {self.name!r} expects inputs of shape {expected}; "
                             f"received shape {inputs.shape}")
        return inputs


def Input(shape=None, batch_size=None, dtype=None, name=None):  # noqa: N802 - Keras' spelling
    """A ``SymbolicTensor`` placeholder of shape ``(batch_size, *shape)`` for functional models.

    Its ``.layer`` is the ``InputLayer`` that owns it; calling layers on it
    records the graph (see ``slimlayers.layers.symbolic``).

    Example:
        >>> Input((28, 28, 1)).shape
        (None, 28, 28, 1)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output


@add_arg_scope
class Dense(Layer):
    """Fully connected layer on the last axis: ``activation(x @ kernel + bias)``.

    Args:
        units: output size (> 0).
        activation: name or callable (``None``: linear).
        use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
            activity_regularizer: as Keras.

    Weights: ``kernel`` ``(in, units)``, ``bias`` ``(units,)``. Inputs of any rank >= 2.

    Example:
        >>> Dense(3)(np.ones((4, 2), "float32")).shape
        (4, 3)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype, activity_regularizer=activity_regularizer)
        self.units = check_int("units", units, minimum=1)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel = self.bias = None

    def build(self, input_shape):
        _check_min_rank(self, input_shape, 2)
        if input_shape[-1] is None:
            raise ValueError(f"Layer {self.name!r} needs a known last dimension; received input shape "
                             f"{tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                                      self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight("bias", (self.units,), self.bias_initializer, self.bias_regularizer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        _check_min_rank(self, input_shape, 2)
        return (*input_shape[:-1], self.units)

    def call(self, inputs):
        _check_min_rank(self, inputs.shape, 2)
        if inputs.shape[-1] != self.kernel.shape[0]:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected the last "
                             f"axis to have value {self.kernel.shape[0]}, but received an input with shape "
                             f"{inputs.shape}")
        y = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            y = y + self.bias
        return self.activation(y)


@add_arg_scope
class Flatten(Layer):
    """Flatten every axis but the batch: ``(N, d1, d2, ...) -> (N, d1*d2*...)``.

    With ``data_format='channels_first'`` the input is first moved to channels-last (as Keras),
    so the flattened order does not depend on the data format.

    Example:
        >>> Flatten()(np.ones((2, 3, 4), "float32")).shape
        (2, 12)
    """

    def __init__(self, data_format=None, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.data_format = keras_data_format(data_format)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        return (input_shape[0], None if None in rest else math.prod(rest))

    def call(self, inputs):
        if self.data_format == "channels_first" and inputs.ndim > 2:
            inputs = ops.transpose(inputs, (0, *range(2, inputs.ndim), 1))
        return ops.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))


@add_arg_scope
class Reshape(Layer):
    """Reshape every sample to ``target_shape`` (the batch axis is kept); one entry may be -1.

    Example:
        >>> Reshape((3, -1))(np.ones((2, 12), "float32")).shape
        (2, 3, 4)
    """

    def __init__(self, target_shape, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        if isinstance(target_shape, numbers.Integral):
            target_shape = (target_shape,)
        if not isinstance(target_shape, (list, tuple)):
            raise arg_error("target_shape", "must be a tuple of ints (one of them may be -1)", target_shape,
                            TypeError)
        shape = tuple(check_int("target_shape", s, minimum=-1) for s in target_shape)
        if 0 in shape or shape.count(-1) > 1:
            raise arg_error("target_shape", "must hold positive ints and at most one -1", target_shape)
        self.target_shape = shape

    def _resolve(self, input_shape):
        """The full output shape, with -1 solved when the sample size is known."""
        batch, rest = input_shape[0], input_shape[1:]
        known = math.prod(s for s in self.target_shape if s != -1)
        if None in rest:
            size = None
        else:
            size = math.prod(rest)
            if (-1 in self.target_shape and size % known) or (-1 not in self.target_shape and size != known):
                raise ValueError(f"Layer {self.name!r}: cannot reshape a sample of shape {tuple(rest)} "
                                 f"({size} values) into target_shape={self.target_shape}.")
        target = tuple((None if size is None else size // known) if s == -1 else s for s in self.target_shape)
        return (batch, *target)

    def compute_output_shape(self, input_shape):
        return self._resolve(input_shape)

    def call(self, inputs):
        return ops.reshape(inputs, self._resolve(inputs.shape))


@add_arg_scope
class Activation(Layer):
    """Apply an activation function (a name such as ``"relu"`` or a callable).

    Example:
        >>> Activation("relu")(np.array([[-1.0, 2.0]], "float32")).numpy()
        array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


@add_arg_scope
class LeakyReLU(Layer):
    """``x if x >= 0 else negative_slope * x`` (Keras 3 layer default 0.3; ``alpha=`` is accepted too).

    Args:
        negative_slope: slope for negative inputs, >= 0. ``alpha`` is the tf_keras name of the same
            argument (the config always stores ``negative_slope``).

    Example:
        >>> LeakyReLU(alpha=0.5)(np.array([[-2.0, 3.0]], "float32")).numpy()
        array([[-1.,  3.]], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, name=None, trainable=True, dtype=None, **kwargs):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        if kwargs:
            raise TypeError(f"LeakyReLU got unexpected keyword arguments: {sorted(kwargs)}")
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real) \
                or not negative_slope >= 0:
            raise arg_error("negative_slope", "must be a number >= 0", negative_slope)
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return activations.leaky_relu(inputs, self.negative_slope)


def _check_min_rank(layer, shape, ndim):
    if len(shape) < ndim:
        raise ValueError(f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected "
                         f"min_ndim={ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")

