"""Scopes: TF-Slim's ``arg_scope`` (made thread-safe, checked and explainable) and TF1 variable scopes.

Example:
    >>> import slimlayers as sl
    >>> with sl.scopes.arg_scope([sl.layers.Conv2D], padding="same"):
    ...     layer = sl.layers.Conv2D(4, 3)
    >>> layer.padding
    'same'
    >>> print(sl.scopes.explain(layer))  # doctest: +SKIP
"""
from .arg_scope import (ArgScope, add_arg_scope, arg_scope, arg_scoped_arguments, current_arg_scope,
                        has_arg_scope)
from .provenance import ArgRecord, Explanation, explain, recording
from .variables import (AUTO_REUSE, VariableScope, VariableStore, current_store, current_variable_scope,
                        get_regularization_losses, get_variables, reset_variables, variable_scope,
                        variable_store)

__all__ = ["ArgScope", "add_arg_scope", "arg_scope", "arg_scoped_arguments", "current_arg_scope",
           "has_arg_scope", "ArgRecord", "Explanation", "explain", "recording", "AUTO_REUSE", "VariableScope",
           "VariableStore", "current_store", "current_variable_scope", "get_regularization_losses",
           "get_variables", "reset_variables", "variable_scope", "variable_store"]
