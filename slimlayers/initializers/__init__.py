"""Weight initializers (Keras 3 names, defaults and formulas; MindSpore names resolve too).

``get`` accepts ``None``, a name, a ``{"class_name", "config"}`` dict, an
``Initializer``, any callable ``f(shape, dtype)``, or an array (Keras 3: an
initializer that returns that array — ``Constant(array)``, so the variable must
have the array's shape; a 0-d array fills like a scalar). Names: the class
name, its snake_case (``"glorot_uniform"``) and these aliases:

* Keras: ``"normal"``, ``"uniform"`` (Keras defaults, σ/limit 0.05), ``"one"``, ``"zero"``, and
  Keras 3's compatibility names ``"OrthogonalInitializer"``, ``"IdentityInitializer"``.
* MindSpore-only spellings keep MindSpore's meaning: ``"Normal"`` = N(0, 0.01²),
  ``"Uniform"`` = U(±0.07), ``"XavierUniform"``/``"xavier_uniform"`` = Glorot
  uniform, ``"XavierNormal"``/``"xavier_normal"`` = untruncated N(0, 2/(fan_in+fan_out)),
  ``"One"``, ``"Zero"``.
* Spellings that are both Keras and MindSpore names (``"HeUniform"``,
  ``"HeNormal"``, ``"TruncatedNormal"``, ``"he_uniform"``, …) mean the Keras
  class: e.g. ``"TruncatedNormal"`` is σ=0.05 truncated at 2σ (MindSpore: σ=0.01),
  ``"HeNormal"`` is truncated (MindSpore: untruncated).

Fans follow the Keras rule for ``[..., in, out]`` kernels (see ``compute_fans``).

Example:
    >>> import slimlayers as sl
    >>> sl.initializers.get("XavierUniform")
    GlorotUniform(seed=None)
    >>> sl.initializers.get({"class_name": "RandomNormal", "config": {"stddev": 0.1, "seed": 3}})((2,)).shape
    (2,)
"""
from __future__ import annotations

import functools

import numpy as np

from ..registry import Registry
from .base import Initializer, compute_fans, initialize
from .constant import Constant, Identity, Ones, Zeros
from .distributions import RandomNormal, RandomUniform, TruncatedNormal
from .orthogonal import Orthogonal
from .variance_scaling import (GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform,
                               VarianceScaling)

def _from_array(value):
    """Keras 3: an array (or Tensor) is an initializer returning exactly it; the variable must have its shape."""
    return Constant(value.numpy() if hasattr(value, "numpy") else np.asarray(value))


REGISTRY = Registry("initializer", base=Initializer, from_array=_from_array)
for _cls in (Constant, Identity, Ones, Zeros, RandomNormal, RandomUniform, TruncatedNormal, Orthogonal,
             VarianceScaling, GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform):
    REGISTRY.register()(_cls)

# Keras 3 aliases, including its compatibility class names (keras/src/initializers/__init__.py)
REGISTRY.alias("IdentityInitializer", Identity)
REGISTRY.alias("OrthogonalInitializer", Orthogonal)
REGISTRY.alias("orthogonal_initializer", Orthogonal)  # the snake_case Keras 3.0-3.6 resolved
REGISTRY.alias("normal", RandomNormal)
REGISTRY.alias("uniform", RandomUniform)
REGISTRY.alias("one", Ones)
REGISTRY.alias("zero", Zeros)
# MindSpore spellings with MindSpore defaults (mindspore/common/initializer.py)
REGISTRY.alias("Normal", functools.partial(RandomNormal, mean=0.0, stddev=0.01))
REGISTRY.alias("Uniform", functools.partial(RandomUniform, minval=-0.07, maxval=0.07))
REGISTRY.alias("XavierUniform", GlorotUniform)
REGISTRY.alias("xavier_uniform", GlorotUniform)
_xavier_normal = functools.partial(VarianceScaling, scale=1.0, mode="fan_avg", distribution="untruncated_normal")
REGISTRY.alias("XavierNormal", _xavier_normal)
REGISTRY.alias("xavier_normal", _xavier_normal)
REGISTRY.alias("One", Ones)
REGISTRY.alias("Zero", Zeros)

get = REGISTRY.get
serialize = REGISTRY.serialize
deserialize = REGISTRY.deserialize

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "Initializer",
           "LecunNormal", "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
           "VarianceScaling", "Zeros", "compute_fans", "deserialize", "get", "initialize", "serialize"]
