"""Unique default names (``conv2d``, ``conv2d_1``, …) for layers and scopes.

Process-wide counters, reset by ``sl.set_seed`` (as Keras' ``clear_session``),
so that a script that seeds and then builds a model gets the same names, and
hence the same per-layer random streams, every time.
"""
from __future__ import annotations

import threading

_lock = threading.Lock()
_counts: dict[str, int] = {}


def unique_name(base):
    """``base`` the first time, then ``base_1``, ``base_2``, …"""
    with _lock:
        n = _counts.get(base, 0)
        _counts[base] = n + 1
    return base if n == 0 else f"{base}_{n}"


def reset_names():
    with _lock:
        _counts.clear()
