"""Input checks shared by the image layers, worded as Keras words them.

(Layout helpers — channels_first ↔ channels_last, ``split_shape`` / ``join_shape`` —
live in ``slimlayers.nn.layout``, shared with the ops.)
"""
from __future__ import annotations


def check_rank(layer, shape, ndim):
    """Keras' input-spec message for a wrong rank."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected "
                         f"ndim={ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def check_axis_size(layer, shape, axis, expected):
    """The input's size on ``axis`` must equal the size the layer was built for."""
    if shape[axis] != expected:
        raise ValueError(f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected axis "
                         f"{axis} of the input to have value {expected}, but received an input with shape "
                         f"{tuple(shape)}")
