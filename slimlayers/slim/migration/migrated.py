"""The migrated model as data: layers with every argument, its value and its origin, and the calls between them.

Example:
    >>> arg = Arg("padding", "same", "arg_scope at model.py:12")
    >>> arg.hidden, Arg("filters", 8).hidden, Arg("groups", 1, "").hidden
    (True, False, False)
"""
from __future__ import annotations

from dataclasses import dataclass, field

EXPLICIT = "explicit"
SLIM_DEFAULT = "slim default"
LAYER_DEFAULT = "sl.layers default"


@dataclass
class Arg:
    """One constructor argument: ``value`` (config form), ``origin`` (``explicit``, ``slim default``,
    ``arg_scope at file:line``, ``""`` for an argument Slim does not have) and a conversion ``note``."""

    name: str
    value: object
    origin: str = EXPLICIT
    note: str = ""
    text: str | None = None   # source text when the value is better written as an expression (1 - 0.8)
    halved_l2: bool = False   # a Slim l2 scale: write L2(s / 2)

    @property
    def hidden(self):
        return self.origin not in (EXPLICIT, "")


@dataclass
class LayerSpec:
    """A layer of the migrated model."""

    cls: str
    name: str
    args: list
    call: str                                   # the Slim call (or layer construction) it comes from
    weights: list = field(default_factory=list)
    variable_names: list = field(default_factory=list)
    slim_only: list = field(default_factory=list)  # (name, value, origin) of Slim arguments with no Keras one

    def arg(self, name):
        return next(a for a in self.args if a.name == name)


@dataclass
class GraphNode:
    spec: LayerSpec
    parents: list
    takes_list: bool


@dataclass
class Graph:
    """``inputs``: (name, shape without batch, dtype); ``nodes``: the calls after the inputs, in order."""

    name: str
    inputs: list
    nodes: list
    outputs: list          # node indices (inputs count as nodes 0..len(inputs)-1)
    single_output: bool

    @property
    def layers(self):
        """Distinct layer specs in call order."""
        seen, out = set(), []
        for node in self.nodes:
            if id(node.spec) not in seen:
                seen.add(id(node.spec))
                out.append(node.spec)
        return out
