"""TF-Slim initializers: ``xavier_initializer`` and ``variance_scaling_initializer``.

Both return ``sl.initializers`` objects (serialisable, seedable):

* ``xavier_initializer(uniform=True)`` = ``GlorotUniform`` — U(±sqrt(6/(fan_in+fan_out)));
  ``uniform=False``: truncated normal with σ = sqrt(1.3/fan_avg).
* ``variance_scaling_initializer(factor=2.0, mode='FAN_IN', uniform=False)``:
  uniform U(±sqrt(3·factor/n)), else a normal truncated at ±2σ with
  **σ = sqrt(1.3·factor/n)** — Slim's own correction factor 1.3, not Keras'
  1/0.8796² = 1.2924. It is expressed as a Keras ``VarianceScaling`` whose
  scale absorbs the difference (``scale = 1.3·factor·0.8796²``), so the draws
  follow Slim's distribution exactly.

Modes are upper case as in TF-Slim (``'FAN_IN'``, ``'FAN_OUT'``, ``'FAN_AVG'``;
anything else is a ``TypeError``, as Slim), and a non-float ``dtype`` is a
``TypeError``.

Example:
    >>> variance_scaling_initializer(2.0, "FAN_IN", uniform=True)
    VarianceScaling(scale=2.0, mode='fan_in', distribution='uniform', seed=None, input_axes=None, output_axes=None)
"""
from __future__ import annotations

import numpy as np

from .. import initializers
from ..initializers.variance_scaling import TRUNCATED_STD
from ..validation import arg_error

__all__ = ["xavier_initializer", "xavier_initializer_conv2d", "variance_scaling_initializer"]

SLIM_TRUNCATION_FACTOR = 1.3  # TF-Slim: stddev = sqrt(1.3 * factor / n) before truncation at 2 stddev
_MODES = {"FAN_IN": "fan_in", "FAN_OUT": "fan_out", "FAN_AVG": "fan_avg"}


def _check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise arg_error("dtype", "must be a floating point dtype", dtype, TypeError) from None
    if dt.kind != "f":
        raise arg_error("dtype", "cannot create an initializer for a non-floating point type", dtype, TypeError)


def variance_scaling_initializer(factor=2.0, mode="FAN_IN", uniform=False, seed=None, dtype=np.float32):
    """TF-Slim's variance scaling (defaults: He-style, truncated normal with the 1.3 correction).

    Args:
        factor: multiplicative factor (> 0).
        mode: ``'FAN_IN'``, ``'FAN_OUT'`` or ``'FAN_AVG'`` (upper case).
        uniform: uniform U(±sqrt(3·factor/n)) instead of the truncated normal.
        seed: int, ``np.random.Generator`` or ``None``.
        dtype: a float dtype (checked, as Slim; the layer decides the weight dtype).
    """
    if mode not in _MODES:
        raise arg_error("mode", "unknown mode; must be one of 'FAN_IN', 'FAN_AVG', 'FAN_OUT' (upper case, "
                        "TF-Slim)", mode, TypeError)
    _check_dtype(dtype)
    if uniform:
        return initializers.VarianceScaling(factor, _MODES[mode], "uniform", seed=seed)
    scale = SLIM_TRUNCATION_FACTOR * factor * TRUNCATED_STD ** 2
    return initializers.VarianceScaling(scale, _MODES[mode], "truncated_normal", seed=seed)


def xavier_initializer(uniform=True, seed=None, dtype=np.float32):
    """Glorot / Xavier: ``variance_scaling_initializer(1.0, 'FAN_AVG', uniform)``; uniform is ``GlorotUniform``."""
    _check_dtype(dtype)
    if uniform:
        return initializers.GlorotUniform(seed=seed)
    return variance_scaling_initializer(1.0, "FAN_AVG", uniform=False, seed=seed, dtype=dtype)


xavier_initializer_conv2d = xavier_initializer
