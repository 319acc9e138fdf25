"""``from_torch``: a ``torch.nn.Sequential`` as a slimlayers model that takes PyTorch's NCHW.

Every image layer is ``channels_first``; kernels change layout
(``Conv2d`` ``[out, in/g, kh, kw]`` → ``[kh, kw, in/g, out]``, ``ConvTranspose2d``
``[in, out/g, kh, kw]`` → ``[kh, kw, out/g, in]``, ``Linear`` ``[out, in]`` → ``[in, out]``).
PyTorch pads symmetrically by an integer; where that is exactly TensorFlow's
'same' for the model's input size (the model's Input fixes every size) the
layer says ``'same'``, otherwise the padding becomes a ``ZeroPadding2D`` in
front of a ``'valid'`` conv, and a transposed conv's ``padding`` becomes a
``Cropping2D`` after it, as Keras would write it.
"""
from __future__ import annotations

import numpy as np

from .. import layers as L
from ..models import Sequential
from ..nn.shapes import conv_output_length, conv_transpose_output_length, effective_kernel, same_padding, \
    transpose_crop
from .optional import require

CF = "channels_first"

# torch.nn activation modules -> Keras activation names (arguments checked in _activation)
ACTIVATIONS = {"ReLU": "relu", "ReLU6": "relu6", "Sigmoid": "sigmoid", "Tanh": "tanh", "ELU": "elu",
               "SELU": "selu", "GELU": "gelu", "Softplus": "softplus", "Softsign": "softsign", "SiLU": "silu",
               "Mish": "mish", "Hardsigmoid": "hard_sigmoid", "Hardswish": "hard_silu", "Softmax": "softmax"}


def from_torch(module, input_shape):
    """A ``Sequential`` model computing what ``module`` computes in eval mode, with its weights.

    Args:
        module: a ``torch.nn.Sequential`` (nested ones are flattened) of ``Conv2d``,
            ``ConvTranspose2d``, ``Linear``, ``BatchNorm1d/2d``, ``MaxPool2d``, ``AvgPool2d``,
            activations, ``Flatten``, ``Upsample`` (nearest or bilinear), ``ZeroPad2d``, ``Dropout``.
        input_shape: one sample's shape, ``(C, H, W)`` (or ``(features,)`` for a Linear stack).

    The returned model takes NCHW arrays. Anything without an exact slimlayers
    equivalent raises ``ValueError`` naming the module.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, stride=2, padding=1), torch.nn.ReLU())
        >>> sl.interop.from_torch(net, (1, 8, 8)).output_shape
        (None, 4, 4, 4)
    """
    torch = require("torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch translates a torch.nn.Sequential; received {type(module).__name__}. Wrap "
                        "your modules in nn.Sequential (a custom forward() is Python code, not a layer list).")
    if not isinstance(input_shape, (list, tuple)) or not all(isinstance(s, int) and s > 0 for s in input_shape):
        raise ValueError(f"Invalid argument `input_shape`: must be one sample's shape, e.g. (C, H, W), with "
                         f"positive ints. Received: input_shape={input_shape!r}")
    params = list(module.parameters())
    dtype = "float64" if params and params[0].dtype == torch.float64 else "float32"
    model = Sequential([L.Input(tuple(input_shape), dtype=dtype)])
    for path, child in _leaves(module, torch):
        for layer, weights in _translate(path, child, model.output_shape, dtype, torch):
            model.add(layer)
            if weights is not None:
                layer.set_weights([np.asarray(w, dtype=dtype) for w in weights])
    return model


def _leaves(module, torch, prefix=""):
    for name, child in module.named_children():
        path = f"{prefix}{name}"
        if isinstance(child, torch.nn.Sequential):
            yield from _leaves(child, torch, path + ".")
        else:
            yield path, child


def _refuse(path, module, why):
    return ValueError(f"Cannot translate module {path!r} ({type(module).__name__}): {why}.")


def _numpy(t):
    return t.detach().cpu().numpy()


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _translate(path, m, shape, dtype, torch):
    """``[(layer, weights or None)]`` for one torch module; ``shape`` is its input shape (batch None)."""
    nn = torch.nn
    kind = type(m).__name__
    common = {"dtype": dtype}
    if type(m) is nn.Conv2d:
        return _conv(path, m, shape, common)
    if type(m) is nn.ConvTranspose2d:
        return _conv_transpose(path, m, shape, common)
    if type(m) is nn.Linear:
        weights = [_numpy(m.weight).T] + ([_numpy(m.bias)] if m.bias is not None else [])
        return [(L.Dense(m.out_features, use_bias=m.bias is not None, **common), weights)]
    if type(m) in (nn.BatchNorm1d, nn.BatchNorm2d):
        if m.momentum is None or not m.track_running_stats:
            raise _refuse(path, m, "only running statistics with a fixed momentum have a Keras equivalent "
                                   "(momentum=None / track_running_stats=False have none)")
        stats = [_numpy(m.running_mean), _numpy(m.running_var)]
        learned = [_numpy(m.weight), _numpy(m.bias)] if m.affine else []
        layer = L.BatchNormalization(axis=1, momentum=1.0 - m.momentum, epsilon=m.eps, center=m.affine,
                                     scale=m.affine, **common)
        return [(layer, learned + stats)]
    if type(m) in (nn.MaxPool2d, nn.AvgPool2d):
        return _pooling(path, m, shape, common, nn)
    if type(m) is nn.Flatten:
        if m.start_dim != 1 or m.end_dim != -1:
            raise _refuse(path, m, "only Flatten(start_dim=1, end_dim=-1) is a Keras Flatten")
        return [(L.Flatten(**common), None)]  # channels_last Flatten keeps the tensor's own (NCHW) order
    if type(m) is nn.Upsample:
        return [(_upsample(path, m, common), None)]
    if type(m) is nn.ZeroPad2d:
        left, right, top, bottom = m.padding
        if min(m.padding) < 0:
            raise _refuse(path, m, "negative padding (cropping) is not zero padding")
        return [(L.ZeroPadding2D(((top, bottom), (left, right)), data_format=CF, **common), None)]
    if type(m) is nn.Dropout:
        return [(L.Dropout(m.p, **common), None)]
    if type(m) is nn.LeakyReLU:
        return [(L.LeakyReLU(m.negative_slope, **common), None)]
    if type(m) is nn.Identity:
        return []
    own = _own_module(path, m, shape, common)  # what to_torch writes reads back
    if own is not None:
        return own
    if kind in ACTIVATIONS and type(m) is getattr(nn, kind):
        return [(L.Activation(_activation(path, m, shape), **common), None)]
    raise _refuse(path, m, "no slimlayers layer computes it")


def _own_module(path, m, shape, common):
    from . import torch_modules as tm

    if type(m) is tm.Crop2d:
        top, bottom, left, right = m.crops
        return [(L.Cropping2D(((top, bottom), (left, right)), data_format=CF, **common), None)]
    if type(m) is tm.TFAvgPool2d:
        return [(L.AveragePooling2D(m.kernel_size, m.stride, "same", data_format=CF, **common), None)]
    if type(m) is tm.Reshape:
        return [(L.Reshape(m.shape, **common), None)]
    if type(m) is tm.Exp:
        return [(L.Activation("exponential", **common), None)]
    if type(m) in (tm.FrozenBatchNorm1d, tm.FrozenBatchNorm2d):
        learned = [_numpy(m.weight), _numpy(m.bias)] if m.affine else []
        layer = L.BatchNormalization(axis=1, momentum=1.0 - m.momentum, epsilon=m.eps, center=m.affine,
                                     scale=m.affine, trainable=False, **common)
        return [(layer, learned + [_numpy(m.running_mean), _numpy(m.running_var)])]
    return None


def _activation(path, m, shape):
    kind = type(m).__name__
    unusual = {"ELU": lambda: m.alpha != 1.0, "GELU": lambda: m.approximate != "none",
               "Softplus": lambda: m.beta != 1.0, "Softmax": lambda: m.dim not in (-1, len(shape) - 1)}
    if unusual.get(kind, lambda: False)():
        raise _refuse(path, m, f"only the default form has a Keras activation ({m.extra_repr()})")
    return ACTIVATIONS[kind]


def _same_for(shape, kernel, strides, dilation, pads):
    """Whether symmetric ``pads`` are exactly TF 'same' padding for this (known) input size."""
    return all(same_padding(i, k, s, d) == (p, p) for i, k, s, d, p in zip(shape[2:], kernel, strides, dilation, pads))


def _conv(path, m, shape, common):
    if m.padding_mode != "zeros":
        raise _refuse(path, m, f"padding_mode={m.padding_mode!r} has no Keras equivalent (zeros only)")
    k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
    if max(s) > 1 and max(d) > 1:
        raise _refuse(path, m, "stride > 1 together with dilation > 1 is not supported by Keras' Conv2D")
    pads = (0, 0) if m.padding == "valid" else None if m.padding == "same" else _pair(m.padding)
    weights = [_numpy(m.weight).transpose(2, 3, 1, 0)] + ([_numpy(m.bias)] if m.bias is not None else [])
    out = []
    if pads is None or (pads != (0, 0) and _same_for(shape, k, s, d, pads)):
        mode = "same"
    else:
        mode = "valid"
        if pads != (0, 0):
            out.append((L.ZeroPadding2D(((pads[0],) * 2, (pads[1],) * 2), data_format=CF, **common), None))
    conv = L.Conv2D(m.out_channels, k, s, mode, data_format=CF, dilation_rate=d, groups=m.groups,
                    use_bias=m.bias is not None, **common)
    return out + [(conv, weights)]


def _conv_transpose(path, m, shape, common):
    if m.padding_mode != "zeros":
        raise _refuse(path, m, f"padding_mode={m.padding_mode!r} has no Keras equivalent")
    k, s, d = _pair(m.kernel_size), _pair(m.stride), _pair(m.dilation)
    p, op = _pair(m.padding), _pair(m.output_padding)
    if max(s) > 1 and max(d) > 1:
        raise _refuse(path, m, "stride > 1 together with dilation > 1 is not supported by Keras' Conv2DTranspose")
    weights = [_numpy(m.weight).transpose(2, 3, 1, 0)] + ([_numpy(m.bias)] if m.bias is not None else [])
    sizes = shape[2:]
    full = [(i - 1) * ss + effective_kernel(kk, dd) for i, kk, ss, dd in zip(sizes, k, s, d)]
    want = [f - 2 * pp + o for f, pp, o in zip(full, p, op)]  # PyTorch keeps full[p : p + want]
    kwargs = dict(data_format=CF, dilation_rate=d, groups=m.groups, use_bias=m.bias is not None, **common)
    same = _same_output_padding(sizes, k, s, d, p, want)
    if same is not False:
        return [(L.Conv2DTranspose(m.out_channels, k, s, "same", output_padding=same, **kwargs), weights)]
    # 'valid' keeps full[0 : full + q]; q rows past the full result hold only the bias, as in PyTorch
    q = [max(o - pp, 0) for o, pp in zip(op, p)]
    if any(qq >= ss for qq, ss in zip(q, s)):
        raise _refuse(path, m, f"output_padding={op} reaches past what Keras' output_padding (< stride) can add")
    crops = tuple((pp, f + qq - pp - w) for pp, f, qq, w in zip(p, full, q, want))
    conv = L.Conv2DTranspose(m.out_channels, k, s, "valid", output_padding=tuple(q), **kwargs)
    out = [(conv, weights)]
    if crops != ((0, 0), (0, 0)):
        out.append((L.Cropping2D(crops, data_format=CF, **common), None))
    return out


def _same_output_padding(sizes, k, s, d, p, want):
    """Keras 'same' ``output_padding`` (``None`` or a pair) giving PyTorch's sizes and crops, or ``False``."""
    def fits(op):
        for axis in range(2):
            a = None if op is None else op[axis]
            o = conv_transpose_output_length(sizes[axis], k[axis], "same", s[axis], d[axis], a)
            if o != want[axis] or transpose_crop(o, sizes[axis], k[axis], s[axis], "same", d[axis]) != p[axis]:
                return False
        return True

    if fits(None):
        return None
    candidates = [(a, b) for a in range(s[0]) for b in range(s[1])]
    return next((op for op in candidates if fits(op)), False)


def _pooling(path, m, shape, common, nn):
    k = _pair(m.kernel_size)
    s = _pair(m.stride if m.stride is not None else m.kernel_size)
    p = _pair(m.padding)
    if m.ceil_mode:
        raise _refuse(path, m, "ceil_mode=True has no Keras equivalent")
    avg = type(m) is nn.AvgPool2d
    if not avg and (_pair(m.dilation) != (1, 1) or m.return_indices):
        raise _refuse(path, m, "dilation and return_indices have no Keras equivalent")
    if avg and m.divisor_override is not None:
        raise _refuse(path, m, "divisor_override has no Keras equivalent")
    cls = L.AveragePooling2D if avg else L.MaxPooling2D
    if p == (0, 0):
        return [(cls(k, s, "valid", data_format=CF, **common), None)]
    if avg and m.count_include_pad:  # the zeros count: they are real zero-padding cells
        pad = L.ZeroPadding2D(((p[0],) * 2, (p[1],) * 2), data_format=CF, **common)
        return [(pad, None), (cls(k, s, "valid", data_format=CF, **common), None)]
    if _same_for(shape, k, s, (1, 1), p) and all(
            conv_output_length(i, kk, "same", ss) == (i + 2 * pp - kk) // ss + 1
            for i, kk, ss, pp in zip(shape[2:], k, s, p)):
        return [(cls(k, s, "same", data_format=CF, **common), None)]
    raise _refuse(path, m, f"padding={m.padding} is not TensorFlow's 'same' padding for input size "
                           f"{tuple(shape[2:])}, and padding that the pooling ignores has no Keras equivalent")


def _upsample(path, m, common):
    factors = m.scale_factor if isinstance(m.scale_factor, (tuple, list)) else (m.scale_factor,) * 2
    if m.size is not None or m.scale_factor is None or any(float(f) != int(f) or f < 1 for f in factors):
        raise _refuse(path, m, "only integer scale_factor upsampling has a Keras equivalent")
    if m.mode == "nearest":
        interpolation = "nearest"
    elif m.mode == "bilinear" and not m.align_corners:
        interpolation = "bilinear"
    else:
        raise _refuse(path, m, f"mode={m.mode!r}, align_corners={m.align_corners} has no Keras equivalent")
    return L.UpSampling2D(tuple(int(f) for f in factors), data_format=CF, interpolation=interpolation, **common)
