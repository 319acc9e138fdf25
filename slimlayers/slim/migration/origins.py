"""Where a value came from: explicit, an ``arg_scope`` (file:line), or the Slim default.

A Keras argument can come from several Slim arguments (``use_bias`` from
``normalizer_fn`` and ``biases_initializer``); its origin names each hidden
one with its value as Slim code spells it. A ``batch_norm`` that is another
call's ``normalizer_fn`` got its explicit arguments from that call's
``normalizer_params``, whose own origin they inherit.

Example:
    >>> short_value(sl.slim.l2_regularizer(0.0005)), short_value(sl.nn.relu)
    ('l2_regularizer(0.0005)', 'relu')
"""
from __future__ import annotations

from .migrated import EXPLICIT, SLIM_DEFAULT
from .rules import SOURCES
from ... import initializers, regularizers


def origin_label(record, call):
    """``explicit`` / ``slim default`` / ``arg_scope at file:line`` for one recorded Slim argument."""
    if record["source"] == "scope":
        return f"arg_scope at {record['origin']}"
    if record["source"] == "default":
        return SLIM_DEFAULT
    if call.parent is not None and record["name"] != "inputs":  # passed through the parent's normalizer_params
        parent = call.parent.args["normalizer_params"]
        if parent["source"] == "scope":
            return f"arg_scope at {parent['origin']} via normalizer_params"
    return EXPLICIT


def origin(call, keras_arg):
    """The origin text of a Keras argument: where its hidden Slim sources came from ('' if Slim has none)."""
    sources = SOURCES[call.kind].get(keras_arg)
    if not sources:
        return ""
    groups = {}
    for slim_arg in sources:
        record = call.args.get(slim_arg)
        if record is None:
            continue
        groups.setdefault(origin_label(record, call), []).append(slim_arg)
    hidden = [(label, args) for label, args in groups.items() if label != EXPLICIT]
    if not hidden:
        return EXPLICIT
    parts = []
    for label, args in hidden:
        shown = ", ".join(f"{a}={short_value(call.value(a))}" for a in args)
        parts.append(label if args == [keras_arg] else f"{label} ({shown})")
    return "; ".join(parts)


def short_value(value, limit=40):
    """A Slim argument's value as Slim code spells it: ``relu``, ``'SAME'``, ``l2_regularizer(0.0005)``."""
    if isinstance(value, regularizers.L2):
        return f"l2_regularizer({2 * value.l2!r})"
    if isinstance(value, regularizers.L1):
        return f"l1_regularizer({value.l1!r})"
    if isinstance(value, regularizers.L1L2):
        return f"l1_l2_regularizer({value.l1!r}, {2 * value.l2!r})"
    if type(value) is initializers.GlorotUniform and value.get_config().get("seed") is None:
        return "xavier_initializer()"
    if type(value) is initializers.Zeros:
        return "zeros_initializer()"
    name = getattr(value, "__name__", None)
    if callable(value) and name and not isinstance(value, type) and name != "<lambda>":
        return name
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
