"""The conv layers' fused epilogue: ``relu(conv + bias)`` in one primitive, computed in place.

References: the naive float64 loops and finite differences for the fused primitive; numpy's
own ``fmax``/``*`` for the elementwise kernels (bitwise, including nan, inf and -0.0); and the
unfused chain of public ops (conv, bias_add, relu) for the layers, which must agree bitwise.
"""
import numpy as np
import pytest

import slimlayers as sl
from gradcheck import check_gradients
from naive import naive_conv2d, naive_conv2d_backprop_input
from slimlayers.kernels import epilogue

SPECIALS = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 1.5, -2.5, 1e-30], np.float32)


@pytest.mark.parametrize("relu", [False, True])
def test_bias_relu_kernel_is_numpys_fmax_bitwise(relu):
    rng = np.random.default_rng(0)
    y = np.concatenate([np.tile(SPECIALS, (3, 1)), rng.standard_normal((37, 8)).astype(np.float32)])
    bias = np.array([0.0, -0.0, 1.0, -np.inf, 0.5, -1.5, np.nan, 2.0], np.float32)
    with np.errstate(invalid="ignore"):
        expected = y + bias
    if relu:
        expected = np.fmax(expected, np.float32(0)) + np.float32(0)
    got = y.copy()
    epilogue.bias_relu(got, bias, relu)
    np.testing.assert_array_equal(got.view(np.int32), expected.view(np.int32))


def test_relu_grad_kernel_is_g_times_mask_bitwise():
    rng = np.random.default_rng(1)
    g = np.concatenate([np.tile(SPECIALS, (4, 1)), rng.standard_normal((20, 8)).astype(np.float32)])
    y = np.concatenate([np.tile(SPECIALS[::-1], (4, 1)), rng.standard_normal((20, 8)).astype(np.float32)])
    y = np.fmax(y, 0) + np.float32(0)  # a relu output
    out = np.empty_like(g)
    epilogue.relu_grad(g, y, out)
    with np.errstate(invalid="ignore"):
        expected = g * (y > 0).astype(np.float32)
    np.testing.assert_array_equal(out.view(np.int32), expected.view(np.int32))


def _explicit(pads):
    """tf.nn's explicit padding (NHWC) from ``((top, bottom), (left, right))``."""
    return [[0, 0], list(pads[0]), list(pads[1]), [0, 0]]


GEOMETRIES = [  # strides, pads ((top, bottom), (left, right)), dilations, groups
    ((1, 1), ((1, 1), (1, 1)), (1, 1), 1),
    ((2, 1), ((0, 1), (2, 0)), (1, 2), 1),
    ((2, 2), ((1, 0), (1, 1)), (1, 1), 2),
]


@pytest.mark.parametrize("strides, pads, dilations, groups", GEOMETRIES)
@pytest.mark.parametrize("relu", [False, True])
def test_fused_conv_matches_naive(strides, pads, dilations, groups, relu):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 4))
    w = rng.standard_normal((3, 2, 4 // groups, 6))
    b = rng.standard_normal(6)
    ref = naive_conv2d(x, w, strides, pads, dilations, groups) + b
    ref = np.maximum(ref, 0) if relu else ref
    got = sl.nn.fused_conv2d(sl.constant(x), sl.constant(w), sl.constant(b), sl.nn.relu if relu else None,
                             strides, _explicit(pads), dilations, groups)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("strides, pads, dilations, groups", GEOMETRIES)
def test_fused_transposed_conv_matches_naive(strides, pads, dilations, groups):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 3, 6))
    w = rng.standard_normal((3, 2, 4 // groups, 6))  # the forward conv's filter: 4 outputs here
    b = rng.standard_normal(4)
    out_hw = (8, 7)
    ref = np.maximum(naive_conv2d_backprop_input(x, w, out_hw, strides, pads, dilations, groups) + b, 0)
    full = [(i - 1) * s + d * (k - 1) + 1 - sum(p) for i, s, d, k, p in zip(x.shape[1:3], strides, dilations,
                                                                           w.shape[:2], pads)]
    got = sl.nn.fused_conv2d_transpose(sl.constant(x), sl.constant(w), sl.constant(b), sl.nn.relu, strides,
                                       _explicit(pads), output_padding=[o - f for o, f in zip(out_hw, full)],
                                       dilations=dilations, groups=groups)
    np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("with_bias", [False, True])
def test_fused_gradients_match_finite_differences(transposed, with_bias):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 4, 3))
    w = rng.standard_normal((3, 3, 2, 3) if transposed else (3, 3, 3, 2))
    b = rng.standard_normal(2)
    op = sl.nn.fused_conv2d_transpose if transposed else sl.nn.fused_conv2d
    pads = ((1, 1), (1, 1)) if transposed else ((1, 1), (1, 0))  # outputs (9, 7) and (3, 2)

    def fn(xv, wv, bv):
        return op(xv, wv, bv if with_bias else None, sl.nn.relu, (2, 2), _explicit(pads))

    check_gradients(fn, x, w, b, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("cls, activation", [(sl.layers.Conv2D, "relu"), (sl.layers.Conv2D, None),
                                             (sl.layers.Conv2DTranspose, "relu"),
                                             (sl.layers.Conv2DTranspose, "sigmoid")])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_layer_equals_the_unfused_chain_bitwise(cls, activation, data_format):
    rng = np.random.default_rng(5)
    shape = (3, 9, 8, 5) if data_format == "channels_last" else (3, 5, 9, 8)
    x = sl.Variable(rng.standard_normal(shape).astype(np.float32))
    layer = cls(16, 3, strides=2, padding="same", activation=activation, data_format=data_format,
                bias_initializer="random_normal")
    layer.build(shape)
    upstream = None
    results = []
    for fused in (True, False):
        with sl.GradientTape() as tape:
            if fused:
                y = layer(x)
            else:  # the same layer through the public ops, one after the other
                fmt = "NHWC" if data_format == "channels_last" else "NCHW"
                if cls is sl.layers.Conv2D:
                    z = sl.nn.conv2d(x, layer.kernel, 2, "SAME", data_format=fmt)
                else:
                    out_shape = layer.compute_output_shape(shape)
                    z = sl.nn.conv2d_transpose(x, layer.kernel, out_shape, 2, "SAME", data_format=fmt)
                y = layer.activation(sl.nn.bias_add(z, layer.bias, data_format=fmt))
        if upstream is None:
            upstream = rng.standard_normal(y.shape).astype(np.float32)
        grads = tape.gradient(y, [x, layer.kernel, layer.bias], output_gradients=upstream)
        results.append([y.numpy()] + grads)
    for i, (got, expected) in enumerate(zip(*results)):
        if i == 3 and data_format == "channels_first":  # bias gradient: numpy sums NCHW in another order
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        else:
            np.testing.assert_array_equal(got, expected)



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_gradient_is_chunked_channel_sums(dtype):
    """unbroadcast to a [C >= 16] bias sums rows in chunks of 64, each chunk in order, then the
    chunks in order (epilogue.channel_sums): checked against that loop written in numpy, and
    against a float64 sum."""
    from slimlayers.autodiff.tape import unbroadcast
    g = np.random.default_rng(2).standard_normal((5, 13, 11, 24)).astype(dtype)
    rows = g.reshape(-1, 24)
    expected = np.zeros(24, dtype)
    for k in range(0, len(rows), 64):
        acc = np.zeros(24, dtype)
        for row in rows[k:k + 64]:
            acc += row
        expected += acc
    got = unbroadcast(g, (24,))
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_allclose(got, rows.astype(np.float64).sum(0), rtol=1e-5 if dtype == np.float32 else 1e-12)
    # few channels keep numpy's sum
    np.testing.assert_array_equal(unbroadcast(g[..., :3], (3,)), g[..., :3].sum(axis=(0, 1, 2)))
    # any trailing shape summed over leading axes takes the same path: [65, 11 * 24] rows
    rows = g.reshape(-1, 11 * 24)
    expected = np.zeros(11 * 24, dtype)
    for k in range(0, len(rows), 64):
        acc = np.zeros(11 * 24, dtype)
        for row in rows[k:k + 64]:
            acc += row
        expected += acc
    np.testing.assert_array_equal(unbroadcast(g, (11, 24)), expected.reshape(11, 24))
