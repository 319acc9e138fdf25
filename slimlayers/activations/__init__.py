"""The Keras-style registry of activation functions: names, ``get``, ``serialize``, ``deserialize``.

The functions are defined once, in ``slimlayers/nn/activations.py``; this
package names them for layer arguments and configs, and re-exports the same
objects (``sl.activations.relu is sl.nn.relu``). ``get`` accepts ``None``
(→ ``linear``), a name, a ``{"class_name": name}`` dict or any callable.
``"swish"`` resolves to ``silu`` and ``"hard_swish"`` to ``hard_silu`` (same
functions, as Keras 3); ``serialize`` gives the function's name.

Example:
    >>> import slimlayers as sl
    >>> sl.activations.get("swish") is sl.activations.silu
    True
    >>> sl.activations.serialize(sl.activations.relu)
    'relu'
"""
from __future__ import annotations

from ..nn.activations import (elu, exponential, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu,  # noqa: F401
                              linear, mish, relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, swish,
                              tanh)  # every name in ALL, re-exported (swish / hard_swish are aliases)
from ..registry import Registry

REGISTRY = Registry("activation", default=linear)
for _fn in (relu, relu6, leaky_relu, elu, selu, gelu, sigmoid, hard_sigmoid, tanh, softplus, softsign,
            mish, softmax, exponential, linear):
    REGISTRY.register()(_fn)
REGISTRY.register("swish")(silu)
REGISTRY.register("hard_swish")(hard_silu)

ALL = ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "hard_silu",
       "hard_swish", "tanh", "softplus", "softsign", "silu", "swish", "mish", "softmax", "exponential", "linear")

get = REGISTRY.get
serialize = REGISTRY.serialize
deserialize = REGISTRY.deserialize

__all__ = [*ALL, "ALL", "deserialize", "get", "serialize"]
