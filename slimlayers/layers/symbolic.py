"""``SymbolicTensor``: the placeholder ``sl.layers.Input`` returns, for functional models.

It holds a shape (``None`` for unknown sizes, usually the batch), a dtype and
the layer call that produced it. Calling a layer on one builds the layer and
returns a new ``SymbolicTensor`` (no arrays are computed), so a model can walk
back from its outputs to its inputs through ``layer`` and ``inputs``.

Example:
    >>> x = sl.layers.Input((8, 8, 3))
    >>> y = sl.layers.Conv2D(4, 3)(x)
    >>> y.shape, y.layer.name, y.inputs is x
    ((None, 6, 6, 4), 'conv2d', True)
"""
from __future__ import annotations

import numpy as np


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

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<SymbolicTensor {self.name!r} shape={self.shape} dtype={self.dtype.name}>"
