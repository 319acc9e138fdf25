"""The few ``torch.nn`` modules that PyTorch lacks for TensorFlow/Keras semantics.

Imported only by ``to_torch`` (torch is optional). Everything else maps to
PyTorch's own modules (``Conv2d``, ``ConvTranspose2d``, ``Linear``,
``BatchNorm2d``, ``ZeroPad2d``, ``ConstantPad2d``, ``MaxPool2d``, ``AvgPool2d``, ``Upsample``, …).

Example:
    >>> Crop2d(1, 0, 0, 2)(torch.ones(1, 1, 4, 4)).shape
    torch.Size([1, 1, 3, 2])
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Permute(nn.Module):
    """``x.permute(dims)`` (NHWC ↔ NCHW at the edges of a channels_last model)."""

    def __init__(self, dims):
        super().__init__()
        self.dims = tuple(dims)

    def forward(self, x):
        return x.permute(self.dims)

    def extra_repr(self):
        return f"dims={self.dims}"


class Crop2d(nn.Module):
    """Remove rows/columns at the borders of an NCHW tensor (Keras ``Cropping2D``, transposed-conv crops)."""

    def __init__(self, top, bottom, left, right):
        super().__init__()
        self.crops = (int(top), int(bottom), int(left), int(right))

    def forward(self, x):
        top, bottom, left, right = self.crops
        return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]

    def extra_repr(self):
        return "top={}, bottom={}, left={}, right={}".format(*self.crops)


def _same_pads(size, kernel, stride, dilation):
    total = max((-(-size // stride) - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


class TFSamePad2d(nn.Module):
    """TensorFlow's 'same' padding computed from the input size (extra row/column at the bottom/right).

    Used where the size is unknown when converting (stride > 1 on a free
    spatial size); ``value`` is ``-inf`` in front of max pooling.
    """

    def __init__(self, kernel_size, stride, dilation=(1, 1), value=0.0):
        super().__init__()
        self.kernel_size, self.stride, self.dilation = tuple(kernel_size), tuple(stride), tuple(dilation)
        self.value = float(value)

    def forward(self, x):
        (top, bottom), (left, right) = (_same_pads(x.shape[2 + a], self.kernel_size[a], self.stride[a],
                                                   self.dilation[a]) for a in range(2))
        return F.pad(x, (left, right, top, bottom), value=self.value)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, dilation={self.dilation}, value={self.value}"


class TFAvgPool2d(nn.Module):
    """Average pooling with TF 'same' padding: each window divides by the cells inside the input.

    ``nn.AvgPool2d(count_include_pad=False)`` only pads symmetrically, so windows
    here are summed over a zero-padded input and divided by a window count of
    ones padded the same way; exact for every size.
    """

    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size, self.stride = tuple(kernel_size), tuple(stride)

    def forward(self, x):
        (top, bottom), (left, right) = (_same_pads(x.shape[2 + a], self.kernel_size[a], self.stride[a], 1)
                                        for a in range(2))
        pads = (left, right, top, bottom)
        sums = F.avg_pool2d(F.pad(x, pads), self.kernel_size, self.stride, divisor_override=1)
        ones = torch.ones((1, 1, *x.shape[2:]), dtype=x.dtype, device=x.device)
        counts = F.avg_pool2d(F.pad(ones, pads), self.kernel_size, self.stride, divisor_override=1)
        return sums / counts

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding='same'"


class _Frozen:
    """Keras' BatchNormalization with ``trainable=False``: always the running statistics, in train mode too."""

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)


class FrozenBatchNorm2d(_Frozen, nn.BatchNorm2d):
    """``BatchNorm2d`` that never updates or uses batch statistics."""


class FrozenBatchNorm1d(_Frozen, nn.BatchNorm1d):
    """``BatchNorm1d`` that never updates or uses batch statistics."""


class Reshape(nn.Module):
    """Keras ``Reshape``: every sample to ``shape`` (the batch axis is kept; one entry may be -1)."""

    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self):
        return f"shape={self.shape}"


class Exp(nn.Module):
    """``exp(x)`` (Keras' ``exponential`` activation)."""

    def forward(self, x):
        return torch.exp(x)


class Add(nn.Module):
    """Sum of the input tensors (Keras ``Add``)."""

    def forward(self, *xs):
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        return total


class Concat(nn.Module):
    """``torch.cat`` on ``dim`` (Keras ``Concatenate``)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = int(dim)

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GraphModule(nn.Module):
    """Runs a functional model's calls in order: ``steps`` are ``(module name, input keys, output key)``.

    Tensors live in a dict keyed by name during ``forward``; modules are
    registered under their layer names, so a shared layer is one module
    called twice and ``state_dict`` keys read ``<layer name>.weight``.
    """

    def __init__(self, modules, steps, inputs, outputs, single_output=True):
        super().__init__()
        self.layers = nn.ModuleDict(modules)
        self.steps = [(name, tuple(ins), out) for name, ins, out in steps]
        self.input_keys, self.output_keys = list(inputs), list(outputs)
        self.single_output = single_output

    def forward(self, *inputs):
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])
        if len(inputs) != len(self.input_keys):
            raise ValueError(f"This model takes {len(self.input_keys)} inputs; received {len(inputs)}.")
        values = dict(zip(self.input_keys, inputs))
        for name, ins, out in self.steps:
            values[out] = self.layers[name](*(values[k] for k in ins))
        outs = [values[k] for k in self.output_keys]
        return outs[0] if self.single_output else outs
