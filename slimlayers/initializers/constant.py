"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant``, ``Identity``.

They accept ``seed=`` like every initializer (so code can pass it uniformly)
and ignore it.

Example:
    >>> Constant([[1, 2], [3, 4]])((2, 2)).tolist()
    [[1.0, 2.0], [3.0, 4.0]]
"""
from __future__ import annotations

import numpy as np

from ..validation import arg_error, check_number
from .base import Initializer


class Zeros(Initializer):
    """All zeros.

    Example:
        >>> Zeros()((2,)).tolist()
        [0.0, 0.0]
    """

    is_random = False

    def sample(self, shape, rng):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones.

    Example:
        >>> Ones()((2,)).tolist()
        [1.0, 1.0]
    """

    is_random = False

    def sample(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """A constant: a scalar fill, or an array that must have exactly the variable's shape.

    Args:
        value: scalar (Keras 3 default 0.0) or array-like of the variable's shape.

    Example:
        >>> Constant(0.5)((3,)).tolist()
        [0.5, 0.5, 0.5]
    """

    is_random = False

    def __init__(self, value=0.0, seed=None):
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiub":
            raise arg_error("value", "must be a number or a numeric array", value, TypeError)
        self.value = check_number("value", arr.item()) if arr.ndim == 0 else np.array(arr, copy=True)
        super().__init__(seed)

    def sample(self, shape, rng):
        if isinstance(self.value, float):
            return np.full(shape, self.value)
        if self.value.shape != shape:
            raise ValueError(f"Constant initializer value has shape {self.value.shape}, but the variable "
                             f"has shape {shape}: an array value must match the variable's shape exactly.")
        return np.array(self.value)  # a copy: callers may write into the result


class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only; non-square gives ``np.eye(rows, cols)``).

    Example:
        >>> Identity(gain=2.0)((2, 2)).tolist()
        [[2.0, 0.0], [0.0, 2.0]]
    """

    is_random = False

    def __init__(self, gain=1.0, seed=None):
        self.gain = check_number("gain", gain)
        super().__init__(seed)

    def sample(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer can only be used for 2D matrices. Received: shape={shape}")
        return self.gain * np.eye(*shape)
