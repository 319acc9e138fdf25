"""Functional models: ``Model(inputs, outputs)`` over a graph of layer calls.

Calling a layer on a ``SymbolicTensor`` records ``(layer, inputs)`` on the
result (see ``slimlayers.layers.symbolic``). The model walks back from its
outputs to its inputs (iteratively: deep graphs are fine), keeps the calls in
topological order and replays them on real data. Branches, merges (``Add``,
``Concatenate``), shared layers and nested models all fall out of that.

Example:
    >>> inp = sl.layers.Input((8,))
    >>> a, b = sl.layers.Dense(4)(inp), sl.layers.Dense(4)(inp)
    >>> model = sl.models.Model(inp, sl.layers.Add()([a, b]))
    >>> model(np.ones((2, 8), "float32")).shape
    (2, 4)
"""
from __future__ import annotations

from ..layers.symbolic import SymbolicTensor
from .classes import register_model_class
from .config import deserialize_layer, serialize_layer
from .model import Model


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


class _Node:
    """One layer call: ``output = layer(inputs)``; ``inputs`` index earlier tensors (an int or a list)."""

    __slots__ = ("layer", "inputs", "output")

    def __init__(self, layer, inputs, output):
        self.layer, self.inputs, self.output = layer, inputs, output


@register_model_class
class Functional(Model):
    """A model defined by its input and output ``SymbolicTensor``s (what ``Model(inputs, outputs)`` returns).

    Args:
        inputs: a ``SymbolicTensor`` from ``sl.layers.Input`` or a list of them.
        outputs: a ``SymbolicTensor`` computed from the inputs, or a list of them.
        name: defaults to ``functional``, ``functional_1``, …
    """

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)  # default names: functional, functional_1, …
        self._single_input = not isinstance(inputs, (list, tuple))
        self._single_output = not isinstance(outputs, (list, tuple))
        self.inputs = _as_list(inputs)
        self.outputs = _as_list(outputs)
        for t in self.inputs + self.outputs:
            if not isinstance(t, SymbolicTensor):
                raise TypeError(f"Model(inputs, outputs) takes SymbolicTensors (from sl.layers.Input and layer "
                                f"calls on them); received {type(t).__name__}.")
        for t in self.inputs:
            if t.inputs is not None:
                raise ValueError(f"Model inputs must come straight from sl.layers.Input; {t.name!r} is the "
                                 f"output of layer {t.layer.name!r}.")
        self._nodes, self._tensor_index = self._trace()
        self._layers = _unique([t.layer for t in self.inputs] + [node.layer for node in self._nodes])
        self.takes_input_list = not self._single_input
        self.input_shape = self.inputs[0].shape if self._single_input else [t.shape for t in self.inputs]
        self.built = True
        if not trainable:
            self.trainable = False  # freezes every layer of the graph

    def _trace(self):
        """Topological list of the calls between inputs and outputs, and tensor id → position."""
        index = {id(t): i for i, t in enumerate(self.inputs)}
        ordered, stack = [], [(t, False) for t in reversed(self.outputs)]
        while stack:
            tensor, parents_done = stack.pop()
            if id(tensor) in index:
                continue
            if parents_done:
                index[id(tensor)] = len(self.inputs) + len(ordered)
                ordered.append(tensor)
                continue
            if tensor.inputs is None:
                raise ValueError(f"Graph disconnected: output depends on input {tensor.name!r}, which is not "
                                 f"in the model's inputs {[t.name for t in self.inputs]}.")
            stack.append((tensor, True))
            for parent in reversed(_as_list(tensor.inputs)):
                if id(parent) not in index:
                    stack.append((parent, False))
        nodes = []
        for tensor in ordered:
            refs = [index[id(p)] for p in _as_list(tensor.inputs)]
            nodes.append(_Node(tensor.layer, refs if isinstance(tensor.inputs, (list, tuple)) else refs[0],
                               tensor))
        return nodes, index

    @property
    def layers(self):
        return list(self._layers)

    def call(self, inputs, training=None):
        given = _as_list(inputs) if not self._single_input else [inputs]
        if len(given) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} inputs; received {len(given)}.")
        values = [t.layer(x) for t, x in zip(self.inputs, given)]  # InputLayer checks shape and dtype
        for node in self._nodes:
            args = [values[i] for i in node.inputs] if isinstance(node.inputs, list) else values[node.inputs]
            values.append(node.layer(args, training=training))
        outs = [values[self._tensor_index[id(t)]] for t in self.outputs]
        return outs[0] if self._single_output else outs

    def compute_output_shape(self, input_shape):
        shapes = [tuple(s) for s in (input_shape if not self._single_input else [input_shape])]
        for node in self._nodes:
            arg = [shapes[i] for i in node.inputs] if isinstance(node.inputs, list) else shapes[node.inputs]
            shapes.append(tuple(node.layer.compute_output_shape(arg)))
        outs = [shapes[self._tensor_index[id(t)]] for t in self.outputs]
        return outs[0] if self._single_output else outs

    def output_shapes(self):
        """``{layer name: output shape}`` of each call (``"multiple"`` for a layer called more than once)."""
        out = {t.layer.name: t.shape for t in self.inputs}
        for node in self._nodes:
            out[node.layer.name] = "multiple" if node.layer.name in out else node.output.shape
        return out

    def connections(self):
        """``{layer name: [names of the layers it was called on]}``."""
        out = {}
        for node in self._nodes:
            out.setdefault(node.layer.name, []).extend(p.layer.name for p in _as_list(node.output.inputs))
        return out

    # -- config -----------------------------------------------------------------------
    def get_config(self):
        position = {id(layer): i for i, layer in enumerate(self._layers)}
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": [serialize_layer(layer) for layer in self._layers],
            "inputs": [position[id(t.layer)] for t in self.inputs],
            "nodes": [{"layer": position[id(n.layer)], "inputs": n.inputs} for n in self._nodes],
            "outputs": [self._tensor_index[id(t)] for t in self.outputs],
            "single_input": self._single_input,
            "single_output": self._single_output,
        }

    @classmethod
    def from_config(cls, config):
        return cls._from_config_with(config, None)

    @classmethod
    def _from_config_with(cls, config, custom_objects):
        try:
            layers = [deserialize_layer(c, custom_objects) for c in config["layers"]]
            tensors = [layers[i].output for i in config["inputs"]]
            for node in config["nodes"]:
                refs = node["inputs"]
                args = [tensors[i] for i in refs] if isinstance(refs, list) else tensors[refs]
                tensors.append(layers[node["layer"]](args))
            inputs = [tensors[i] for i in range(len(config["inputs"]))]
            outputs = [tensors[i] for i in config["outputs"]]
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise ValueError(f"Invalid functional model config ({type(e).__name__}: {e}).") from None
        return cls(inputs[0] if config.get("single_input", True) else inputs,
                   outputs[0] if config.get("single_output", True) else outputs,
                   name=config.get("name"), trainable=config.get("trainable", True))


def _unique(layers):
    seen, out = set(), []
    for layer in layers:
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
    return out
