"""How Slim and tf.layers functions build the Layer they apply: explicit arguments, variables from the store.

A Slim or tf.layers function resolves (and records) its own arguments, then
builds one ``sl.layers`` Layer with them. That Layer is constructed with no
active arg scope and no recording — a scope on the Layer class must not leak
into the function — and its ``variable_creator`` finds its variables in the
current ``VariableStore`` under the function's variable scope.

The layer class is passed in: this module never imports ``slimlayers.layers``.

Example:
    >>> with sl.scopes.variable_store() as store:
    ...     layer = scoped_layer(sl.layers.Dense, "fc", None, {"kernel": "weights"}, units=2)
    ...     y = layer(np.ones((1, 3), "float32"))
    ...     list(store.variables)
    ['fc/weights', 'fc/bias']
"""
from __future__ import annotations

import numpy as np

from .arg_scope import no_arg_scope
from .provenance import suspended
from .variables import store_creator

__all__ = ["input_dtype", "scoped_layer"]


def scoped_layer(cls, path, reuse, rename=None, **kwargs):
    """``cls(name=path, **kwargs)`` whose variables ``<path>/<weight>`` live in the current store.

    Args:
        cls: the Layer class to build.
        path: the full variable-scope name, also the layer's name.
        reuse: ``None``, ``True`` or ``AUTO_REUSE`` (the variable scope's).
        rename: weight renames, e.g. Slim's ``{"kernel": "weights", "bias": "biases"}``.
        **kwargs: the constructor arguments, all explicit.
    """
    with no_arg_scope(), suspended():
        layer = cls(name=path, **kwargs)
    layer.variable_creator = store_creator(reuse, rename)
    return layer


def input_dtype(inputs):
    """float64 for float64 inputs, else float32: the dtype a Slim/tf.layers function builds its layer in."""
    dt = getattr(inputs, "dtype", None)
    return np.dtype(np.float64) if dt is not None and np.dtype(dt) == np.float64 else np.dtype(np.float32)
