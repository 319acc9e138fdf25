"""Join each recorded Slim call to the layer calls it made, and walk the graph from the outputs.

A Slim call ``conv2d(net, …)`` recorded with its input ``net`` built one
layer called on ``net`` (its *primary* tensor), possibly a normalizer (the
next recorded call, ``batch_norm`` on the primary's output) and an
``Activation`` after that normalizer, named ``<scope>/activation``. Tensors
are matched in creation order, so two calls on the same input (Inception
branches) find their own layers; a call whose output the model never uses
claims its own, unused tensor.

Example:
    >>> run = trace(lambda x: sl.slim.conv2d(x, 4, 3), (np.zeros((1, 8, 8, 3), "float32"),), {})
    >>> [c.kind for c in join(run)], [n.tensor.layer.name for n in walk(run)]
    (['conv2d'], ['x', 'Conv'])
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...layers import SymbolicTensor
from .rules import SLIM_LAYERS, is_batch_norm, slim_kind
from ..layers import batch_norm


@dataclass
class SlimCall:
    """One recorded Slim call: its kind, arguments (``{name: record}``) and the tensors it made."""

    kind: str
    op_name: str
    args: dict
    parent: SlimCall | None = None      # the call whose normalizer_fn this batch_norm is
    primary: SymbolicTensor | None = None
    activation: SymbolicTensor | None = None
    children: list = field(default_factory=list)

    def value(self, name, default=None):
        record = self.args.get(name)
        return default if record is None else record["value"]

    @property
    def label(self):
        """``slim.conv2d 'conv1/conv1_1'``: the function and the scope its layer lives in."""
        where = self.primary.layer.name if self.primary is not None else self.value("scope")
        label = f"slim.{self.kind} {where!r}" if where else f"slim.{self.kind}"
        if self.parent is not None:
            label += f" (normalizer_fn of {self.parent.primary.layer.name!r})"
        return label

    @property
    def output(self):
        """The tensor this call returned."""
        if self.activation is not None:
            return self.activation
        return self.children[-1].output if self.children else self.primary


def join(run):
    """The Slim calls of a ``Trace``, each with the tensors it created. Refuses what cannot be joined."""
    calls = []
    for explanation in run.calls:
        kind = slim_kind(explanation.op_name)
        if kind is not None:
            calls.append(SlimCall(kind, explanation.op_name, {r["name"]: r for r in explanation.records}))
    claimed = set()
    for i, call in enumerate(calls):
        inputs = call.value("inputs")
        if not isinstance(inputs, SymbolicTensor):
            raise ValueError(f"sl.slim.migrate: {call.label} was called on a {type(inputs).__name__}, not on a "
                             f"tensor computed from the model's inputs (numpy code inside the graph?); only "
                             f"layer operations can be migrated.")
        call.primary = _first(run.tensors, claimed, call, inputs, kind=SLIM_LAYERS[call.kind],
                              scope=call.value("scope"))
        normalizer = call.value("normalizer_fn")
        if call.kind in ("conv2d", "conv2d_transpose", "fully_connected") and normalizer is not None:
            nxt = calls[i + 1] if i + 1 < len(calls) else None
            if not is_batch_norm(normalizer, batch_norm) or nxt is None or nxt.kind != "batch_norm" \
                    or nxt.value("inputs") is not call.primary:
                raise ValueError(f"sl.slim.migrate: {call.label} has normalizer_fn={normalizer!r}; only "
                                 f"slim.batch_norm (or a functools.partial of it) has a Keras layer "
                                 f"(BatchNormalization).")
            nxt.parent = call
            call.children.append(nxt)
    for call in reversed(calls):  # a normalizer's own activation comes before its parent's
        fn = call.value("activation_fn")
        follows = call.kind == "batch_norm" or call.children
        if fn is not None and follows:
            before = call.children[-1].output if call.children else call.primary
            call.activation = _first(run.tensors, claimed, call, before,
                                     name=f"{call.primary.layer.name}/activation")
    return calls


def _first(tensors, claimed, call, inputs, kind=None, scope=None, name=None):
    """The first unclaimed tensor, in creation order, that ``call`` made from ``inputs``."""
    for t in tensors:
        if id(t) in claimed or t.inputs is not inputs:
            continue
        if (kind is None or type(t.layer).__name__ == kind) and (name is None or t.layer.name == name) \
                and _in_scope(t.layer.name, scope):
            claimed.add(id(t))
            return t
    raise ValueError(f"sl.slim.migrate: cannot find the layer that {call.label} built (was the Slim function "
                     f"replaced or wrapped?).")


def _in_scope(layer_name, scope):
    if not isinstance(scope, str):
        return True
    scope = scope.strip("/")
    return layer_name == scope or layer_name.endswith("/" + scope)


@dataclass
class Node:
    """One layer call of the model: its output tensor and the nodes it was called on."""

    tensor: SymbolicTensor
    parents: list          # indices into the node list
    takes_list: bool       # called on a list (merge layers)


def walk(run):
    """Nodes from the inputs to the outputs, in topological order (inputs first, each call after its inputs)."""
    index = {id(t): i for i, t in enumerate(run.inputs)}
    nodes = [Node(t, [], False) for t in run.inputs]
    stack = [(t, False) for t in reversed(run.outputs)]
    while stack:
        tensor, parents_done = stack.pop()
        if id(tensor) in index:
            continue
        parents = _as_list(tensor.inputs)
        if parents_done:
            index[id(tensor)] = len(nodes)
            nodes.append(Node(tensor, [index[id(p)] for p in parents], isinstance(tensor.inputs, (list, tuple))))
            continue
        if tensor.inputs is None:
            raise ValueError(f"sl.slim.migrate: the output depends on {tensor.name!r}, which is not one of the "
                             f"model function's array arguments.")
        stack.append((tensor, True))
        stack.extend((p, False) for p in reversed(parents) if id(p) not in index)
    return nodes


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]
