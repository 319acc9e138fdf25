"""arg_scope for Keras-style classes: ``with arg_scope([sl.layers.Conv2D], padding="same"):``.

``Layer.__init_subclass__`` calls ``install(cls)`` for every subclass. It
registers the class as scopable and gives it a thin constructor wrapper that,
when an arg scope lists exactly this class, fills the constructor arguments the
caller did not pass. The entry applies only when ``type(self) is cls``: a
subclass, or a parent's ``__init__`` reached through ``super()``, never picks
up another class's scope. The wrapper also records how each argument was
resolved, which ``sl.scopes.explain(layer)`` prints.

This module imports only the standard library and ``arg_scope``; it never
imports ``slimlayers.layers``.
"""
from __future__ import annotations

import functools

from .arg_scope import register_layer_class, resolve

__all__ = ["install"]


class ScopedCall:
    """How one call resolved its arguments: explicit ``args``/``kwargs`` and the scoped values used."""

    __slots__ = ("op", "args", "kwargs", "scoped")

    def __init__(self, op, args, kwargs, scoped):
        self.op, self.args, self.kwargs, self.scoped = op, args, kwargs, scoped

    def __repr__(self):
        return f"<ScopedCall {getattr(self.op, '__qualname__', self.op)} scoped={sorted(self.scoped)}>"


def install(cls):
    """Make ``cls`` (a Layer subclass) accept constructor defaults from ``arg_scope``."""
    register_layer_class(cls)
    init = cls.__dict__.get("__init__")
    if init is None:
        init = cls.__init__  # inherited (already wrapped for its own class)

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if type(self) is not cls:
            return init(self, *args, **kwargs)
        from .provenance import _record_call

        merged, used = resolve(cls, args, kwargs)
        init(self, *args, **merged)
        call = ScopedCall(cls, args, kwargs, used)
        self._scoped_call = call
        _record_call(cls, args, kwargs, used, call)

    cls.__init__ = __init__
