"""Tensor's differentiable operators, in one table: Python syntax → the primitive in ``ops.py``.

``tensor.py`` cannot import the ops (they build Tensors), so ``Tensor`` is
defined without its arithmetic and ``install()`` (run by
``slimlayers/autodiff/__init__.py``) attaches it. Reflected operators swap
the operands, so ``2 - t`` is ``ops.subtract(2, t)``; numpy defers
``array + tensor`` to ``__radd__`` because of ``Tensor.__array_priority__``.

Example:
    >>> import slimlayers as sl
    >>> (2.0 - sl.constant([1.0, 3.0])).numpy()
    array([ 1., -1.], dtype=float32)
"""
from __future__ import annotations

from . import ops
from .tensor import Tensor


def _reflected(op):
    def method(self, other):
        return op(other, self)

    method.__name__ = f"reflected_{op.__name__}"
    return method


def _reshape(self, *shape):
    """``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return ops.reshape(self, shape)


def _transpose(self, *axes):
    """``t.transpose()`` reverses the axes; ``t.transpose(1, 0)`` or ``t.transpose((1, 0))`` permutes them."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = axes[0]
    return ops.transpose(self, axes or None)


OPERATORS = {
    "__add__": ops.add,
    "__radd__": _reflected(ops.add),
    "__sub__": ops.subtract,
    "__rsub__": _reflected(ops.subtract),
    "__mul__": ops.multiply,
    "__rmul__": _reflected(ops.multiply),
    "__truediv__": ops.divide,
    "__rtruediv__": _reflected(ops.divide),
    "__matmul__": ops.matmul,
    "__rmatmul__": _reflected(ops.matmul),
    "__pow__": ops.power,
    "__rpow__": _reflected(ops.power),
    "__neg__": ops.negative,
    "__abs__": ops.abs,
    "__getitem__": ops.getitem,
    "sum": ops.sum,            # t.sum(axis=None, keepdims=False)
    "mean": ops.mean,          # t.mean(axis=None, keepdims=False)
    "reshape": _reshape,
    "transpose": _transpose,
    "astype": ops.cast,        # t.astype(dtype)
}
"""Method name on ``Tensor`` → function of ``(tensor, *args)``."""


def install():
    """Attach every entry of ``OPERATORS`` to ``Tensor`` (and so to ``Variable``); idempotent."""
    for name, fn in OPERATORS.items():
        setattr(Tensor, name, fn)
