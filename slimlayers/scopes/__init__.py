"""Scopes: TF-Slim's ``arg_scope`` (made thread-safe, checked and explainable) and TF1 variable scopes.

A leaf package: it imports only the standard library, numpy and
``slimlayers.validation``, so layers and faces can both use it.

Example:
    >>> import slimlayers as sl
    >>> with sl.scopes.arg_scope([sl.layers.Conv2D], padding="same"):
    ...     layer = sl.layers.Conv2D(4, 3)
    >>> layer.padding
    'same'
    >>> print(sl.scopes.explain(layer))  # doctest: +SKIP
"""
from .arg_scope import (ArgScope, ScopeArgumentError, add_arg_scope, arg_scope, arg_scoped_arguments,
                        current_arg_scope, has_arg_scope, no_arg_scope)
from .explain import explain
from .provenance import ArgRecord, Explanation, recording
from .variables import (AUTO_REUSE, VariableScope, VariableStore, current_store, current_variable_scope,
                        get_regularization_losses, get_variables, reset_variables, variable_scope,
                        variable_store)

__all__ = ["AUTO_REUSE", "ArgRecord", "ArgScope", "Explanation", "ScopeArgumentError", "VariableScope",
           "VariableStore", "add_arg_scope", "arg_scope", "arg_scoped_arguments", "current_arg_scope",
           "current_store", "current_variable_scope", "explain", "get_regularization_losses", "get_variables",
           "has_arg_scope", "no_arg_scope", "recording", "reset_variables", "variable_scope", "variable_store"]
