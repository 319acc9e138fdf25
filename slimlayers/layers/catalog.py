"""The layer classes a model config may name: one table, filled by every package that defines layers.

``sl.models.load_model`` resolves a config's ``class_name`` here (or in the caller's
``custom_objects``) and nowhere else, so a file can only ever name a registered slimlayers
layer. ``sl.layers`` registers its classes under their own names; a face package registers
its classes as ``"<package>>ClassName"`` (Keras' ``package>Name`` convention), so
``sl.mindspore.Conv2d`` never collides with another face's ``Conv2d``.

Example:
    >>> layer_class_name(sl.layers.Dense), LAYER_CLASSES.lookup("Dense") is sl.layers.Dense
    ('Dense', True)
"""
from __future__ import annotations

from ..registry import Registry
from .base import Layer

__all__ = ["LAYER_CLASSES", "register_layer", "layer_class_name"]

LAYER_CLASSES = Registry("layer class", base=Layer)


def register_layer(cls=None, package=None):
    """Make a ``Layer`` subclass loadable from a model config; use bare or as ``@register_layer(package=...)``."""
    def decorator(cls):
        if not (isinstance(cls, type) and issubclass(cls, Layer)):
            raise TypeError(f"register_layer expects a Layer subclass; received {cls!r}.")
        LAYER_CLASSES.register(names=[f"{package}>{cls.__name__}" if package else cls.__name__])(cls)
        return cls

    return decorator if cls is None else decorator(cls)


def layer_class_name(cls):
    """The ``class_name`` a config writes for ``cls``: its registered name, else its own (custom layers)."""
    return LAYER_CLASSES.name_of(cls) or cls.__name__
