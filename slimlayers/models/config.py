"""Layer and model configs as ``{"class_name", "config"}`` dicts, and back.

Class names resolve only to slimlayers' own layers (the ``sl.layers.catalog``
registry, where face packages such as ``sl.mindspore`` add theirs) and models, or
to classes the caller passes in ``custom_objects``: a config can never make the
loader import or run anything else (a ``"<package>>Name"`` class name imports at
most that slimlayers subpackage).

Example:
    >>> cfg = serialize_layer(sl.layers.Dense(3, name="d"))
    >>> cfg["class_name"], cfg["config"]["units"]
    ('Dense', 3)
    >>> deserialize_layer(cfg).units
    3
"""
from __future__ import annotations

import importlib

from ..layers.catalog import LAYER_CLASSES, layer_class_name
from .classes import is_model, model_class

# Face packages whose layers a saved config may name as "<face>>Class": imported on demand, since a face
# registers its layer classes in the catalog when it is first imported.
_FACES = ("mindspore",)


def serialize_layer(layer):
    return {"class_name": layer_class_name(type(layer)), "config": layer.get_config()}


def _layer_class(class_name, custom_objects):
    if custom_objects and class_name in custom_objects:
        return custom_objects[class_name]
    model_cls = model_class(class_name)  # Model, Functional, Sequential (registered where they are defined)
    if model_cls is not None:
        return model_cls
    package = class_name.partition(">")[0] if isinstance(class_name, str) and ">" in class_name else None
    if package in _FACES:  # a face ("mindspore>Conv2d") registers its layers when first imported
        importlib.import_module(f"slimlayers.{package}")
    try:
        return LAYER_CLASSES.lookup(class_name)
    except ValueError:
        raise ValueError(f"Unknown layer class {class_name!r} in a model config: not a slimlayers layer. "
                         f"Pass custom_objects={{{class_name!r}: YourLayer}} for your own layers.") from None


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
