"""``VarianceScaling`` and its named presets (Glorot, He, Lecun), Keras 3 formulas.

``n`` is fan_in, fan_out or their mean (clamped to ≥ 1). Then:

* ``truncated_normal``: σ = sqrt(scale/n) / 0.87962566103423978, truncated at ±2σ,
  so the *result* has std sqrt(scale/n);
* ``untruncated_normal``: σ = sqrt(scale/n);
* ``uniform``: U(±sqrt(3·scale/n)).

Example:
    >>> w = HeUniform(seed=0)((3, 3, 64, 32))      # fan_in = 576
    >>> bool(abs(w).max() <= (6 / 576) ** 0.5)
    True
"""
from __future__ import annotations

import copy
import math

from ..validation import arg_error, check_number
from .base import Initializer, compute_fans
from .distributions import truncated_normal

# std of a standard normal truncated to [-2, 2]; dividing by it restores the wanted std
TRUNCATED_STD = 0.87962566103423978
MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(Initializer):
    """Random values scaled to the weight's fans.

    Args:
        scale: positive float (1.0).
        mode: ``"fan_in"`` (default), ``"fan_out"`` or ``"fan_avg"`` — lower case, as Keras.
        distribution: ``"truncated_normal"`` (default), ``"untruncated_normal"`` or
            ``"uniform"``; case-insensitive; ``"normal"`` means ``"truncated_normal"`` (Keras).
        seed: see ``Initializer``.
        input_axes, output_axes: override the fan axes (both or neither), see ``compute_fans``.

    Example:
        >>> VarianceScaling(2.0, "fan_out", "uniform", seed=1)((4, 8)).shape
        (4, 8)
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        self.scale = check_number("scale", scale, minimum=0.0, strict=True)
        if mode not in MODES:
            raise arg_error("mode", f"must be one of {', '.join(map(repr, MODES))}", mode)
        self.mode = mode
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in DISTRIBUTIONS:
            raise arg_error("distribution", f"must be one of {', '.join(map(repr, DISTRIBUTIONS))} "
                            "(or 'normal')", distribution)
        self.distribution = dist
        if (input_axes is None) != (output_axes is None):
            raise arg_error("input_axes/output_axes", "must be given together", (input_axes, output_axes))
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed)

    def with_fan_axes(self, in_axes, out_axes):
        if self.input_axes is not None:  # axes given by the user win over the layer's
            return self
        declared = copy.copy(self)  # same seed, so an unseeded instance still repeats itself
        declared.input_axes, declared.output_axes = in_axes, out_axes
        return declared

    def sample(self, shape, rng):
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, n)
        if self.distribution == "truncated_normal":
            return truncated_normal(rng, shape, 0.0, math.sqrt(variance) / TRUNCATED_STD)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, math.sqrt(variance), shape)
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape)


class _Preset(VarianceScaling):
    """A ``VarianceScaling`` whose only argument is ``seed`` (its config is ``{"seed": ...}``)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"

    def __init__(self, seed=None):
        super().__init__(self.SCALE, self.MODE, self.DISTRIBUTION, seed)


class GlorotUniform(_Preset):
    """U(±sqrt(6 / (fan_in + fan_out))) — Keras' default kernel initializer (MindSpore ``XavierUniform``)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_Preset):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out))."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_Preset):
    """U(±sqrt(6 / fan_in))."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_Preset):
    """Truncated normal with std sqrt(2 / fan_in) (MindSpore's ``HeNormal`` is untruncated)."""

    SCALE, MODE, DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_Preset):
    """U(±sqrt(3 / fan_in))."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_Preset):
    """Truncated normal with std sqrt(1 / fan_in)."""

    SCALE, MODE, DISTRIBUTION = 1.0, "fan_in", "truncated_normal"
