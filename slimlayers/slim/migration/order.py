"""The order of a Keras 3 functional model's layers, hence of its ``get_weights()``, without Keras.

Keras (``keras/src/ops/function.py``, ``map_graph``) gives every node a
depth — 0 for the outputs, one more than its deepest consumer — and a
layer the largest depth of its calls. Layers are sorted by decreasing depth;
ties keep the order in which a depth-first walk from the outputs first
reached them. So a shortcut branch can come before the main path's first
layer: the order is the graph's, not the order of the Slim calls.

Example (input 0; a = 1 on it, b = 2 on a, shortcut c = 3 on the input, 4 adds c and b):
    >>> keras_layer_order(n_inputs=1, parents=[[0], [1], [0], [3, 2]], layer_of=[0, 1, 2, 3, 4], outputs=[4])
    [0, 1, 3, 2, 4]
"""
from __future__ import annotations


def keras_layer_order(n_inputs, parents, layer_of, outputs):
    """Layer ids in Keras' order.

    Args:
        n_inputs: nodes ``0..n_inputs-1`` are the input layers' nodes.
        parents: for every node after the inputs, the nodes it was called on (in call order).
        layer_of: the layer id of every node (inputs included); a shared layer has several nodes.
        outputs: the output nodes, in order.
    """
    def parents_of(node):
        return parents[node - n_inputs] if node >= n_inputs else []

    finished, in_decreasing_depth, first_seen = set(), [], {}

    def visit(root):  # Keras' _build_map_helper, iteratively: pre-order index, post-order list
        stack = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                finished.add(node)
                in_decreasing_depth.append(node)
                continue
            if node in finished:
                continue
            first_seen.setdefault(layer_of[node], len(first_seen))
            stack.append((node, True))
            stack.extend((p, False) for p in reversed(parents_of(node)))

    for out in outputs:
        visit(out)
    node_depth, layer_depth = {}, {}
    for node in reversed(in_decreasing_depth):
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(layer_of[node], 0))
        layer_depth[layer_of[node]] = depth
        node_depth[node] = depth
        for p in parents_of(node):
            node_depth[p] = max(depth + 1, node_depth.get(p, 0))
    for node in range(n_inputs):  # inputs the outputs do not use are still the model's layers
        if layer_of[node] not in layer_depth:
            layer_depth[layer_of[node]] = 0
            first_seen[layer_of[node]] = -1
    return sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
