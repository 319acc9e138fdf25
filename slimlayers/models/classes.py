"""The model classes by name: ``Model``, ``Functional`` and ``Sequential`` register here when defined.

Modules below them find them here instead of importing the modules that
define them (which import those modules back): ``config.py`` resolves class
names of saved models, ``Model(inputs, outputs)`` finds ``Functional``, the
summary and the weight order recognise nested models.

Example:
    >>> model_class("Sequential") is sl.models.Sequential
    True
    >>> is_model(sl.layers.Dense(2))
    False
"""
from __future__ import annotations

_CLASSES = {}


def register_model_class(cls):
    """Class decorator: make ``cls`` findable by its name (``model_class("Functional")``)."""
    _CLASSES[cls.__name__] = cls
    return cls


def model_class(name):
    """The registered model class called ``name``, or ``None``."""
    return _CLASSES.get(name)


def is_model(obj):
    """Whether ``obj`` is a ``Model`` (a Layer made of layers)."""
    return isinstance(obj, _CLASSES["Model"])
