"""``model.summary()``: the Keras 3 table, plus a column that shows each conv's spatial arithmetic.

The extra column spells out what a strided or transposed convolution does to
the image size, e.g. ``4×4 →(k3,s2,valid)→ 9×9`` — the step that confuses
people most when they design an autoencoder.

Example:
    >>> model = sl.models.Sequential([sl.layers.Input((28, 28, 1)),
    ...                               sl.layers.Conv2D(4, 3, strides=2, padding="same")])
    >>> print(summary_text(model))                         # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np

from .classes import is_model
from .weights import layer_weights


def readable_size(num_bytes):
    """``1280`` → ``"1.25 KB"`` (powers of 1024, as Keras prints)."""
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.2f} {unit}"
        size /= 1024


def _dims(value):
    a, b = value
    return f"{a}" if a == b else f"{a}x{b}"


def spatial_arithmetic(layer, input_shape, output_shape):
    """``"28×28 →(k3,s2,same)→ 14×14"`` for conv / transposed conv / pooling / upsampling layers, else ``""``."""
    if not isinstance(input_shape, tuple) or not isinstance(output_shape, tuple) or \
            len(input_shape) != 4 or len(output_shape) != 4:
        return ""
    if hasattr(layer, "spatial_summary"):  # a layer that describes its own window (e.g. sl.mindspore's)
        parts = list(layer.spatial_summary())
    elif hasattr(layer, "kernel_size") and hasattr(layer, "strides"):
        parts = [f"k{_dims(layer.kernel_size)}", f"s{_dims(layer.strides)}", layer.padding]
        if tuple(getattr(layer, "dilation_rate", (1, 1))) != (1, 1):
            parts.insert(2, f"d{_dims(layer.dilation_rate)}")
        if getattr(layer, "output_padding", None) is not None:
            parts.append(f"op{_dims(layer.output_padding)}")
    elif hasattr(layer, "pool_size"):
        parts = [f"pool{_dims(layer.pool_size)}", f"s{_dims(layer.strides)}", layer.padding]
    elif type(layer).__name__ == "UpSampling2D":
        parts = [f"up{_dims(layer.size)}"]
    else:
        return ""
    first = getattr(layer, "data_format", "channels_last") in ("channels_first", "NCHW")
    (h, w), (oh, ow) = (input_shape[2:], output_shape[2:]) if first else (input_shape[1:3], output_shape[1:3])
    return f"{h}×{w} →({','.join(parts)})→ {oh}×{ow}"


def _count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def _bytes(weights):
    return sum(int(np.prod(w.shape)) * w.dtype.itemsize for w in weights)


def _fmt_shape(shape):
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    if isinstance(shape, tuple):
        return "(" + ", ".join("None" if s is None else str(s) for s in shape) + (",)" if len(shape) == 1 else ")")
    return str(shape)


def _rows(model, prefix="", expand_nested=False):
    shapes = model.output_shapes() if hasattr(model, "output_shapes") else {}
    connections = model.connections() if hasattr(model, "connections") else {}
    rows = []
    for layer in model.layers:  # functional models list their InputLayers first, as Keras does
        out_shape = shapes.get(layer.name, "?")
        in_shape = layer.input_shape if isinstance(layer.input_shape, tuple) else None
        rows.append({
            "name": f"{prefix}{layer.name} ({type(layer).__name__})",
            "shape": _fmt_shape(out_shape),
            "spatial": spatial_arithmetic(layer, in_shape, out_shape) if in_shape else "",
            "params": f"{_count(layer_weights(layer)):,}",
            "trainable": "Y" if layer.trainable else "N",
            "connected": ", ".join(connections.get(layer.name, [])),
        })
        if expand_nested and is_model(layer):
            rows.extend(_rows(layer, prefix + "  ", expand_nested))
    return rows


def summary_text(model, line_length=None, show_trainable=False, expand_nested=False):
    """The summary table of ``model`` as a string."""
    if not model.built:
        raise ValueError(f"Model {model.name!r} has not been built yet: start it with sl.layers.Input(shape) "
                         f"or call it on a batch (or model.build(input_shape)) before summary().")
    rows = _rows(model, expand_nested=expand_nested)
    columns = [("Layer (type)", "name", "<"), ("Output Shape", "shape", "<")]
    if any(r["spatial"] for r in rows):
        columns.append(("Spatial (H×W)", "spatial", "<"))
    columns.append(("Param #", "params", ">"))
    if any(r["connected"] for r in rows) and _is_graph(model):
        columns.append(("Connected to", "connected", "<"))
    if show_trainable:
        columns.append(("Trainable", "trainable", "^"))
    widths = [max(len(title), *(len(r[key]) for r in rows)) if rows else len(title) for title, key, _ in columns]
    if line_length:  # stretch the first column so the table is line_length wide
        extra = int(line_length) - (sum(widths) + 3 * len(widths) + 1)
        if extra > 0:
            widths[0] += extra

    def line(left, fill, mid, right):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(values, aligns):
        cells = [f" {v:{a}{w}} " for v, a, w in zip(values, aligns, widths)]
        return "│" + "│".join(cells) + "│"

    out = [f'Model: "{model.name}"', line("┏", "━", "┳", "┓"),
           "┃" + "┃".join(f" {t:{a}{w}} " for (t, _, a), w in zip(columns, widths)) + "┃",
           line("┡", "━", "╇", "┩")]
    aligns = [a for _, _, a in columns]
    for i, r in enumerate(rows):
        if i:
            out.append(line("├", "─", "┼", "┤"))
        out.append(row([r[key] for _, key, _ in columns], aligns))
    out.append(line("└", "─", "┴", "┘"))
    weights = model.weights
    trainable = [w for w in weights if w.trainable]
    frozen = [w for w in weights if not w.trainable]
    out.append(f" Total params: {_count(weights):,} ({readable_size(_bytes(weights))})")
    out.append(f" Trainable params: {_count(trainable):,} ({readable_size(_bytes(trainable))})")
    out.append(f" Non-trainable params: {_count(frozen):,} ({readable_size(_bytes(frozen))})")
    return "\n".join(out)


def _is_graph(model):
    """A functional model whose calls are not a simple chain (then Keras shows 'Connected to')."""
    nodes = getattr(model, "_nodes", None)
    if nodes is None:
        return False
    return len(model.inputs) > 1 or any(isinstance(n.inputs, list) for n in nodes) or \
        len({id(n.layer) for n in nodes}) != len(nodes) or \
        any(n.inputs != i + len(model.inputs) - 1 for i, n in enumerate(nodes) if not isinstance(n.inputs, list))
