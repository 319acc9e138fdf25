"""Which weights a layer of a model owns, in Keras 3 order, and their short names.

Example:
    >>> layer = sl.layers.BatchNormalization(); layer.build((None, 3))
    >>> [short_name(layer, w) for w in layer_weights(layer)]
    ['gamma', 'beta', 'moving_mean', 'moving_variance']
"""
from __future__ import annotations

from .classes import is_model


def layer_weights(layer):
    """One layer's weights: trainable (as created) first, then non-trainable, each in creation order.

    A nested model lists its own layers' weights in its layer order (``model.weights``).
    """
    if is_model(layer):
        return layer.weights
    trainable, frozen, seen = [], [], set()
    for sub in layer._flatten_layers():
        for w in sub._weights:
            if id(w) in seen:
                continue
            seen.add(id(w))
            (frozen if id(w) in sub._frozen_ids else trainable).append(w)
    return trainable + frozen


def short_name(layer, var):
    """``var``'s name without the ``layer.name/`` prefix (``dense/kernel`` → ``kernel``)."""
    return (var.name or "weight").removeprefix(f"{layer.name}/")
