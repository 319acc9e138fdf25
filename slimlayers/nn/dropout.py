"""``dropout`` with tf.nn semantics: zero each element with probability ``rate``, scale the rest.

Example:
    >>> y = sl.nn.dropout(np.ones((2, 4), "float32"), 0.5, seed=0)
    >>> sorted(set(np.asarray(y).ravel().tolist())) in ([0.0, 2.0], [2.0], [0.0])
    True
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import random
from ..autodiff import ops
from ..autodiff.tensor import convert
from ..validation import arg_error

__all__ = ["dropout"]


def check_rate(rate):
    """``rate`` as a float in ``[0, 1)``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise arg_error("rate", "must be a float in [0, 1)", rate)
    return float(rate)


def noise_shape_for(shape, noise_shape):
    """The mask shape: ``noise_shape`` with ``None`` entries taken from ``shape`` (Keras rule)."""
    if noise_shape is None:
        return tuple(shape)
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != len(shape):
        raise arg_error("noise_shape", f"must have one entry per input axis ({len(shape)})", noise_shape)
    out = tuple(int(n) if d is None else int(d) for d, n in zip(noise_shape, shape))
    for d, n in zip(out, shape):
        if d not in (1, n):
            raise arg_error("noise_shape", f"must broadcast to the input shape {tuple(shape)}", noise_shape)
    return out


def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Inverted dropout: keep each element with probability ``1 - rate`` and divide it by ``1 - rate``.

    Args:
        rate: the probability of dropping an element, in ``[0, 1)``.
        noise_shape: mask shape broadcast over ``x`` (e.g. ``(N, 1, 1, C)`` drops whole channels).
        seed: int, ``np.random.Generator`` or None (the ``"dropout"`` stream of ``sl.set_seed``).
    """
    x = convert(x)
    rate = check_rate(rate)
    if rate == 0:
        return x
    rng = random.resolve(seed, key="dropout")
    keep = rng.random(noise_shape_for(x.shape, noise_shape)) >= rate
    mask = np.where(keep, 1.0 / (1.0 - rate), 0.0).astype(x.dtype)
    return ops.multiply(x, mask)
