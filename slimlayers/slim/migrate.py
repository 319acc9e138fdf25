"""``sl.slim.migrate``: TF-Slim code in, explicit Keras (or slimlayers) code out, every hidden default unpacked.

TF-Slim models hide their arguments in ``arg_scope`` blocks and in Slim's
own signature (ReLU, ``'SAME'``, Xavier, the halved L2, ``batch_norm``'s
``scale=False``). ``migrate`` runs the model function once on symbolic
inputs, in a fresh variable store, and writes the same model as a Keras
functional model with every argument spelled out and a comment on each one
the Slim code left hidden.

Example:
    >>> def tiny(images):
    ...     with slim.arg_scope([slim.conv2d], padding="VALID"):
    ...         return slim.conv2d(images, 4, 3, scope="conv1")
    >>> m = migrate(tiny, np.zeros((1, 8, 8, 3), "float32"))
    >>> "padding='valid',  # arg_scope at" in m.source, [w.shape for w in m.weights]
    (True, [(3, 3, 3, 4), (4,)])
"""
from __future__ import annotations

import os

import numpy as np

from .migration.order import keras_layer_order
from .migration.source import LOAD_MODEL, WEIGHTS_FILE, module_source
from .migration.specs import build
from .migration.trace import trace
from .migration.values import TARGETS

__all__ = ["Migration", "migrate"]


def migrate(model_fn, *example_args, target="keras", **example_kwargs):
    """Migrate a model function written with ``sl.slim`` to an explicit Keras (or slimlayers) model.

    Args:
        model_fn: a function of the model's input array(s) (and any other
            arguments) built from ``sl.slim`` layer functions, their
            ``arg_scope``s, ``repeat``/``stack``, ``sl.layers`` layers and
            ``+`` / ``.reshape`` between them. It is run once, symbolically.
        *example_args, **example_kwargs: the arguments to call it with.
            Arrays (numpy or ``sl.Tensor``) become the model's inputs (their
            shapes, batch axis excluded, are the input shapes); everything
            else is passed through, e.g. ``is_training=False``.
        target: ``"keras"`` (a module importing only ``keras`` and ``numpy``)
            or ``"slimlayers"`` (only ``slimlayers`` and ``numpy``).

    Returns:
        A ``Migration``: ``.source``, ``.weights``, ``.save(directory)``; print it for the table.

    Raises:
        ValueError: for what the target cannot express — numpy code inside
            the graph, a Python-side regularizer, initializer or activation
            function, a normalizer other than ``slim.batch_norm``, a
            ``batch_norm`` or ``dropout`` left in training mode — naming the
            Slim call and why.

    Example:
        >>> m = migrate(lambda x: slim.fully_connected(x, 3), np.zeros((2, 5), "float32"))
        >>> m.weights[0].shape, m.variable_names
        ((5, 3), ['fully_connected/weights', 'fully_connected/biases'])
    """
    if target not in TARGETS:
        raise ValueError(f"Invalid argument `target`: must be 'keras' or 'slimlayers'. Received: target={target!r}")
    graph = build(trace(model_fn, example_args, example_kwargs))
    return Migration(graph, target)


class Migration:
    """The migrated model: source code, weights, and the table of where every argument came from.

    Attributes:
        source: a Python module defining ``build_model()``.
        weights: numpy arrays in ``build_model().get_weights()`` order.
        variable_names: the Slim variable name of each of ``weights``
            (``conv1/conv1_1/weights``) — to load a TF-Slim checkpoint's values.
        target: ``"keras"`` or ``"slimlayers"``.
    """

    def __init__(self, graph, target):
        self.target = target
        self._graph = graph
        self._target = TARGETS[target]
        self.source = _with_reasons(lambda: module_source(graph, self._target))
        self._order = self._layer_order()
        self.weights = [w for spec in self._order for w in spec.weights]
        self.variable_names = [n for spec in self._order for n in spec.variable_names]

    def _layer_order(self):
        """The layer specs in the order of the built model's ``layers`` (hence of its weights)."""
        graph, first = self._graph, len(self._graph.inputs)
        if self.target == "slimlayers":
            return _built_order(self.source, graph)
        specs = [None] * first + [node.spec for node in graph.nodes]
        ids = {}
        layer_of = [i if i < first else ids.setdefault(id(specs[i]), first + len(ids)) for i in range(len(specs))]
        by_id = {layer_of[i]: specs[i] for i in range(first, len(specs))}
        order = keras_layer_order(first, [node.parents for node in graph.nodes], layer_of, graph.outputs)
        return [by_id[i] for i in order if i in by_id]

    @property
    def layer_names(self):
        """Names of the layers that hold weights, in weight order (each has ``len(weights)`` of its own)."""
        return [spec.name for spec in self._order if spec.weights]

    def weights_from(self, variables):
        """``weights`` taken from ``{Slim variable name: array}`` instead (e.g. a TF-Slim checkpoint's values).

        Names may carry TF's ``:0``. Every variable of the model must be
        there, with the shape of the migrated weight.
        """
        given = {str(k).split(":")[0]: v for k, v in dict(variables).items()}
        missing = [n for n in self.variable_names if n not in given]
        if missing:
            raise ValueError(f"Missing variables for the migrated model: {missing}.")
        out = []
        for name, mine in zip(self.variable_names, self.weights):
            value = np.asarray(given[name])
            if value.shape != mine.shape:
                raise ValueError(f"Variable {name!r} has shape {value.shape}; the migrated layer expects "
                                 f"{mine.shape}.")
            out.append(value.astype(mine.dtype, copy=False))
        return out

    def save(self, directory, weights=None):
        """Write ``model.py`` (``build_model()`` and ``load_model()``) and ``weights.npz`` into ``directory``.

        Args:
            directory: created if missing.
            weights: arrays in ``weights`` order (default: ``self.weights``),
                e.g. ``self.weights_from(checkpoint)``.

        Returns:
            The path of ``model.py``.
        """
        weights = self.weights if weights is None else list(weights)
        if len(weights) != len(self.weights):
            raise ValueError(f"Expected {len(self.weights)} weight arrays; received {len(weights)}.")
        os.makedirs(directory, exist_ok=True)
        arrays, it = {}, iter(weights)
        for spec in self._order:
            for i in range(len(spec.weights)):
                arrays[f"{spec.name}/{i}"] = np.asarray(next(it))
        np.savez(os.path.join(directory, WEIGHTS_FILE), **arrays)
        path = os.path.join(directory, "model.py")
        with open(path, "w") as f:
            f.write(self.source.rstrip("\n") + "\n" + LOAD_MODEL)
        return path

    def rows(self):
        """The table as data: ``(slim call, layer, argument, value, origin)`` per argument of each layer."""
        out = []
        for spec in self._graph.layers:
            first = True
            for arg in self._target.args(spec):
                origin = arg.origin or "(no Slim argument)"
                if arg.note:
                    origin += f" — {arg.note}"
                out.append((spec.call if first else "", f"{spec.cls} {spec.name!r}" if first else "", arg.name,
                            self._target.expr(arg), origin))
                first = False
            for name, value, origin in spec.slim_only:
                if value is not None:
                    out.append(("", "", f"({name})", repr(value), f"{origin} — Slim only"))
        return out

    def __str__(self):
        header = ("Slim call", self._target.layer_label, "argument", "value", "origin")
        rows = [header] + [(a, b, c, _short(d), e) for a, b, c, d, e in self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [f"Migration of {self._graph.name} (target: {self.target}): {len(self._graph.layers)} layers, "
                 f"{len(self.weights)} weight arrays"]
        for r in rows:
            lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
        return "\n".join(line.rstrip() for line in lines)

    def __repr__(self):
        return f"<Migration {self._graph.name} target={self.target!r} layers={len(self._graph.layers)}>"


def _short(text, limit=44):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _with_reasons(write):
    try:
        return write()
    except ValueError as err:
        raise ValueError(f"sl.slim.migrate: {err}") from None


def _built_order(source, graph):
    """The slimlayers model's own layer order: build it from the source (slimlayers is at hand)."""
    namespace = {}
    exec(compile(source, f"<migrated {graph.name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    model = namespace["build_model"]()
    by_name = {spec.name: spec for spec in graph.layers}
    return [by_name[layer.name] for layer in model.layers if layer.name in by_name]

