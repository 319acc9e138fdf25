"""Transposed-convolution shape arithmetic, checked by running the ops.

For the three classic tf.nn.conv2d_transpose configurations and a few Keras
Conv2DTranspose ones, print the output shape and every output size the op
accepts, then verify that the transposed conv is the adjoint of the forward
conv: <conv(x), y> == <x, conv_transpose(y)>.

    python examples/conv_arithmetic.py
"""
import numpy as np

import slimlayers as sl
from slimlayers.nn import shapes

rng = np.random.default_rng(0)

# (input NHWC, kernel, stride, padding, requested output_shape) -- tf.nn style
TF_CONFIGS = [
    ((1, 16, 50, 3), 4, 1, [[0, 0], [0, 0], [0, 0], [0, 0]], (1, 19, 53, 64)),
    ((1, 16, 50, 3), 5, 1, "SAME", (1, 16, 50, 64)),
    ((1, 16, 50, 3), 5, 3, "VALID", (1, 50, 152, 64)),
]
# (input size, kernel, stride, padding, output_padding) -- Keras Conv2DTranspose style
KERAS_CONFIGS = [(4, 3, 2, "valid", None), (4, 3, 2, "same", None), (4, 3, 2, "same", 0),
                 (4, 4, 2, "same", 1), (4, 4, 2, "same", 0), (5, 3, 2, "same", None), (4, 5, 3, "valid", 2)]


def accepted(i, k, s, padding):
    mode = padding.lower() if isinstance(padding, str) else tuple(padding)
    lo, hi = shapes.transpose_output_range(i, k, s, mode)
    return f"{lo}" if lo == hi else f"{lo}..{hi}"


def adjoint_gap(x_shape, k, s, padding, out_shape):
    """|<conv(x), y> - <x, conv_transpose(y)>| relative to their size, in float64."""
    cin, cout = out_shape[3], x_shape[3]
    w = rng.standard_normal((k, k, cin, cout))
    y = rng.standard_normal(x_shape)            # lives where the transposed conv's input lives
    x = rng.standard_normal(out_shape)          # lives where its output lives
    lhs = np.vdot(np.asarray(sl.nn.conv2d(x, w, s, padding)), y)
    rhs = np.vdot(x, np.asarray(sl.nn.conv2d_transpose(y, w, out_shape, s, padding)))
    return abs(lhs - rhs) / max(abs(lhs), 1.0)


def main():
    print("tf.nn.conv2d_transpose: input -> output_shape (accepted H / W)")
    for x_shape, k, s, padding, out_shape in TF_CONFIGS:
        x = np.zeros(x_shape, np.float32)
        w = np.zeros((k, k, out_shape[3], x_shape[3]), np.float32)
        got = sl.nn.conv2d_transpose(x, w, out_shape, strides=s, padding=padding).shape
        pad_name = padding if isinstance(padding, str) else "explicit 0"
        pad_axis = padding if isinstance(padding, str) else (0, 0)
        print(f"  {x_shape} k{k} s{s} {pad_name:10s} -> {got}   accepted H {accepted(x_shape[1], k, s, pad_axis)},"
              f" W {accepted(x_shape[2], k, s, pad_axis)}")
        fwd = sl.nn.conv2d(np.zeros(got, np.float32), w, s, padding).shape
        print(f"      forward conv of that output -> {fwd}")
        gap = adjoint_gap(x_shape, k, s, padding, out_shape)
        assert gap < 1e-12, gap
        print(f"      adjoint check <conv(x), y> = <x, conv_transpose(y)>: relative gap {gap:.1e}  OK")

    print("\nKeras Conv2DTranspose: input size -> output size")
    for i, k, s, padding, op in KERAS_CONFIGS:
        o = shapes.conv_transpose_output_length(i, k, padding, s, output_padding=op)
        lo, hi = shapes.transpose_output_range(i, k, s, padding)
        note = "" if lo <= o <= hi else "  <- outside TF's range: Keras-on-TF crashes, slimlayers computes the adjoint"
        layer = sl.layers.Conv2DTranspose(1, k, strides=s, padding=padding, output_padding=op)
        assert layer(np.zeros((1, i, i, 1), np.float32)).shape == (1, o, o, 1)
        print(f"  {i}x{i} k{k} s{s} {padding:5s} output_padding={op!s:4s} -> {o}x{o}"
              f"   (tf.nn accepts {accepted(i, k, s, padding)} for this padding){note}")


if __name__ == "__main__":
    main()
