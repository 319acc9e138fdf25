"""slimlayers: small CNNs and autoencoders on numpy + Numba, written Keras-, tf.layers- or Slim-style.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> x = np.ones((1, 4, 4, 1), "float32")
    >>> sl.layers.Conv2DTranspose(1, 3, strides=2, padding="valid")(x).shape
    (1, 9, 9, 1)
"""
from __future__ import annotations

import importlib

from .autodiff import GradientTape, Tensor, Variable, constant
from .random import set_seed

__version__ = "0.1.0"

# Subpackages load on first use: `import slimlayers` stays fast and a script
# that only needs `sl.nn` never pays for models or datasets.
_SUBMODULES = ("activations", "callbacks", "datasets", "initializers", "interop", "kernels", "layers", "losses",
               "metrics", "mindspore", "models", "nn", "optimizers", "random", "regularizers", "scopes", "slim",
               "tf_layers")


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'slimlayers' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))


__all__ = ["GradientTape", "Tensor", "Variable", "constant", "set_seed", *_SUBMODULES]
