"""Provenance: where did each argument of a call come from? (TF-Slim's hidden defaults, made visible.)

Three ways to ask, all returning ``Explanation`` objects (a table when
printed, a list of dicts through ``.records``):

* ``explain(layer)`` — a layer constructed under scopes (every ``sl.layers``
  object remembers how its constructor arguments were resolved);
* ``explain(op, *args, **kwargs)`` — a dry run: how a call to a decorated op
  (``sl.slim.conv2d``) or a Layer class *would* resolve under the active
  scopes, without running it;
* ``with recording() as calls:`` — every decorated op call and every layer
  construction inside the block appends its ``Explanation`` to ``calls``.

Each argument's source is ``"explicit"`` (passed by the caller, by keyword or
position), ``"scope"`` (with the file and line of the ``with arg_scope`` that
set it) or ``"default"`` (the op's own signature default).

Example:
    >>> with sl.scopes.arg_scope([sl.slim.conv2d], padding="VALID"):
    ...     print(sl.scopes.explain(sl.slim.conv2d, np.ones((1, 4, 4, 1)), 8, 3))  # doctest: +SKIP
    sl.slim.conv2d
      argument          value      source
      inputs            <array (1, 4, 4, 1) float64>  explicit
      num_outputs       8          explicit
      kernel_size       3          explicit
      padding           'VALID'    scope (model.py:12)
      activation_fn     sl.activations.relu  default
      ...
"""
from __future__ import annotations

import contextvars
import inspect
from dataclasses import dataclass

import numpy as np

from .arg_scope import _is_scopable, arg_error, op_key, op_name, resolve, signature_of

__all__ = ["ArgRecord", "Explanation", "explain", "recording"]

_recorder = contextvars.ContextVar("slimlayers_scope_recorder", default=None)


@dataclass(frozen=True)
class ArgRecord:
    """One argument of a call: its value, its source and, for scoped values, the scope's location."""

    name: str
    value: object
    source: str          # "explicit" | "scope" | "default"
    origin: str | None   # "file.py:12" for scoped values, else None

    def as_dict(self):
        return {"name": self.name, "value": self.value, "source": self.source, "origin": self.origin}


class Explanation:
    """The resolved arguments of one call. ``print`` it for a table; ``.records`` for data."""

    def __init__(self, op, records):
        self.op = op
        self.op_name = op_name(op)
        self._records = tuple(records)

    @property
    def records(self):
        """A list of dicts ``{"name", "value", "source", "origin"}``, in signature order."""
        return [r.as_dict() for r in self._records]

    def __getitem__(self, name):
        for r in self._records:
            if r.name == name:
                return r
        raise KeyError(name)

    def __iter__(self):
        return iter(self._records)

    def __len__(self):
        return len(self._records)

    def sources(self):
        """``{argument: source}`` — handy in tests and asserts."""
        return {r.name: r.source for r in self._records}

    def __str__(self):
        rows = [("argument", "value", "source")]
        for r in self._records:
            source = f"scope ({r.origin})" if r.source == "scope" else r.source
            rows.append((r.name, _short_repr(r.value), source))
        widths = [max(len(row[i]) for row in rows) for i in range(2)]
        lines = [self.op_name]
        for name, value, source in rows:
            lines.append(f"  {name:<{widths[0]}}  {value:<{widths[1]}}  {source}".rstrip())
        return "\n".join(lines)

    def __repr__(self):
        return str(self)


def explain(op_or_layer, *args, **kwargs):
    """Explain a layer's construction, or dry-run the resolution of ``op(*args, **kwargs)``.

    Args:
        op_or_layer: an ``sl.layers`` layer instance (no further arguments), or
            a decorated op / Layer class followed by the call's arguments.

    Returns:
        An ``Explanation``: ``print`` it for a table, ``.records`` for dicts.

    Example:
        >>> with sl.scopes.arg_scope([sl.layers.Conv2D], padding="same"):
        ...     layer = sl.layers.Conv2D(4, 3)
        >>> sl.scopes.explain(layer)["padding"].source
        'scope'
    """
    call = getattr(op_or_layer, "_scoped_call", None)
    if call is not None and not isinstance(op_or_layer, type):
        if args or kwargs:
            raise arg_error("args", "explain(layer) takes no further arguments (the layer is already built)",
                            args or kwargs, TypeError)
        return _explanation(call.op, call.args, call.kwargs, call.scoped)
    key = op_key(op_or_layer)
    if not _is_scopable(key):
        raise arg_error("op_or_layer", "must be a layer built from an @add_arg_scope class, or a function or "
                        "class decorated with @add_arg_scope", op_or_layer, TypeError)
    _, used = resolve(key, args, kwargs)
    return _explanation(key, args, kwargs, used)


class recording:  # noqa: N801 - used as a context manager, like contextlib helpers
    """Collect an ``Explanation`` for every scoped op call and layer construction in a block.

    Example:
        >>> with sl.scopes.recording() as calls:
        ...     y = sl.slim.conv2d(np.ones((1, 4, 4, 1), "float32"), 2, 3, scope="c")
        >>> calls[0].op_name
        'sl.slim.convolution2d'
    """

    def __init__(self):
        self.calls = []
        self._token = None

    def __enter__(self):
        self._token = _recorder.set(self.calls)
        return self.calls

    def __exit__(self, *exc):
        _recorder.reset(self._token)
        return False


class suspended:  # noqa: N801
    """Stop recording inside the block (Slim functions build their Layers here: one record per Slim call)."""

    def __enter__(self):
        self._token = _recorder.set(None)

    def __exit__(self, *exc):
        _recorder.reset(self._token)
        return False


class ScopedCall:
    """How one construction resolved its arguments: explicit ``args``/``kwargs`` and the scoped values used."""

    __slots__ = ("args", "kwargs", "op", "scoped")

    def __init__(self, op, args, kwargs, scoped):
        self.op, self.args, self.kwargs, self.scoped = op, args, kwargs, scoped

    def __repr__(self):
        return f"<ScopedCall {op_name(self.op)} scoped={sorted(self.scoped)}>"


def _record_construction(obj, cls, args, kwargs, used):
    """Remember on ``obj`` how its constructor arguments were resolved (for ``explain(obj)``), and record it."""
    obj._scoped_call = ScopedCall(cls, args, kwargs, used)
    _record_call(cls, args, kwargs, used)


def _record_call(key, args, kwargs, used):
    calls = _recorder.get()
    if calls is not None:
        calls.append(_explanation(key, args, kwargs, used))


def _explanation(key, args, kwargs, used):
    sig = signature_of(key)
    explicit = dict(zip(sig.positional, args))
    explicit.update(kwargs)
    records = []
    for name in sig.names:
        if name in explicit:
            records.append(ArgRecord(name, explicit[name], "explicit", None))
        elif name in used:
            records.append(ArgRecord(name, used[name].value, "scope", str(used[name].origin)))
        elif name in sig.defaults:
            records.append(ArgRecord(name, sig.defaults[name], "default", None))
        else:
            records.append(ArgRecord(name, inspect.Parameter.empty, "missing", None))
    for name, value in kwargs.items():  # keywords caught by **kwargs
        if name not in sig.names:
            records.append(ArgRecord(name, value, "explicit", None))
    for name, s in used.items():
        if name not in sig.names:
            records.append(ArgRecord(name, s.value, "scope", str(s.origin)))
    return Explanation(key, records)


def _short_repr(value, limit=48):
    if value is inspect.Parameter.empty:
        return "<missing>"
    if isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        return f"<{type(value).__name__} {tuple(value.shape)} {np.dtype(value.dtype).name}>"
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return op_name(value)
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
