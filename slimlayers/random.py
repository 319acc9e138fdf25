"""Seeding: one call to ``set_seed`` makes every random draw in the library reproducible.

Streams are derived, not shared: each consumer (a layer's weights, a dropout
layer, a shuffling iterator) asks for a generator keyed by a stable string such
as its layer path, so adding a layer does not change the numbers of the others.

Example:
    >>> import slimlayers as sl
    >>> sl.set_seed(0)
    >>> a = sl.random.generator("dense/kernel").random()
    >>> sl.set_seed(0)
    >>> a == sl.random.generator("dense/kernel").random()
    True
"""
from __future__ import annotations

import hashlib
import threading

import numpy as np

_lock = threading.Lock()
_state = {"seed": None, "entropy": int(np.random.SeedSequence().entropy), "counters": {}}


def set_seed(seed):
    """Seed every stream of the library (initial weights, dropout, shuffling, datasets)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Invalid argument `seed`: must be a non-negative integer. Received: seed={seed!r}")
    from .naming import reset_names

    with _lock:
        _state["seed"] = int(seed)
        _state["counters"] = {}
    reset_names()  # same script, same layer names, same per-layer streams


def get_seed():
    """The seed given to ``set_seed``, or ``None``."""
    return _state["seed"]


def _key_words(key):
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return [int.from_bytes(digest[i:i + 4], "little") for i in range(0, 16, 4)]


def generator(key):
    """A ``np.random.Generator`` for the stream named ``key``.

    Asking twice for the same key gives successive, different streams
    (``key``, ``key#1``, …) so two unnamed objects never share numbers, yet the
    sequence is the same in every run with the same seed.
    """
    with _lock:
        n = _state["counters"].get(key, 0)
        _state["counters"][key] = n + 1
        root = _state["seed"] if _state["seed"] is not None else _state["entropy"]
    full = key if n == 0 else f"{key}#{n}"
    return np.random.default_rng(np.random.SeedSequence([root, *_key_words(full)]))


def resolve(seed, key):
    """A generator from ``seed`` (int, Generator or None); ``None`` uses the keyed global stream."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return generator(key)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Invalid argument `seed`: must be a non-negative int, a numpy Generator or None. "
                         f"Received: seed={seed!r}")
    return np.random.default_rng(int(seed))
