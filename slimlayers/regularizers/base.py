"""``Regularizer`` base and the Keras 3 penalties ``L1``, ``L2``, ``L1L2``.

A penalty is a differentiable scalar ``sl.Tensor`` in the weight's dtype.
Note the factor-2 trap: Keras ``L2(λ)`` = λ·Σw², TF-Slim ``l2_regularizer(s)``
= s·Σw²/2 (``sl.slim`` has those).

Example:
    >>> float(L2(0.5)([3.0, 4.0]))
    12.5
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ..autodiff import ops
from ..nn.activations import float_tensor as _float_tensor
from ..autodiff.tensor import Tensor
from ..validation import arg_error
from ..registry import Configurable


class Regularizer(Configurable):
    """Base class: ``__call__(x)`` returns a scalar penalty Tensor."""

    def __call__(self, x):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(x).")


class L1(Regularizer):
    """``l1 * sum(abs(x))``.

    Args:
        l1: non-negative float; ``None`` means the default 0.01 (Keras).

    Example:
        >>> float(L1(0.5)([-1.0, 2.0]))
        1.5
    """

    def __init__(self, l1=0.01):
        self.l1 = factor("l1", l1)

    def __call__(self, x):
        x = _float_tensor(x)
        return ops.sum(ops.abs(x)) * self.l1


class L2(Regularizer):
    """``l2 * sum(square(x))`` (no ½, unlike TF-Slim's ``l2_regularizer``).

    Args:
        l2: non-negative float; ``None`` means the default 0.01 (Keras).

    Example:
        >>> float(L2(0.5)([1.0, 2.0]))
        2.5
    """

    def __init__(self, l2=0.01):
        self.l2 = factor("l2", l2)

    def __call__(self, x):
        x = _float_tensor(x)
        return ops.sum(ops.square(x)) * self.l2


class L1L2(Regularizer):
    """``l1 * sum(abs(x)) + l2 * sum(square(x))``; a zero factor contributes nothing (Keras).

    Args:
        l1, l2: non-negative floats, default 0.0 each; ``None`` also means 0.0 (Keras 3: only
            ``L1`` / ``L2`` read ``None`` as their 0.01 default).

    Example:
        >>> float(L1L2(l1=1.0, l2=1.0)([-1.0, 2.0]))
        8.0
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = factor("l1", l1, default=0.0)
        self.l2 = factor("l2", l2, default=0.0)

    def __call__(self, x):
        x = _float_tensor(x)
        terms = []
        if self.l1:
            terms.append(ops.sum(ops.abs(x)) * self.l1)
        if self.l2:
            terms.append(ops.sum(ops.square(x)) * self.l2)
        if not terms:
            return Tensor(np.zeros((), x.dtype))
        return terms[0] if len(terms) == 1 else terms[0] + terms[1]


def factor(name, value, default=0.01):
    """A regularization factor as float: ``None`` → ``default``; negative, nan or inf → ValueError (Keras 3)."""
    if value is None:
        return default
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value < 0:
        raise arg_error(name, "expected a non-negative float", value)
    return float(value)
