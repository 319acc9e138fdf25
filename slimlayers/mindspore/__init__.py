"""MindSpore style: ``sl.mindspore.Conv2d`` and ``sl.mindspore.Conv2dTranspose`` with MindSpore 2.10's rules.

Same signatures, defaults (``pad_mode="same"``, ``has_bias=False``, NCHW), parameter
layouts, initializers and output sizes as ``mindspore.nn``; underneath they are
ordinary slimlayers layers on the shared conv ops, so they differentiate, train with
``fit``, save and load, and mix with every other layer. ``docs/mindspore.md`` compares
them with tf.nn, Keras, Slim and PyTorch.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> up = sl.mindspore.Conv2dTranspose(3, 64, 4, pad_mode="pad")
    >>> up.weight.shape, up(np.zeros((1, 3, 16, 50), "float32")).shape
    ((3, 64, 4, 4), (1, 64, 19, 53))
"""
from .conv import Conv2d, Conv2dTranspose

__all__ = ["Conv2d", "Conv2dTranspose"]
