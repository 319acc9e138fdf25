"""``Model``: a Layer made of layers, that trains, summarises and saves itself.

``Model(inputs, outputs)`` builds a functional model (see ``functional.py``);
``Sequential`` stacks layers; subclassing ``Model`` and writing ``call`` also
works (weights are found through the layer attributes).

Weight order follows Keras 3: ``model.weights`` lists each layer's weights in
layer order, and within a layer the trainable ones before the non-trainable
ones (``[gamma, beta, moving_mean, moving_variance]`` for BatchNormalization).

Example:
    >>> x = sl.layers.Input((4,))
    >>> model = sl.models.Model(x, sl.layers.Dense(2)(x))
    >>> [w.shape for w in model.weights]
    [(4, 2), (2,)]
"""
from __future__ import annotations

from ..autodiff.tensor import convert
from ..layers.base import Layer, default_name
from . import saving
from .classes import model_class, register_model_class
from .summary import summary_text
from .training import TrainingMixin
from .weights import layer_weights, short_name


@register_model_class
class Model(TrainingMixin, Layer):
    """Base class of every model; ``Model(inputs, outputs)`` gives a functional model.

    Args:
        inputs / outputs: ``SymbolicTensor``s (from ``sl.layers.Input`` and layer calls),
            or lists of them, for a functional model.
        name: the model's name.
        trainable: whether ``fit`` updates its weights.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            return super().__new__(model_class("Functional"))  # registered by functional.py
        return super().__new__(cls)

    def __init__(self, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        TrainingMixin._init_training(self)

    # -- structure ---------------------------------------------------------------
    @property
    def layers(self):
        """The model's layers, in order (for a subclassed model: its Layer attributes)."""
        return [layer for layer in self._sublayers()]

    def get_layer(self, name=None, index=None):
        """A layer by ``name`` or by position ``index``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Invalid argument `index`: the model has {len(layers)} layers. "
                                 f"Received: index={index}")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}. Existing layers are: {[layer.name for layer in layers]}.")

    def _convert_one(self, x):
        # The model's own layers cast inputs to their dtypes; converting here would lose float64 precision.
        return convert(x)

    # -- weights in Keras 3 order ----------------------------------------------------
    def _all_weights(self):
        seen, out = set(), []
        for layer in self.layers:
            for w in layer_weights(layer):
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def weights(self):
        return self._all_weights()

    def _named_weights(self):
        """``[(path, variable)]`` in ``weights`` order; paths are local to this model (``conv2d_1/kernel``),
        so two builds of the same architecture share them whatever their global layer names."""
        out, seen, counts = [], set(), {}
        for layer in self.layers:
            base = default_name(type(layer).__name__)
            n = counts.get(base, 0)
            counts[base] = n + 1
            local = base if n == 0 else f"{base}_{n}"
            if isinstance(layer, Model):
                items = [(f"{local}/{key}", w) for key, w in layer._named_weights()]
            else:
                items = [(f"{local}/{short_name(layer, w)}", w) for w in layer_weights(layer)]
            for key, w in items:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append((key, w))
        keys = [k for k, _ in out]
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if keys.count(k) > 1)
            raise ValueError(f"Model {self.name!r} has two weights at path {dup!r}; give them distinct names.")
        return out

    # -- saving --------------------------------------------------------------------
    def save_weights(self, filepath):
        """Write the weights to one safetensors file (keys are layer paths such as ``conv2d/kernel``)."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        """Load weights saved by ``save_weights``/``save``; names, shapes and dtypes must match."""
        saving.load_weights(self, filepath)

    def save(self, filepath):
        """Write config and weights to one safetensors file; ``sl.models.load_model`` rebuilds the model."""
        saving.save_model(self, filepath)

    # -- summary -------------------------------------------------------------------
    def summary(self, line_length=None, print_fn=None, show_trainable=False, expand_nested=False):
        """Print a Keras-style table: layer, output shape, spatial arithmetic of convs, parameter count."""
        text = summary_text(self, line_length=line_length, show_trainable=show_trainable,
                            expand_nested=expand_nested)
        (print_fn or print)(text)

    # -- config ----------------------------------------------------------------------
    def get_config(self):
        raise NotImplementedError(
            f"{type(self).__name__} is a subclassed model: its architecture is Python code, so it has no "
            f"config. Save its weights with save_weights() and rebuild it in code; or use Sequential or "
            f"the functional API (Model(inputs, outputs)), which save() fully.")
