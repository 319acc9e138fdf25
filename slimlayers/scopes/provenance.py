"""Provenance records: where each argument of a call came from, and ``recording()`` to collect them.

Each argument's source is ``"explicit"`` (passed by the caller, by keyword or
position), ``"scope"`` (with the file and line of the ``with arg_scope`` that
set it) or ``"default"`` (the op's own signature default). An ``Explanation``
holds one call's records: a table when printed, a list of dicts through
``.records``. ``explain()`` (in ``explain.py``) builds one on demand;
``recording()`` collects one per scoped call in a block.

Example:
    >>> import slimlayers as sl
    >>> with sl.scopes.recording() as calls:
    ...     layer = sl.layers.Dense(3)
    >>> calls[0].sources()["units"]
    'explicit'
"""
from __future__ import annotations

import contextvars
import inspect
from dataclasses import dataclass

import numpy as np

from .signatures import op_name, signature_of

__all__ = ["ArgRecord", "Explanation", "ScopedCall", "construction_of", "explanation", "record_call",
           "record_construction", "recording", "suspended"]

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


class recording:  # lower case: used as a context manager, like contextlib helpers
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


class suspended:  # lower case, like recording
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


def record_construction(obj, cls, args, kwargs, used):
    """Remember on ``obj`` how its constructor arguments were resolved (for ``explain(obj)``), and record it."""
    obj._scoped_call = ScopedCall(cls, args, kwargs, used)  # an attribute of the scopes package, not the class
    record_call(cls, args, kwargs, used)


def construction_of(obj):
    """The ``ScopedCall`` remembered by ``record_construction`` (``None`` for other objects)."""
    return None if isinstance(obj, type) else getattr(obj, "_scoped_call", None)


def record_call(key, args, kwargs, used):
    """Append the call's ``Explanation`` to the active ``recording()``, if any."""
    calls = _recorder.get()
    if calls is not None:
        calls.append(explanation(key, args, kwargs, used))


def explanation(key, args, kwargs, used):
    """The ``Explanation`` of a call of op ``key``: ``args``/``kwargs`` as passed, ``used`` the scoped values."""
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
