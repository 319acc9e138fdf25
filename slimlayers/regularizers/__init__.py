"""Weight and activity regularizers (Keras 3): ``L1``, ``L2``, ``L1L2``.

Names resolve as in Keras 3: ``"l1"`` → ``L1()`` (0.01), ``"l2"`` → ``L2()``
(0.01), ``"L1L2"``/``"l1l2"`` → ``L1L2()`` (0, 0). ``"l1_l2"`` is *not* a
Keras 3 name (tf_keras only) and raises; the lowercase aliases ``l1``,
``l2``, ``l1_l2`` are the classes themselves (Keras 3).

Example:
    >>> import slimlayers as sl
    >>> sl.regularizers.get("l2")
    L2(l2=0.01)
    >>> sl.regularizers.serialize(sl.regularizers.L1L2(l1=0.5))
    {'class_name': 'L1L2', 'config': {'l1': 0.5, 'l2': 0.0}}
"""
from __future__ import annotations

from ..registry import Registry
from .base import L1, L1L2, L2, Regularizer

REGISTRY = Registry("regularizer", base=Regularizer)
REGISTRY.register()(L1)
REGISTRY.register()(L2)
REGISTRY.register(names=("L1L2", "l1l2"))(L1L2)  # Keras 3's snake_case of "L1L2"; "l1_l2" stays unknown

l1 = L1
l2 = L2
l1_l2 = L1L2

get = REGISTRY.get
serialize = REGISTRY.serialize
deserialize = REGISTRY.deserialize

__all__ = ["L1", "L1L2", "L2", "Regularizer", "deserialize", "get", "l1", "l1_l2", "l2", "serialize"]
