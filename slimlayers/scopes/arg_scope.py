"""``arg_scope``: TF-Slim's interface for shared defaults, without Slim's traps.

What stays as in TF-Slim: ``with arg_scope([op, ...], **kwargs):`` supplies
defaults to the listed ops; scopes nest and merge (inner values win, ops not
listed keep the outer entry); explicitly passed arguments always win;
``with arg_scope(...) as sc:`` saves a scope that can be re-entered later;
listing an op that cannot be scoped fails when the ``with`` opens.

What is fixed (each a documented TF-Slim trap):

* State lives in a ``contextvars.ContextVar`` holding immutable mappings, not
  in a global mutable stack: two threads, or two asyncio tasks, never see each
  other's scopes (a task starts with a snapshot of its creator's scopes).
* Keys are checked against the op's signature when the scope opens; a typo
  raises ``ScopeArgumentError`` naming the closest parameter (TF-Slim only
  failed, if at all, at the first call, with a ``TypeError``; the error is both
  a ``ValueError`` and a ``TypeError``, so either ``except`` catches it).
* An argument passed positionally also wins over the scope (TF-Slim raised
  ``TypeError: got multiple values for argument``).
* The error for an op that cannot be scoped is a formatted sentence (TF-Slim
  raised a ``ValueError`` holding an unformatted tuple).
* ``arg_scoped_arguments`` comes from ``inspect.signature`` and is right for
  every op (TF-Slim sliced ``co_varnames`` and returned local variables).
* Re-entering a saved scope **merges** it over the current one (saved values
  win, outer entries for other ops/arguments stay). TF-Slim *replaced* the
  current scope, silently dropping outer defaults.

Clearing, as in TF-Slim: ``with arg_scope({}):`` (an empty dict, TF-Slim's
idiom) runs its block with no active defaults at all; so does
``with no_arg_scope():``. A saved ``ArgScope`` always merges, even an empty one.

Scope keys are the ops themselves (the undecorated function, or the
decorated class), not TF-Slim's ``str(func)``. Aliases that are the same object
(``sl.slim.conv2d`` / ``sl.slim.convolution2d``) share one entry.

Example:
    >>> import slimlayers as sl
    >>> with sl.scopes.arg_scope([sl.slim.conv2d], padding="VALID", activation_fn=None):
    ...     y = sl.slim.conv2d(np.ones((1, 5, 5, 1), "float32"), 2, 3)
    >>> y.shape
    (1, 3, 3, 2)
"""
from __future__ import annotations

import contextvars
import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..validation import arg_error
from .provenance import record_call, record_construction
from .signatures import ScopeArgumentError, check_keys, is_scopable, op_key, op_name, register, signature_of

__all__ = ["ArgScope", "ScopeArgumentError", "ScopeOrigin", "add_arg_scope", "arg_scope", "arg_scoped_arguments",
           "current_arg_scope", "has_arg_scope", "no_arg_scope", "resolve"]


@dataclass(frozen=True)
class ScopeOrigin:
    """Where a scoped value was set: the ``with arg_scope(...)`` line (and, if re-entered, where)."""

    filename: str
    lineno: int
    reentered_at: tuple | None = None  # (filename, lineno) of ``with arg_scope(saved_scope)``

    def __str__(self):
        text = f"{_short_path(self.filename)}:{self.lineno}"
        if self.reentered_at is not None:
            text += f" (re-entered at {_short_path(self.reentered_at[0])}:{self.reentered_at[1]})"
        return text


@dataclass(frozen=True)
class Scoped:
    """One scoped argument value and the scope that set it."""

    value: object
    origin: ScopeOrigin


class ArgScope(Mapping):
    """An immutable arg scope: ``{op: {argument: value}}``.

    Index it with the op (the function, decorated or not, or the class); each entry is a
    read-only mapping of argument values. ``origin(op, name)`` tells which
    ``with arg_scope`` line set a value.
    """

    __slots__ = ("_entries",)

    def __init__(self, entries=None):
        # entries: {key: MappingProxyType({name: Scoped})}; never mutated after construction.
        self._entries = MappingProxyType(dict(entries or {}))

    def __getitem__(self, op):
        entry = self._entries[op_key(op)]
        return MappingProxyType({name: s.value for name, s in entry.items()})

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __contains__(self, op):
        try:
            return op_key(op) in self._entries
        except TypeError:
            return False

    def scoped(self, op):
        """``{argument: Scoped(value, origin)}`` for ``op`` (empty if none)."""
        return self._entries.get(op_key(op), MappingProxyType({}))

    def origin(self, op, name):
        return self.scoped(op)[name].origin

    def __repr__(self):
        body = ", ".join(f"{op_name(k)}: {dict(self[k])!r}" for k in self._entries)
        return f"ArgScope({{{body}}})"


EMPTY = ArgScope()
_current = contextvars.ContextVar("slimlayers_arg_scope", default=EMPTY)


# -- the context manager --------------------------------------------------------
class _ArgScopeContext:
    __slots__ = ("_scope", "_token")

    def __init__(self, scope):
        self._scope = scope
        self._token = None

    def __enter__(self):
        self._token = _current.set(self._scope)
        return self._scope

    def __exit__(self, *exc):
        _current.reset(self._token)
        self._token = None
        return False


def arg_scope(list_ops_or_scope, /, **kwargs):
    """Supply default arguments to the listed ops inside a ``with`` block.

    Args:
        list_ops_or_scope: a list/tuple of ops (functions decorated with
            ``@add_arg_scope``, or classes decorated with it, such as every
            public ``sl.layers`` class, whose constructor defaults it then
            supplies), or a scope saved with ``with arg_scope(...) as sc:``
            to re-enter (merged over the current scope; kwargs must then be
            empty), or ``{}``: no active defaults in the block (TF-Slim's way
            to clear them; see also ``no_arg_scope()``).
        **kwargs: argument values; each key must be a parameter of every listed op.

    Returns:
        A context manager yielding the new, immutable ``ArgScope``.

    Raises:
        ScopeArgumentError: (a ``ValueError`` and a ``TypeError``) a key is not a
            parameter of a listed op.

    Example:
        >>> with arg_scope([sl.slim.conv2d], padding="VALID") as sc:
        ...     pass
        >>> with arg_scope(sc):          # re-enter the saved scope later
        ...     sl.slim.conv2d(np.ones((1, 4, 4, 1), "float32"), 1, 3).shape
        (1, 2, 2, 1)
        >>> with arg_scope(sc), arg_scope({}):   # {} clears every active default
        ...     dict(current_arg_scope())
        {}
    """
    frame = sys._getframe(1)
    here = (frame.f_code.co_filename, frame.f_lineno)
    current = _current.get()
    if isinstance(list_ops_or_scope, Mapping):
        if kwargs:
            raise ValueError(f"arg_scope: when re-entering a saved scope, kwargs must be empty (the saved "
                             f"scope already holds the values). Received: kwargs={kwargs!r}")
        if not list_ops_or_scope and not isinstance(list_ops_or_scope, ArgScope):
            return _ArgScopeContext(EMPTY)  # TF-Slim's `arg_scope({})`: no defaults in the block
        return _ArgScopeContext(_merge_saved(current, list_ops_or_scope, here))
    if not isinstance(list_ops_or_scope, (list, tuple)):
        raise arg_error("list_ops_or_scope", "must be a list/tuple of ops or a saved scope "
                        "(wrap a single op in a list: arg_scope([op], ...))", list_ops_or_scope, TypeError)
    origin = ScopeOrigin(*here)
    entries = dict(current._entries)
    for op in list_ops_or_scope:
        key = op_key(op)
        if not is_scopable(key):
            raise arg_error("list_ops_or_scope", f"{op_name(op)} is not decorated with @add_arg_scope, so it "
                            "cannot take scoped arguments", list_ops_or_scope)
        check_keys(key, kwargs)
        merged = dict(entries.get(key, {}))
        merged.update({name: Scoped(value, origin) for name, value in kwargs.items()})
        entries[key] = MappingProxyType(merged)
    return _ArgScopeContext(ArgScope(entries))


def _merge_saved(current, saved, here):
    entries = dict(current._entries)
    if isinstance(saved, ArgScope):
        items = [(key, {n: Scoped(s.value, ScopeOrigin(s.origin.filename, s.origin.lineno, here))
                        for n, s in values.items()}) for key, values in saved._entries.items()]
    else:  # a plain {op: {name: value}} dict (TF-Slim's layout, with ops as keys)
        origin = ScopeOrigin(*here)
        items = []
        for op, values in saved.items():
            if not isinstance(values, Mapping):
                raise arg_error("list_ops_or_scope", "a scope dict must map each op to a dict of arguments",
                                saved, TypeError)
            items.append((op_key(op), {n: Scoped(v, origin) for n, v in values.items()}))
    for key, values in items:
        if not is_scopable(key):
            raise arg_error("list_ops_or_scope", f"{op_name(key)} is not decorated with @add_arg_scope, so it "
                            "cannot take scoped arguments", saved)
        check_keys(key, {n: s.value for n, s in values.items()})
        merged = dict(entries.get(key, {}))
        merged.update(values)
        entries[key] = MappingProxyType(merged)
    return ArgScope(entries)


def current_arg_scope():
    """The active ``ArgScope`` (empty at top level)."""
    return _current.get()


def no_arg_scope():
    """Run a block with no active arg scope (like TF-Slim's ``with arg_scope({}):``); yields the empty scope.

    Slim and tf.layers functions build their Layers inside it, so a scope on a
    Layer class never leaks into them.

    Example:
        >>> with arg_scope([sl.slim.conv2d], padding="VALID"), no_arg_scope():
        ...     sl.slim.conv2d in current_arg_scope()
        False
    """
    return _ArgScopeContext(EMPTY)


# -- resolution -----------------------------------------------------------------
def resolve(key, args, kwargs, scope=None):
    """Merge scoped values under explicit ones: ``(call_kwargs, scoped_used)``.

    A scoped argument is dropped when the caller passed it by keyword *or*
    positionally, so the call never sees two values for one parameter.
    """
    scope = _current.get() if scope is None else scope
    entry = scope._entries.get(key)
    if not entry:
        return kwargs, {}
    sig = signature_of(key)
    positional = set(sig.positional[:len(args)])
    used = {name: s for name, s in entry.items() if name not in kwargs and name not in positional}
    if not used:
        return kwargs, {}
    merged = {name: s.value for name, s in used.items()}
    merged.update(kwargs)
    return merged, used


def add_arg_scope(func):
    """Decorate a function, or a Layer class, so that ``arg_scope`` can supply its arguments.

    A function is wrapped; the wrapper keeps its name, docstring and signature.
    A class is returned itself, registered, with its own ``__init__`` wrapped:
    a scope entry for the class fills the constructor arguments the caller did
    not pass, and applies only when ``type(self) is cls`` (a subclass, or this
    ``__init__`` reached through ``super()``, never picks it up). Explicit
    arguments (keyword or positional) always win over scoped values.

    Example:
        >>> @add_arg_scope
        ... def scaled(x, factor=1.0):
        ...     return x * factor
        >>> with arg_scope([scaled], factor=3.0):
        ...     scaled(2.0)
        6.0
    """
    if isinstance(func, type):
        return _scoped_class(func)
    key = op_key(func)
    if not callable(key):
        raise arg_error("func", "add_arg_scope decorates functions and classes", func, TypeError)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        merged, used = resolve(key, args, kwargs)
        record_call(key, args, kwargs, used)
        return func(*args, **merged)

    wrapper._arg_scope_key = key
    register(key)
    return wrapper


def _scoped_class(cls):
    init = cls.__init__  # the class's own, or the inherited one (then wrapped for its own class)
    if getattr(init, "_arg_scope_class", None) is cls:
        return cls  # decorated twice

    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if type(self) is not cls:
            return init(self, *args, **kwargs)
        merged, used = resolve(cls, args, kwargs)
        init(self, *args, **merged)
        record_construction(self, cls, args, kwargs, used)

    __init__._arg_scope_class = cls
    cls.__init__ = __init__
    register(cls)
    return cls


def has_arg_scope(op):
    """``True`` if ``op`` can appear in an ``arg_scope`` list (a function or class decorated with @add_arg_scope)."""
    try:
        return is_scopable(op_key(op))
    except TypeError:
        return False


def arg_scoped_arguments(op):
    """Names of ``op``'s arguments that have defaults (what a scope usually sets), in signature order.

    Any named parameter can be scoped; this lists the ones with defaults, as
    TF-Slim meant to. Raises ``ValueError`` for an op that cannot be scoped.
    """
    key = op_key(op)
    if not is_scopable(key):
        raise arg_error("op", "is not decorated with @add_arg_scope", op)
    sig = signature_of(key)
    return tuple(name for name in sig.names if name in sig.defaults)


def _short_path(path):
    parts = path.replace("\\", "/").split("/")
    return "/".join(parts[-2:]) if len(parts) > 2 else path
