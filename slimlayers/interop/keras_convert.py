"""``to_keras`` / ``from_keras``: the same architecture, weights and predictions in Keras 3.

Layers translate through their configs, which share Keras' argument names;
weights are copied as they are (slimlayers keeps Keras' layouts). Anything
Keras cannot hold (``Conv2DTranspose(groups>1)``, a layer or argument
slimlayers lacks: constraints, LoRA, other regularizers, mixed precision …)
raises ``ValueError`` naming the layer.

Initializers: both sides describe fans differently, and the translation keeps
what each initializer draws.

* Keras 3.15 initializer configs carry ``input_axes``/``output_axes``. Keras
  then takes ``fan_in = prod(shape[input_axes])`` and nothing else, where
  slimlayers multiplies the named axes by the receptive field (every axis
  named by neither). Keras axes ``A``, ``B`` are therefore slimlayers'
  ``A - (A & B)``, ``B - (A & B)`` exactly when ``A | B`` covers every axis of the
  weight; other axes have no slimlayers form, and such an initializer is not
  kept (a warning says so; the weights are copied all the same, so the model
  computes the same — only a re-initialisation would differ).
* A Keras ``Conv2DTranspose`` kernel ``[kh, kw, filters, in]`` takes fan_in from
  ``filters``, while slimlayers' Conv2DTranspose declares fan_in from ``in``.
  He/LeCun-style initializers (``fan_in``/``fan_out`` modes) are translated with
  explicit axes so that each side keeps drawing what it drew (Glorot averages
  the two fans and is the same in both).
* Seeds: an int seed is kept; a Keras ``SeedGenerator`` has no slimlayers form and becomes ``None``.
"""
from __future__ import annotations

import inspect
import warnings

from .. import layers as L
from ..models import Model, Sequential
from .graph import refuse, trace
from .optional import require

INITIALIZERS = ("Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity", "LecunNormal",
                "LecunUniform", "Ones", "Orthogonal", "RandomNormal", "RandomUniform", "TruncatedNormal",
                "VarianceScaling", "Zeros")
PRESETS = {"GlorotNormal": (1.0, "fan_avg", "truncated_normal"), "GlorotUniform": (1.0, "fan_avg", "uniform"),
           "HeNormal": (2.0, "fan_in", "truncated_normal"), "HeUniform": (2.0, "fan_in", "uniform"),
           "LecunNormal": (1.0, "fan_in", "truncated_normal"), "LecunUniform": (1.0, "fan_in", "uniform")}
REGULARIZERS = ("L1", "L2", "L1L2")

# slimlayers class -> its config keys that are initializers / regularizers, with the weight rank they set
_INIT_RANK = {"kernel_initializer": None, "bias_initializer": 1, "beta_initializer": 1, "gamma_initializer": 1,
              "moving_mean_initializer": 1, "moving_variance_initializer": 1}
_REGULARIZER_KEYS = ("kernel_regularizer", "bias_regularizer", "activity_regularizer", "beta_regularizer",
                     "gamma_regularizer")
# Keras config keys slimlayers has no argument for, and the value that means "not used"
_UNUSED = {"kernel_constraint": None, "bias_constraint": None, "beta_constraint": None, "gamma_constraint": None,
           "lora_rank": None, "lora_alpha": None, "quantization_config": None, "renorm": False,
           "renorm_clipping": None, "activity_regularizer": None}
_IGNORED = ("synchronized", "renorm_momentum")  # cross-device BN sync / renorm's momentum: no effect on one device
SUPPORTED = ("Activation", "Add", "AveragePooling2D", "BatchNormalization", "Concatenate", "Conv2D",
             "Conv2DTranspose", "Cropping2D", "Dense", "Dropout", "Flatten", "LeakyReLU", "MaxPooling2D", "Reshape",
             "UpSampling2D", "ZeroPadding2D")


# -- slimlayers -> Keras -------------------------------------------------------------------------------
def to_keras(model):
    """A ``keras.Sequential`` or functional ``keras.Model`` with ``model``'s layers and weights.

    Example:
        >>> model = sl.models.Sequential([sl.layers.Input((8, 8, 1)), sl.layers.Conv2D(4, 3, padding="same")])
        >>> sl.interop.to_keras(model).layers[0].kernel.shape
        (3, 3, 1, 4)
    """
    keras = require("keras")
    graph = trace(model)
    made = {}  # id(sl layer) -> keras layer (a shared layer stays shared)

    def keras_layer(layer):
        if id(layer) not in made:
            made[id(layer)] = _to_keras_layer(layer, keras)
        return made[id(layer)]

    inputs = [keras.Input(shape=tuple(c["shape"]), batch_size=c.get("batch_size"), dtype=c.get("dtype"),
                          name=c.get("name")) for c in graph.input_configs]
    if graph.sequential:
        result = keras.Sequential([inputs[0], *(keras_layer(c.layer) for c in graph.calls)], name=graph.name,
                                  trainable=model.trainable)
    else:
        tensors = dict(zip(graph.inputs, inputs))
        for call in graph.calls:
            args = [tensors[i] for i in call.inputs]
            tensors[call.output] = keras_layer(call.layer)(args if call.layer.takes_input_list else args[0])
        outputs = [tensors[i] for i in graph.outputs]
        result = keras.Model(inputs[0] if graph.single_input else inputs,
                             outputs[0] if graph.single_output else outputs, name=graph.name)
        result.trainable = model.trainable
    for call in graph.calls:
        made[id(call.layer)].set_weights(call.layer.get_weights())
    return result


def _to_keras_layer(layer, keras):
    kind = type(layer).__name__
    if kind not in SUPPORTED or type(layer) is not getattr(L, kind):
        raise refuse(layer, "Keras has no translation for this layer here")
    config = layer.get_config()
    if kind == "Conv2DTranspose" and config.pop("groups") != 1:
        raise refuse(layer, "Keras' Conv2DTranspose has no `groups` (it would need a different kernel)")
    for key, rank in _INIT_RANK.items():
        if key in config:
            weight_rank = rank or (4 if kind.startswith("Conv") else 2)
            config[key] = _keras_initializer(config[key], weight_rank, transposed=kind == "Conv2DTranspose"
                                             and key == "kernel_initializer")
    for key in _REGULARIZER_KEYS:
        if config.get(key) is not None:
            config[key] = keras.regularizers.deserialize(config[key])
    if kind == "Dropout" and config.get("noise_shape") is not None:
        config["noise_shape"] = tuple(config["noise_shape"])
    try:
        return getattr(keras.layers, kind).from_config(config)
    except (TypeError, ValueError) as e:
        raise refuse(layer, f"Keras rejects its arguments ({e})") from None


def _keras_initializer(config, rank, transposed):
    """slimlayers initializer config -> Keras config with the same draws (see the module docstring)."""
    if isinstance(config, str):  # deterministic ones serialise as their name ("zeros")
        return config
    name, args = config["class_name"], dict(config.get("config", {}))
    if name in PRESETS or name == "VarianceScaling":
        scale, mode, distribution = PRESETS.get(name, (args.get("scale"), args.get("mode"), args.get("distribution")))
        ins, outs = args.get("input_axes"), args.get("output_axes")
        if ins is None and transposed and mode != "fan_avg":
            ins, outs = (3,), (2,)  # slimlayers' Conv2DTranspose declares its fans (layers/convolutional.py)
        if ins is not None:
            ins, outs = _axes(ins, rank), _axes(outs, rank)
            receptive = [a for a in range(rank) if a not in ins and a not in outs]
            args = {"scale": scale, "mode": mode, "distribution": distribution, "seed": args.get("seed"),
                    "input_axes": sorted(ins + receptive), "output_axes": sorted(outs + receptive)}
            name = "VarianceScaling"
    return {"module": "keras.initializers", "class_name": name, "config": args, "registered_name": None}


def _axes(axes, rank):
    return [a % rank for a in ((axes,) if isinstance(axes, int) else axes)]


# -- Keras -> slimlayers -------------------------------------------------------------------------------
def from_keras(keras_model):
    """A slimlayers ``Sequential`` or functional model with ``keras_model``'s layers and weights.

    Example:
        >>> k = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3, padding="same")])
        >>> sl.interop.from_keras(k).layers[0].kernel.shape
        (3, 3, 1, 4)
    """
    keras = require("keras")
    if not isinstance(keras_model, keras.Model):
        raise TypeError(f"from_keras expects a keras.Model; received {type(keras_model).__name__}.")
    kind = type(keras_model).__name__
    if kind not in ("Sequential", "Functional"):
        raise ValueError(f"Cannot translate Keras model {keras_model.name!r} ({kind}): a subclassed model's "
                         "architecture is Python code; use a Sequential or functional Keras model.")
    if not keras_model.built or not keras_model.inputs:
        raise ValueError(f"Cannot translate Keras model {keras_model.name!r}: it has no Input; build it with "
                         "keras.Input(shape) first.")
    config = keras_model.get_config()
    by_name = {layer.name: layer for layer in keras_model.layers}
    made = {}  # keras layer name -> slimlayers layer

    def sl_layer(name):
        if name not in made:
            made[name] = _from_keras_layer(by_name[name])
        return made[name]

    if kind == "Sequential":
        first = config["layers"][0]
        tensor = _input(first["config"] if first["class_name"] == "InputLayer" else None, keras_model.inputs[0])
        inputs = [tensor]
        for layer in keras_model.layers:
            tensor = sl_layer(layer.name)(tensor)
        model = Sequential([inputs[0], *(made[layer.name] for layer in keras_model.layers)],
                           name=keras_model.name)
    else:
        model = _functional(keras, keras_model, config, by_name, sl_layer)
    for name, layer in made.items():
        layer.set_weights(by_name[name].get_weights())
    if not keras_model.trainable:
        model.trainable = False
    return model


def _input(config, keras_tensor):
    shape = tuple(config["batch_shape"] if config else keras_tensor.shape)
    dtype = (config or {}).get("dtype", "float32")
    return L.Input(shape[1:], batch_size=shape[0], dtype=dtype, name=(config or {}).get("name"))


def _history(arg):
    """``(layer name, node index)`` of a serialised Keras tensor."""
    layer, node, _ = arg["config"]["keras_history"]
    return layer, node


def _functional(keras, keras_model, config, by_name, sl_layer):
    tensors = {}  # (keras layer name, node index) -> slimlayers SymbolicTensor
    pending = []
    for entry in config["layers"]:
        if entry["class_name"] == "InputLayer":
            tensors[(entry["name"], 0)] = _input(entry["config"], None)
            continue
        if entry["name"] in by_name and isinstance(by_name[entry["name"]], keras.Model):
            raise ValueError(f"Cannot translate layer {entry['name']!r} ({entry['class_name']}): nested models "
                             "are not supported; flatten it into one functional model.")
        for index, node in enumerate(entry["inbound_nodes"]):
            used = sorted(key for key, value in (node.get("kwargs") or {}).items() if value is not None)
            if used:  # Keras records e.g. mask=None on every call; a value would change the computation
                raise ValueError(f"Cannot translate layer {entry['name']!r}: it is called with keyword arguments "
                                 f"{used}, which slimlayers layers do not take.")
            pending.append((entry["name"], index, node["args"][0]))
    while pending:  # Keras lists layers, not calls, in order: resolve calls as their inputs appear
        waiting = []
        for name, index, arg in pending:
            args = arg if isinstance(arg, list) else [arg]
            keys = [_history(a) for a in args]
            if all(k in tensors for k in keys):
                values = [tensors[k] for k in keys]
                tensors[(name, index)] = sl_layer(name)(values if isinstance(arg, list) else values[0])
            else:
                waiting.append((name, index, arg))
        if len(waiting) == len(pending):
            raise ValueError(f"Cannot translate Keras model {keras_model.name!r}: its graph could not be ordered.")
        pending = waiting

    def ends(spec):
        specs = spec if spec and isinstance(spec[0], list) else [spec]
        return [tensors[(s[0], s[1])] for s in specs], not (spec and isinstance(spec[0], list))

    inputs, single_in = ends(config["input_layers"])
    outputs, single_out = ends(config["output_layers"])
    return Model(inputs[0] if single_in else inputs, outputs[0] if single_out else outputs, name=keras_model.name)


def _from_keras_layer(layer):
    kind = type(layer).__name__
    if kind not in SUPPORTED:
        raise refuse(layer, "slimlayers has no such layer")
    cls = getattr(L, kind)
    config = dict(layer.get_config())
    args = {"name": config.pop("name"), "trainable": config.pop("trainable", True),
            "dtype": _dtype(layer, config.pop("dtype", None))}
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    for key, value in config.items():
        if key in _IGNORED:
            continue
        if key in _UNUSED and key not in accepted:
            if value != _UNUSED[key]:
                raise refuse(layer, f"`{key}={value!r}` has no slimlayers equivalent")
            continue
        if key not in accepted:
            raise refuse(layer, f"argument `{key}` has no slimlayers equivalent")
        if key in _INIT_RANK:
            rank = _INIT_RANK[key] or len(_weight_shape(layer, "kernel"))
            value = _sl_initializer(layer, key, value, rank, transposed=kind == "Conv2DTranspose"
                                    and key == "kernel_initializer")
            if value is None:
                continue
        elif key in _REGULARIZER_KEYS and value is not None:
            value = _sl_regularizer(layer, key, value)
        args[key] = value
    try:
        return cls(**args)
    except (TypeError, ValueError) as e:
        raise refuse(layer, f"slimlayers rejects its arguments ({e})") from None


def _dtype(layer, dtype):
    name = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if name not in (None, "float32", "float64"):
        raise refuse(layer, f"dtype policy {name!r} is not supported (float32 or float64 only)")
    return name


def _weight_shape(layer, attr):
    return tuple(getattr(layer, attr).shape)


def _sl_initializer(layer, key, config, rank, transposed):
    """Keras initializer config -> slimlayers config with the same draws, or ``None`` (with a warning)."""
    if isinstance(config, str):
        return config
    name, args = config.get("class_name"), dict(config.get("config") or {})
    name = "Identity" if name == "IdentityInitializer" else name
    if isinstance(args.get("seed"), dict):  # a SeedGenerator: no slimlayers form
        args["seed"] = None
    ins, outs = args.pop("input_axes", None), args.pop("output_axes", None)
    if name in PRESETS or name == "VarianceScaling":
        scale, mode, distribution = PRESETS.get(name, (args.get("scale"), args.get("mode"), args.get("distribution")))
        if ins is None and transposed and mode != "fan_avg":
            ins, outs = [0, 1, 2], [0, 1, 3]  # Keras' [..., in, out] rule on [kh, kw, filters, in]
        if ins is not None:
            ins, outs = _axes(ins, rank), _axes(outs, rank)
            if set(ins) | set(outs) != set(range(rank)):
                return _dropped(layer, key, config)
            shared = set(ins) & set(outs)
            args = {"scale": scale, "mode": mode, "distribution": distribution, "seed": args.get("seed"),
                    "input_axes": [a for a in ins if a not in shared],
                    "output_axes": [a for a in outs if a not in shared]}
            name = "VarianceScaling"
    if name not in INITIALIZERS:
        return _dropped(layer, key, config)
    return {"class_name": name, "config": args}


def _dropped(layer, key, config):
    warnings.warn(f"from_keras: layer {layer.name!r}: {key} {config.get('class_name')} "
                  f"{config.get('config')} has no slimlayers equivalent; the layer keeps the Keras weights and "
                  f"the slimlayers default {key}.", stacklevel=4)
    return None


def _sl_regularizer(layer, key, config):
    if isinstance(config, dict) and config.get("class_name") in REGULARIZERS:
        return {"class_name": config["class_name"], "config": dict(config.get("config") or {})}
    raise refuse(layer, f"{key} {config!r} has no slimlayers equivalent")
