"""Differentiable primitives: each forward sits next to its vector-Jacobian product.

Every function accepts Tensors, Variables, numpy arrays, scalars or nested
lists and returns a Tensor. Gradients are plain numpy arrays (first order).
Activations (relu, sigmoid, tanh, …) are defined once, in ``slimlayers.nn.activations``.

Example:
    >>> from slimlayers.autodiff import ops
    >>> ops.exp([0.0, 1.0]).numpy().round(3)
    array([1.   , 2.718], dtype=float32)
"""
from __future__ import annotations

import builtins

import numpy as np

from .tape import record, unbroadcast
from .tensor import Tensor, convert

_builtin_max = builtins.max


def _pair(a, b):
    a = a if isinstance(a, Tensor) else Tensor(_scalar_or_array(a, b))
    b = b if isinstance(b, Tensor) else Tensor(_scalar_or_array(b, a))
    return a, b


def _scalar_or_array(value, other):
    """Python scalars adopt the other operand's float dtype (numpy 'weak scalar' rule)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and isinstance(other, Tensor):
        if other.dtype.kind == "f":
            return np.asarray(value, dtype=other.dtype)
    return value


# -- elementwise binary ---------------------------------------------------
def add(a, b):
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape
    return record(a._value + b._value, (a, b), lambda g: (unbroadcast(g, sa), unbroadcast(g, sb)))


def subtract(a, b):
    a, b = _pair(a, b)
    sa, sb = a.shape, b.shape
    return record(a._value - b._value, (a, b), lambda g: (unbroadcast(g, sa), unbroadcast(-g, sb)))


def multiply(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    return record(av * bv, (a, b),
                  lambda g: (unbroadcast(g * bv, av.shape), unbroadcast(g * av, bv.shape)))


def divide(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    out = av / bv
    return record(out, (a, b),
                  lambda g: (unbroadcast(g / bv, av.shape), unbroadcast(-g * out / bv, bv.shape)))


def power(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    out = av ** bv

    def vjp(g):
        ga = g * bv * av ** (bv - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            gb = np.where(av > 0, g * out * np.log(np.where(av > 0, av, 1)), 0)
        return unbroadcast(ga, av.shape), unbroadcast(gb.astype(out.dtype), bv.shape)

    return record(out, (a, b), vjp)


def maximum(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    mask = av >= bv
    return record(np.maximum(av, bv), (a, b),
                  lambda g: (unbroadcast(g * mask, av.shape), unbroadcast(g * ~mask, bv.shape)))


def minimum(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    mask = av <= bv
    return record(np.minimum(av, bv), (a, b),
                  lambda g: (unbroadcast(g * mask, av.shape), unbroadcast(g * ~mask, bv.shape)))


def matmul(a, b):
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    if av.ndim < 2 or bv.ndim < 2:
        raise ValueError(f"matmul needs operands of rank >= 2; received shapes {av.shape} and {bv.shape}.")

    def vjp(g):
        ga = g @ np.swapaxes(bv, -1, -2)
        gb = np.swapaxes(av, -1, -2) @ g
        return unbroadcast(ga, av.shape), unbroadcast(gb, bv.shape)

    return record(av @ bv, (a, b), vjp)


def where(condition, a, b):
    """Elementwise ``a if condition else b`` (differentiable in ``a`` and ``b``)."""
    cond = np.asarray(condition.numpy() if isinstance(condition, Tensor) else condition, dtype=bool)
    a, b = _pair(a, b)
    av, bv = a._value, b._value
    return record(np.where(cond, av, bv), (a, b),
                  lambda g: (unbroadcast(np.where(cond, g, 0).astype(g.dtype), av.shape),
                             unbroadcast(np.where(cond, 0, g).astype(g.dtype), bv.shape)))


# -- elementwise unary ----------------------------------------------------
def _unary(x, fn, dfn):
    """``dfn(x, y, g)`` returns the input gradient given input x, output y, upstream g."""
    x = convert(x)
    xv = x._value
    y = fn(xv)
    return record(y, (x,), lambda g: (dfn(xv, y, g),))


def negative(x):
    return _unary(x, np.negative, lambda x, y, g: -g)


def abs(x):  # noqa: A001 - mirrors numpy's name
    return _unary(x, np.abs, lambda x, y, g: g * np.sign(x))


def square(x):
    return _unary(x, np.square, lambda x, y, g: g * 2 * x)


def sqrt(x):
    return _unary(x, np.sqrt, lambda x, y, g: g / (2 * y))


def exp(x):
    return _unary(x, np.exp, lambda x, y, g: g * y)


def log(x):
    return _unary(x, np.log, lambda x, y, g: g / x)


def clip(x, lo, hi):
    """Clip to ``[lo, hi]``; the gradient passes where the value was inside the interval."""
    return _unary(x, lambda v: np.clip(v, lo, hi), lambda x, y, g: g * ((x >= lo) & (x <= hi)))


def cast(x, dtype):
    x = convert(x)
    src = x.dtype
    dtype = np.dtype(dtype)
    return record(x._value.astype(dtype), (x,), lambda g: (g.astype(src),))


def stop_gradient(x):
    return Tensor._wrap(convert(x)._value)


# -- reductions -----------------------------------------------------------
def _norm_axis(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim if ndim else 0 for a in axes)


def _expand(g, shape, axes, keepdims):
    if not keepdims:
        g = np.expand_dims(g, axes) if axes else g
    return np.broadcast_to(g, shape)


def sum(x, axis=None, keepdims=False):  # noqa: A001
    x = convert(x)
    shape = x.shape
    axes = _norm_axis(axis, x.ndim)
    out = np.sum(x._value, axis=axes, keepdims=keepdims)
    return record(np.asarray(out), (x,), lambda g: (_expand(g, shape, axes, keepdims).copy(),))


def mean(x, axis=None, keepdims=False):
    x = convert(x)
    shape = x.shape
    axes = _norm_axis(axis, x.ndim)
    count = int(np.prod([shape[a] for a in axes])) if axes else 1
    out = np.mean(x._value, axis=axes, keepdims=keepdims)
    return record(np.asarray(out, dtype=x.dtype), (x,),
                  lambda g: ((_expand(g, shape, axes, keepdims) / _builtin_max(count, 1)).astype(g.dtype),))


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum; the gradient goes to every position equal to the max (split evenly)."""
    x = convert(x)
    xv = x._value
    axes = _norm_axis(axis, x.ndim)
    out = np.max(xv, axis=axes, keepdims=True)

    def vjp(g):
        mask = (xv == out)
        counts = mask.sum(axis=axes, keepdims=True)
        gk = g if keepdims else np.expand_dims(g, axes)
        return ((mask * gk / counts).astype(xv.dtype),)

    return record(out if keepdims else np.squeeze(out, axis=axes), (x,), vjp)


# -- shape manipulation ---------------------------------------------------
def reshape(x, shape):
    x = convert(x)
    src = x.shape
    return record(x._value.reshape(tuple(int(s) for s in shape)), (x,), lambda g: (g.reshape(src),))


def transpose(x, axes=None):
    x = convert(x)
    if axes is None:
        axes = tuple(reversed(range(x.ndim)))
    axes = tuple(int(a) for a in axes)
    inverse = tuple(np.argsort(axes))
    return record(np.transpose(x._value, axes), (x,), lambda g: (np.transpose(g, inverse),))


def pad(x, paddings, constant_values=0):
    """Zero (or constant) padding; ``paddings`` is one ``(before, after)`` pair per axis."""
    x = convert(x)
    pads = [(int(a), int(b)) for a, b in paddings]
    if len(pads) != x.ndim:
        raise ValueError(f"pad needs one (before, after) pair per axis: {x.ndim} axes, got {len(pads)} pairs.")
    if any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"pad amounts must be non-negative; received {pads}.")
    slices = tuple(slice(a, a + n) for (a, _), n in zip(pads, x.shape))
    out = np.pad(x._value, pads, constant_values=constant_values)
    return record(out, (x,), lambda g: (g[slices],))


def concat(values, axis=-1):
    tensors = [convert(v) for v in values]
    if not tensors:
        raise ValueError("concat needs at least one tensor.")
    arrays = [t._value for t in tensors]
    out = np.concatenate(arrays, axis=axis)
    bounds = np.cumsum([a.shape[axis] for a in arrays])[:-1]
    return record(out, tuple(tensors), lambda g: tuple(np.split(g, bounds, axis=axis)))


def stack(values, axis=0):
    tensors = [convert(v) for v in values]
    out = np.stack([t._value for t in tensors], axis=axis)
    n = len(tensors)
    return record(out, tuple(tensors),
                  lambda g: tuple(np.squeeze(p, axis=axis) for p in np.split(g, n, axis=axis)))


def getitem(x, index):
    x = convert(x)
    if isinstance(index, Tensor):
        index = index._value
    shape, dtype = x.shape, x.dtype

    def vjp(g):
        full = np.zeros(shape, dtype)
        np.add.at(full, index, g)
        return (full,)

    return record(np.asarray(x._value[index]), (x,), vjp)
