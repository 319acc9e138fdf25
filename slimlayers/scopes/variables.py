"""Variable scopes and the variable store behind Slim and tf.layers functions.

A TF1 program found its variables by name in the graph; here a
``VariableStore`` plays the graph's part: ``{name: sl.Variable}`` plus the
regularizer of each variable and the counters that make default scope names
unique (``Conv``, ``Conv_1``, …). ``variable_scope(name, reuse=None)`` prefixes
names and switches reuse on for everything inside, as ``tf.variable_scope`` did.

Rules (TF1's, see reference/semantics.md §3, §4.3):

* creating ``a/weights`` when it exists without reuse → ``ValueError`` ("already exists, disallowed");
* ``reuse=True`` on a name that does not exist → ``ValueError`` ("does not exist");
* reuse is inherited by nested scopes and cannot be switched off inside (``False`` acts as ``None``);
  ``AUTO_REUSE`` creates when missing and reuses otherwise;
* entering a scope resets the default-name counters *below* it, so running the
  same model function twice under ``variable_scope("model", reuse=True)``
  produces the same default names (``model/Conv``, ``model/Conv_1``) and reuses them.

State lives in context variables: each thread / asyncio task has its own scope
stack; the default store is shared (as TF's default graph was) and
``with variable_store():`` opens a fresh, private one.

Example:
    >>> with sl.scopes.variable_store():
    ...     y = sl.slim.conv2d(np.ones((1, 4, 4, 1), "float32"), 2, 3, scope="c1")
    ...     sorted(v.name for v in sl.scopes.get_variables())
    ['c1/biases', 'c1/weights']
"""
from __future__ import annotations

import contextlib
import contextvars
import enum
import threading
from dataclasses import dataclass

from ..validation import arg_error

__all__ = ["AUTO_REUSE", "VariableScope", "VariableStore", "current_store", "current_variable_scope",
           "get_regularization_losses", "get_variables", "reset_variables", "store_creator", "variable_scope",
           "variable_store"]


class _Reuse(enum.Enum):
    AUTO_REUSE = 1

    def __repr__(self):
        return "sl.scopes.AUTO_REUSE"


AUTO_REUSE = _Reuse.AUTO_REUSE


class VariableStore:
    """Variables by full name, their regularizers, and default-name counters (a TF1 graph's bookkeeping)."""

    def __init__(self):
        self._lock = threading.RLock()
        self.variables = {}        # name -> sl.Variable, in creation order
        self.regularizers = {}     # name -> callable(variable) -> loss Tensor (or None)
        self._scope_counts = {}    # full scope name -> times opened

    def __repr__(self):
        return f"<VariableStore {len(self.variables)} variables>"

    def clear(self):
        with self._lock:
            self.variables.clear()
            self.regularizers.clear()
            self._scope_counts.clear()

    # -- scope names (TF's variable_scope_count / close_variable_subscopes) --------
    def unique_scope_name(self, parent, base):
        with self._lock:
            def count(n):
                return self._scope_counts.get(_join(parent, n), 0)
            if count(base) == 0:
                return base
            i = 1
            while count(f"{base}_{i}"):
                i += 1
            return f"{base}_{i}"

    def open_scope(self, full):
        with self._lock:
            self._scope_counts[full] = self._scope_counts.get(full, 0) + 1
            prefix = full + "/"
            for k in self._scope_counts:
                if k.startswith(prefix):
                    self._scope_counts[k] = 0

    # -- variables ----------------------------------------------------------
    def get_existing(self, name, shape, dtype, reuse):
        """The stored variable to reuse, or ``None`` when a new one must be created (checks the rules)."""
        with self._lock:
            var = self.variables.get(name)
        if var is not None:
            if not reuse:
                raise ValueError(f"Variable {name} already exists, disallowed. Did you mean to set reuse=True "
                                 f"or reuse=sl.scopes.AUTO_REUSE in variable_scope (or pass reuse=True)?")
            if tuple(var.shape) != tuple(shape):
                raise ValueError(f"Trying to share variable {name}, but specified shape {tuple(shape)} and "
                                 f"found shape {tuple(var.shape)}.")
            if var.dtype != dtype:
                raise ValueError(f"Trying to share variable {name}, but specified dtype {dtype.name} and "
                                 f"found dtype {var.dtype.name}.")
            return var
        if reuse is True:
            raise ValueError(f"Variable {name} does not exist, or was not created by a slimlayers Slim/"
                             f"tf.layers function. Did you mean to set reuse=sl.scopes.AUTO_REUSE in "
                             f"variable_scope?")
        return None

    def add(self, name, var, regularizer=None):
        with self._lock:
            if name in self.variables:
                raise ValueError(f"Variable {name} already exists, disallowed.")
            self.variables[name] = var
            if regularizer is not None:
                self.regularizers[name] = regularizer


_default_store = VariableStore()
_store = contextvars.ContextVar("slimlayers_variable_store", default=None)


@dataclass(frozen=True)
class VariableScope:
    """A variable scope: its full ``name`` ("" at top level) and ``reuse`` flag (None, True or AUTO_REUSE)."""

    name: str = ""
    reuse: object = None


_scope = contextvars.ContextVar("slimlayers_variable_scope", default=VariableScope())  # noqa: B039 (frozen)


def current_store():
    """The active ``VariableStore`` (the shared default unless inside ``variable_store()``)."""
    return _store.get() or _default_store


def current_variable_scope():
    return _scope.get()


def _join(parent, name):
    return f"{parent}/{name}" if parent else name


def _check_reuse(reuse):
    """``None``, ``True``, ``False`` or ``AUTO_REUSE`` (numpy bools and 0/1 read as bools)."""
    if reuse is None or reuse is AUTO_REUSE:
        return reuse
    if reuse in (True, False) and not isinstance(reuse, float):
        return bool(reuse)
    raise arg_error("reuse", "must be None, True, False or sl.scopes.AUTO_REUSE", reuse)


@contextlib.contextmanager
def _enter(full, reuse):
    current_store().open_scope(full)
    token = _scope.set(VariableScope(full, reuse))
    try:
        yield _scope.get()
    finally:
        _scope.reset(token)


def variable_scope(name, reuse=None, default_name=None):
    """Prefix variable names with ``name`` and set reuse for everything inside (``tf.variable_scope``).

    Args:
        name: a scope name (nested under the current scope), a ``VariableScope``
            (re-entered at its absolute name), or ``None`` with ``default_name``.
        reuse: ``None`` (inherit), ``True`` (every variable must exist) or
            ``sl.scopes.AUTO_REUSE`` (create if missing). ``False`` acts as ``None``.
        default_name: used when ``name`` is ``None``; made unique (``Conv``, ``Conv_1``, …).

    Example:
        >>> with sl.scopes.variable_store(), sl.scopes.variable_scope("enc") as vs:
        ...     vs.name
        'enc'
    """
    reuse = _check_reuse(reuse)
    parent = _scope.get()
    effective = reuse if reuse else parent.reuse
    if isinstance(name, VariableScope):
        return _enter(name.name, reuse if reuse else (name.reuse or parent.reuse))
    if name is None:
        if default_name is None:
            raise arg_error("name", "variable_scope needs a name or a default_name", name)
        if reuse is True:
            raise ValueError("reuse=True cannot be used without a name_or_scope (pass scope=...).")
        name = current_store().unique_scope_name(parent.name, default_name)
    elif not isinstance(name, str) or not name or name.startswith("/") or name.endswith("/"):
        raise arg_error("name", "must be a non-empty string without leading or trailing '/'", name)
    return _enter(_join(parent.name, name), effective)


@contextlib.contextmanager
def variable_store():
    """A fresh, empty variable store for the block (like building in a new ``tf.Graph``).

    Also starts at the top-level variable scope, so names inside do not carry
    an outer scope's prefix.
    """
    store = VariableStore()
    token = _store.set(store)
    scope_token = _scope.set(VariableScope())
    try:
        yield store
    finally:
        _scope.reset(scope_token)
        _store.reset(token)


def reset_variables():
    """Empty the current store: variables, regularizers and default-name counters."""
    current_store().clear()


def _matches(name, scope):
    if scope is None:
        return True
    if isinstance(scope, VariableScope):
        scope = scope.name
    if not isinstance(scope, str):
        raise arg_error("scope", "must be a scope name, a VariableScope or None", scope, TypeError)
    scope = scope.rstrip("/")
    # Whole path components only: scope "Conv" does not match "Conv_1/weights"
    # (TF-Slim's regex prefix match did).
    return not scope or name == scope or name.startswith(scope + "/")


def get_variables(scope=None, trainable=None):
    """Variables of the current store under ``scope`` (all by default), in creation order.

    Args:
        scope: a scope name or ``VariableScope``; matches whole path components.
        trainable: ``True`` / ``False`` to keep only (non-)trainable ones.
    """
    store = current_store()
    with store._lock:
        items = list(store.variables.items())
    return [v for n, v in items if _matches(n, scope) and (trainable is None or v.trainable == trainable)]


def get_regularization_losses(scope=None):
    """Regularization terms of the store's variables under ``scope``, computed at the current weights.

    Call it inside the ``GradientTape`` to differentiate through it; add
    ``sum(...)`` of the list to the loss. A variable shared through reuse
    contributes once.
    """
    store = current_store()
    with store._lock:
        items = [(n, store.variables[n], r) for n, r in store.regularizers.items()]
    losses = []
    for name, var, reg in items:
        if _matches(name, scope):
            loss = reg(var)
            if loss is not None:
                losses.append(loss)
    return losses


def store_creator(reuse, rename=None, store=None):
    """A ``Layer.variable_creator`` that finds variables by name in a ``VariableStore`` (TF1's ``get_variable``).

    The requested ``"<scope>/<weight>"`` has its weight part renamed through
    ``rename`` (Slim: ``kernel`` → ``weights``, ``bias`` → ``biases``) and is
    looked up in ``store`` (default: the current one): reused when ``reuse``
    allows it (shape and dtype must match), otherwise created by
    ``next_creator``, renamed and registered with its regularizer, so a shared
    variable's loss counts once. Errors are ``VariableStore.get_existing``'s.

    Example:
        >>> with sl.scopes.variable_store() as store:
        ...     layer = sl.layers.Dense(2, name="fc")
        ...     layer.variable_creator = store_creator(None, {"kernel": "weights", "bias": "biases"})
        ...     y = layer(np.ones((1, 3), "float32"))
        ...     list(store.variables)
        ['fc/weights', 'fc/biases']
    """
    store = store if store is not None else current_store()
    rename = dict(rename or {})

    def creator(next_creator, **request):
        scope, _, weight = request["name"].rpartition("/")
        name = _join(scope, rename.get(weight, weight))
        var = store.get_existing(name, request["shape"], request["dtype"], reuse)
        if var is None:
            var = next_creator(**request)  # seeded by the layer's own path, as a Keras layer would be
            var.name = name
            store.add(name, var, var.regularizer)
        return var

    return creator
