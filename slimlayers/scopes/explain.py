"""``explain()``: where did each argument come from? (TF-Slim's hidden defaults, made visible.)

Three ways to ask, all returning ``Explanation`` objects (a table when
printed, a list of dicts through ``.records``):

* ``explain(layer)`` — a layer constructed from an ``@add_arg_scope`` class
  (every ``sl.layers`` object remembers how its constructor arguments were
  resolved);
* ``explain(op, *args, **kwargs)`` — a dry run: how a call to a decorated op
  (``sl.slim.conv2d``) or class *would* resolve under the active scopes,
  without running it;
* ``with recording() as calls:`` (``provenance.py``) — every decorated op
  call and layer construction inside the block appends its ``Explanation``.

Example:
    >>> with sl.scopes.arg_scope([sl.slim.conv2d], padding="VALID"):
    ...     print(sl.scopes.explain(sl.slim.conv2d, np.ones((1, 4, 4, 1)), 8, 3))  # doctest: +SKIP
    sl.slim.convolution2d
      argument             value                            source
      inputs               <ndarray (1, 4, 4, 1) float64>   explicit
      num_outputs          8                                explicit
      kernel_size          3                                explicit
      stride               1                                default
      padding              'VALID'                          scope (model.py:12)
      ...
"""
from __future__ import annotations

from ..validation import arg_error
from .arg_scope import resolve
from .provenance import construction_of, explanation
from .signatures import is_scopable, op_key

__all__ = ["explain"]


def explain(op_or_layer, *args, **kwargs):
    """Explain a layer's construction, or dry-run the resolution of ``op(*args, **kwargs)``.

    Args:
        op_or_layer: an ``sl.layers`` layer instance (no further arguments), or
            a decorated op / class followed by the call's arguments.

    Returns:
        An ``Explanation``: ``print`` it for a table, ``.records`` for dicts.

    Example:
        >>> with sl.scopes.arg_scope([sl.layers.Conv2D], padding="same"):
        ...     layer = sl.layers.Conv2D(4, 3)
        >>> sl.scopes.explain(layer)["padding"].source
        'scope'
    """
    call = construction_of(op_or_layer)
    if call is not None:
        if args or kwargs:
            raise arg_error("args", "explain(layer) takes no further arguments (the layer is already built)",
                            args or kwargs, TypeError)
        return explanation(call.op, call.args, call.kwargs, call.scoped)
    key = op_key(op_or_layer)
    if not is_scopable(key):
        raise arg_error("op_or_layer", "must be a layer built from an @add_arg_scope class, or a function or "
                        "class decorated with @add_arg_scope", op_or_layer, TypeError)
    _, used = resolve(key, args, kwargs)
    return explanation(key, args, kwargs, used)
