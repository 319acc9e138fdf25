"""Merge layers, called on a list of tensors: ``Concatenate(axis)`` and ``Add``.

Example:
    >>> a, b = np.ones((2, 3), "float32"), np.ones((2, 4), "float32")
    >>> sl.layers.Concatenate()([a, b]).shape
    (2, 7)
    >>> sl.layers.Add()([a, 2 * a]).numpy()[0]
    array([3., 3., 3.], dtype=float32)
"""
from __future__ import annotations

import numbers

from ..autodiff import ops
from ..validation import arg_error
from ..scopes import add_arg_scope
from .base import Layer

__all__ = ["Add", "Concatenate"]


class _Merge(Layer):
    takes_input_list = True

    def _check_list(self, shapes):
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ValueError(f"A `{type(self).__name__}` layer should be called on a list of at least 1 input. "
                             f"Received: input_shape={shapes}")
        return [tuple(s) for s in shapes]

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # validates the shapes
        super().build(input_shape)


@add_arg_scope
class Concatenate(_Merge):
    """Join tensors along ``axis``; every other axis must match.

    Args:
        axis: the axis to concatenate on (default -1).
    """

    def __init__(self, axis=-1, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise arg_error("axis", "must be an int", axis, TypeError)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        ndim = len(shapes[0])
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"Invalid axis {self.axis} for layer {self.name!r}: inputs have rank {ndim}.")
        axis = self.axis % ndim
        others = [s[:axis] + s[axis + 1:] for s in shapes]
        for s, rest in zip(shapes, others):
            if len(s) != ndim or any(a is not None and b is not None and a != b for a, b in zip(rest, others[0])):
                raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes except for the "
                                 f"concatenation axis. Received: input_shape={shapes}")
        sizes = [s[axis] for s in shapes]
        merged = list(next((r[i] for r in others if r[i] is not None), None) for i in range(ndim - 1))
        merged.insert(axis, None if None in sizes else sum(sizes))
        return tuple(merged)

    def call(self, inputs):
        self.compute_output_shape([t.shape for t in inputs])
        return ops.concat(inputs, axis=self.axis)


@add_arg_scope
class Add(_Merge):
    """Elementwise sum of a list of tensors of the same (or broadcast-compatible) shape."""

    def __init__(self, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)

    def compute_output_shape(self, input_shape):
        shapes = self._check_list(input_shape)
        ndim = max(len(s) for s in shapes)
        padded = [(1,) * (ndim - len(s)) + s for s in shapes]
        out = []
        for sizes in zip(*padded):
            known = {d for d in sizes if d is not None and d != 1}
            if len(known) > 1:
                raise ValueError(f"Inputs have incompatible shapes. Received shapes {shapes}")
            out.append(known.pop() if known else (None if None in sizes else 1))
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape([t.shape for t in inputs])
        total = inputs[0]
        for t in inputs[1:]:
            total = total + t
        return total
