"""tf.layers-style functions (``tf.compat.v1.layers``): ``conv2d``, ``conv2d_transpose``, ``dense``.

A face above ``sl.layers`` (like ``sl.slim``); ``sl.layers.conv2d`` & co. are
these same functions, re-exported there by name.

Explicit, with no hidden defaults: ``padding='valid'``, ``activation=None``,
``kernel_initializer=None`` meaning Glorot uniform (the ``get_variable``
default), ``bias_initializer`` zeros. Each call builds (or, with reuse, shares)
the corresponding ``sl.layers`` Layer; variables are ``<name>/kernel`` and
``<name>/bias`` in the current ``sl.scopes`` variable store, with default names
``conv2d``, ``conv2d_1``, ``conv2d_transpose``, ``dense`` inside the enclosing
``variable_scope``.

Reuse (TF1 rules): ``name='up', reuse=True`` shares ``up/kernel``; the same
name again without reuse raises ``ValueError("Variable up/kernel already
exists, disallowed …")``; ``reuse=True`` on a name never created raises
``ValueError("Variable nope/kernel does not exist …")``. A shared layer's
regularization loss is counted once.

Not provided: ``kernel_constraint``/``bias_constraint`` (applied by TF1
optimizers, which slimlayers' optimizers do not do) and
``activity_regularizer`` (its loss depends on each call's output; use the
Keras layer, whose ``losses`` holds it).

Example:
    >>> with sl.scopes.variable_store():
    ...     y = sl.layers.conv2d(np.ones((1, 4, 4, 2), "float32"), 3, 3)
    ...     y.shape, [v.name for v in sl.scopes.get_variables()]
    ((1, 2, 2, 3), ['conv2d/kernel', 'conv2d/bias'])
"""
from __future__ import annotations

from .layers import Conv2D, Conv2DTranspose, Dense
from .scopes.building import input_dtype, scoped_layer
from .scopes.variables import variable_scope
from .validation import arg_error, keras_data_format

__all__ = ["conv2d", "conv2d_transpose", "dense"]


def _run(cls, base_name, inputs, name, reuse, **kwargs):
    if name is not None and not isinstance(name, str):
        raise arg_error("name", "must be a string or None", name, TypeError)
    for arg in ("kernel_initializer", "bias_initializer"):  # None: get_variable's default, Glorot uniform
        if kwargs[arg] is None:
            kwargs[arg] = "glorot_uniform"
    # TF1: an explicit name is used as is; no name gives a unique default (conv2d, conv2d_1, ...), except
    # with reuse=True, which looks the base name up directly.
    scope_name = name if name is not None else (base_name if reuse is True else None)
    with variable_scope(scope_name, reuse=reuse, default_name=base_name) as vs:
        layer = scoped_layer(cls, vs.name, vs.reuse, None, dtype=input_dtype(inputs), **kwargs)
        return layer(inputs)


def conv2d(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
           dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer=None,
           bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, trainable=True, name=None,
           reuse=None):
    """``tf.compat.v1.layers.conv2d``: a ``Conv2D`` layer applied once, variables ``<name>/kernel``, ``<name>/bias``.

    Args:
        inputs: 4-D input in ``data_format``.
        filters, kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias:
            as ``sl.layers.Conv2D`` (``padding`` default ``'valid'``, ``activation`` default linear).
        kernel_initializer: ``None`` → Glorot uniform (``get_variable``'s default; also for
            ``bias_initializer=None``); bias_initializer: zeros.
        kernel_regularizer, bias_regularizer: their losses go to ``sl.scopes.get_regularization_losses()``.
        trainable: create trainable variables.
        name: the layer's variable scope (default ``conv2d``, ``conv2d_1``, … in the current scope).
        reuse: ``True`` shares the variables of ``name``.

    Example:
        >>> conv2d(np.ones((1, 4, 4, 2), "float32"), 3, 3, strides=2, padding="same").shape
        (1, 2, 2, 3)
    """
    return _run(Conv2D, "conv2d", inputs, name, reuse, filters=filters, kernel_size=kernel_size,
                strides=strides, padding=padding, data_format=keras_data_format(data_format),
                dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
                kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer, trainable=trainable)


def conv2d_transpose(inputs, filters, kernel_size, strides=(1, 1), padding="valid", data_format="channels_last",
                     activation=None, use_bias=True, kernel_initializer=None, bias_initializer="zeros",
                     kernel_regularizer=None, bias_regularizer=None, trainable=True, name=None, reuse=None):
    """``tf.compat.v1.layers.conv2d_transpose`` (no ``dilation_rate``, no ``output_padding``, as TF1).

    Output length per axis: ``'valid'`` ``(i-1)*s + max(k, s)``, ``'same'`` ``i*s``
    (``sl.nn.conv_transpose_output_length`` with ``output_padding=None``).
    Variables ``<name>/kernel`` ``[kh, kw, filters, in]`` and ``<name>/bias``; default name
    ``conv2d_transpose``. Other arguments as ``conv2d``.

    Example:
        >>> conv2d_transpose(np.ones((1, 4, 4, 2), "float32"), 5, 3, strides=2).shape
        (1, 9, 9, 5)
    """
    return _run(Conv2DTranspose, "conv2d_transpose", inputs, name, reuse, filters=filters,
                kernel_size=kernel_size, strides=strides, padding=padding, data_format=keras_data_format(data_format),
                activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                bias_regularizer=bias_regularizer, trainable=trainable)


def dense(inputs, units, activation=None, use_bias=True, kernel_initializer=None, bias_initializer="zeros",
          kernel_regularizer=None, bias_regularizer=None, trainable=True, name=None, reuse=None):
    """``tf.compat.v1.layers.dense`` on the last axis; variables ``<name>/kernel`` ``[in, units]``, ``<name>/bias``.

    Example:
        >>> dense(np.ones((2, 3), "float32"), 4).shape
        (2, 4)
    """
    return _run(Dense, "dense", inputs, name, reuse, units=units, activation=activation, use_bias=use_bias,
                kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer, trainable=trainable)
