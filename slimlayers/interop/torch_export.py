"""``to_torch``: a slimlayers model as a ``torch.nn.Module`` with the same weights and predictions.

The module takes and returns the model's own data format (NHWC for a
channels_last model: it transposes once on the way in and once on the way
out). TensorFlow semantics that PyTorch's modules lack are spelled out:
asymmetric 'same' padding as an explicit ``ZeroPad2d`` (``-inf`` padding in
front of max pooling), Keras' transposed-conv output sizes as
``ConvTranspose2d`` plus ``Crop2d`` where ``padding``/``output_padding`` alone
cannot say it, TF average pooling (divides by the cells inside the input) as
``TFAvgPool2d`` where ``count_include_pad=False`` is not equivalent, and
Keras' channels_last ``Flatten`` order.

What the module does not hold: regularizers and initializers (PyTorch keeps
those in the loss and the optimizer). BatchNormalization becomes
``BatchNorm2d`` with ``momentum = 1 - keras momentum``; in training mode
PyTorch updates the running variance with the unbiased batch variance where
Keras uses the biased one (inference is identical). A BatchNormalization layer
with ``trainable=False`` always normalises with its moving statistics, as in Keras.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

from ..layers import (AveragePooling2D)
from .graph import export_method, refuse, trace
from .layout import (MOVED, Lowering, activation_name, conv_pads, nchw_axis, spatial, transpose_geometry)
from .optional import require


def to_torch(model):
    """A ``torch.nn.Module`` computing what ``model`` computes, with a copy of its weights.

    A Sequential (or chain-shaped functional) model becomes an ``nn.Sequential``
    whose entries are named after the layers; other functional models become a
    module that runs the graph (``Add``/``Concatenate`` branches, shared layers).
    Call ``.eval()`` for inference: Dropout and BatchNormalization follow
    PyTorch's train/eval modes.

    Example:
        >>> model = sl.models.Sequential([sl.layers.Input((8, 8, 1)),
        ...                               sl.layers.Conv2D(4, 3, strides=2, padding="same")])
        >>> module = sl.interop.to_torch(model).eval()
        >>> module(torch.zeros(2, 8, 8, 1)).shape     # NHWC in, NHWC out
        torch.Size([2, 4, 4, 4])
    """
    require("torch")
    graph = trace(model)
    backend = _TorchBackend(graph)
    outputs = Lowering(graph, backend).run()
    return backend.module(outputs)


class _TorchBackend:
    def __init__(self, graph):
        from . import torch_modules

        self.graph, self.tm = graph, torch_modules
        self.modules, self.steps, self.names = OrderedDict(), [], {}

    # -- Lowering callbacks ------------------------------------------------------------------------
    def input(self, position, tensor):
        return f"input:{position}"  # ':' never occurs in a module name (see _unique)

    def transpose(self, value, perm, tensor):
        name = self._unique(f"to_{'nchw' if perm == (0, 3, 1, 2) else 'nhwc'}")
        self.modules[name] = self.tm.Permute(perm)
        self.steps.append((name, [value], name))
        return name

    def layer(self, call, args, layout):
        layer = call.layer
        if id(layer) not in self.names:  # a shared layer is one module, called once per use
            name = self._unique(layer.name)
            self.dtype = _torch_dtype(layer.dtype)  # parameters are created in it, then filled exactly
            self.modules[name] = self._convert(layer, [self.graph.shapes[i] for i in call.inputs], layout)
            self.names[id(layer)] = name
        name = self.names[id(layer)]
        out = name if not any(step[0] == name for step in self.steps) else f"{name}:{len(self.steps)}"
        self.steps.append((name, list(args), out))
        return out

    def _unique(self, base):
        base = base.replace(".", "_").replace(":", "_")  # '.' is torch's path separator; ':' marks keys
        name, n = base, 1
        while name in self.modules:
            name, n = f"{base}_{n}", n + 1
        return name

    def module(self, outputs):
        nn = require("torch").nn
        if self.graph.is_chain and _is_chain(self.steps, "input:0", outputs):
            return nn.Sequential(OrderedDict((name, self.modules[name]) for name, _, _ in self.steps))
        inputs = [f"input:{i}" for i in range(len(self.graph.inputs))]
        return self.tm.GraphModule(self.modules, self.steps, inputs, outputs, self.graph.single_output)

    # -- one layer ---------------------------------------------------------------------------------
    def _convert(self, layer, shapes, layout):
        convert = export_method(self, layer, "PyTorch")
        parts = convert(layer, shapes[0] if len(shapes) == 1 else shapes, layout)
        parts = [p for p in parts if p is not None]
        if len(parts) == 1:
            return parts[0]
        return require("torch").nn.Sequential(*parts)

    def conv2d(self, layer, shape, layout):
        nn = require("torch").nn
        kernel, *bias = layer.get_weights()
        pads = conv_pads(layer, spatial(shape, layer.data_format))
        symmetric = pads is not None and all(a == b for a, b in pads)
        conv = nn.Conv2d(kernel.shape[2] * layer.groups, layer.filters, layer.kernel_size, layer.strides,
                         padding=tuple(p[0] for p in pads) if symmetric else 0, dilation=layer.dilation_rate,
                         groups=layer.groups, bias=layer.use_bias, dtype=self.dtype)
        _assign(conv, kernel.transpose(3, 2, 0, 1), bias, layer.trainable)
        if pads is None:
            pad = self.tm.TFSamePad2d(layer.kernel_size, layer.strides, layer.dilation_rate)
        else:
            pad = None if symmetric else nn.ZeroPad2d((pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        return [pad, conv, _activation(layer)]

    def conv2d_transpose(self, layer, shape, layout):
        nn = require("torch").nn
        kernel, *bias = layer.get_weights()
        in_hw = spatial(shape, layer.data_format)
        geometry = [transpose_geometry(layer, axis, in_hw[axis]) for axis in range(2)]
        # PyTorch crops `padding` at both ends and grows the end by `output_padding`; use that when it says it
        native = [before + grow - after for before, grow, after in geometry]
        limits = [max(s, d) for s, d in zip(layer.strides, layer.dilation_rate)]
        if all(0 <= q < lim for q, lim in zip(native, limits)):
            padding, output_padding, crop = tuple(g[0] for g in geometry), tuple(native), None
        else:
            padding, output_padding = (0, 0), tuple(g[1] for g in geometry)
            (t, _, b), (lft, _, r) = geometry
            crop = self.tm.Crop2d(t, b, lft, r)
        conv = nn.ConvTranspose2d(kernel.shape[3], layer.filters, layer.kernel_size, layer.strides,
                                  padding=padding, output_padding=output_padding, groups=layer.groups,
                                  bias=layer.use_bias, dilation=layer.dilation_rate, dtype=self.dtype)
        _assign(conv, kernel.transpose(3, 2, 0, 1), bias, layer.trainable)
        return [conv, crop, _activation(layer)]

    def dense(self, layer, shape, layout):
        nn = require("torch").nn
        kernel, *bias = layer.get_weights()
        linear = nn.Linear(kernel.shape[0], layer.units, bias=layer.use_bias, dtype=self.dtype)
        _assign(linear, kernel.T, bias, layer.trainable)
        return [linear, _activation(layer)]

    def batch_norm(self, layer, shape, layout):
        torch = require("torch")
        weights = layer.get_weights()
        mean, variance = weights[-2:]
        if layer.trainable:
            cls = torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d
        else:
            cls = self.tm.FrozenBatchNorm2d if len(shape) == 4 else self.tm.FrozenBatchNorm1d
        affine = layer.center or layer.scale
        bn = cls(mean.shape[0], eps=layer.epsilon, momentum=1.0 - layer.momentum, affine=affine, dtype=self.dtype)
        with torch.no_grad():
            bn.running_mean.copy_(torch.from_numpy(mean))
            bn.running_var.copy_(torch.from_numpy(variance))
            learned = iter(weights[:-2])
            for flag, param in ((layer.scale, bn.weight), (layer.center, bn.bias)):
                if affine and flag:
                    param.copy_(torch.from_numpy(next(learned)))
                    param.requires_grad_(layer.trainable)
                elif affine:  # the missing one of gamma/beta stays at 1/0, never trained
                    param.requires_grad_(False)
        return [bn]

    def pooling(self, layer, shape, layout):
        nn = require("torch").nn
        pads = conv_pads(layer, spatial(shape, layer.data_format))
        k, s = layer.pool_size, layer.strides
        fits = pads is not None and all(a == b <= kk // 2 for (a, b), kk in zip(pads, k))  # PyTorch's own padding
        padding = tuple(p[0] for p in pads) if fits else (0, 0)
        if type(layer) is AveragePooling2D:
            if fits:
                return [nn.AvgPool2d(k, s, padding=padding, count_include_pad=False)]
            return [self.tm.TFAvgPool2d(k, s)]
        if fits:
            pad = None
        elif pads is None:
            pad = self.tm.TFSamePad2d(k, s, value=-math.inf)
        else:
            pad = nn.ConstantPad2d((pads[1][0], pads[1][1], pads[0][0], pads[0][1]), -math.inf)
        return [pad, nn.MaxPool2d(k, s, padding=padding)]

    def upsampling(self, layer, shape, layout):
        nn = require("torch").nn
        scale = tuple(float(f) for f in layer.size)
        if layer.interpolation == "nearest":
            return [nn.Upsample(scale_factor=scale, mode="nearest")]
        return [nn.Upsample(scale_factor=scale, mode="bilinear", align_corners=False)]

    def zero_padding(self, layer, shape, layout):
        (t, b), (lft, r) = layer.padding
        return [require("torch").nn.ZeroPad2d((lft, r, t, b))]

    def cropping(self, layer, shape, layout):
        (t, b), (lft, r) = layer.cropping
        return [self.tm.Crop2d(t, b, lft, r)]

    def flatten(self, layer, shape, layout):
        nn = require("torch").nn
        move = layer.data_format == "channels_first" and len(shape) > 2  # Keras flattens in channels_last order
        return [self.tm.Permute((0, *range(2, len(shape)), 1)) if move else None, nn.Flatten()]

    def reshape(self, layer, shape, layout):
        return [self.tm.Reshape(layer.target_shape)]

    def activation_layer(self, layer, shape, layout):
        return [_activation(layer) or require("torch").nn.Identity()]

    def leaky_relu(self, layer, shape, layout):
        return [require("torch").nn.LeakyReLU(layer.negative_slope)]

    def dropout(self, layer, shape, layout):
        if layer.noise_shape is not None:
            raise refuse(layer, f"noise_shape={layer.noise_shape} has no torch.nn.Dropout equivalent")
        return [require("torch").nn.Dropout(layer.rate)]

    def add(self, layer, shapes, layout):
        return [self.tm.Add()]

    def concatenate(self, layer, shapes, layout):
        return [self.tm.Concat(nchw_axis(layer.axis) if layout == MOVED else layer.axis)]



# Keras activation name -> (torch.nn class name, constructor arguments)
ACTIVATIONS = {
    "relu": ("ReLU", {}), "relu6": ("ReLU6", {}), "sigmoid": ("Sigmoid", {}), "tanh": ("Tanh", {}),
    "elu": ("ELU", {}), "selu": ("SELU", {}), "gelu": ("GELU", {}), "softplus": ("Softplus", {}),
    "softsign": ("Softsign", {}), "silu": ("SiLU", {}), "swish": ("SiLU", {}), "mish": ("Mish", {}),
    "hard_sigmoid": ("Hardsigmoid", {}), "hard_silu": ("Hardswish", {}), "hard_swish": ("Hardswish", {}),
    "leaky_relu": ("LeakyReLU", {"negative_slope": 0.2}), "softmax": ("Softmax", {"dim": -1}),
}


def _activation(layer):
    name = activation_name(layer)
    if name == "linear":
        return None
    if name == "exponential":
        from .torch_modules import Exp
        return Exp()
    if name not in ACTIVATIONS:
        raise refuse(layer, f"activation {name!r} has no torch.nn module here")
    cls, kwargs = ACTIVATIONS[name]
    return getattr(require("torch").nn, cls)(**kwargs)


def _assign(module, weight, bias, trainable):
    torch = require("torch")
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(np.ascontiguousarray(weight)))
        if bias:
            module.bias.copy_(torch.from_numpy(bias[0]))
    for p in module.parameters():
        p.requires_grad_(trainable)


def _torch_dtype(dtype):
    torch = require("torch")
    return torch.float64 if np.dtype(dtype) == np.float64 else torch.float32


def _is_chain(steps, first, outputs):
    previous = first
    for name, ins, out in steps:
        if ins != [previous] or out != name:
            return False
        previous = out
    return outputs == [previous]
