"""Layer and model configs as ``{"class_name", "config"}`` dicts, and back.

Class names resolve only to slimlayers' own layers and models (or classes the
caller passes in ``custom_objects``): a config can never make the loader
import or run anything else.

Example:
    >>> cfg = serialize_layer(sl.layers.Dense(3, name="d"))
    >>> cfg["class_name"], cfg["config"]["units"]
    ('Dense', 3)
    >>> deserialize_layer(cfg).units
    3
"""
from __future__ import annotations

from .. import layers
from ..layers.base import Layer
from .classes import is_model, model_class


def serialize_layer(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def _layer_class(class_name, custom_objects):
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    model_cls = model_class(class_name)  # Model, Functional, Sequential (registered where they are defined)
    if model_cls is not None:
        return model_cls
    cls = getattr(layers, class_name, None) if class_name in getattr(layers, "__all__", ()) else None
    if isinstance(cls, type) and issubclass(cls, Layer):
        return cls
    raise ValueError(f"Unknown layer class {class_name!r} in a model config: not a slimlayers layer. "
                     f"Pass custom_objects={{{class_name!r}: YourLayer}} for your own layers.")


def deserialize_layer(config, custom_objects=None):
    """A layer (or model) from ``{"class_name": ..., "config": {...}}``."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"Invalid layer config: expected a dict with 'class_name' and 'config'. "
                         f"Received: {config!r}")
    cls = _layer_class(config["class_name"], custom_objects)
    inner = dict(config["config"])
    if hasattr(cls, "_from_config_with"):  # models pass custom_objects down to their layers
        return cls._from_config_with(inner, custom_objects)
    return cls.from_config(inner)


def serialize_model(model):
    return serialize_layer(model)


def deserialize_model(config, custom_objects=None):
    model = deserialize_layer(config, custom_objects)
    if not is_model(model):
        raise ValueError(f"The config describes a {type(model).__name__}, not a model.")
    return model
