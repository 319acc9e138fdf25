"""BatchNormalization (Keras 3): numpy formulas, moving statistics, finite-difference gradients."""
import json

import numpy as np
import pytest

import slimlayers as sl
from layer_harness import check_gradients, check_layer


def test_training_uses_batch_stats_and_updates_moving_stats():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 3, 3, 4)) * 2 + 1
    layer = sl.layers.BatchNormalization(momentum=0.9, epsilon=1e-3, dtype="float64")
    layer.build(x.shape)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    layer.set_weights([gamma, beta, np.zeros(4), np.ones(4)])
    y = layer(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))  # biased variance
    np.testing.assert_allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-12)
    # inference (training=None) uses the moving statistics
    mm, mv = layer.moving_mean.numpy(), layer.moving_variance.numpy()
    np.testing.assert_allclose(layer(x).numpy(), gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta, rtol=1e-10)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mm)  # unchanged by inference


def test_weights_order_and_flags():
    layer = sl.layers.BatchNormalization()
    layer.build((None, 5))
    assert [w.name.split("/")[-1] for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in layer.weights] == [True, True, False, False]
    no_scale = sl.layers.BatchNormalization(scale=False, center=False)
    no_scale.build((None, 5))
    assert [w.name.split("/")[-1] for w in no_scale.weights] == ["moving_mean", "moving_variance"]


def test_frozen_layer_runs_in_inference_mode():
    x = np.random.default_rng(1).standard_normal((4, 3))
    layer = sl.layers.BatchNormalization(dtype="float64")
    layer.trainable = False
    np.testing.assert_allclose(layer(x, training=True).numpy(), x / np.sqrt(1 + 1e-3), rtol=1e-12)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))


@pytest.mark.parametrize("kwargs,shape", [
    (dict(), (5, 4)),
    (dict(axis=1, gamma_regularizer="l2", beta_initializer="random_normal"), (4, 3, 2, 2)),
    (dict(axis=[1, 3], center=False), (3, 2, 2, 3)),
])
def test_harness_training_mode_gradients(kwargs, shape):
    """Finite differences through the batch mean/variance (training=True) and in inference mode."""
    n_weights = 2 + kwargs.get("center", True) + kwargs.get("scale", True)
    layer = check_layer(sl.layers.BatchNormalization, kwargs, shape, n_weights=n_weights, training=True)
    check_gradients(layer, np.random.default_rng(5).standard_normal(shape), training=False)


def test_axis_and_argument_errors():
    with pytest.raises(ValueError, match=r"`momentum`: must be a number in \[0.0, 1.0\]. Received: momentum=1.5"):
        sl.layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="`epsilon`: must be > 0"):
        sl.layers.BatchNormalization(epsilon=0)
    with pytest.raises(TypeError, match="`axis`: must be an int or a list of ints"):
        sl.layers.BatchNormalization(axis="channels")
    with pytest.raises(ValueError, match=r"Unknown initializer: 'onez'\. Did you mean .*'ones'"):
        sl.layers.BatchNormalization(gamma_initializer="onez")
    with pytest.raises(ValueError, match="Invalid axis 3"):
        sl.layers.BatchNormalization(axis=3)(np.ones((2, 3), "float32"))


def test_config_round_trip_keeps_axis_list():
    layer = sl.layers.BatchNormalization(axis=[1, 2], momentum=0.5)
    config = json.loads(json.dumps(layer.get_config()))
    assert config["axis"] == [1, 2] and config["momentum"] == 0.5
    assert sl.layers.BatchNormalization.from_config(config).axis == [1, 2]
    assert repr(layer) == f"BatchNormalization(axis=[1, 2], momentum=0.5, name={layer.name!r})"


def test_nn_moments_and_batch_normalization_ops():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 3, 5))
    mean, var = sl.nn.moments(x, axes=[0, 1])
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), x.var(axis=(0, 1)), rtol=1e-12)
    assert sl.nn.moments(x, axes=[0, 1], keepdims=True)[0].shape == (1, 1, 5)
    offset, scale = rng.standard_normal(5), rng.standard_normal(5)
    y = sl.nn.batch_normalization(x, mean, var, offset, scale, 1e-3).numpy()
    np.testing.assert_allclose(y, (x - x.mean((0, 1))) / np.sqrt(x.var((0, 1)) + 1e-3) * scale + offset,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(sl.nn.batch_normalization(x, 1.0, 4.0, None, None, 0.0).numpy(), (x - 1) / 2)
