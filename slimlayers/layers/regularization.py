"""``Dropout``: inverted dropout, active only when called with ``training=True``.

Example:
    >>> layer = sl.layers.Dropout(0.5, seed=0)
    >>> x = np.ones((1, 1000), "float32")
    >>> bool((layer(x).numpy() == x).all())          # inference: identity
    True
    >>> sorted(set(layer(x, training=True).numpy().ravel().tolist()))
    [0.0, 2.0]
"""
from __future__ import annotations

import numpy as np

from .. import random
from ..nn.dropout import check_rate, dropout, noise_shape_for
from ..validation import arg_error
from ..scopes import add_arg_scope
from .base import Layer

__all__ = ["Dropout"]


@add_arg_scope
class Dropout(Layer):
    """Zero each element with probability ``rate`` during training and scale the rest by ``1/(1-rate)``.

    Args:
        rate: drop probability in ``[0, 1)``.
        noise_shape: mask shape (``None`` entries take the input's size), e.g. ``(None, 1, 1, None)``
            drops whole feature maps.
        seed: int, or ``None`` for the stream ``sl.random.generator(<layer name>)`` (reproducible
            after ``sl.set_seed``). Each training call draws a new mask.
    """

    def __init__(self, rate, noise_shape=None, seed=None, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.rate = check_rate(rate)
        if noise_shape is not None and not isinstance(noise_shape, (list, tuple)):
            raise arg_error("noise_shape", "must be None or a tuple of ints/None", noise_shape, TypeError)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        if seed is not None and not isinstance(seed, (int, np.integer, np.random.Generator)):
            raise arg_error("seed", "must be an int, a numpy Generator or None", seed, TypeError)
        self.seed = seed
        self._rng = None

    def _config_value(self, pname):
        if pname == "seed" and isinstance(self.seed, np.random.Generator):
            return None  # a live stream has no JSON form
        return super()._config_value(pname)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self._rng is None:
            self._rng = random.resolve(self.seed, key=self.name)
        noise_shape_for(inputs.shape, self.noise_shape)  # validate before drawing
        return dropout(inputs, self.rate, self.noise_shape, seed=self._rng)
