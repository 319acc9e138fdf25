"""tf.compat.v1.layers-style functions: explicit defaults, TF1 names, reuse rules (semantics.md §3)."""
import numpy as np
import pytest

import slimlayers as sl
from naive import naive_conv2d, naive_conv2d_backprop_input


pytestmark = pytest.mark.usefixtures("fresh_store")


def _names():
    return [v.name for v in sl.scopes.get_variables()]


def test_conv2d_defaults_valid_padding_linear_against_naive_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    w = rng.standard_normal((3, 3, 2, 3)).astype("float32")
    y = sl.layers.conv2d(x, 3, 3, kernel_initializer=sl.initializers.Constant(w))
    ref = naive_conv2d(x, w, (1, 1), ((0, 0), (0, 0)), (1, 1), 1)  # bias zeros, no activation
    assert y.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5, atol=1e-5)
    assert (np.asarray(y) < 0).any()  # no hidden ReLU


def test_conv2d_transpose_sizes_and_values():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 4, 4, 2)).astype("float32")
    w = rng.standard_normal((3, 3, 5, 2)).astype("float32")
    valid = sl.layers.conv2d_transpose(x, 5, 3, strides=2, kernel_initializer=sl.initializers.Constant(w))
    same = sl.layers.conv2d_transpose(x, 5, 3, strides=2, padding="same")
    assert valid.shape == (1, 9, 9, 5) and same.shape == (1, 8, 8, 5)
    ref = naive_conv2d_backprop_input(x, w, (9, 9), (2, 2), ((0, 0), (0, 0)), (1, 1), 1)
    np.testing.assert_allclose(np.asarray(valid), ref, rtol=1e-5, atol=1e-5)


def test_default_names_and_kernel_shapes():
    x = np.ones((1, 4, 4, 2), "float32")
    sl.layers.conv2d(x, 3, 3)
    sl.layers.conv2d(x, 3, 1)
    sl.layers.conv2d_transpose(x, 5, 3)
    sl.layers.dense(np.ones((2, 3), "float32"), 4)
    with sl.scopes.variable_scope("blk"):
        sl.layers.conv2d(x, 3, 3)
    shapes = {v.name: v.shape for v in sl.scopes.get_variables()}
    assert shapes == {"conv2d/kernel": (3, 3, 2, 3), "conv2d/bias": (3,), "conv2d_1/kernel": (1, 1, 2, 3),
                      "conv2d_1/bias": (3,), "conv2d_transpose/kernel": (3, 3, 5, 2),
                      "conv2d_transpose/bias": (5,), "dense/kernel": (3, 4), "dense/bias": (4,),
                      "blk/conv2d/kernel": (3, 3, 2, 3), "blk/conv2d/bias": (3,)}


def test_kernel_initializer_none_is_glorot_uniform():
    sl.set_seed(0)
    sl.layers.conv2d(np.ones((1, 8, 8, 16), "float32"), 32, 3)
    k = sl.scopes.get_variables("conv2d")[0].numpy()
    limit = np.sqrt(6 / (9 * 16 + 9 * 32))
    assert np.abs(k).max() <= limit and np.abs(k).max() > 0.98 * limit
    assert np.all(sl.scopes.get_variables("conv2d")[1].numpy() == 0)


def test_reuse_rules_and_messages():
    x = np.random.default_rng(2).standard_normal((1, 4, 4, 2)).astype("float32")
    reg = sl.regularizers.L2(0.5)
    a = sl.layers.conv2d(x, 3, 3, name="up", kernel_regularizer=reg)
    b = sl.layers.conv2d(x, 3, 3, name="up", reuse=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert _names() == ["up/kernel", "up/bias"]
    assert len(sl.scopes.get_regularization_losses()) == 1  # a reused layer adds no second loss
    k = sl.scopes.get_variables("up")[0].numpy().astype(np.float64)
    assert float(sl.scopes.get_regularization_losses()[0]) == pytest.approx(0.5 * np.sum(k ** 2), rel=1e-5)
    with pytest.raises(ValueError, match=r"Variable up/kernel already exists, disallowed. Did you mean to set "
                                         r"reuse=True"):
        sl.layers.conv2d(x, 3, 3, name="up")
    with pytest.raises(ValueError, match="Variable nope/kernel does not exist"):
        sl.layers.conv2d(x, 3, 3, name="nope", reuse=True)


def test_reusing_scope_with_default_names():
    x = np.ones((2, 3), "float32")
    with sl.scopes.variable_scope("blk"):
        first = sl.layers.dense(sl.layers.dense(x, 4), 2)
    with sl.scopes.variable_scope("blk", reuse=True):
        second = sl.layers.dense(sl.layers.dense(x, 4), 2)
    assert _names() == ["blk/dense/kernel", "blk/dense/bias", "blk/dense_1/kernel", "blk/dense_1/bias"]
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))
    # reuse=True without a name looks up the base name itself
    sl.layers.dense(x, 4, name=None, reuse=None)
    again = sl.layers.dense(x, 4, reuse=True)
    assert again.shape == (2, 4) and "dense/kernel" in _names()


def test_argument_checks():
    x = np.ones((1, 4, 4, 2), "float32")
    with pytest.raises(ValueError, match="data_format"):
        sl.layers.conv2d(x, 3, 3, data_format="NHWC")
    with pytest.raises(TypeError):
        sl.layers.conv2d_transpose(x, 3, 3, dilation_rate=2)  # TF1's conv2d_transpose has none
    with pytest.raises(TypeError, match="name"):
        sl.layers.dense(x, 3, name=3)


def test_activation_and_trainable_flags():
    x = np.linspace(-1, 1, 8, dtype="float32").reshape(2, 4)
    y = sl.layers.dense(x, 4, activation="relu", trainable=False)
    assert (np.asarray(y) >= 0).all()
    assert sl.scopes.get_variables(trainable=True) == []


@pytest.mark.parametrize("data_format", ["NHWC", "NCHW", 1, "channels"])
def test_data_format_must_be_a_keras_spelling(data_format):
    with pytest.raises((ValueError, TypeError), match=r"Invalid argument `data_format`: must be 'channels_last' or "
                                                      r"'channels_first'\. Received: data_format="):
        sl.layers.conv2d(np.ones((1, 4, 4, 2), "float32"), 3, 3, data_format=data_format)


@pytest.mark.parametrize("data_format, shape", [(None, (1, 2, 2, 3)), ("CHANNELS_LAST", (1, 2, 2, 3)),
                                                ("Channels_First", (1, 3, 2, 2))])
def test_data_format_reads_like_tf1(data_format, shape):
    # TF1's tf.layers normalises with conv_utils.normalize_data_format: None is the default
    # (channels_last) and the letter case does not matter
    x = np.ones((1, 4, 4, 4), "float32")
    assert sl.layers.conv2d(x, 3, 3, data_format=data_format).shape == shape
