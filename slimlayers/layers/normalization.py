"""``BatchNormalization`` with Keras 3 semantics.

Training (``training=True`` and the layer trainable): normalise with the batch
mean and *biased* variance over every axis but ``axis``, and update
``moving = momentum * moving + (1 - momentum) * batch``. Otherwise
(``training=None``/``False``): normalise with the moving statistics.
The output is ``gamma * (x - mean) / sqrt(var + epsilon) + beta``; in training
mode the gradient flows through the batch statistics as well.

Example:
    >>> bn = sl.layers.BatchNormalization()
    >>> y = bn(np.array([[1.0], [3.0]], "float32"), training=True)
    >>> [round(float(v), 4) for v in y.numpy().ravel()], round(float(bn.moving_mean.numpy()[0]), 4)
    ([-0.9995, 0.9995], 0.02)
"""
from __future__ import annotations

import numbers

from .. import initializers, regularizers
from ..validation import arg_error
from ..nn.normalization import batch_normalization, moments
from ..scopes import add_arg_scope
from .base import Layer

__all__ = ["BatchNormalization"]


@add_arg_scope
class BatchNormalization(Layer):
    """Batch normalization layer (Keras 3).

    Args:
        axis: the feature axis (or list of axes) kept; statistics reduce over all others.
        momentum: moving-average momentum, in ``[0, 1]``.
        epsilon: added to the variance, > 0.
        center, scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer, moving_variance_initializer,
            beta_regularizer, gamma_regularizer: as Keras.

    Weights, in order: ``gamma``, ``beta`` (trainable, when enabled), ``moving_mean``,
    ``moving_variance`` (non-trainable), each of shape ``(features,)``.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        axes = [axis] if isinstance(axis, numbers.Integral) else axis
        if isinstance(axis, bool) or not isinstance(axes, (list, tuple)) or not axes \
                or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
            raise arg_error("axis", "must be an int or a list of ints", axis, TypeError)
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else [int(a) for a in axes]
        self.momentum = _number("momentum", momentum, 0.0, 1.0)
        self.epsilon = _number("epsilon", epsilon, 0.0, None)
        if self.epsilon <= 0:
            raise arg_error("epsilon", "must be > 0", epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = self.moving_mean = self.moving_variance = None

    def _axes(self, ndim):
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if any(not -ndim <= a < ndim for a in axes):
            raise ValueError(f"Invalid axis {self.axis} for layer {self.name!r}: the input has rank {ndim}.")
        return sorted(a % ndim for a in axes)

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"Layer {self.name!r} needs known sizes on axis {self.axis}; received input "
                             f"shape {tuple(input_shape)}")
        self._feature_axes = axes
        shape = tuple(input_shape[a] for a in axes)
        if self.scale:
            self.gamma = self.add_weight("gamma", shape, self.gamma_initializer, self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight("beta", shape, self.beta_initializer, self.beta_regularizer)
        self.moving_mean = self.add_weight("moving_mean", shape, self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", shape, self.moving_variance_initializer,
                                               trainable=False)
        super().build(input_shape)

    def call(self, inputs, training=None):
        ndim = inputs.ndim
        axes = self._axes(ndim)
        if axes != self._feature_axes or tuple(inputs.shape[a] for a in axes) != self.moving_mean.shape:
            raise ValueError(f"Input 0 of layer {self.name!r} is incompatible with the layer: expected sizes "
                             f"{self.moving_mean.shape} on axis {self.axis}, received input shape {inputs.shape}")
        reduce_axes = [a for a in range(ndim) if a not in axes]
        # Parameters of shape (features,) broadcast as (1, ..., features, ..., 1).
        bshape = tuple(inputs.shape[a] if a in axes else 1 for a in range(ndim))

        def bcast(v):
            return None if v is None else v.reshape(bshape)

        if training and self.trainable:
            mean, variance = moments(inputs, reduce_axes, keepdims=True)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean.numpy() * m + mean.numpy().reshape(self.moving_mean.shape)
                                    * (1 - m))
            self.moving_variance.assign(self.moving_variance.numpy() * m
                                        + variance.numpy().reshape(self.moving_variance.shape) * (1 - m))
        else:
            mean, variance = bcast(self.moving_mean), bcast(self.moving_variance)
        return batch_normalization(inputs, mean, variance, bcast(self.beta), bcast(self.gamma), self.epsilon)


def _number(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            lo <= value and (hi is None or value <= hi)):
        rule = f"must be a number in [{lo}, {hi}]" if hi is not None else f"must be a number >= {lo}"
        raise arg_error(name, rule, value)
    return float(value)
