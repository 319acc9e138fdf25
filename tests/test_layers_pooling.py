"""Pooling and upsampling: sl.nn ops and layers vs loop references written here, TF's known values,
finite differences, and determinism across thread counts."""
import numba
import numpy as np
import pytest

import slimlayers as sl
from layer_harness import check_layer


def naive_pool(x, k, s, padding, mode):
    """Loop reference (NHWC). SAME pads P = max((ceil(i/s)-1)*s + k - i, 0), P//2 before; the average
    counts only cells inside the input; max ignores padding."""
    n, h, w, c = x.shape
    dims = []
    for i, kk, ss in zip((h, w), k, s):
        if padding == "VALID":
            dims.append(((i - kk) // ss + 1, 0))
        else:
            o = -(-i // ss)
            dims.append((o, max((o - 1) * ss + kk - i, 0) // 2))
    (oh, pt), (ow, pl) = dims
    out = np.zeros((n, oh, ow, c))
    for oy in range(oh):
        for ox in range(ow):
            y0, x0 = oy * s[0] - pt, ox * s[1] - pl
            win = x[:, max(y0, 0):min(y0 + k[0], h), max(x0, 0):min(x0 + k[1], w), :]
            out[:, oy, ox, :] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("shape,k,s,padding", [
    ((2, 7, 6, 3), (2, 2), (2, 2), "VALID"), ((1, 7, 6, 2), (3, 3), (2, 2), "SAME"),
    ((2, 5, 8, 1), (3, 2), (1, 3), "SAME"), ((1, 4, 4, 2), (1, 1), (2, 2), "VALID"),
    ((1, 5, 5, 1), (4, 4), (3, 3), "SAME"),
])
def test_pool_ops_match_loops_and_finite_differences(mode, shape, k, s, padding):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    op = sl.nn.max_pool2d if mode == "max" else sl.nn.avg_pool2d
    np.testing.assert_allclose(op(x, k, s, padding).numpy(), naive_pool(x, k, s, padding, mode), rtol=1e-12)
    check_layer(sl.layers.MaxPooling2D if mode == "max" else sl.layers.AveragePooling2D,
                dict(pool_size=k, strides=s, padding=padding.lower()), shape)


def test_avg_pool_same_divides_by_valid_cells_like_tf():
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    # TF: tf.nn.avg_pool2d(x, 3, 2, "SAME") -> [[5, 6.5], [11, 12.5]] (window at the edge has 6 cells)
    np.testing.assert_allclose(sl.nn.avg_pool2d(x, 3, 2, "SAME").numpy()[0, :, :, 0], [[5, 6.5], [11, 12.5]])


def test_max_pool_gradient_goes_to_first_maximum():
    x = sl.constant(np.ones((1, 2, 2, 1)))
    with sl.GradientTape() as tape:
        tape.watch(x)
        y = sl.nn.max_pool2d(x, 2, 2, "VALID")
    np.testing.assert_array_equal(tape.gradient(y, x)[0, :, :, 0], [[1, 0], [0, 0]])


def test_pool_nchw_and_layer_channels_first():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 5, 4)).astype("float32")
    nhwc = np.transpose(x, (0, 2, 3, 1))
    got = sl.nn.max_pool2d(x, [1, 1, 2, 2], [1, 1, 2, 1], "SAME", data_format="NCHW").numpy()
    np.testing.assert_allclose(np.transpose(got, (0, 2, 3, 1)), naive_pool(nhwc, (2, 2), (2, 1), "SAME", "max"),
                               rtol=1e-6)
    layer = sl.layers.AveragePooling2D(2, data_format="channels_first")
    np.testing.assert_allclose(np.transpose(layer(x).numpy(), (0, 2, 3, 1)),
                               naive_pool(nhwc, (2, 2), (2, 2), "VALID", "avg"), rtol=1e-6)
    assert layer.compute_output_shape((None, 3, 5, 4)) == (None, 3, 2, 2)


def test_pool_argument_errors():
    x = np.zeros((1, 4, 4, 1), "float32")
    with pytest.raises(ValueError, match="`pool_size`: must be positive. Received: pool_size=0"):
        sl.layers.MaxPooling2D(0)
    with pytest.raises(ValueError, match="`strides`: must be positive"):
        sl.layers.AveragePooling2D(2, strides=(1, -1))
    with pytest.raises(ValueError, match="`padding`: must be 'same' or 'valid'"):
        sl.layers.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="`data_format`"):
        sl.layers.MaxPooling2D(data_format="NCHW")
    with pytest.raises(ValueError, match="pooling.* window height 5 .*is larger than the padded input height 4"):
        sl.nn.max_pool2d(x, 5, 1, "VALID")
    with pytest.raises(ValueError, match="`ksize`: batch and channel entries must be 1"):
        sl.nn.avg_pool2d(x, [2, 2, 2, 2], 1, "VALID")
    with pytest.raises(TypeError, match="float32 or float64"):
        sl.nn.max_pool2d(np.zeros((1, 4, 4, 1), "int32"), 2, 2, "VALID")
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        sl.layers.MaxPooling2D()(np.zeros((4, 4, 1), "float32"))


def test_pooling_defaults():
    layer = sl.layers.MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    assert sl.layers.MaxPooling2D(3, strides=1).strides == (1, 1)


# -- upsampling / resize ------------------------------------------------------------------------
def test_nearest_upsampling_repeats():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 4, 2))
    y = sl.layers.UpSampling2D((2, 3))(x.astype("float32")).numpy()
    np.testing.assert_allclose(y, np.repeat(np.repeat(x, 2, axis=1), 3, axis=2), rtol=1e-6)
    check_layer(sl.layers.UpSampling2D, dict(size=(2, 3)), (2, 3, 4, 2))


def test_bilinear_matches_tf_values():
    # tf.image.resize([[1, 2], [3, 4]], (4, 4), "bilinear") (half-pixel centres, no antialias)
    x = np.array([[1.0, 2.0], [3.0, 4.0]], "float32").reshape(1, 2, 2, 1)
    expected = [[1.0, 1.25, 1.75, 2.0], [1.5, 1.75, 2.25, 2.5], [2.5, 2.75, 3.25, 3.5], [3.0, 3.25, 3.75, 4.0]]
    y = sl.layers.UpSampling2D(interpolation="bilinear")(x)
    np.testing.assert_allclose(y.numpy()[0, :, :, 0], expected, rtol=1e-7)


def _bilinear_1d_matrix(n_in, factor):
    """Interpolation matrix of one axis, from the half-pixel formula written out independently."""
    m = np.zeros((n_in * factor, n_in))
    for j in range(n_in * factor):
        pos = min(max((j + 0.5) / factor - 0.5, 0.0), n_in - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n_in - 1)
        m[j, lo] += 1 - (pos - lo)
        m[j, hi] += pos - lo
    return m


def test_bilinear_is_separable_interpolation_and_differentiable():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 2))
    y = sl.layers.UpSampling2D((3, 2), interpolation="bilinear", dtype="float64")(x).numpy()
    expected = np.einsum("ya,xb,nabc->nyxc", _bilinear_1d_matrix(3, 3), _bilinear_1d_matrix(5, 2), x)
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)  # TF computes coordinates in float32
    check_layer(sl.layers.UpSampling2D, dict(size=(3, 2), interpolation="bilinear", data_format="channels_first"),
                (2, 2, 3, 4))


def test_resize_downscale_and_errors():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    # TF: tf.image.resize(x, (2, 2), "bilinear", antialias=False) samples the centres of 2x2 blocks
    np.testing.assert_allclose(sl.nn.resize(x, (2, 2)).numpy()[0, :, :, 0], [[2.5, 4.5], [10.5, 12.5]])
    # TF half-pixel nearest: source floor((j + 0.5) * 2) = 1, 3
    np.testing.assert_allclose(sl.nn.resize(x, (2, 2), "nearest").numpy()[0, :, :, 0], [[5, 7], [13, 15]])
    with pytest.raises(ValueError, match="`method`"):
        sl.nn.resize(x, (2, 2), "bicubic")
    with pytest.raises(ValueError, match="`interpolation`: must be one of 'nearest', 'bilinear'"):
        sl.layers.UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match="`size`: must be positive"):
        sl.layers.UpSampling2D(0)


def test_kernels_deterministic_across_thread_counts():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 9, 7, 5)).astype("float32")
    g = rng.standard_normal((3, 5, 4, 5)).astype("float32")

    def run():
        results = []
        for op in (sl.nn.max_pool2d, sl.nn.avg_pool2d):
            xt = sl.constant(x)
            with sl.GradientTape() as tape:
                tape.watch(xt)
                y = op(xt, 3, 2, "SAME")
            results += [y.numpy(), tape.gradient(y, xt, output_gradients=g)]
        xt = sl.constant(x)
        with sl.GradientTape() as tape:
            tape.watch(xt)
            y = sl.nn.resize(xt, (20, 13), "bilinear")
        results += [y.numpy(), tape.gradient(y, xt, output_gradients=np.ones(y.shape, "float32"))]
        return results

    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = run()
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        parallel = run()
    finally:
        numba.set_num_threads(before)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
