"""Build the migrated model: one ``LayerSpec`` per layer, its arguments, values and origins.

``build(run)`` turns a ``Trace`` into a ``Graph``: input specs, one
``LayerSpec`` per distinct layer (a Slim scope reused with ``reuse=True``
is one shared layer) and the calls between them. Values are the built
layers' own ``get_config()``; origins come from the recorded Slim calls
(``rules.SOURCES``) or, for layers the model function built itself, from
``sl.scopes.explain(layer)``.

Example:
    >>> run = trace(lambda x: sl.slim.conv2d(x, 4, 3), (np.zeros((1, 8, 8, 3), "float32"),), {})
    >>> spec = build(run).nodes[0].spec
    >>> spec.cls, spec.name, spec.arg("padding").value, spec.arg("padding").origin
    ('Conv2D', 'Conv', 'same', 'slim default')
"""
from __future__ import annotations


from ... import scopes
from .graph import join, walk
from .names import UniqueNames, layer_name, python_identifier
from .migrated import EXPLICIT, LAYER_DEFAULT, Arg, Graph, GraphNode, LayerSpec
from .origins import origin, origin_label
from .rules import COMMON_ARGS, SLIM_ONLY, SOURCES, activation_form
from ... import activations, initializers, regularizers
from ...layers.base import default_name


def build(run):
    """The ``Graph`` of a ``Trace``: its inputs, one spec per distinct layer, the calls in topological order."""
    calls = join(run)
    role = {}
    for call in calls:
        role[id(call.primary)] = (call, "primary")
        if call.activation is not None:
            role[id(call.activation)] = (call, "activation")
    nodes = walk(run)
    names = UniqueNames(layer_name)
    inputs = []
    for node in nodes[:len(run.inputs)]:
        layer = node.tensor.layer
        inputs.append((names.take(layer.name), node.tensor.shape[1:], node.tensor.dtype.name))
    first = len(run.inputs)
    specs, out_nodes, position = {}, [], {i: i for i in range(first)}
    for i, node in enumerate(nodes[first:], start=first):
        layer = node.tensor.layer
        key = _layer_key(layer)
        made = specs.get(key)
        if made is None:
            call, kind = role.get(id(node.tensor), (None, None))
            if kind == "primary":
                made = _slim_specs(call, layer, names)
            elif kind == "activation":
                made = _activation_specs(call, layer, names)
            else:
                made = _layer_specs(layer, names)
            specs[key] = made
        elif role.get(id(node.tensor), (None,))[0] is not None:
            _check_same_config(made[0], layer, role[id(node.tensor)][0])
        parents = [position[p] for p in node.parents]
        for j, spec in enumerate(made):  # an activation split off a layer follows it
            out_nodes.append(GraphNode(spec, parents, node.takes_list and j == 0))
            parents = [first + len(out_nodes) - 1]
        position[i] = first + len(out_nodes) - 1
    outputs = [position[i] for i in _output_indices(run, nodes)]
    return Graph(python_identifier(run.function_name), inputs, out_nodes, outputs, run.single_output)


def _output_indices(run, nodes):
    index = {id(n.tensor): i for i, n in enumerate(nodes)}
    return [index[id(t)] for t in run.outputs]


def _layer_key(layer):
    """Layers built with ``reuse=True`` are distinct objects over the same variables: one Keras layer."""
    weights = layer.weights
    return ("weights", tuple(id(w) for w in weights)) if weights else ("layer", id(layer))


def _check_same_config(spec, layer, call):
    first = {a.name: a.value for a in spec.args if a.name != "name"}
    config = {k: v for k, v in _config(layer, call).items() if k in first}
    different = sorted(k for k in config if config[k] != first[k] and k != "activation")
    if different:
        raise ValueError(f"sl.slim.migrate: {call.label} reuses the variables of {spec.name!r} with different "
                         f"arguments ({', '.join(different)}); a Keras layer shares its weights only with itself.")


# -- values and origins ----------------------------------------------------------------
def _config(layer, call=None):
    """``layer.get_config()``; an argument with no serialisable form is refused, naming the Slim call.

    A ``partial(leaky_relu, …)`` activation has no name but is a ``LeakyReLU``
    layer: it reads as ``None`` here and ``_inline_activation`` adds the layer.
    """
    form = activation_form(getattr(layer, "activation", None))
    if form is not None and form[0] == "leaky_relu":
        saved, layer.activation = layer.activation, activations.linear
        try:
            return _config(layer, call)
        finally:
            layer.activation = saved
    try:
        return layer.get_config()
    except (TypeError, ValueError):
        what = call.label if call is not None else f"layer {layer.name!r}"
        for arg in ("activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                    "bias_regularizer", "beta_initializer", "gamma_initializer", "beta_regularizer",
                    "gamma_regularizer", "moving_mean_initializer", "moving_variance_initializer"):
            value = getattr(layer, arg, None)
            if value is not None and not _serialisable(arg, value):
                slim_arg = _slim_name(call, arg)
                raise ValueError(f"sl.slim.migrate: {what}: {slim_arg}={value!r} is a Python function, not a "
                                 f"named {_kind_of(arg)} (sl.{_kind_of(arg)}s), so no Keras code can name "
                                 f"it.") from None
        raise


def _kind_of(arg):
    return "activation" if arg == "activation" else arg.rsplit("_", 1)[-1]


def _serialisable(arg, value):
    registry = {"activation": activations, "initializer": initializers, "regularizer": regularizers}[_kind_of(arg)]
    try:
        registry.serialize(value)
        return True
    except (TypeError, ValueError):
        return False


def _slim_name(call, arg):
    if call is None:
        return arg
    sources = SOURCES[call.kind].get(arg, (arg,))
    return sources[0]


# -- specs per origin --------------------------------------------------------------------
def _slim_specs(call, layer, names):
    config = _config(layer, call)
    if call.kind in ("batch_norm", "dropout") and call.value("is_training"):
        record = call.args["is_training"]
        raise ValueError(f"sl.slim.migrate: {call.label} runs with is_training=True ({origin_label(record, call)})"
                         f": it {'normalises with the batch statistics' if call.kind == 'batch_norm' else 'drops'}"
                         f" as in training, which a Keras model does only while training. Migrate the inference "
                         f"graph: pass is_training=False to the model function (or its normalizer_params / "
                         f"arg_scope).")
    name = names.take(layer.name)
    args = []
    for key, value in config.items():
        if key == "name":
            continue
        args.append(Arg(key, value, origin(call, key)))
    args.append(Arg("name", name, origin(call, "name"), note=f"Slim scope {layer.name}"))
    spec = LayerSpec(layer_class(layer), name, args, call.label, [w.numpy() for w in layer.weights],
                     [w.name for w in layer.weights])
    spec.slim_only = [(n, call.value(n), origin_label(call.args[n], call)) for n in SLIM_ONLY
                      if n in call.args and call.value(n) is not None]
    _annotate(call, spec)
    made = [spec]
    follow = _inline_activation(spec, call, names)
    if follow is not None:
        made.append(follow)
    return made


def _annotate(call, spec):
    """Conversion notes: the places where the Keras spelling differs from the Slim one."""
    kind, by_name = call.kind, {a.name: a for a in spec.args}
    normalized = call.value("normalizer_fn") is not None
    if "activation" in by_name and normalized and call.value("activation_fn") is not None:
        by_name["activation"].note = "normalizer_fn runs first: activation_fn is a layer after it"
    if "use_bias" in by_name:
        use_bias = by_name["use_bias"]
        if normalized:
            use_bias.note = "normalizer_fn replaces the bias"
        elif not use_bias.value:
            use_bias.note = "biases_initializer=None: no bias"
        for arg in ("bias_initializer", "bias_regularizer"):
            if not use_bias.value:
                by_name[arg].note = "unused: no bias"
    for arg in ("kernel_regularizer", "bias_regularizer", "beta_regularizer", "gamma_regularizer"):
        if arg in by_name:
            _halve(by_name[arg])
            if by_name[arg].value is not None and not by_name["trainable"].value:
                by_name[arg].note += ("; " if by_name[arg].note else "") + (
                    "trainable=False: TF-Slim and slimlayers count this penalty, Keras 3's model.losses does not")
    if kind == "dropout":
        keep = call.value("keep_prob")
        by_name["rate"].text = f"1 - {float(keep)!r}"
        by_name["rate"].note = "Slim keep_prob"
    if kind == "conv2d_transpose":
        by_name["output_padding"].note = "Slim sizes: SAME in*stride, VALID (in-1)*stride + max(k, stride)"
        by_name["dilation_rate"].note = "slim.conv2d_transpose has no rate"
    if kind == "flatten":
        by_name["data_format"].note = "Slim flattens in memory order"
    if kind == "batch_norm":
        by_name["axis"].note = "the channel axis of data_format"
        by_name["momentum"].note = "Slim decay"


def _halve(arg):
    """Slim's ``l2_regularizer(s)`` is ``s·Σw²/2``: written ``L2(s / 2)`` so the Slim scale stays readable."""
    value = arg.value
    if isinstance(value, dict) and value.get("class_name") in ("L2", "L1L2") and value["config"].get("l2"):
        arg.note = (arg.note + "; " if arg.note else "") + "Slim's L2 is s*sum(w**2)/2: L2(s / 2)"
        arg.halved_l2 = True


def _inline_activation(spec, call, names):
    """A Slim activation_fn with arguments (``partial(leaky_relu, alpha=0.1)``) becomes a LeakyReLU layer."""
    fn = call.value("activation_fn")
    if "activation" not in {a.name for a in spec.args} or call.value("normalizer_fn") is not None:
        return None
    form = activation_form(fn)
    if form is None or form[0] != "leaky_relu":
        return None
    spec.arg("activation").value = None
    spec.arg("activation").note = "activation_fn is the next layer"
    return _leaky_spec(call, form[1], names.take(f"{spec.name}_activation"), spec.args)


def _leaky_spec(call, slope, name, like):
    """``LeakyReLU(slope)`` for a Slim ``activation_fn=partial(leaky_relu, …)``; trainable/dtype as ``like``."""
    args = [Arg("negative_slope", slope, origin_label(call.args["activation_fn"], call),
                note="Slim activation_fn leaky_relu")]
    args += [Arg(a.name, a.value, "") for a in like if a.name in COMMON_ARGS and a.name != "name"]
    args.append(Arg("name", name, "", note=f"activation_fn of {call.label}"))
    return LayerSpec("LeakyReLU", name, args, f"{call.label} activation_fn")


def _activation_specs(call, layer, names):
    """The activation Slim applies after a normalizer: an ``Activation`` layer (or ``LeakyReLU``)."""
    record = call.args["activation_fn"]
    fn = record["value"]
    form = activation_form(fn)
    name = names.take(layer.name)
    common = [Arg("trainable", True, ""), Arg("dtype", layer.dtype.name, "")]
    if form is None:
        raise ValueError(f"sl.slim.migrate: {call.label}: activation_fn={fn!r} is a Python function, not a named "
                         f"activation, so no Keras code can name it.")
    if form[0] == "leaky_relu":
        return [_leaky_spec(call, form[1], name, common)]
    note = "batch_norm's activation_fn" if call.kind == "batch_norm" else "activation_fn, after the normalizer"
    args = [Arg("activation", form[1], origin_label(record, call), note=note)]
    args += common
    args.append(Arg("name", name, "", note=f"activation_fn of {call.label}"))
    return [LayerSpec("Activation", name, args, f"{call.label} activation_fn")]


def _layer_specs(layer, names):
    """A layer the model function built itself (``sl.layers.Concatenate``, or ``+`` / ``.reshape``)."""
    form = activation_form(getattr(layer, "activation", None))
    if form is not None and form[0] == "leaky_relu":
        raise ValueError(f"sl.slim.migrate: layer {layer.name!r} has activation={layer.activation!r}; write it as "
                         f"an sl.layers.LeakyReLU layer.")
    config = _config(layer)
    try:
        records = {r["name"]: r for r in scopes.explain(layer).records}
    except (TypeError, ValueError):
        records = {}
    default_named = records.get("name", {}).get("value") is None
    name = names.take(_base_name(layer) if default_named else layer.name)
    args = []
    for key, value in config.items():
        if key == "name":
            continue
        record = records.get(key)
        where = EXPLICIT if record is None or record["source"] == "explicit" else (
            f"arg_scope at {record['origin']}" if record["source"] == "scope" else LAYER_DEFAULT)
        if where == LAYER_DEFAULT and key in COMMON_ARGS:
            where = ""  # not a hidden Slim argument: every layer has them
        args.append(Arg(key, value, where))
    args.append(Arg("name", name, EXPLICIT if not default_named else ""))
    return [LayerSpec(layer_class(layer), name, args, f"sl.layers.{layer_class(layer)}",
                      [w.numpy() for w in layer.weights], [w.name for w in layer.weights])]


def layer_class(layer):
    return type(layer).__name__


def _base_name(layer):
    return default_name(type(layer).__name__)
