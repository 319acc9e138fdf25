"""Input/InputLayer, Dense, Flatten, Reshape, Activation, LeakyReLU (numpy references + the harness)."""
import numpy as np
import pytest

import slimlayers as sl
from layer_harness import check_layer


def test_dense_matches_numpy_on_any_rank():
    rng = np.random.default_rng(0)
    layer = check_layer(sl.layers.Dense, dict(units=3, activation="tanh", kernel_regularizer="l2"), (2, 4, 5),
                        n_weights=2)
    assert layer.kernel.shape == (5, 3) and layer.bias.shape == (3,)
    x = rng.standard_normal((2, 4, 5))
    expected = np.tanh(x @ layer.kernel.numpy() + layer.bias.numpy())
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-12)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), 0.01 * np.sum(layer.kernel.numpy() ** 2))


def test_dense_without_bias_and_errors():
    check_layer(sl.layers.Dense, dict(units=2, use_bias=False), (3, 4), n_weights=1)
    with pytest.raises(ValueError, match="`units`: must be positive. Received: units=0"):
        sl.layers.Dense(0)
    with pytest.raises(ValueError, match="expected min_ndim=2, found ndim=1"):
        sl.layers.Dense(2)(np.ones(3, "float32"))
    layer = sl.layers.Dense(2)
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match="expected the last axis to have value 3"):
        layer(np.ones((1, 4), "float32"))


def test_flatten_orders_channels_last():
    x = np.arange(2 * 3 * 2 * 2, dtype="float64").reshape(2, 3, 2, 2)
    check_layer(sl.layers.Flatten, {}, (2, 3, 2, 2))
    np.testing.assert_array_equal(sl.layers.Flatten()(x).numpy(), x.reshape(2, -1))
    y = sl.layers.Flatten(data_format="channels_first")(x).numpy()
    np.testing.assert_array_equal(y, np.transpose(x, (0, 2, 3, 1)).reshape(2, -1))
    assert sl.layers.Flatten().compute_output_shape((None, None, 4)) == (None, None)


def test_reshape():
    x = np.arange(24.0).reshape(2, 12)
    check_layer(sl.layers.Reshape, dict(target_shape=(3, -1)), (2, 12))
    np.testing.assert_array_equal(sl.layers.Reshape((2, 3, 2))(x).numpy(), x.reshape(2, 2, 3, 2))
    assert sl.layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert sl.layers.Reshape((-1, 2)).compute_output_shape((None, None, 4)) == (None, None, 2)
    with pytest.raises(ValueError, match="at most one -1"):
        sl.layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="`target_shape`: must be >= -1"):
        sl.layers.Reshape((-2, 3))
    with pytest.raises(ValueError, match=r"cannot reshape a sample of shape \(12,\)"):
        sl.layers.Reshape((5, -1))(x)


def test_activation_layer():
    x = np.array([[-2.0, -0.5, 0.0, 1.5]])
    np.testing.assert_array_equal(sl.layers.Activation("relu")(x).numpy(), np.maximum(x, 0))
    np.testing.assert_allclose(sl.layers.Activation(sl.activations.tanh)(x).numpy(), np.tanh(x), rtol=1e-6)
    check_layer(sl.layers.Activation, dict(activation="sigmoid"), (3, 4))
    assert sl.layers.Activation("relu").get_config()["activation"] == "relu"
    with pytest.raises(ValueError, match="'sofmax'. Did you mean .*'softmax'"):
        sl.layers.Activation("sofmax")


def test_leaky_relu_slope_names():
    x = np.array([[-2.0, -0.5, 0.5, 3.0]])
    np.testing.assert_allclose(sl.layers.LeakyReLU()(x).numpy(), np.where(x >= 0, x, 0.3 * x))  # Keras 3 layer
    np.testing.assert_allclose(sl.layers.LeakyReLU(alpha=0.1)(x).numpy(), np.where(x >= 0, x, 0.1 * x))
    assert sl.layers.LeakyReLU(alpha=0.1).get_config()["negative_slope"] == 0.1
    check_layer(sl.layers.LeakyReLU, dict(negative_slope=0.2), (3, 5))
    with pytest.raises(ValueError, match="`negative_slope`: must be a number >= 0"):
        sl.layers.LeakyReLU(-1.0)
    with pytest.raises(TypeError, match="unexpected keyword"):
        sl.layers.LeakyReLU(slope=0.1)


def test_input_is_symbolic_and_traces_calls():
    x = sl.layers.Input((8, 8, 3), name="image")
    assert x.shape == (None, 8, 8, 3) and x.dtype == np.float32
    assert isinstance(x.layer, sl.layers.InputLayer) and x.layer.name == "image"
    conv = sl.layers.Conv2D(4, 3, padding="same")
    y = sl.layers.Flatten()(conv(x))
    assert y.shape == (None, 256) and y.inputs.layer is conv and y.inputs.inputs is x
    assert conv.built and conv.kernel.shape == (3, 3, 3, 4)
    merged = sl.layers.Concatenate()([x, sl.layers.Input((8, 8, 2))])
    assert merged.shape == (None, 8, 8, 5)
    assert sl.layers.Input((4,), batch_size=2, dtype="float64").shape == (2, 4)


def test_input_layer_passes_data_through():
    layer = sl.layers.InputLayer(shape=(None, 3))
    x = np.ones((2, 5, 3))
    y = layer(x)
    assert y.dtype == np.float32 and y.shape == (2, 5, 3)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, None, 3\)"):
        layer(np.ones((2, 5, 4)))
    with pytest.raises(ValueError, match="`shape`: is required"):
        sl.layers.InputLayer()
    cfg = layer.get_config()
    assert cfg == {"shape": [None, 3], "batch_size": None, "dtype": "float32", "name": layer.name}


def test_default_names_follow_keras():
    sl.set_seed(0)
    names = [sl.layers.Conv2DTranspose(1, 1).name, sl.layers.Conv2DTranspose(1, 1).name,
             sl.layers.MaxPooling2D().name, sl.layers.UpSampling2D().name, sl.layers.BatchNormalization().name]
    assert names == ["conv2d_transpose", "conv2d_transpose_1", "max_pooling2d", "up_sampling2d",
                     "batch_normalization"]


def test_build_then_set_weights_then_call_does_not_rebuild():
    layer = sl.layers.Dense(2)
    layer.build((None, 3))
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(layer(np.ones((1, 3), "float32")).numpy(), [[3.0, 3.0]])
    assert len(layer.weights) == 2
    with pytest.raises(ValueError, match=r"has shape \(3, 2\); received an array of shape \(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.zeros(2)])


def test_trainable_flag_freezes_weights():
    layer = sl.layers.BatchNormalization()
    layer.build((None, 3))
    assert len(layer.trainable_weights) == 2
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4
    layer.trainable = True
    assert len(layer.trainable_weights) == 2  # moving statistics stay frozen


def test_impossible_weight_fails_fast_with_a_clear_error():
    with pytest.raises(ValueError, match="dense_huge/kernel.*GiB"):
        sl.layers.Dense(10**12, name="dense_huge")(np.ones((2, 3), "float32"))
