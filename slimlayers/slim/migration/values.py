"""The two targets: which arguments each layer class takes, and how a value is written in source.

``KERAS`` writes Keras 3 (``keras.layers``, ``keras.initializers``,
``keras.regularizers``); ``SLIMLAYERS`` writes the same classes from
slimlayers. Values arrive in config form (``get_config()``): tuples as lists,
initializers and regularizers as ``{"class_name", "config"}`` dicts or
names, activations as names.

Example:
    >>> KERAS.expr(Arg("kernel_regularizer", {"class_name": "L2", "config": {"l2": 0.00025}}, halved_l2=True))
    'regularizers.L2(l2=0.0005 / 2)'
    >>> SLIMLAYERS.expr(Arg("kernel_size", [3, 3]))
    '(3, 3)'
"""
from __future__ import annotations

import math

import numpy as np

from .rules import COMMON_ARGS, KERAS_ARGS, KERAS_INITIALIZERS, KERAS_ONLY, REGULARIZERS, SL_ONLY
from .migrated import Arg
from ... import initializers, regularizers

_MAX_LITERAL = 256  # values of an array initializer written into source; more is data, not code


class Target:
    """How one target library spells layers, inputs, models and argument values."""

    def __init__(self, name, imports, input_call, model_call, layer_label):
        self.name = name
        self.imports = imports
        self.input_call = input_call
        self.model_call = model_call
        self.layer_label = layer_label  # "Keras layer" / "sl.layers layer" (the table's column)

    def args(self, spec):
        """The arguments the target's constructor takes, each with its value and origin, in order."""
        return list(spec.args)

    def expr(self, arg):
        """Source text of ``arg``'s value."""
        if arg.text is not None:
            return arg.text
        name, value = arg.name, arg.value
        if name == "activation":
            return repr(None if value in (None, "linear") else value)
        if name.endswith("_initializer"):
            return self._initializer(value)
        if name.endswith("_regularizer"):
            return _regularizer(value, arg.halved_l2)
        return _literal(value)

    def _initializer(self, value):
        obj = initializers.get(value)
        cls = type(obj).__name__
        config = obj.get_config()
        if self.name == "keras" and cls not in KERAS_INITIALIZERS:
            raise ValueError(f"initializer {cls} has no Keras equivalent")
        items = []
        for key, v in config.items():
            if isinstance(v, (list, tuple)) and key == "value":
                size = int(np.asarray(v).size)
                if size > _MAX_LITERAL:
                    raise ValueError(f"a {cls} initializer holding {size} values is data, not code; use a named "
                                     f"initializer (the weights travel in Migration.weights anyway)")
                items.append(f"{key}=np.array({_literal(v, tuples=False)})")
            else:
                items.append(f"{key}={_literal(v)}")
        return f"initializers.{cls}({', '.join(items)})"


class _Keras(Target):
    def args(self, spec):
        names = KERAS_ARGS.get(spec.cls)
        if names is None:
            raise ValueError(f"{spec.call}: {spec.cls} has no Keras layer that migrate knows to write")
        by_name = {a.name: a for a in spec.args}
        for arg in spec.args:
            if arg.name not in names and arg.name not in COMMON_ARGS:
                if arg.name in SL_ONLY and arg.value == SL_ONLY[arg.name]:
                    continue
                raise ValueError(f"{spec.call}: Keras' {spec.cls} has no argument {arg.name} "
                                 f"(here {arg.value!r})")
        return [by_name[n] if n in by_name else Arg(n, KERAS_ONLY[n], "") for n in names] + \
            [by_name[n] for n in COMMON_ARGS]


def _literal(value, tuples=True):
    """A Python literal; lists become tuples (shapes, strides), floats keep every digit."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return f"float({str(value)!r})"
        return repr(value)
    if isinstance(value, (list, tuple)):
        items = [_literal(v, tuples) for v in value]
        if not tuples:
            return f"[{', '.join(items)}]"
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v, tuples)}" for k, v in value.items()) + "}"
    return repr(value)


def _regularizer(value, halved_l2):
    if value is None:
        return "None"
    if isinstance(value, str):
        obj = regularizers.get(value)
        value = {"class_name": type(obj).__name__, "config": obj.get_config()}
    cls, config = value["class_name"], dict(value.get("config") or {})
    if cls not in REGULARIZERS:
        raise ValueError(f"regularizer {cls} has no Keras equivalent")
    items = []
    for key, v in config.items():
        if key == "l2" and halved_l2 and v:
            items.append(f"l2={2 * float(v)!r} / 2")  # exact: doubling and halving a float change no bits
        else:
            items.append(f"{key}={_literal(v)}")
    return f"regularizers.{cls}({', '.join(items)})"


KERAS = _Keras(
    "keras",
    imports="import keras\nimport numpy as np\nfrom keras import initializers, layers, regularizers",
    input_call="keras.Input",
    model_call="keras.Model",
    layer_label="Keras layer",
)
SLIMLAYERS = Target(
    "slimlayers",
    imports="import numpy as np\nimport slimlayers as sl\nfrom slimlayers import initializers, layers, regularizers",
    input_call="layers.Input",
    model_call="sl.models.Model",
    layer_label="sl.layers layer",
)
TARGETS = {"keras": KERAS, "slimlayers": SLIMLAYERS}
