"""A model as a plain list of layer calls, read through the public model API.

``trace(model)`` works for ``Sequential`` models (built) and functional
``Model(inputs, outputs)`` models (walking the ``SymbolicTensor`` graph from
the outputs back through ``.layer`` and ``.inputs``). Tensors are numbered;
every call names the tensors it reads and the one it writes, and every
tensor's shape is known (``None`` for free sizes), which is what the
converters need to turn 'same' padding into explicit pads.

Example:
    >>> model = sl.models.Sequential([sl.layers.Input((4,)), sl.layers.Dense(2)])
    >>> g = trace(model)
    >>> [(type(c.layer).__name__, c.inputs, c.output) for c in g.calls], g.shapes[1]
    ([('Dense', [0], 1)], (None, 2))
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import layers as L
from ..layers import InputLayer, Layer
from ..models import Model, Sequential

# The layers the exporters (PyTorch, ONNX) translate, and the backend method that translates each: a
# backend implements every method named here, with the signature (layer, inputs..., shapes, layout).
EXPORTED_LAYERS = {
    L.Conv2D: "conv2d", L.Conv2DTranspose: "conv2d_transpose", L.Dense: "dense",
    L.BatchNormalization: "batch_norm", L.MaxPooling2D: "pooling", L.AveragePooling2D: "pooling",
    L.UpSampling2D: "upsampling", L.ZeroPadding2D: "zero_padding", L.Cropping2D: "cropping",
    L.Flatten: "flatten", L.Reshape: "reshape", L.Activation: "activation_layer", L.LeakyReLU: "leaky_relu",
    L.Dropout: "dropout", L.Add: "add", L.Concatenate: "concatenate",
}


def export_method(backend, layer, target):
    """The bound method of ``backend`` that translates ``layer``; a ValueError naming it when there is none."""
    name = EXPORTED_LAYERS.get(type(layer))
    if name is None:
        raise refuse(layer, f"{target} has no translation for this layer here")
    return getattr(backend, name)


@dataclass
class Call:
    """``tensors[output] = layer(tensors[inputs])`` (``inputs`` has one entry except for merge layers)."""

    layer: Layer
    inputs: list
    output: int


@dataclass
class Graph:
    """Inputs (tensor ids, with their InputLayer configs), calls in order, outputs, and each tensor's shape."""

    name: str
    sequential: bool
    inputs: list
    input_configs: list
    calls: list
    outputs: list
    shapes: dict = field(default_factory=dict)
    single_input: bool = True
    single_output: bool = True

    @property
    def is_chain(self):
        """One input, one output, and each call reads the previous call's result."""
        if len(self.inputs) != 1 or len(self.outputs) != 1:
            return False
        previous = self.inputs[0]
        for call in self.calls:
            if call.inputs != [previous]:
                return False
            previous = call.output
        return self.outputs == [previous]


def refuse(layer, why):
    """The one error every converter raises for something its target cannot hold."""
    kind = type(layer).__name__
    return ValueError(f"Cannot translate layer {layer.name!r} ({kind}): {why}.")


def trace(model):
    """The calls of a ``Sequential`` or functional ``model``; anything else raises ``ValueError``."""
    if isinstance(model, Sequential):
        return _trace_sequential(model)
    if isinstance(model, Model) and hasattr(model, "inputs") and hasattr(model, "outputs"):
        return _trace_functional(model)
    if isinstance(model, Model):
        raise ValueError(f"Cannot translate model {model.name!r} ({type(model).__name__}): a subclassed model's "
                         "architecture is Python code, not a graph of layers; rebuild it with Sequential or "
                         "Model(inputs, outputs).")
    raise TypeError(f"Expected a slimlayers model (Sequential or Model(inputs, outputs)); received "
                    f"{type(model).__name__}.")


def _check_layer(layer):
    if isinstance(layer, Model):
        raise refuse(layer, "nested models are not supported; build one flat Sequential or functional model")


def _trace_sequential(model):
    if not model.built:
        raise ValueError(f"Cannot translate Sequential model {model.name!r}: it is not built; start it with "
                         "sl.layers.Input(shape) or call it on data first.")
    layer_configs = _config(model).get("layers", [])
    first = layer_configs[0] if layer_configs and layer_configs[0]["class_name"] == "InputLayer" else None
    input_config = dict(first["config"]) if first else {
        "shape": list(model.input_shape[1:]), "batch_size": None, "dtype": model.layers[0].dtype.name,
        "name": f"{model.name}_input"}
    shape = tuple(model.input_shape)
    if first and input_config.get("batch_size") is not None:
        shape = (input_config["batch_size"], *shape[1:])
    graph = Graph(model.name, True, [0], [input_config], [], [0], {0: shape})
    for i, layer in enumerate(model.layers):
        _check_layer(layer)
        shape = tuple(layer.compute_output_shape(shape))
        graph.calls.append(Call(layer, [i], i + 1))
        graph.shapes[i + 1] = shape
    graph.outputs = [len(model.layers)]
    return graph


def _config(model):
    """The model's config, or ``{}`` when a layer cannot serialise itself (the converters then name it)."""
    try:
        return model.get_config()
    except (TypeError, ValueError):
        return {}


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _trace_functional(model):
    inputs, outputs = _as_list(model.inputs), _as_list(model.outputs)
    index = {id(t): i for i, t in enumerate(inputs)}
    tensors = list(inputs)
    order, stack = [], [(t, False) for t in reversed(outputs)]
    while stack:  # iterative depth-first walk: deep graphs never hit the recursion limit
        tensor, parents_done = stack.pop()
        if id(tensor) in index:
            continue
        if parents_done:
            index[id(tensor)] = len(tensors)
            tensors.append(tensor)
            order.append(tensor)
            continue
        if tensor.inputs is None:
            raise ValueError(f"Cannot translate model {model.name!r}: its graph reads {tensor.name!r}, which is not "
                             "one of its inputs.")
        stack.append((tensor, True))
        stack.extend((p, False) for p in reversed(_as_list(tensor.inputs)) if id(p) not in index)
    config = _config(model)  # says whether the model was given one tensor or a list
    graph = Graph(model.name, False, list(range(len(inputs))), [], [], [index[id(t)] for t in outputs],
                  {i: t.shape for i, t in enumerate(tensors)},
                  single_input=config.get("single_input", len(inputs) == 1),
                  single_output=config.get("single_output", len(outputs) == 1))
    for t in inputs:
        if not isinstance(t.layer, InputLayer):
            raise ValueError(f"Cannot translate model {model.name!r}: input {t.name!r} is not an Input.")
        graph.input_configs.append(t.layer.get_config())
    for tensor in order:
        _check_layer(tensor.layer)
        graph.calls.append(Call(tensor.layer, [index[id(p)] for p in _as_list(tensor.inputs)], index[id(tensor)]))
    return graph
