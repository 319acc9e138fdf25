"""Which Keras argument comes from which Slim argument — the general rule, one table per Slim function.

A Slim function builds an ``sl.layers`` layer whose constructor arguments
are Keras' (``sl.slim.conv2d`` builds a ``Conv2D``); the values are that
layer's ``get_config()``, so they are exactly what the Slim code computed.
These tables only say where each value came *from*: the Slim argument(s)
behind it, whose provenance (explicit, ``arg_scope`` at file:line, or the
Slim default) ``sl.scopes.recording()`` kept. A Keras argument with no Slim
counterpart (``groups``, the constraints, …) has the Keras default, which
Slim also used.

Example:
    >>> SOURCES["conv2d"]["strides"], SOURCES["batch_norm"]["momentum"]
    (('stride',), ('decay',))
"""
from __future__ import annotations

import functools
from ... import activations

# Slim function (by name, aliases folded) -> the sl.layers class it builds.
SLIM_LAYERS = {
    "conv2d": "Conv2D", "conv2d_transpose": "Conv2DTranspose", "fully_connected": "Dense",
    "batch_norm": "BatchNormalization", "max_pool2d": "MaxPooling2D", "avg_pool2d": "AveragePooling2D",
    "flatten": "Flatten", "dropout": "Dropout",
}
ALIASES = {"convolution2d": "conv2d", "convolution2d_transpose": "conv2d_transpose"}

_DENSE = {
    "activation": ("activation_fn",), "use_bias": ("normalizer_fn", "biases_initializer"),
    "kernel_initializer": ("weights_initializer",), "bias_initializer": ("biases_initializer",),
    "kernel_regularizer": ("weights_regularizer",), "bias_regularizer": ("biases_regularizer",),
    "trainable": ("trainable",), "name": ("scope",),
}
_CONV = {"filters": ("num_outputs",), "kernel_size": ("kernel_size",), "strides": ("stride",),
         "padding": ("padding",), "data_format": ("data_format",), **_DENSE}
_POOL = {"pool_size": ("kernel_size",), "strides": ("stride",), "padding": ("padding",),
         "data_format": ("data_format",), "name": ("scope",)}

# Keras argument -> the Slim arguments it is derived from.
SOURCES = {
    "conv2d": {**_CONV, "dilation_rate": ("rate",)},
    "conv2d_transpose": _CONV,
    "fully_connected": {"units": ("num_outputs",), **_DENSE},
    "batch_norm": {
        "axis": ("data_format",), "momentum": ("decay",), "epsilon": ("epsilon",), "center": ("center",),
        "scale": ("scale",), "beta_initializer": ("param_initializers",),
        "gamma_initializer": ("param_initializers",), "moving_mean_initializer": ("param_initializers",),
        "moving_variance_initializer": ("param_initializers",), "beta_regularizer": ("param_regularizers",),
        "gamma_regularizer": ("param_regularizers",), "trainable": ("trainable",), "name": ("scope",),
    },
    "max_pool2d": _POOL,
    "avg_pool2d": _POOL,
    "flatten": {"name": ("scope",)},
    "dropout": {"rate": ("keep_prob",), "noise_shape": ("noise_shape",), "seed": ("seed",), "name": ("scope",)},
}

# Slim arguments that become no Keras argument, shown in the table (inputs and scope are the graph and the name;
# normalizer_params are the arguments of the normalizer's own layer).
SLIM_ONLY = ("is_training", "reuse")

# Constructor arguments of the Keras 3 classes, in Keras' order (without name, trainable, dtype, which every
# layer takes and migrate writes last), and the value of those Keras has and slimlayers does not.
KERAS_ARGS = {
    "Conv2D": ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
               "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
               "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "Conv2DTranspose": ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format",
                        "dilation_rate", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                        "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                        "bias_constraint"),
    "Dense": ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
              "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint"),
    "BatchNormalization": ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                           "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
                           "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                           "renorm", "renorm_clipping", "renorm_momentum", "synchronized"),
    "MaxPooling2D": ("pool_size", "strides", "padding", "data_format"),
    "AveragePooling2D": ("pool_size", "strides", "padding", "data_format"),
    "Flatten": ("data_format",),
    "Reshape": ("target_shape",),
    "Dropout": ("rate", "noise_shape", "seed"),
    "Activation": ("activation",),
    "LeakyReLU": ("negative_slope",),
    "Add": (),
    "Concatenate": ("axis",),
    "UpSampling2D": ("size", "data_format", "interpolation"),
}
KERAS_ONLY = {"kernel_constraint": None, "bias_constraint": None, "beta_constraint": None, "gamma_constraint": None,
              "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99, "synchronized": False}
COMMON_ARGS = ("trainable", "dtype", "name")

# sl.layers arguments Keras does not have, and the one value that means "not used".
SL_ONLY = {"groups": 1}  # Keras 3's Conv2DTranspose has no groups

KERAS_INITIALIZERS = ("Constant", "Zeros", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal",
                      "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
                      "LecunNormal", "Orthogonal", "Identity")
REGULARIZERS = ("L1", "L2", "L1L2")


def slim_kind(op_name):
    """``'sl.slim.convolution2d'`` → ``'conv2d'``; ``None`` for anything that is not a Slim layer function."""
    if not op_name.startswith("sl.slim."):
        return None
    name = op_name.rsplit(".", 1)[-1]
    name = ALIASES.get(name, name)
    return name if name in SLIM_LAYERS else None


def is_batch_norm(fn, batch_norm):
    """``normalizer_fn`` is Slim's ``batch_norm`` (itself or a ``functools.partial`` of it)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    return fn is batch_norm or fn is getattr(batch_norm, "__wrapped__", batch_norm)


def activation_form(fn):
    """How an activation function is written: ``("name", "relu")``, ``("leaky_relu", slope)`` or ``None``.

    ``None`` means it has no name Keras knows (a lambda, a Python function):
    the caller refuses it.
    """
    if fn is None:
        return ("name", None)
    if isinstance(fn, functools.partial) and fn.func is activations.leaky_relu and not fn.args:
        slope = fn.keywords.get("negative_slope", fn.keywords.get("alpha", 0.2))
        if set(fn.keywords) <= {"negative_slope", "alpha"}:
            return ("leaky_relu", float(slope))
    try:
        name = activations.serialize(fn)
    except (ValueError, TypeError):
        return None
    return ("name", None if name == "linear" else name)
