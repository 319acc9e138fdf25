"""One registry pattern for every name lookup: initializers, regularizers, activations, losses, optimizers.

A ``Registry`` maps names to objects. Each object is registered under its
class (or function) name, its snake_case name and any aliases; an alias may
also be a factory with preset arguments (``"Normal"`` → ``RandomNormal(stddev=0.01)``).
``get`` resolves every identifier users pass to layers; ``serialize`` and
``deserialize`` make configs JSON-safe and back.

Example:
    >>> from slimlayers.registry import Registry
    >>> shapes = Registry("shape")
    >>> @shapes.register()
    ... class UnitSquare:
    ...     def __init__(self, side=1.0):
    ...         self.side = side
    ...     def get_config(self):
    ...         return {"side": self.side}
    >>> shapes.get("unit_square").side
    1.0
    >>> shapes.serialize(shapes.get({"class_name": "UnitSquare", "config": {"side": 2.0}}))
    {'class_name': 'UnitSquare', 'config': {'side': 2.0}}
"""
from __future__ import annotations

import difflib
import functools
import inspect
import re

from .validation import arg_error


def snake_case(name):
    """``"GlorotUniform"`` → ``"glorot_uniform"`` (Keras' rule, plus a break after digits: ``"L1L2"`` → ``"l1_l2"``)."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


class Registry:
    """Name → object table with Keras-style ``get / serialize / deserialize``.

    Args:
        kind: what the registry holds (``"initializer"``), used in error messages.
        base: the base class of configured objects (instances pass through ``get``).
        default: what ``get(None)`` returns (e.g. ``linear`` for activations).
        from_array: what ``get(array)`` returns for a numpy array or Tensor, if arrays are accepted.
    """

    def __init__(self, kind, base=None, default=None, from_array=None):
        self.kind = kind
        self.base = base
        self.default = default
        self.from_array = from_array
        self._table = {}
        self._canonical = {}  # id(object) -> the name serialize() writes

    # -- registration ---------------------------------------------------
    def register(self, *aliases, names=None):
        """Decorator: register under ``__name__``, its snake_case and ``aliases``.

        ``names`` replaces the automatic pair (e.g. Keras 3 spells ``L1L2`` as
        ``"l1l2"`` and rejects ``"l1_l2"``).
        """
        def decorator(obj):
            own = list(names) if names is not None else _dedupe([obj.__name__, snake_case(obj.__name__)])
            for name in (*own, *aliases):
                self._add(name, obj)
            self._canonical.setdefault(id(obj), own[-1] if inspect.isclass(obj) else obj.__name__)
            return obj

        return decorator

    def alias(self, name, factory):
        """Register ``name`` → ``factory`` (a class, function or ``functools.partial`` of a class)."""
        self._add(name, factory)

    def _add(self, name, obj):
        if name in self._table and self._table[name] is not obj:
            raise ValueError(f"{self.kind} name {name!r} is already registered to {self._table[name]!r}.")
        self._table[name] = obj

    def names(self):
        """Every registered name, sorted."""
        return sorted(self._table)

    def name_of(self, obj):
        """The name ``serialize`` writes for a registered class or function; ``None`` if unregistered."""
        return self._canonical.get(id(obj))

    # -- lookup ---------------------------------------------------------
    def lookup(self, name):
        """The object registered as ``name``; unknown names raise ValueError with close matches."""
        try:
            return self._table[name]
        except (KeyError, TypeError):
            pass
        close = difflib.get_close_matches(str(name), self._table, n=3, cutoff=0.5)
        hint = (f" Did you mean {' or '.join(repr(c) for c in close)}?" if close
                else f" Known names: {', '.join(sorted(self._table))}.")
        raise ValueError(f"Unknown {self.kind}: {name!r}.{hint}")

    def get(self, identifier):
        """Resolve ``None``, a name, a ``{"class_name", "config"}`` dict, an instance or a callable.

        A name of a class gives a fresh instance with default arguments; a
        name of a function gives the function. A registry built with
        ``from_array`` also resolves numpy arrays (initializers: Keras 3 accepts
        an array as an initializer that returns it).
        """
        if identifier is None:
            return self.default
        if isinstance(identifier, str):
            return _instantiate(self.lookup(identifier), {}, self.kind)
        if isinstance(identifier, dict):
            return self.deserialize(identifier)
        if self.from_array is not None and _is_array(identifier):
            return self.from_array(identifier)
        if self.base is not None and isinstance(identifier, self.base):
            return identifier
        if self.base is not None and inspect.isclass(identifier) and issubclass(identifier, self.base):
            return identifier()  # Keras: a class gives a new instance with its default arguments
        if callable(identifier):
            return identifier
        raise TypeError(f"Could not interpret {self.kind} identifier: {identifier!r} "
                        f"(expected None, a name, a config dict, a {self.kind} object or a callable).")

    # -- config ---------------------------------------------------------
    def serialize(self, obj):
        """JSON-safe form: a name for functions and argument-free objects, else ``{"class_name", "config"}``."""
        if obj is None:
            return None
        name = self._canonical.get(id(obj))
        if name is not None:  # a registered function (or class object)
            return name
        cls_name = self._canonical.get(id(type(obj)))
        if cls_name is None:
            raise ValueError(f"Cannot serialize {obj!r}: it is not a registered {self.kind}. "
                             f"Register it with `register()` first.")
        config = obj.get_config() if hasattr(obj, "get_config") else {}
        if not config:
            return cls_name
        return {"class_name": type(obj).__name__, "config": config}

    def deserialize(self, config):
        """Inverse of ``serialize``: a name or ``{"class_name": ..., "config": {...}}``."""
        if config is None or isinstance(config, str):
            return self.get(config)
        if not isinstance(config, dict) or "class_name" not in config:
            raise ValueError(f"Invalid {self.kind} config: expected a name or a dict with keys "
                             f"'class_name' and 'config'. Received: {config!r}")
        target = self.lookup(config["class_name"])
        inner = config.get("config") or {}
        if not isinstance(inner, dict):
            raise arg_error("config", f"the 'config' of {self.kind} {config['class_name']!r} must be a dict of "
                            "constructor arguments", inner)
        _check_arguments(self.kind, config["class_name"], target, inner)
        return _instantiate(target, dict(inner), self.kind)


def _check_arguments(kind, class_name, target, config):
    """Unknown constructor arguments in a config are a TypeError naming the config, not Python's own."""
    if not (inspect.isclass(target) or isinstance(target, functools.partial)):
        return
    params = inspect.signature(target).parameters.values()
    if any(p.kind == p.VAR_KEYWORD for p in params):
        return
    accepted = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    unknown = sorted(set(config) - set(accepted))
    if unknown:
        what = f"argument {unknown[0]!r}" if len(unknown) == 1 else f"arguments {', '.join(map(repr, unknown))}"
        raise arg_error("config", f"{kind} {class_name!r} has no {what} (its arguments: "
                        f"{', '.join(accepted) or 'none'})", config, TypeError)


def _instantiate(target, config, kind):
    if inspect.isclass(target) or isinstance(target, functools.partial):
        return target(**config)
    if config:
        raise ValueError(f"{kind} {target.__name__!r} takes no config; received {config!r}.")
    return target


def _is_array(value):
    import numpy as np

    return isinstance(value, (np.ndarray, np.generic)) or (hasattr(value, "shape") and hasattr(value, "dtype")
                                                           and hasattr(value, "numpy"))


def _dedupe(names):
    return list(dict.fromkeys(names))


class Configurable:
    """``get_config`` = the constructor arguments, ``from_config`` = the constructor, ``repr`` shows them."""

    def get_config(self):
        return constructor_config(self)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def constructor_config(obj, skip=()):
    """``{argument: value}`` for every ``__init__`` argument of ``obj``, read from the attribute of the same name.

    Values become JSON-safe (numpy arrays → lists, numpy scalars → Python
    numbers). Objects that cannot be written as JSON (a ``np.random.Generator``
    seed) become ``None``.
    """
    config = {}
    for name, param in inspect.signature(type(obj).__init__).parameters.items():
        if name == "self" or name in skip or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        config[name] = _json_value(getattr(obj, name))
    return config


def _json_value(value):
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str, dict)):
        return value
    if isinstance(value, np.random.Generator):
        return None  # a live stream has no JSON form; the deserialized copy is unseeded
    raise TypeError(f"Cannot write {value!r} into a JSON config.")
