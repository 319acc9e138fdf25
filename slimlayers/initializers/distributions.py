"""Fixed-parameter random initializers: ``RandomNormal``, ``RandomUniform``, ``TruncatedNormal``.

Example:
    >>> w = RandomUniform(-1.0, 1.0, seed=0)((1000,))
    >>> bool((w >= -1).all() and (w < 1).all())
    True
"""
from __future__ import annotations

import numpy as np

from ..validation import arg_error, check_number
from .base import Initializer


def truncated_normal(rng, shape, mean, stddev):
    """N(mean, stddev²) with every value outside ``mean ± 2·stddev`` re-drawn (as TF).

    ``stddev`` is the pre-truncation σ: the result's std is ≈ 0.8796·stddev.
    """
    out = rng.standard_normal(shape)
    bad = np.abs(out) > 2.0
    while bad.any():  # each pass keeps ~95% of the redraws
        out[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return mean + stddev * out


class RandomNormal(Initializer):
    """N(mean, stddev²).

    Args:
        mean: 0.0.  stddev: 0.05 (Keras 3 default).  seed: see ``Initializer``.

    Example:
        >>> RandomNormal(stddev=1.0, seed=0)((2,)).dtype
        dtype('float32')
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = check_number("mean", mean)
        self.stddev = check_number("stddev", stddev, minimum=0.0)
        super().__init__(seed)

    def sample(self, shape, rng):
        return rng.normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """U[minval, maxval).

    Args:
        minval: -0.05.  maxval: 0.05 (Keras 3 defaults).  seed: see ``Initializer``.

    Example:
        >>> float(abs(RandomUniform(seed=0)((100,))).max()) < 0.05
        True
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = check_number("minval", minval)
        self.maxval = check_number("maxval", maxval)
        if self.maxval < self.minval:
            raise arg_error("maxval", f"must be >= minval ({self.minval:g})", maxval)
        super().__init__(seed)

    def sample(self, shape, rng):
        return rng.uniform(self.minval, self.maxval, shape)


class TruncatedNormal(Initializer):
    """N(mean, stddev²) re-drawn outside ``mean ± 2·stddev`` (std of the result ≈ 0.88·stddev).

    Args:
        mean: 0.0.  stddev: 0.05 (Keras 3 defaults; MindSpore's ``TruncatedNormal`` uses σ=0.01).

    Example:
        >>> float(abs(TruncatedNormal(seed=0)((1000,))).max()) <= 0.1
        True
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = check_number("mean", mean)
        self.stddev = check_number("stddev", stddev, minimum=0.0)
        super().__init__(seed)

    def sample(self, shape, rng):
        return truncated_normal(rng, shape, self.mean, self.stddev)
