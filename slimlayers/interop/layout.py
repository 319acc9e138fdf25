"""Where PyTorch and ONNX want NCHW: which tensors to hold transposed, and the padding arithmetic.

PyTorch and ONNX run image ops on NCHW. A slimlayers model may be channels_last
(Keras' default), channels_first (what ``from_torch`` builds) or mixed. The
converters therefore track, per tensor, whether the target holds it as
slimlayers does (``PLAIN``) or as the NCHW transpose of an NHWC tensor
(``MOVED``), and transpose only where a layer needs the other form: a
channels_last conv stack pays one transpose at each end, not one per layer.

The padding helpers turn Keras 'same'/'valid' and transposed-conv output sizes
into explicit (before, after) amounts, with ``sl.nn`` shape arithmetic.

Example:
    >>> conv_pads(sl.layers.Conv2D(1, 3, strides=2, padding="same"), (8, 7))
    ((0, 1), (1, 1))
"""
from __future__ import annotations

from ..layers import (Activation, Add, AveragePooling2D, BatchNormalization, Concatenate, Conv2D, Conv2DTranspose,
                      Cropping2D, Dropout, LeakyReLU, MaxPooling2D, UpSampling2D, ZeroPadding2D)
from ..nn.shapes import conv_transpose_output_length, effective_kernel, same_padding, transpose_crop
from .graph import refuse

PLAIN, MOVED = "plain", "moved"
TO_NCHW, TO_NHWC = (0, 3, 1, 2), (0, 2, 3, 1)
IMAGE_LAYERS = (Conv2D, Conv2DTranspose, MaxPooling2D, AveragePooling2D, UpSampling2D, ZeroPadding2D, Cropping2D)
ELEMENTWISE = (LeakyReLU, Dropout)


def input_layout(layer, shapes, layouts):
    """The layout ``layer`` wants for all its inputs (its output has the same one)."""
    kind = type(layer)
    if kind in IMAGE_LAYERS:
        return MOVED if layer.data_format == "channels_last" else PLAIN
    if kind is BatchNormalization:
        return _batch_norm_layout(layer, shapes[0])
    if kind in ELEMENTWISE or (kind is Activation and activation_name(layer) != "softmax"):
        return layouts[0]
    if kind is Add:
        return layouts[0] if len(set(layouts)) == 1 else PLAIN
    if kind is Concatenate:
        return MOVED if all(lay == MOVED for lay in layouts) else PLAIN
    return PLAIN  # Dense, Flatten, Reshape, softmax: they read the axes in slimlayers' order


def _batch_norm_layout(layer, shape):
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    axes = [a % len(shape) for a in axes]
    if len(shape) == 4 and axes == [3]:
        return MOVED
    if (len(shape) == 4 and axes == [1]) or (len(shape) == 2 and axes == [1]):
        return PLAIN
    raise refuse(layer, f"normalising axis {layer.axis} of a rank-{len(shape)} input has no PyTorch/ONNX "
                        "equivalent here (supported: the channel axis of an image, or features of (N, C))")


def nchw_axis(axis):
    """An NHWC axis number in the NCHW tensor that holds it."""
    return TO_NCHW.index(axis % 4)


def activation_name(layer):
    """The registry name of a layer's activation (``'linear'`` when it has none)."""
    try:
        name = layer.get_config()["activation"]
    except (TypeError, ValueError):  # an unregistered callable has no name to translate
        name = getattr(layer, "activation", None)
    if not isinstance(name, str):
        raise refuse(layer, f"activation {name!r} is not a named activation")
    return name


def spatial(shape, data_format):
    """``(height, width)`` of a rank-4 shape."""
    return tuple(shape[1:3]) if data_format == "channels_last" else tuple(shape[2:4])


def conv_pads(layer, in_hw):
    """``((top, bottom), (left, right))`` of a conv or pooling layer, or ``None`` when 'same' padding
    depends on a size that is unknown (stride > 1)."""
    kernel = getattr(layer, "kernel_size", None) or layer.pool_size
    dilation = getattr(layer, "dilation_rate", (1, 1))
    if layer.padding == "valid":
        return ((0, 0), (0, 0))
    pads = []
    for i, k, s, d in zip(in_hw, kernel, layer.strides, dilation):
        if i is None:
            if s > 1:
                return None
            total = effective_kernel(k, d) - 1  # stride 1: P = dk - 1 whatever the size
            pads.append((total // 2, total - total // 2))
        else:
            pads.append(same_padding(i, k, s, d))
    return tuple(pads)


def transpose_geometry(layer, axis, length):
    """How one axis of a ``Conv2DTranspose`` reads the full scatter result of length ``L = (i-1)*s + dk``.

    Returns ``(crop_before, grow, crop_after)``: the output is the full result
    extended by ``grow`` zero rows (they receive only the bias), then cropped by
    ``crop_before`` / ``crop_after``. The three do not depend on ``length``.
    """
    k, s, d = layer.kernel_size[axis], layer.strides[axis], layer.dilation_rate[axis]
    op = None if layer.output_padding is None else layer.output_padding[axis]
    i = length if length is not None else 1
    o = conv_transpose_output_length(i, k, layer.padding, s, d, op)
    before = transpose_crop(o, i, k, s, layer.padding, d)
    full = (i - 1) * s + effective_kernel(k, d)
    extra = before + o - full  # > 0: rows past the full result (only bias there)
    grow = max(extra, 0)
    return before, grow, grow - extra


class Lowering:
    """Walk a traced graph, asking ``backend`` for each layer and for the transposes between layouts.

    ``backend`` provides ``input(position, tensor)``, ``transpose(value, perm, tensor)``,
    ``layer(call, args, layout)`` and returns values of its own kind (module
    keys for PyTorch, tensor names for ONNX). Outputs are always ``PLAIN``.
    """

    def __init__(self, graph, backend):
        self.graph, self.backend = graph, backend
        self.values = {}  # (tensor id, layout) -> backend value
        self.made = {}  # tensor id -> the layout it was produced in

    def get(self, tensor, layout):
        if (tensor, layout) not in self.values:
            other = self.values[(tensor, self.made[tensor])]
            perm = TO_NCHW if layout == MOVED else TO_NHWC
            self.values[(tensor, layout)] = self.backend.transpose(other, perm, tensor)
        return self.values[(tensor, layout)]

    def run(self):
        """``[output values]`` after lowering every call."""
        for position, tensor in enumerate(self.graph.inputs):
            self.values[(tensor, PLAIN)] = self.backend.input(position, tensor)
            self.made[tensor] = PLAIN
        for call in self.graph.calls:
            shapes = [self.graph.shapes[i] for i in call.inputs]
            layout = input_layout(call.layer, shapes, [self.made[i] for i in call.inputs])
            args = [self.get(i, layout) for i in call.inputs]
            self.values[(call.output, layout)] = self.backend.layer(call, args, layout)
            self.made[call.output] = layout
        return [self.get(t, PLAIN) for t in self.graph.outputs]
