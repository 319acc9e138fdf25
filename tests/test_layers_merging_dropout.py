"""Dropout, Concatenate and Add."""
import numpy as np
import pytest

import slimlayers as sl
from layer_harness import check_layer


def test_dropout_inference_is_identity_and_training_scales():
    x = np.random.default_rng(0).standard_normal((50, 40))
    layer = sl.layers.Dropout(0.25, seed=1, dtype="float64")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    y = layer(x, training=True).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], x[kept] / 0.75, rtol=1e-15)
    assert abs(1 - kept.mean() - 0.25) < 0.03
    assert not np.array_equal(layer(x, training=True).numpy() != 0, kept)  # a new mask per call


def test_dropout_gradient_is_the_mask():
    x = sl.constant(np.ones((4, 6)))
    layer = sl.layers.Dropout(0.5, seed=3, dtype="float64")
    with sl.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    np.testing.assert_array_equal(tape.gradient(y, x), y.numpy())  # d(x*m)/dx = m = y at x = 1


def test_dropout_seeding():
    x = np.ones((8, 8), "float32")
    a = sl.layers.Dropout(0.5, seed=7)(x, training=True).numpy()
    b = sl.layers.Dropout(0.5, seed=7)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    sl.set_seed(11)
    c = sl.layers.Dropout(0.5)(x, training=True).numpy()
    sl.set_seed(11)
    d = sl.layers.Dropout(0.5)(x, training=True).numpy()
    np.testing.assert_array_equal(c, d)


def test_dropout_noise_shape_broadcasts():
    x = np.ones((3, 4, 4, 5), "float32")
    y = sl.layers.Dropout(0.5, noise_shape=(None, 1, 1, None), seed=0)(x, training=True).numpy()
    assert np.all(y == y[:, :1, :1, :])  # whole feature maps are kept or dropped
    with pytest.raises(ValueError, match="`noise_shape`: must broadcast"):
        sl.layers.Dropout(0.5, noise_shape=(3, 2, 1, 5))(x, training=True)


def test_dropout_harness_and_errors():
    check_layer(sl.layers.Dropout, dict(rate=0.3, seed=0), (4, 5))
    with pytest.raises(ValueError, match=r"`rate`: must be a float in \[0, 1\). Received: rate=1.5"):
        sl.layers.Dropout(1.5)
    with pytest.raises(ValueError, match="rate=-0.1"):
        sl.layers.Dropout(-0.1)


def test_concatenate():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 2))
    np.testing.assert_array_equal(sl.layers.Concatenate(dtype="float64")([a, b]).numpy(),
                                  np.concatenate([a, b], axis=-1))
    np.testing.assert_array_equal(sl.layers.Concatenate(axis=1, dtype="float64")([a, a]).numpy(),
                                  np.concatenate([a, a], axis=1))
    check_layer(sl.layers.Concatenate, dict(axis=-1), [(2, 3, 4), (2, 3, 2)])
    assert sl.layers.Concatenate(axis=1).compute_output_shape([(None, 3, 4), (None, None, 4)]) == (None, None, 4)
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        sl.layers.Concatenate()([a, rng.standard_normal((2, 4, 2))])
    with pytest.raises(ValueError, match="should be called on a list of at least 1 input"):
        sl.layers.Concatenate()(a)


def test_add():
    rng = np.random.default_rng(2)
    a, b, c = (rng.standard_normal((2, 3)) for _ in range(3))
    np.testing.assert_allclose(sl.layers.Add(dtype="float64")([a, b, c]).numpy(), a + b + c)
    check_layer(sl.layers.Add, {}, [(2, 3), (2, 3)])
    with pytest.raises(ValueError, match="incompatible shapes"):
        sl.layers.Add()([a, rng.standard_normal((2, 4))])
