"""Keras-style layers (Keras 3 semantics): build on first call, weights, losses, config.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> x = sl.layers.Input((8, 8, 1))
    >>> sl.layers.Conv2DTranspose(4, 3, strides=2, padding="same")(x).shape
    (None, 16, 16, 4)
"""
from .base import Layer
from .catalog import register_layer
from .convolutional import Conv2D, Conv2DTranspose
from .core import Activation, Dense, Flatten, Input, InputLayer, LeakyReLU, Reshape
from .merging import Add, Concatenate
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, MaxPooling2D
from .regularization import Dropout
from .reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from .symbolic import ARRAY_OP_LAYERS, SymbolicTensor

__all__ = ["Activation", "Add", "AveragePooling2D", "BatchNormalization", "Concatenate", "Conv2D",
           "Conv2DTranspose", "Cropping2D", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer",
           "LeakyReLU", "MaxPooling2D", "Reshape", "SymbolicTensor", "UpSampling2D", "ZeroPadding2D", "conv2d",
           "conv2d_transpose", "dense"]

for _cls in (globals().get(_name) for _name in __all__):  # what a saved model config may name
    if isinstance(_cls, type) and issubclass(_cls, Layer):
        register_layer(_cls)

ARRAY_OP_LAYERS.update(add=Add, reshape=Reshape)  # what `a + b` and `t.reshape(...)` record in a symbolic graph

# Namespace re-export, the one import from layers up to a face: the tf.layers-style functions live in
# slimlayers.tf_layers (which imports the classes above). They are fetched on first access, so either
# module can be imported first without a circular-import failure.
_TF_LAYERS_FUNCTIONS = ("conv2d", "conv2d_transpose", "dense")


def __getattr__(name):
    if name in _TF_LAYERS_FUNCTIONS:
        from .. import tf_layers

        return getattr(tf_layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TF_LAYERS_FUNCTIONS))
