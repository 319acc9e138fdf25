"""``Sequential``: a plain stack of layers, each called on the previous one's output.

With an ``Input`` (or ``InputLayer``) first the model is built at construction,
so ``summary()`` works at once; without one it is built on its first call.

Example:
    >>> model = sl.models.Sequential([sl.layers.Input((28, 28, 1)),
    ...                               sl.layers.Conv2D(8, 3, strides=2, padding="same")])
    >>> model.output_shape
    (None, 14, 14, 8)
"""
from __future__ import annotations

from ..layers.base import Layer
from ..layers.core import InputLayer
from ..layers.symbolic import SymbolicTensor
from .classes import register_model_class
from .config import deserialize_layer, serialize_layer
from .model import Model


@register_model_class
class Sequential(Model):
    """A linear stack of layers.

    Args:
        layers: a list of layers; the first may be ``sl.layers.Input(shape)`` or an ``InputLayer``.
        trainable: whether ``fit`` updates its weights.
        name: defaults to ``sequential``, ``sequential_1``, …
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(name=name, trainable=trainable)
        self._input_layer = None
        self._layers = []
        self._output_shapes = []
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False

    @property
    def layers(self):
        """The layers, without the InputLayer (as in Keras 3)."""
        return list(self._layers)

    def add(self, layer):
        """Append ``layer`` (an ``Input``/``InputLayer`` only in first position); builds it if the model is built."""
        if isinstance(layer, SymbolicTensor):
            if not isinstance(layer.layer, InputLayer) or layer.inputs is not None:
                raise TypeError("Sequential.add accepts layers and sl.layers.Input(...) tensors; received the "
                                f"output of layer {layer.layer.name!r}. Use the functional API for graphs.")
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer; received {type(layer).__name__}: {layer!r}.")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("An Input / InputLayer can only be the first layer of a Sequential model.")
            self._input_layer = layer
            self.build(layer.output.shape)
            return
        self._layers.append(layer)
        self._plan = None  # the training step must see the new weights
        if self.built:
            self._build_layers(len(self._layers) - 1)

    def pop(self):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        if self._output_shapes:
            self._output_shapes = self._output_shapes[:len(self._layers)]
        self._plan = None
        return layer

    def build(self, input_shape):
        """Build every layer for ``input_shape`` (the batch size is left free)."""
        shape = tuple(input_shape)
        self.input_shape = (None, *shape[1:])
        self._output_shapes = []
        self.built = True
        self._build_layers(0)

    def _build_layers(self, start):
        shape = self._output_shapes[start - 1] if start else self.input_shape
        x = SymbolicTensor(shape, self.dtype)
        for layer in self._layers[start:]:
            x = layer(x)
            self._output_shapes.append(x.shape)

    @property
    def output_shape(self):
        if not self.built:
            raise ValueError(f"Sequential model {self.name!r} is not built yet: start it with an Input or call it.")
        return self._output_shapes[-1] if self._output_shapes else self.input_shape

    def call(self, inputs, training=None):
        x = inputs
        if self._input_layer is not None:
            x = self._input_layer(x)  # checks the sample shape
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._layers:
            shape = tuple(layer.compute_output_shape(shape))
        return shape

    def output_shapes(self):
        """``{layer name: output shape}`` (empty until built)."""
        return {layer.name: shape for layer, shape in zip(self._layers, self._output_shapes)}

    # -- config -----------------------------------------------------------------------
    def get_config(self):
        layers = ([self._input_layer] if self._input_layer is not None else []) + self._layers
        config = {"name": self.name, "trainable": self.trainable,
                  "layers": [serialize_layer(layer) for layer in layers]}
        if self.built and self._input_layer is None:
            config["build_input_shape"] = [None, *self.input_shape[1:]]
        return config

    @classmethod
    def from_config(cls, config):
        return cls._from_config_with(config, None)

    @classmethod
    def _from_config_with(cls, config, custom_objects):
        layers = [deserialize_layer(c, custom_objects) for c in config.get("layers", [])]
        model = cls(layers, trainable=config.get("trainable", True), name=config.get("name"))
        if config.get("build_input_shape") is not None and not model.built:
            model.build(tuple(config["build_input_shape"]))
        return model
