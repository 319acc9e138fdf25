"""``SymbolicTensor``: the placeholder ``sl.layers.Input`` returns, for functional models.

It holds a shape (``None`` for unknown sizes, usually the batch), a dtype and
the layer call that produced it. Calling a layer on one builds the layer and
returns a new ``SymbolicTensor`` (no arrays are computed), so a model can walk
back from its outputs to its inputs through ``layer`` and ``inputs``.

The array operations that layer-style code writes between layers — ``a + b``
and ``t.reshape(shape)`` — become ``Add`` and ``Reshape`` layers, so a traced
graph stays exact. Numpy code cannot run on a symbolic tensor (it has no
values) and says so.

Example:
    >>> x = sl.layers.Input((8, 8, 3))
    >>> y = sl.layers.Conv2D(4, 3)(x)
    >>> y.shape, y.layer.name, y.inputs is x
    ((None, 6, 6, 4), 'conv2d', True)
    >>> type((y + y).layer).__name__, y.reshape((-1, 144)).shape
    ('Add', (None, 144))
"""
from __future__ import annotations

import contextlib
import contextvars
import math

import numpy as np

_created = contextvars.ContextVar("slimlayers_symbolic_created", default=None)

# The layers behind `a + b` and `t.reshape(...)`. slimlayers.layers fills this table: the layer modules
# import this one, so importing them here would close a cycle.
ARRAY_OP_LAYERS = {}


@contextlib.contextmanager
def created_tensors():
    """Collect every ``SymbolicTensor`` created in the block, in creation order (a tracer's log).

    Example:
        >>> with created_tensors() as log:
        ...     y = sl.layers.Dense(2)(sl.layers.Input((3,)))
        >>> [t.layer.name == y.layer.name for t in log]  # doctest: +SKIP
        [False, True]
    """
    log = []
    token = _created.set(log)
    try:
        yield log
    finally:
        _created.reset(token)


class SymbolicTensor:
    """A shape-only stand-in for a tensor inside a functional model.

    Args:
        shape: tuple with ``None`` for unknown sizes.
        dtype: numpy dtype of the values it stands for.
        layer: the layer whose call produced it (an ``InputLayer`` for model inputs).
        inputs: what that layer was called on (a ``SymbolicTensor`` or a list of them; ``None`` for inputs).
        name: a readable label (the producing layer's name by default).
    """

    def __init__(self, shape, dtype, layer=None, inputs=None, name=None):
        self.shape = tuple(None if s is None else int(s) for s in shape)
        self.dtype = np.dtype(dtype)
        self.layer = layer
        self.inputs = inputs
        self.name = name or (layer.name if layer is not None else "symbolic")
        log = _created.get()
        if log is not None:
            log.append(self)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor {self.name!r} shape={self.shape} dtype={self.dtype.name}>"

    # -- array operations, recorded as layers ---------------------------------------
    def __add__(self, other):
        if not isinstance(other, SymbolicTensor):
            return NotImplemented  # a constant has no layer; `x + 1.0` stays an error
        add = ARRAY_OP_LAYERS["add"]
        return add(dtype=np.result_type(self.dtype, other.dtype))([self, other])  # numpy's promotion, as Tensor

    def __radd__(self, other):
        if not isinstance(other, SymbolicTensor):
            return NotImplemented
        add = ARRAY_OP_LAYERS["add"]
        return add(dtype=np.result_type(self.dtype, other.dtype))([other, self])

    def reshape(self, *shape):
        """``Reshape(shape[1:])``: the batch entry must be ``-1``, ``None`` or the batch size, and stays."""
        shape = tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape
        batch, rest = (shape[0], shape[1:]) if shape else (None, ())
        keeps_batch = batch in (-1, None) or batch == self.shape[0]
        if keeps_batch and batch == -1 and -1 not in rest and None not in self.shape[1:]:
            keeps_batch = math.prod(rest) == math.prod(self.shape[1:])
        if not keeps_batch:
            raise ValueError(f"Cannot reshape the symbolic tensor {self.name!r} of shape {self.shape} to "
                             f"{shape}: a symbolic reshape keeps the batch axis (write -1 or the batch size "
                             f"first, then one sample's shape).")
        return ARRAY_OP_LAYERS["reshape"](rest, dtype=self.dtype)(self)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"{self!r} has no values: it stands for a tensor of a model being built, so numpy "
                        f"code cannot run on it. Use layers (and +, .reshape) between symbolic tensors.")
