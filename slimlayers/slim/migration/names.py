"""Unique names for the migrated module: Keras layer names and Python variable names.

Example:
    >>> names = UniqueNames(layer_name)
    >>> names.take("conv1/conv1_1"), names.take("conv1/conv1_1")
    ('conv1_conv1_1', 'conv1_conv1_1_1')
"""
from __future__ import annotations

import keyword
import re

__all__ = ["UniqueNames", "layer_name", "python_identifier"]


def layer_name(name):
    """A Slim scope as a Keras layer name: ``/``, ``:`` and spaces become ``_``."""
    return re.sub(r"[/:\s]+", "_", str(name)).strip("_") or "layer"


def python_identifier(name, prefix="m"):
    """``name`` as a Python identifier that is no keyword (``prefix_`` in front where needed)."""
    ident = re.sub(r"\W", "_", str(name))
    if not ident.isidentifier() or keyword.iskeyword(ident):
        ident = f"{prefix}_{ident}"
    return ident


class UniqueNames:
    """Hands out ``sanitize(name)``, then ``…_1``, ``…_2`` for repeats, never a ``reserved`` name."""

    def __init__(self, sanitize, reserved=()):
        self.sanitize = sanitize
        self.used = set(reserved)

    def take(self, name):
        base = self.sanitize(name)
        candidate, n = base, 0
        while candidate in self.used:
            n += 1
            candidate = f"{base}_{n}"
        self.used.add(candidate)
        return candidate
