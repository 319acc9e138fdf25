"""TF-Slim layer functions: one call builds (or reuses) an ``sl.layers`` Layer and applies it.

Each function keeps TF-Slim's signature and defaults — including the ones
that surprise people: ``activation_fn=relu``, ``padding='SAME'``, Xavier
weights, ``normalizer_fn`` replacing the bias — and TF-Slim's names:
variables ``<scope>/weights`` and ``<scope>/biases`` in default scopes
``Conv``, ``Conv_1``, ``Conv2d_transpose``, ``fully_connected``, ``BatchNorm``…
The arithmetic is the Layer's (one implementation, two faces); the variables
live in the current ``sl.scopes`` variable store, so ``reuse=True`` shares them
and ``sl.scopes.get_regularization_losses()`` lists the penalties.

Example:
    >>> with sl.scopes.variable_store():
    ...     y = conv2d(np.ones((2, 4, 4, 3), "float32"), 8, 3, scope="c1")
    ...     y.shape, [v.name for v in sl.scopes.get_variables()]
    ((2, 4, 4, 8), ['c1/weights', 'c1/biases'])
"""
from __future__ import annotations

import numbers

from .. import activations, initializers, layers, nn
from ..activations import relu
from ..nn.shapes import check_strides_and_dilation
from ..validation import arg_error, int_tuple, padding_mode, slim_data_format
from ..scopes.arg_scope import add_arg_scope
from ..scopes.building import input_dtype, scoped_layer
from ..scopes.variables import current_variable_scope, variable_scope
from .initializers import xavier_initializer

__all__ = ["conv2d", "convolution2d", "conv2d_transpose", "convolution2d_transpose", "fully_connected",
           "batch_norm", "max_pool2d", "avg_pool2d", "flatten", "dropout", "repeat", "stack"]

_SLIM_NAMES = {"kernel": "weights", "bias": "biases"}
_DEFAULT_WEIGHTS = xavier_initializer()
_DEFAULT_BIASES = initializers.Zeros()


# -- argument helpers -------------------------------------------------------------
def _activation(fn, name="activation_fn"):
    """A callable, ``None`` (linear), or a name resolved in ``sl.nn`` first, then ``sl.activations``."""
    if fn is None or callable(fn):
        return fn
    if isinstance(fn, str):
        found = getattr(nn, fn, None)
        if callable(found):
            return found
        try:
            return activations.get(fn)
        except (ValueError, KeyError) as err:
            raise arg_error(name, "must be a callable, None or an activation name", fn) from err
    raise arg_error(name, "must be a callable, None or an activation name", fn, TypeError)


def _normalize(outputs, normalizer_fn, normalizer_params):
    if normalizer_fn is None:
        return outputs
    if not callable(normalizer_fn):
        raise arg_error("normalizer_fn", "must be a callable or None", normalizer_fn, TypeError)
    return normalizer_fn(outputs, **(normalizer_params or {}))


def _activate(activation_fn, outputs):
    """``activation_fn(outputs)``; on a symbolic tensor (a traced model) an ``Activation`` layer in the graph."""
    if isinstance(outputs, layers.SymbolicTensor):
        return scoped_layer(layers.Activation, _path("activation"), None, None, activation=activation_fn,
                            dtype=outputs.dtype)(outputs)
    return activation_fn(outputs)


def _apply(layer, inputs, normalizer_fn, normalizer_params, activation_fn):
    outputs = _normalize(layer(inputs), normalizer_fn, normalizer_params)
    return _activate(activation_fn, outputs) if activation_fn is not None and normalizer_fn is not None \
        else outputs


def _conv_common(kind, inputs, num_outputs, kernel_size, stride, padding, data_format, rate, activation_fn,
                 normalizer_fn, normalizer_params, weights_initializer, weights_regularizer, biases_initializer,
                 biases_regularizer, reuse, trainable, scope, default_name):
    fmt = slim_data_format(data_format)
    padding = padding_mode(padding)
    strides = int_tuple("stride", stride)
    rates = int_tuple("rate", rate)
    check_strides_and_dilation(strides, rates, names=("stride", "rate"))
    activation_fn = _activation(activation_fn)
    use_bias = normalizer_fn is None and biases_initializer is not None
    kwargs = dict(filters=num_outputs, kernel_size=kernel_size, strides=strides, padding=padding,
                  data_format=fmt, activation=activation_fn if normalizer_fn is None else None,
                  use_bias=use_bias, kernel_initializer=weights_initializer,
                  bias_initializer=biases_initializer if use_bias else "zeros",
                  kernel_regularizer=weights_regularizer,
                  bias_regularizer=biases_regularizer if use_bias else None,
                  trainable=trainable, dtype=input_dtype(inputs))
    if kind is layers.Conv2D:
        kwargs["dilation_rate"] = rates
    with variable_scope(scope, reuse=reuse, default_name=default_name) as vs:
        layer = scoped_layer(kind, vs.name, vs.reuse, _SLIM_NAMES, **kwargs)
        return _apply(layer, inputs, normalizer_fn, normalizer_params, activation_fn)


# -- convolutions -----------------------------------------------------------------
@add_arg_scope
def convolution2d(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None, rate=1,
                  activation_fn=relu, normalizer_fn=None, normalizer_params=None,
                  weights_initializer=_DEFAULT_WEIGHTS, weights_regularizer=None,
                  biases_initializer=_DEFAULT_BIASES, biases_regularizer=None, reuse=None, trainable=True,
                  scope=None):
    """TF-Slim ``conv2d``: ``activation_fn(normalizer_fn(conv(inputs) [+ biases]))``.

    Defaults to watch: ReLU activation, ``'SAME'`` padding, Xavier (Glorot
    uniform) weights. A ``normalizer_fn`` replaces the bias (no ``biases``
    variable); ``biases_initializer=None`` also removes it.

    Args:
        inputs: ``[N, H, W, C]`` (``'NHWC'``/``None``) or ``[N, C, H, W]`` (``'NCHW'``).
        num_outputs: output channels.
        kernel_size, stride, rate: int or pair; ``rate > 1`` with ``stride > 1`` is a ValueError.
        padding: ``'SAME'`` or ``'VALID'`` (any case).
        activation_fn: callable, name (``sl.nn`` first, then ``sl.activations``) or ``None``.
        normalizer_fn, normalizer_params: e.g. ``batch_norm`` and its keyword arguments.
        weights_initializer, weights_regularizer, biases_initializer, biases_regularizer: as Slim.
        reuse: share the variables of ``scope`` (needs ``scope``); trainable: create trainable variables.
        scope: variable scope; default ``Conv``, ``Conv_1``, …

    Variables: ``<scope>/weights`` ``[kh, kw, in, num_outputs]``, ``<scope>/biases`` ``[num_outputs]``.

    Example:
        >>> conv2d(np.ones((2, 4, 4, 3), "float32"), 8, 3, padding="VALID", stride=2).shape
        (2, 1, 1, 8)
    """
    return _conv_common(layers.Conv2D, inputs, num_outputs, kernel_size, stride, padding, data_format, rate,
                        activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                        weights_regularizer, biases_initializer, biases_regularizer, reuse, trainable, scope,
                        "Conv")


conv2d = convolution2d


@add_arg_scope
def convolution2d_transpose(inputs, num_outputs, kernel_size, stride=1, padding="SAME", data_format=None,
                            activation_fn=relu, normalizer_fn=None, normalizer_params=None,
                            weights_initializer=_DEFAULT_WEIGHTS, weights_regularizer=None,
                            biases_initializer=_DEFAULT_BIASES, biases_regularizer=None, reuse=None,
                            trainable=True, scope=None):
    """TF-Slim ``conv2d_transpose`` (no ``rate``, no ``output_shape``: the size is fixed by the rule below).

    Output length per axis: ``'SAME'`` ``in*stride``; ``'VALID'``
    ``in*stride + max(k - stride, 0)`` — Keras' ``Conv2DTranspose`` with
    ``output_padding=None``, which this builds. ``data_format=None`` means
    ``'NHWC'`` (TF-Slim insisted on the string).

    Variables: ``<scope>/weights`` ``[kh, kw, num_outputs, in]``, ``<scope>/biases``;
    default scope ``Conv2d_transpose``. Other arguments as ``conv2d``.

    Example:
        >>> conv2d_transpose(np.ones((1, 4, 4, 1), "float32"), 1, 3, stride=2, padding="VALID").shape
        (1, 9, 9, 1)
    """
    return _conv_common(layers.Conv2DTranspose, inputs, num_outputs, kernel_size, stride, padding, data_format,
                        1, activation_fn, normalizer_fn, normalizer_params, weights_initializer,
                        weights_regularizer, biases_initializer, biases_regularizer, reuse, trainable, scope,
                        "Conv2d_transpose")


conv2d_transpose = convolution2d_transpose


@add_arg_scope
def fully_connected(inputs, num_outputs, activation_fn=relu, normalizer_fn=None, normalizer_params=None,
                    weights_initializer=_DEFAULT_WEIGHTS, weights_regularizer=None,
                    biases_initializer=_DEFAULT_BIASES, biases_regularizer=None, reuse=None, trainable=True,
                    scope=None):
    """TF-Slim ``fully_connected`` on the last axis (ReLU by default); default scope ``fully_connected``.

    Variables: ``<scope>/weights`` ``[in, num_outputs]``, ``<scope>/biases``.

    Example:
        >>> fully_connected(np.ones((2, 3), "float32"), 4).shape
        (2, 4)
    """
    activation_fn = _activation(activation_fn)
    use_bias = normalizer_fn is None and biases_initializer is not None
    with variable_scope(scope, reuse=reuse, default_name="fully_connected") as vs:
        layer = scoped_layer(layers.Dense, vs.name, vs.reuse, _SLIM_NAMES, units=num_outputs,
                             activation=activation_fn if normalizer_fn is None else None, use_bias=use_bias,
                             kernel_initializer=weights_initializer,
                             bias_initializer=biases_initializer if use_bias else "zeros",
                             kernel_regularizer=weights_regularizer,
                             bias_regularizer=biases_regularizer if use_bias else None,
                             trainable=trainable, dtype=input_dtype(inputs))
        return _apply(layer, inputs, normalizer_fn, normalizer_params, activation_fn)


# -- normalisation ----------------------------------------------------------------
_BN_PARAMS = ("beta", "gamma", "moving_mean", "moving_variance")


@add_arg_scope
def batch_norm(inputs, decay=0.999, center=True, scale=False, epsilon=0.001, activation_fn=None,
               param_initializers=None, param_regularizers=None, is_training=True, reuse=None, trainable=True,
               data_format="NHWC", scope=None):
    """TF-Slim ``batch_norm`` through ``sl.layers.BatchNormalization`` (default scope ``BatchNorm``).

    Slim defaults: ``decay=0.999`` (the Layer's momentum), ``scale=False`` (no
    ``gamma``), ``is_training=True`` (batch statistics, moving averages updated
    in place — there is no UPDATE_OPS collection to run). The moving variance
    is updated with the biased batch variance (Keras' rule); TF-Slim's fused
    kernel used the unbiased one.

    Args:
        param_initializers, param_regularizers: dicts keyed by ``beta``, ``gamma``,
            ``moving_mean``, ``moving_variance`` (regularizers: ``beta``, ``gamma``).
        data_format: ``'NHWC'`` (features on the last axis) or ``'NCHW'`` (axis 1).

    Variables: ``<scope>/beta``, ``<scope>/gamma`` (if ``scale``), ``<scope>/moving_mean``,
    ``<scope>/moving_variance``.

    Example:
        >>> batch_norm(np.random.rand(4, 3).astype("float32")).shape
        (4, 3)
    """
    slim_data_format(data_format)
    inits = dict(param_initializers or {})
    regs = dict(param_regularizers or {})
    for name, given, allowed in (("param_initializers", inits, _BN_PARAMS),
                                 ("param_regularizers", regs, ("beta", "gamma"))):
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            raise arg_error(name, f"keys must be among {', '.join(allowed)}", given)
    activation_fn = _activation(activation_fn)
    ndim = getattr(inputs, "ndim", None)
    axis = 1 if data_format == "NCHW" and (ndim is None or ndim > 2) else -1
    with variable_scope(scope, reuse=reuse, default_name="BatchNorm") as vs:
        layer = scoped_layer(layers.BatchNormalization, vs.name, vs.reuse, None, axis=axis, momentum=decay,
                             epsilon=epsilon, center=center, scale=scale,
                             beta_initializer=inits.get("beta", "zeros"),
                             gamma_initializer=inits.get("gamma", "ones"),
                             moving_mean_initializer=inits.get("moving_mean", "zeros"),
                             moving_variance_initializer=inits.get("moving_variance", "ones"),
                             beta_regularizer=regs.get("beta"), gamma_regularizer=regs.get("gamma"),
                             trainable=trainable, dtype=input_dtype(inputs))
        outputs = layer(inputs, training=bool(is_training))
        return _activate(activation_fn, outputs) if activation_fn is not None else outputs


# -- layers without variables ---------------------------------------------------------
def _path(name):
    return f"{current_variable_scope().name}/{name}".lstrip("/")


def _pool(cls_name, inputs, kernel_size, stride, padding, data_format, scope, default_name):
    data_format = slim_data_format(data_format, allow_none=False)
    layer = scoped_layer(getattr(layers, cls_name), _path(scope or default_name), None, None,
                         pool_size=int_tuple("kernel_size", kernel_size), strides=int_tuple("stride", stride),
                         padding=padding_mode(padding), data_format=data_format,
                         dtype=input_dtype(inputs))
    return layer(inputs)


@add_arg_scope
def max_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", scope=None):
    """TF-Slim ``max_pool2d``: defaults ``stride=2``, ``padding='VALID'`` (``sl.layers.MaxPooling2D``).

    Example:
        >>> max_pool2d(np.ones((1, 4, 4, 1), "float32"), 2).shape
        (1, 2, 2, 1)
    """
    return _pool("MaxPooling2D", inputs, kernel_size, stride, padding, data_format, scope, "MaxPool2D")


@add_arg_scope
def avg_pool2d(inputs, kernel_size, stride=2, padding="VALID", data_format="NHWC", scope=None):
    """TF-Slim ``avg_pool2d``: defaults ``stride=2``, ``padding='VALID'`` (``sl.layers.AveragePooling2D``)."""
    return _pool("AveragePooling2D", inputs, kernel_size, stride, padding, data_format, scope, "AvgPool2D")


@add_arg_scope
def flatten(inputs, scope=None):
    """TF-Slim ``flatten``: ``[N, d1, d2, ...] → [N, d1*d2*...]`` in memory order (no channel move).

    Example:
        >>> flatten(np.ones((2, 3, 4), "float32")).shape
        (2, 12)
    """
    ndim = getattr(inputs, "ndim", None)
    if ndim is not None and ndim < 2:
        raise arg_error("inputs", "must have rank >= 2 (a batch axis and at least one more)",
                        tuple(inputs.shape))
    layer = scoped_layer(layers.Flatten, _path(scope or "Flatten"), None, None, dtype=input_dtype(inputs))
    return layer(inputs)


@add_arg_scope
def dropout(inputs, keep_prob=0.5, noise_shape=None, is_training=True, scope=None, seed=None):
    """TF-Slim ``dropout``: drops with probability ``1 - keep_prob`` and scales by ``1/keep_prob``.

    Note Slim's default ``is_training=True``: pass ``is_training=False`` at
    evaluation time (Keras' ``Dropout`` is off unless ``training=True``).
    """
    if isinstance(keep_prob, bool) or not isinstance(keep_prob, numbers.Real) or not 0 < keep_prob <= 1:
        raise arg_error("keep_prob", "must be a number in (0, 1]", keep_prob)
    layer = scoped_layer(layers.Dropout, _path(scope or "Dropout"), None, None, rate=1.0 - float(keep_prob),
                         noise_shape=noise_shape, seed=seed, dtype=input_dtype(inputs))
    return layer(inputs, training=bool(is_training))


# -- composition --------------------------------------------------------------------
def _layer_name(layer):
    if hasattr(layer, "__name__"):
        return layer.__name__
    if hasattr(layer, "func") and hasattr(layer.func, "__name__"):
        return layer.func.__name__  # a functools.partial
    return None


def repeat(inputs, repetitions, layer, *args, **kwargs):
    """Apply ``layer`` ``repetitions`` times, in scopes ``<scope>/<scope>_1`` … (TF-Slim naming).

    Without ``scope`` the outer scope is ``Repeat`` and the inner ones use the
    layer's function name: ``Repeat/convolution2d_1``, ``Repeat/convolution2d_2``.

    Example:
        >>> with sl.scopes.variable_store():
        ...     y = repeat(np.ones((1, 4, 4, 1), "float32"), 2, conv2d, 4, 3, scope="conv1")
        ...     [v.name for v in sl.scopes.get_variables()][::2]
        ['conv1/conv1_1/weights', 'conv1/conv1_2/weights']
    """
    scope = kwargs.pop("scope", None)
    repetitions = int(repetitions) if isinstance(repetitions, numbers.Integral) else repetitions
    if not isinstance(repetitions, int) or isinstance(repetitions, bool) or repetitions < 0:
        raise arg_error("repetitions", "must be a non-negative integer", repetitions)
    with variable_scope(scope, default_name="Repeat"):
        base = scope or _layer_name(layer) or "repeat"
        outputs = inputs
        for i in range(repetitions):
            kwargs["scope"] = f"{base}_{i + 1}"
            outputs = layer(outputs, *args, **kwargs)
        return outputs


def stack(inputs, layer, stack_args, **kwargs):
    """Apply ``layer`` once per entry of ``stack_args`` (a tuple entry is splatted as positional args).

    Scopes as TF-Slim: ``stack(x, conv2d, [(4, 3), (5, 1)], scope="st")`` → ``st/st_1``, ``st/st_2``;
    without scope ``Stack/convolution2d_1`` (then ``Stack_1/…``).
    """
    scope = kwargs.pop("scope", None)
    if not isinstance(stack_args, (list, tuple)):
        raise ValueError(f"Invalid argument `stack_args`: needs to be a list or tuple. "
                         f"Received: stack_args={stack_args!r}")
    with variable_scope(scope, default_name="Stack"):
        base = scope or _layer_name(layer) or "stack"
        outputs = inputs
        for i, layer_args in enumerate(stack_args):
            kwargs["scope"] = f"{base}_{i + 1}"
            if not isinstance(layer_args, (list, tuple)):
                layer_args = [layer_args]
            outputs = layer(outputs, *layer_args, **kwargs)
        return outputs
