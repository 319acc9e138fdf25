"""``to_onnx``: a slimlayers model as an ONNX file, built with the ``onnx`` package's own helpers.

ONNX's image operators are NCHW, like PyTorch's: a channels_last model gets
one ``Transpose`` at each end (see ``layout.py``). TensorFlow semantics map
onto ONNX attributes directly: asymmetric 'same' padding is ``Conv``'s
``pads=[top, left, bottom, right]`` (``auto_pad="SAME_UPPER"`` where a size is
unknown), TF average pooling is ``AveragePool(count_include_pad=0)``, and a
Keras transposed conv is ``ConvTranspose`` with begin/end ``pads`` and
``output_padding``. The graph computes inference (Dropout is the identity,
BatchNormalization uses the moving statistics); the batch size is free.
"""
from __future__ import annotations

import math
import os

import numpy as np

from ..layers import (AveragePooling2D)
from ..validation import check_int
from .graph import export_method, refuse, trace
from .layout import MOVED, Lowering, activation_name, conv_pads, nchw_axis, spatial, transpose_geometry
from .optional import require

MIN_OPSET = 13  # Softmax over one axis, Resize with scales, Slice/Pad with tensor inputs


def to_onnx(model, path, opset=17):
    """Write ``model`` as an ONNX file at ``path`` (checked with ``onnx.checker``); returns ``path``.

    Args:
        model: a Sequential or functional slimlayers model (float32).
        path: where to write the ``.onnx`` file.
        opset: the ONNX opset (>= 13); newer opsets use ``Gelu`` (20) and ``Mish`` (18) directly.

    Example:
        >>> model = sl.models.Sequential([sl.layers.Input((8, 8, 1)), sl.layers.Conv2D(4, 3, padding="same")])
        >>> path = sl.interop.to_onnx(model, "model.onnx")
        >>> onnxruntime.InferenceSession(path).run(None, {"input_layer": np.zeros((2, 8, 8, 1), "float32")})[0].shape
        (2, 8, 8, 4)
    """
    onnx = require("onnx")
    opset = check_int("opset", opset, minimum=MIN_OPSET)
    graph = trace(model)
    for call in graph.calls:
        if call.layer.dtype != np.float32:
            raise refuse(call.layer, "to_onnx writes float32 models; this layer is float64")
    backend = _OnnxBackend(graph, opset, onnx)
    outputs = Lowering(graph, backend).run()
    proto = backend.model(outputs, model.name)
    onnx.checker.check_model(proto, full_check=True)
    path = os.fspath(path)
    onnx.save(proto, path)
    return path


def _dims(shape):
    return ["batch" if i == 0 and d is None else (f"d{i}" if d is None else int(d)) for i, d in enumerate(shape)]


class _OnnxBackend:
    def __init__(self, graph, opset, onnx):
        self.graph, self.opset, self.onnx, self.h = graph, opset, onnx, onnx.helper
        self.nodes, self.initializers, self.inputs, self.used = [], [], [], set()

    def _name(self, base):
        name, n = base, 1
        while name in self.used:
            name, n = f"{base}_{n}", n + 1
        self.used.add(name)
        return name

    def _node(self, op, inputs, base, **attrs):
        out = self._name(base)
        self.nodes.append(self.h.make_node(op, list(inputs), [out], name=out, **attrs))
        return out

    def _const(self, base, array):
        name = self._name(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    # -- Lowering callbacks ------------------------------------------------------------------------
    def input(self, position, tensor):
        name = self._name(self.graph.input_configs[position].get("name") or f"input_{position}")
        float32 = self.onnx.TensorProto.FLOAT
        self.inputs.append(self.h.make_tensor_value_info(name, float32, _dims(self.graph.shapes[tensor])))
        return name

    def transpose(self, value, perm, tensor):
        return self._node("Transpose", [value], f"{value}/to_{'nchw' if perm == (0, 3, 1, 2) else 'nhwc'}",
                          perm=list(perm))

    def layer(self, call, args, layout):
        layer = call.layer
        convert = export_method(self, layer, "ONNX")
        shapes = [self.graph.shapes[i] for i in call.inputs]
        return convert(layer, args if layer.takes_input_list else args[0],
                       shapes if layer.takes_input_list else shapes[0], layout)

    def model(self, outputs, name):
        float32 = self.onnx.TensorProto.FLOAT
        final = []
        for tensor, value in zip(self.graph.outputs, outputs):
            out = self._node("Identity", [value], f"output_{len(final)}")
            final.append(self.h.make_tensor_value_info(out, float32, _dims(self.graph.shapes[tensor])))
        graph = self.h.make_graph(self.nodes, name, self.inputs, final, self.initializers)
        return self.h.make_model(graph, producer_name="slimlayers",
                                 opset_imports=[self.h.make_opsetid("", self.opset)])

    # -- layers ------------------------------------------------------------------------------------
    def conv2d(self, layer, x, shape, layout):
        kernel, *bias = layer.get_weights()
        pads = conv_pads(layer, spatial(shape, layer.data_format))
        inputs = [x, self._const(f"{layer.name}/kernel", kernel.transpose(3, 2, 0, 1))]
        inputs += [self._const(f"{layer.name}/bias", bias[0])] if bias else []
        geometry = {"auto_pad": "SAME_UPPER"} if pads is None else {"pads": _onnx_pads(pads)}
        y = self._node("Conv", inputs, f"{layer.name}/conv", kernel_shape=list(layer.kernel_size),
                       strides=list(layer.strides), dilations=list(layer.dilation_rate), group=layer.groups, **geometry)
        return self._activation(layer, y)

    def conv2d_transpose(self, layer, x, shape, layout):
        kernel, *bias = layer.get_weights()
        in_hw = spatial(shape, layer.data_format)
        (bh, gh, ah), (bw, gw, aw) = (transpose_geometry(layer, axis, in_hw[axis]) for axis in range(2))
        inputs = [x, self._const(f"{layer.name}/kernel", kernel.transpose(3, 2, 0, 1))]
        inputs += [self._const(f"{layer.name}/bias", bias[0])] if bias else []
        y = self._node("ConvTranspose", inputs, f"{layer.name}/conv_transpose", kernel_shape=list(layer.kernel_size),
                       strides=list(layer.strides), dilations=list(layer.dilation_rate), group=layer.groups,
                       pads=[bh, bw, ah, aw], output_padding=[gh, gw])
        return self._activation(layer, y)

    def dense(self, layer, x, shape, layout):
        kernel, *bias = layer.get_weights()
        y = self._node("MatMul", [x, self._const(f"{layer.name}/kernel", kernel)], f"{layer.name}/matmul")
        if bias:
            y = self._node("Add", [y, self._const(f"{layer.name}/bias", bias[0])], f"{layer.name}/bias_add")
        return self._activation(layer, y)

    def batch_norm(self, layer, x, shape, layout):
        weights = layer.get_weights()
        mean, variance = weights[-2:]
        learned = iter(weights[:-2])
        gamma = next(learned) if layer.scale else np.ones_like(mean)
        beta = next(learned) if layer.center else np.zeros_like(mean)
        names = [self._const(f"{layer.name}/{n}", v) for n, v in
                 (("gamma", gamma), ("beta", beta), ("moving_mean", mean), ("moving_variance", variance))]
        return self._node("BatchNormalization", [x, *names], layer.name, epsilon=layer.epsilon)

    def pooling(self, layer, x, shape, layout):
        pads = conv_pads(layer, spatial(shape, layer.data_format))
        geometry = {"auto_pad": "SAME_UPPER"} if pads is None else {"pads": _onnx_pads(pads)}
        if type(layer) is AveragePooling2D:  # TF divides by the cells inside the input
            geometry["count_include_pad"] = 0
        op = "AveragePool" if type(layer) is AveragePooling2D else "MaxPool"
        return self._node(op, [x], layer.name, kernel_shape=list(layer.pool_size), strides=list(layer.strides),
                          **geometry)

    def upsampling(self, layer, x, shape, layout):
        scales = self._const(f"{layer.name}/scales", np.array([1, 1, *layer.size], np.float32))
        if layer.interpolation == "nearest":  # repeat: source index floor(j / factor)
            attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        else:  # tf.image.resize bilinear: half-pixel centres
            attrs = dict(mode="linear", coordinate_transformation_mode="half_pixel")
        return self._node("Resize", [x, "", scales], layer.name, **attrs)

    def zero_padding(self, layer, x, shape, layout):
        (t, b), (lft, r) = layer.padding
        pads = self._const(f"{layer.name}/pads", np.array([0, 0, t, lft, 0, 0, b, r], np.int64))
        return self._node("Pad", [x, pads], layer.name, mode="constant")

    def cropping(self, layer, x, shape, layout):
        (t, b), (lft, r) = layer.cropping
        big = np.iinfo(np.int64).max
        starts = self._const(f"{layer.name}/starts", np.array([t, lft], np.int64))
        ends = self._const(f"{layer.name}/ends", np.array([-b if b else big, -r if r else big], np.int64))
        axes = self._const(f"{layer.name}/axes", np.array([2, 3], np.int64))
        return self._node("Slice", [x, starts, ends, axes], layer.name)

    def flatten(self, layer, x, shape, layout):
        if layer.data_format == "channels_first" and len(shape) > 2:  # Keras flattens in channels_last order
            x = self._node("Transpose", [x], f"{layer.name}/to_channels_last", perm=[0, *range(2, len(shape)), 1])
        return self._node("Flatten", [x], layer.name, axis=1)

    def reshape(self, layer, x, shape, layout):
        target = self._const(f"{layer.name}/shape", np.array([0, *layer.target_shape], np.int64))  # 0: keep batch
        return self._node("Reshape", [x, target], layer.name)

    def activation_layer(self, layer, x, shape, layout):
        y = self._activation(layer, x)
        return y if y != x else self._node("Identity", [x], layer.name)

    def leaky_relu(self, layer, x, shape, layout):
        return self._node("LeakyRelu", [x], layer.name, alpha=layer.negative_slope)

    def dropout(self, layer, x, shape, layout):
        return self._node("Identity", [x], layer.name)  # inference graph

    def add(self, layer, xs, shapes, layout):
        return self._node("Sum", xs, layer.name)

    def concatenate(self, layer, xs, shapes, layout):
        axis = nchw_axis(layer.axis) if layout == MOVED else layer.axis
        return self._node("Concat", xs, layer.name, axis=axis)

    # -- activations -------------------------------------------------------------------------------
    def _activation(self, layer, x):
        name = activation_name(layer)
        base = f"{layer.name}/{name}"
        node = self._node
        simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
                  "softsign": "Softsign", "exponential": "Exp", "selu": "Selu"}
        if name == "linear":
            return x
        if name in simple:
            return node(simple[name], [x], base)
        if name == "elu":
            return node("Elu", [x], base, alpha=1.0)
        if name == "leaky_relu":
            return node("LeakyRelu", [x], base, alpha=0.2)
        if name == "softmax":
            return node("Softmax", [x], base, axis=-1)
        if name == "relu6":
            return node("Clip", [x, self._const(f"{base}/min", np.float32(0)), self._const(f"{base}/max",
                                                                                          np.float32(6))], base)
        if name == "hard_sigmoid":
            return node("HardSigmoid", [x], base, alpha=1.0 / 6.0, beta=0.5)
        if name in ("hard_silu", "hard_swish"):
            return node("Mul", [x, node("HardSigmoid", [x], f"{base}/gate", alpha=1.0 / 6.0, beta=0.5)], base)
        if name in ("silu", "swish"):
            return node("Mul", [x, node("Sigmoid", [x], f"{base}/gate")], base)
        if name == "mish":
            if self.opset >= 18:
                return node("Mish", [x], base)
            return node("Mul", [x, node("Tanh", [node("Softplus", [x], f"{base}/softplus")], f"{base}/tanh")], base)
        if name == "gelu":
            if self.opset >= 20:
                return node("Gelu", [x], base)
            scaled = node("Mul", [x, self._const(f"{base}/rsqrt2", np.float32(1 / math.sqrt(2)))], f"{base}/scaled")
            erf1 = node("Add", [node("Erf", [scaled], f"{base}/erf"), self._const(f"{base}/one", np.float32(1))],
                        f"{base}/erf1")
            half = node("Mul", [x, self._const(f"{base}/half", np.float32(0.5))], f"{base}/half_x")
            return node("Mul", [half, erf1], base)
        raise refuse(layer, f"activation {name!r} has no ONNX translation here")


def _onnx_pads(pads):
    (t, b), (lft, r) = pads
    return [t, lft, b, r]


