"""``weight_init`` / ``bias_init`` with MindSpore's names, meanings and defaults, as ``sl.initializers`` objects.

MindSpore looks a name up case-insensitively (``init.lower()``) in its own table, and
several names mean something else there than in Keras — ``"normal"`` is N(0, 0.01²)
(Keras: σ 0.05), ``"TruncatedNormal"`` is σ 0.01 (Keras: σ 0.05 cut at 2σ),
``"HeNormal"`` is untruncated — so the face resolves strings in ``NAMES`` below, not
with ``sl.initializers.get``. Every entry is an ``sl.initializers`` class with
MindSpore's arguments: no sampler is written twice.

Fans follow MindSpore's rule for its layouts ``(out, in/group, kh, kw)`` and
``(in, out/group, kh, kw)``: fan_in from axis 1, fan_out from axis 0, both times
``kh*kw`` (``FAN_AXES``, handed to ``add_weight``).

Example:
    >>> resolve("XavierUniform", "weight_init")
    GlorotUniform(seed=None)
    >>> resolve(0.5, "weight_init")
    Constant(value=0.5)
"""
from __future__ import annotations

import functools
import math
import numbers

import numpy as np

from ..autodiff.tensor import Tensor
from ..initializers import (Constant, GlorotUniform, HeUniform, Initializer, Ones, RandomNormal, RandomUniform,
                            VarianceScaling, Zeros, compute_fans, deserialize)
from ..registry import Registry
from ..validation import arg_error, check_number

__all__ = ["FAN_AXES", "NAMES", "resolve", "default_weight_init", "default_bias_init"]

FAN_AXES = ((1,), (0,))  # (in_axes, out_axes) of both MindSpore weight layouts

NAMES = Registry("MindSpore initializer name")
for _names, _factory in (
        (("zero", "zeros"), Zeros),
        (("one", "ones"), Ones),
        (("normal",), functools.partial(RandomNormal, mean=0.0, stddev=0.01)),
        # σ 0.01 truncated to the absolute range [-2, 2]: 200σ away, a bound no draw ever reaches
        (("truncatednormal",), functools.partial(RandomNormal, mean=0.0, stddev=0.01)),
        (("uniform",), functools.partial(RandomUniform, minval=-0.07, maxval=0.07)),
        (("heuniform", "he_uniform"), HeUniform),
        (("henormal", "he_normal"), functools.partial(VarianceScaling, 2.0, "fan_in", "untruncated_normal")),
        (("xavieruniform", "xavier_uniform"), GlorotUniform),
        (("xaviernormal", "xavier_normal"), functools.partial(VarianceScaling, 1.0, "fan_avg", "untruncated_normal")),
        # MindSpore 2.10 compares its default distribution with 'truncated_norm', which never matches,
        # so 'VarianceScaling' by name draws U(±sqrt(3/fan_in))
        (("variancescaling",), functools.partial(VarianceScaling, 1.0, "fan_in", "uniform")),
):
    for _name in _names:
        NAMES.alias(_name, _factory)


def resolve(init, argument):
    """``weight_init`` / ``bias_init`` as an initializer; ``None`` stays ``None`` (the layer's default).

    Accepts a MindSpore name (any letter case), a number, an array of the parameter's shape,
    an ``sl.initializers`` object, or the config dict ``get_config`` wrote for one.
    """
    if init is None or isinstance(init, Initializer):
        return init
    if isinstance(init, str):
        try:
            return NAMES.get(init.lower())
        except ValueError:
            raise arg_error(argument, f"must be a MindSpore initializer name ({', '.join(NAMES.names())}; any "
                                      "letter case) or an sl.initializers object", init) from None
    if isinstance(init, dict):
        return deserialize(init)
    if isinstance(init, numbers.Number):
        return Constant(check_number(argument, init))
    if isinstance(init, (np.ndarray, list, tuple, Tensor)):
        return Constant(np.asarray(init))  # its shape is checked against the parameter's when drawn
    raise arg_error(argument, "must be None, a MindSpore initializer name, a number, an array or an "
                              "sl.initializers object", init, TypeError)


def default_weight_init():
    """MindSpore's ``HeUniform(negative_slope=sqrt(5))``: gain² = 2/(1+5), so U(±1/sqrt(fan_in))."""
    return VarianceScaling(1.0 / 3.0, "fan_in", "uniform")


def default_bias_init(weight_shape):
    """MindSpore's default bias: U(±1/sqrt(fan_in)) with the fan_in of the layer's weight."""
    fan_in, _ = compute_fans(weight_shape, *FAN_AXES)
    bound = 1.0 / math.sqrt(fan_in)
    return RandomUniform(-bound, bound)
