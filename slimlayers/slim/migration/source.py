"""Write the migrated model as a Python module: ``build_model()``, every argument spelled out.

Each layer is one constructor call, one argument per line; an argument the
Slim code left hidden carries a comment naming where it came from
(``# arg_scope at model.py:12``, ``# slim default``), and a conversion
(``L2(s / 2)``, ``1 - keep_prob``) says so. ``LOAD_MODEL`` is the function
``Migration.save`` appends: it loads ``weights.npz`` by layer name.

Example:
    >>> print(module_source(build(run), KERAS).splitlines()[0])  # doctest: +SKIP
    \"\"\"generator, migrated from TF-Slim code by sl.slim.migrate (target: keras).
"""
from __future__ import annotations

from .names import UniqueNames, python_identifier

WEIGHTS_FILE = "weights.npz"

LOAD_MODEL = '''

def load_model(path=None):
    """``build_model()`` with the weights saved beside this file (``weights.npz``: ``<layer>/<index>``)."""
    import os

    model = build_model()
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.npz")
    with np.load(path, allow_pickle=False) as saved:
        for layer in model.layers:
            count = len(layer.weights)
            if count:
                layer.set_weights([saved[f"{layer.name}/{i}"] for i in range(count)])
    return model
'''

_INDENT = "    "


def module_source(graph, target):
    """The module text for ``target`` (``values.KERAS`` or ``values.SLIMLAYERS``)."""
    lines = [f'"""{graph.name}, migrated from TF-Slim code by sl.slim.migrate (target: {target.name}).', "",
             "Every argument is written out. A comment names where each argument the Slim code left hidden",
             "came from: an arg_scope (file:line) or a Slim default; conversions say what they convert.",
             '"""', target.imports, "", "", "def build_model():",
             f'{_INDENT}"""The functional model {graph.name!r}: {_signature(graph)}."""']
    names = UniqueNames(lambda name: python_identifier(name, prefix="t"), _RESERVED)
    tensors = []
    for name, shape, dtype in graph.inputs:
        var = names.take(name)
        tensors.append(var)
        lines.append(f"{_INDENT}{var} = {target.input_call}(shape={_shape(shape)}, dtype={dtype!r}, "
                     f"name={name!r})")
    calls = {}
    for node in graph.nodes:
        calls[id(node.spec)] = calls.get(id(node.spec), 0) + 1
    declared, holders = set(), {}
    for node in graph.nodes:
        spec = node.spec
        args = [tensors[i] for i in node.parents]
        called_on = f"[{', '.join(args)}]" if node.takes_list else args[0]
        out = names.take(spec.name)
        lines.append("")
        if id(spec) not in declared:
            lines.extend(_comment_header(spec))
            if calls[id(spec)] > 1:
                lines.append(f"{_INDENT}#   one layer for {calls[id(spec)]} calls: they share its variables (reuse)")
        if calls[id(spec)] == 1:
            lines.extend(_constructor(spec, target, f"{out} = "))
            lines[-1] += f"({called_on})"
        else:  # a shared layer: constructed once, called once per use
            if id(spec) not in declared:
                holders[id(spec)] = names.take(f"{spec.name}_layer")
                lines.extend(_constructor(spec, target, f"{holders[id(spec)]} = "))
            lines.append(f"{_INDENT}{out} = {holders[id(spec)]}({called_on})")
        declared.add(id(spec))
        tensors.append(out)
    ins = [tensors[i] for i in range(len(graph.inputs))]
    outs = [tensors[i] for i in graph.outputs]
    inputs = ins[0] if len(ins) == 1 else f"[{', '.join(ins)}]"
    outputs = outs[0] if graph.single_output else f"[{', '.join(outs)}]"
    lines += ["", f"{_INDENT}return {target.model_call}(inputs={inputs}, outputs={outputs}, name={graph.name!r})", ""]
    return "\n".join(lines)


def _signature(graph):
    ins = ", ".join(f"{name} {tuple(shape)}" for name, shape, _ in graph.inputs)
    return f"inputs {ins}"


def _shape(shape):
    shape = tuple(shape)
    return repr(shape)


def _comment_header(spec):
    lines = [f"{_INDENT}# {spec.call}"]
    for name, value, origin in spec.slim_only:
        lines.append(f"{_INDENT}#   {name}={value!r} ({origin}): {_SLIM_ONLY_NOTES[name]}")
    return lines


_SLIM_ONLY_NOTES = {
    "is_training": "inference; Keras uses the training behaviour only inside fit()",
    "reuse": "one Keras layer, called once per use",
}


def _constructor(spec, target, assign):
    lines = [f"{_INDENT}{assign}layers.{spec.cls}("]
    for arg in target.args(spec):
        text = f"{_INDENT * 2}{arg.name}={target.expr(arg)},"
        comment = comment_for(arg)
        lines.append(f"{text}  # {comment}" if comment else text)
    lines.append(f"{_INDENT})")
    return lines


def comment_for(arg):
    """The comment on an argument: its origin when it was hidden, then any conversion note."""
    parts = []
    if arg.hidden:
        parts.append(arg.origin)
    if arg.note:
        parts.append(arg.note)
    return "; ".join(parts)


# names the emitted module already uses, never given to a tensor
_RESERVED = ("keras", "layers", "initializers", "regularizers", "np", "sl", "build_model", "load_model", "os")
