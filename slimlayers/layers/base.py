"""The ``Layer`` base class: lazy build, weights, losses, config. Kept short on purpose.

A subclass stores each constructor argument under the same attribute name
(normalised), creates weights in ``build`` with ``add_weight`` (ending with
``super().build(input_shape)``, which marks the layer built, so a user's
explicit ``layer.build(shape)`` is never repeated by the first call) and
computes in ``call``. ``get_config`` then reads the constructor signature, so
config, ``from_config`` and ``repr`` never drift from ``__init__``.

Calling a layer on a ``SymbolicTensor`` (what ``sl.layers.Input`` returns)
builds it and returns a ``SymbolicTensor`` of the output shape that remembers
the call, which is all a functional model needs to trace a graph.

Example:
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", (input_shape[-1],), "ones")
    ...         super().build(input_shape)
    ...     def call(self, x):
    ...         return x * self.w
    >>> Scale()(np.ones((2, 3), "float32")).shape
    (2, 3)

A layer's ``variable_creator`` decides where its variables come from (here: one shared variable):
    >>> shared = Variable(np.full(3, 2.0, "float32"), name="shared")
    >>> layer = Scale()
    >>> layer.variable_creator = lambda next_creator, **request: shared
    >>> layer(np.ones((2, 3), "float32")).numpy()[0], layer.weights[0] is shared
    (array([2., 2., 2.], dtype=float32), True)
"""
from __future__ import annotations

import inspect
import re

import numpy as np

from .. import activations, initializers, regularizers
from ..autodiff import ops
from ..autodiff.tensor import Tensor, Variable, as_array
from ..validation import check_allocation, layer_dtype
from ..naming import unique_name
from .symbolic import SymbolicTensor


def default_name(class_name):
    """Keras' layer naming: ``Conv2DTranspose`` → ``conv2d_transpose``, ``MaxPooling2D`` → ``max_pooling2d``.

    (Unlike the registries' snake_case, digits do not start a new word.)
    """
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


class Layer:
    """Base class of every layer.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: unique default derived from the class name (``conv2d``, ``conv2d_1``, …).
        dtype: ``"float32"`` (default) or ``"float64"``; inputs are cast to it.
        activity_regularizer: penalty on the output, added to ``losses`` divided by the batch size.

    Attributes:
        variable_creator: where this layer's variables come from (TF's ``variable_creator_scope``
            hook, per layer). ``None`` (default): ``add_weight`` creates and initialises a new
            ``Variable``. Set to ``creator(next_creator, **request)`` to decide yourself: ``request``
            holds ``name`` (``"<layer name>/<weight name>"``), ``shape``, ``dtype``, ``initializer``,
            ``regularizer``, ``trainable`` and ``fan_axes``; ``next_creator(**request)`` creates the
            variable the default way. Whatever the creator returns becomes the layer's weight (Slim and
            tf.layers functions use this to share variables through the ``sl.scopes`` store).
    """

    takes_input_list = False  # merge layers (Add, Concatenate) are called on a list of tensors

    def __init__(self, trainable=True, name=None, dtype=None, activity_regularizer=None):
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Invalid argument `name`: must be a string. Received: name={name!r}")
        self.name = name or unique_name(default_name(type(self).__name__))
        self.dtype = layer_dtype(dtype)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._trainable = bool(trainable)
        self._weights: list[Variable] = []
        self._frozen_ids: set[int] = set()
        self._activity_losses: list[Tensor] = []
        self.variable_creator = None  # see the class docstring
        self.built = False
        self.input_shape = None

    # -- building -----------------------------------------------------------
    def build(self, input_shape):
        """Create weights for ``input_shape``; overrides end with ``super().build(input_shape)``."""
        self.input_shape = _normalise_shape(input_shape)
        self.built = True

    def _maybe_build(self, input_shape):
        if not self.built:
            self.build(input_shape)
            self.input_shape = _normalise_shape(input_shape)
            self.built = True

    def compute_output_shape(self, input_shape):
        """Output shape for ``input_shape`` (``None`` entries allowed); override when the shape changes."""
        return tuple(input_shape)

    def add_weight(self, name, shape, initializer="zeros", regularizer=None, trainable=True, dtype=None,
                   fan_axes=None):
        """Create (or, through ``variable_creator``, obtain) and track a ``Variable`` called ``<layer name>/<name>``.

        An unseeded initializer draws from the stream keyed by that path, so
        ``sl.set_seed`` makes weights reproducible layer by layer. ``fan_axes``
        ``(in_axes, out_axes)`` tells fan-based initializers which axes are which.
        """
        request = {"name": f"{self.name}/{name}", "shape": tuple(int(s) for s in shape),
                   "dtype": np.dtype(dtype) if dtype is not None else self.dtype, "initializer": initializer,
                   "regularizer": regularizer, "trainable": trainable, "fan_axes": fan_axes}
        creator = self.variable_creator
        var = creator(self._new_variable, **request) if creator is not None else self._new_variable(**request)
        if not trainable:  # stays frozen whatever `layer.trainable` becomes (e.g. moving statistics)
            self._frozen_ids.add(id(var))
        self._weights.append(var)
        return var

    def _new_variable(self, *, name, shape, dtype, initializer, regularizer, trainable, fan_axes):
        """The default variable creator: a new, initialised ``Variable`` called ``name``."""
        check_allocation(f"Weight {name!r}", shape, dtype)
        init = initializers.get(initializer)
        value = initializers.initialize(init, shape, dtype, key=name, fan_axes=fan_axes)
        var = Variable(value, trainable=trainable and self._trainable, name=name, dtype=dtype)
        var.regularizer = regularizers.get(regularizer)
        return var

    # -- calling ------------------------------------------------------------
    def __call__(self, inputs, training=None, **kwargs):
        if _is_symbolic(inputs):
            return self._symbolic_call(inputs)
        inputs = self._convert_inputs(inputs)
        self._maybe_build(_shape_of(inputs))
        if self._accepts_training():
            kwargs["training"] = training
        outputs = self.call(inputs, **kwargs)
        self._activity_losses = []
        if self.activity_regularizer is not None:
            out = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
            batch = max(out.shape[0], 1) if out.ndim else 1
            self._activity_losses.append(self.activity_regularizer(out) / batch)
        return outputs

    def call(self, inputs, training=None):
        return inputs

    def _symbolic_call(self, inputs):
        shape = _shape_of(inputs)
        self._maybe_build(shape)
        return SymbolicTensor(self.compute_output_shape(shape), self.dtype, layer=self, inputs=inputs)

    def _convert_inputs(self, inputs):
        # Only merge layers take a list of inputs; elsewhere a list is nested data.
        if self.takes_input_list and isinstance(inputs, (list, tuple)):
            return [self._convert_one(x) for x in inputs]
        return self._convert_one(inputs)

    def _convert_one(self, x):
        if isinstance(x, Tensor):
            return x if x.dtype == self.dtype else ops.cast(x, self.dtype)
        arr = as_array(x)
        if arr.dtype.kind not in "fiub":
            raise TypeError(f"Layer {self.name!r} expects numeric input; received dtype {arr.dtype}.")
        return Tensor(arr.astype(self.dtype, copy=False))

    def _accepts_training(self):
        cls = type(self)
        cached = cls.__dict__.get("_call_has_training")
        if cached is None:
            cached = "training" in inspect.signature(cls.call).parameters
            cls._call_has_training = cached
        return cached

    # -- weights ------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = self._trainable
            for w in layer._weights:
                w.trainable = self._trainable and id(w) not in layer._frozen_ids

    def _sublayers(self):
        """Direct child layers (attributes that are Layers or lists of Layers), in attribute order."""
        out = []
        for value in vars(self).values():
            if isinstance(value, Layer):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, Layer))
        return out

    def _flatten_layers(self):
        seen, order, stack = set(), [], [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            order.append(layer)
            stack.extend(reversed(layer._sublayers()))
        return order

    def _all_weights(self):
        seen, out = set(), []
        for layer in self._flatten_layers():
            for w in layer._weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        return [w for w in self._all_weights() if w.trainable]

    @property
    def non_trainable_weights(self):
        return [w for w in self._all_weights() if not w.trainable]

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def get_weights(self):
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Assign arrays in ``weights`` order; every shape is checked before anything changes."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"Layer {self.name!r} expects {len(own)} weight arrays "
                             f"({[w.name for w in own]}), but received {len(weights)}.")
        arrays = []
        for var, value in zip(own, weights):
            arr = np.asarray(value)
            if arr.shape != var.shape:
                raise ValueError(f"Weight {var.name!r} of layer {self.name!r} has shape {var.shape}; "
                                 f"received an array of shape {arr.shape}.")
            arrays.append(arr)
        for var, arr in zip(own, arrays):
            var.assign(arr)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Layer {self.name!r} is not built yet: call it on an input (or build it) first.")
        return int(sum(int(np.prod(w.shape)) for w in self.weights))

    @property
    def losses(self):
        """Regularization penalties of this layer and its sublayers, at the current weights."""
        out = []
        for layer in self._flatten_layers():
            for w in layer._weights:
                if w.regularizer is not None:
                    out.append(w.regularizer(w))
            out.extend(layer._activity_losses)
        return out

    # -- config -------------------------------------------------------------
    def get_config(self):
        """Exactly the constructor arguments, JSON-safe (objects serialised through their registry)."""
        config = {}
        for pname, param in inspect.signature(type(self).__init__).parameters.items():
            if pname == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            config[pname] = _json_safe(self._config_value(pname))
        return config

    def _config_value(self, pname):
        if pname == "trainable":
            return self._trainable
        if pname == "dtype":
            return self.dtype.name
        return getattr(self, pname)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = []
        sig = inspect.signature(type(self).__init__).parameters
        config = self.get_config()
        for pname, value in config.items():
            if pname == "name":
                continue
            default = sig[pname].default
            if default is inspect.Parameter.empty or not _is_default(pname, value, default):
                args.append(f"{pname}={_display(self._config_value(pname), value)}")
        return f"{type(self).__name__}({', '.join(args)}, name={self.name!r})" if args else \
            f"{type(self).__name__}(name={self.name!r})"


def _is_default(pname, value, default):
    """Whether a config ``value`` is what the ``default`` argument produces (``"zeros"`` ↔ ``Zeros()``)."""
    if pname == "dtype":
        default = layer_dtype(default).name
    if pname == "data_format" and default is None:
        default = "channels_last"
    if _json_safe(default) == value:
        return True
    if default is None or isinstance(default, str):
        for registry in (activations, initializers, regularizers):
            try:
                if _json_safe(registry.get(default)) == value:
                    return True
            except (TypeError, ValueError):
                continue
    return False


def _display(raw, json_value):
    """repr of an argument: tuples stay tuples, objects show their own repr, functions their name."""
    if isinstance(raw, (tuple, str, bool, int, float, initializers.Initializer, regularizers.Regularizer)):
        return repr(raw)
    return repr(json_value)


def _json_safe(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, initializers.Initializer):
        return initializers.serialize(value)
    if isinstance(value, regularizers.Regularizer):
        return regularizers.serialize(value)
    if callable(value):
        return activations.serialize(value)
    raise TypeError(f"Cannot serialise {value!r} into a layer config.")


def _normalise_shape(shape):
    """A tuple, or a list of tuples for layers called on a list of inputs."""
    if isinstance(shape, list) and shape and isinstance(shape[0], (tuple, list)):
        return [tuple(s) for s in shape]
    return tuple(shape)


def _shape_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [tuple(x.shape) for x in inputs]
    return tuple(inputs.shape)


def _is_symbolic(inputs):
    items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    return any(isinstance(x, SymbolicTensor) for x in items)
