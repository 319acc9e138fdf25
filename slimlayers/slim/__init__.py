"""TF-Slim style: ``sl.slim.conv2d`` & co. with Slim's defaults, names and ``arg_scope``.

Every function builds or reuses an ``sl.layers`` Layer (one implementation,
two faces); variables live in the ``sl.scopes`` variable store.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> slim = sl.slim
    >>> with sl.scopes.variable_store(), slim.arg_scope([slim.conv2d], padding="VALID"):
    ...     slim.conv2d(np.ones((1, 5, 5, 1), "float32"), 4, 3).shape
    (1, 3, 3, 4)
"""
from ..scopes.arg_scope import add_arg_scope, arg_scope
from .initializers import variance_scaling_initializer, xavier_initializer, xavier_initializer_conv2d
from .layers import (avg_pool2d, batch_norm, conv2d, conv2d_transpose, convolution2d, convolution2d_transpose,
                     dropout, flatten, fully_connected, max_pool2d, repeat, stack)
from .regularizers import l1_l2_regularizer, l1_regularizer, l2_regularizer
from .migrate import Migration, migrate

__all__ = ["Migration", "add_arg_scope", "arg_scope", "avg_pool2d", "batch_norm", "conv2d", "conv2d_transpose",
           "convolution2d", "convolution2d_transpose", "dropout", "flatten", "fully_connected",
           "l1_l2_regularizer", "l1_regularizer", "l2_regularizer", "max_pool2d", "migrate", "repeat", "stack",
           "variance_scaling_initializer", "xavier_initializer", "xavier_initializer_conv2d"]
