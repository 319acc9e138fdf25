"""What ``arg_scope`` knows about an op: its key, its printable name, whether it is scopable, its parameters.

An op is a function or a class decorated with ``@add_arg_scope``. Its scope
key is the undecorated function (so aliases share one entry) or the class
itself. Scope keys are checked here against the op's parameters, once, when a
scope opens.

Example:
    >>> import slimlayers as sl
    >>> op_name(sl.slim.conv2d)
    'sl.slim.convolution2d'
    >>> signature_of(op_key(sl.slim.conv2d)).positional[:3]
    ('inputs', 'num_outputs', 'kernel_size')
"""
from __future__ import annotations

import difflib
import inspect
import threading
import weakref
from dataclasses import dataclass
from types import MappingProxyType

from ..validation import arg_error

__all__ = ["OpSignature", "ScopeArgumentError", "check_keys", "is_scopable", "op_key", "op_name", "register",
           "signature_of"]

# Decorated ops, weakly: a class defined inside a function can still be collected.
_lock = threading.Lock()
_registered: weakref.WeakSet = weakref.WeakSet()
_signatures: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# -- identity -------------------------------------------------------------------
def op_key(op):
    """The scope key of ``op``: the undecorated function, or the class itself."""
    return getattr(op, "_arg_scope_key", op) if not isinstance(op, type) else op


def op_name(op):
    """``sl.slim.convolution2d``, ``sl.layers.Conv2D``, or ``module.qualname`` for user ops."""
    key = op_key(op)
    module = getattr(key, "__module__", None) or ""
    qual = getattr(key, "__qualname__", None) or getattr(key, "__name__", None) or repr(key)
    if module.startswith("slimlayers."):
        module = "sl." + module.split(".")[1]  # sl.slim.conv2d, sl.layers.Conv2D
    return f"{module}.{qual}" if module else qual


def register(key):
    """Allow ``key`` in ``arg_scope`` lists (called by ``add_arg_scope``)."""
    with _lock:
        _registered.add(key)


def is_scopable(key):
    try:
        return key in _registered
    except TypeError:  # not weak-referenceable: never registered
        return False


# -- signatures -----------------------------------------------------------------
@dataclass(frozen=True)
class OpSignature:
    """What arg_scope needs to know about an op's parameters (computed once per op)."""

    names: tuple            # every parameter a keyword can reach, in order
    positional: tuple       # parameters that positional arguments fill, in order
    defaults: MappingProxyType
    open_keywords: bool     # the op takes **kwargs all the way down: any key is accepted
    has_var_positional: bool


def signature_of(key):
    sig = _signatures.get(key)
    if sig is None:
        sig = _class_signature(key) if isinstance(key, type) else _function_signature(key)
        _signatures[key] = sig
    return sig


def _parameters(func, skip_self):
    params = list(inspect.signature(func).parameters.values())
    return params[1:] if skip_self and params else params


def _function_signature(func):
    return _build_signature(_parameters(func, skip_self=False), open_keywords=None)


def _class_signature(cls):
    # A constructor ending in **kwargs forwards them to its parent: follow the MRO
    # until a constructor without **kwargs, so Layer's own arguments (name, dtype,
    # trainable, ...) are accepted and typos are still caught.
    params, seen = [], set()
    open_keywords, first, has_var_pos = True, True, False
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None or klass is object:
            continue
        own = _parameters(init, skip_self=True)
        if first:
            has_var_pos = any(p.kind == p.VAR_POSITIONAL for p in own)
        for p in own:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in seen:
                continue
            if not first and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                p = p.replace(kind=p.KEYWORD_ONLY)  # a parent's parameters are reached by keyword only
            seen.add(p.name)
            params.append(p)
        first = False
        if not any(p.kind == p.VAR_KEYWORD for p in own):
            open_keywords = False
            break
    return _build_signature(params, open_keywords, has_var_pos)


def _build_signature(params, open_keywords=None, has_var_positional=None):
    if open_keywords is None:
        open_keywords = any(p.kind == p.VAR_KEYWORD for p in params)
    if has_var_positional is None:
        has_var_positional = any(p.kind == p.VAR_POSITIONAL for p in params)
    named = [p for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    positional = []
    for p in params:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            positional.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            break
    return OpSignature(
        names=tuple(p.name for p in named if p.kind != p.POSITIONAL_ONLY),
        positional=tuple(positional),
        defaults=MappingProxyType({p.name: p.default for p in named if p.default is not p.empty}),
        open_keywords=open_keywords,
        has_var_positional=has_var_positional,
    )


# -- key check ------------------------------------------------------------------
class ScopeArgumentError(ValueError, TypeError):
    """An ``arg_scope`` key the op does not accept.

    Raised when the scope opens. It is a ``ValueError`` (slimlayers' argument
    errors) and a ``TypeError`` (what TF-Slim raised, later, at the op's call:
    "got an unexpected keyword argument"), so code written for either catches it.
    """


def check_keys(key, kwargs):
    """Raise ``ScopeArgumentError`` for the first key of ``kwargs`` that op ``key`` does not accept."""
    sig = signature_of(key)
    if sig.open_keywords:
        return
    for name in kwargs:
        if name not in sig.names:
            close = difflib.get_close_matches(name, sig.names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"it accepts {', '.join(sig.names)}"
            raise arg_error(name, f"{op_name(key)} has no parameter {name!r} ({hint})", kwargs[name],
                            ScopeArgumentError)
