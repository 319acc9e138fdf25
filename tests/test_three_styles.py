"""One encoder/decoder in Keras-class, tf.layers-function and Slim/arg_scope styles: bitwise-identical
outputs and gradients from the same weights."""

import numpy as np
import pytest

import slimlayers as sl

slim = sl.slim


def keras_model(dtype="float32"):
    return [sl.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu", dtype=dtype),
            sl.layers.Conv2D(6, 3, padding="same", activation="relu", dtype=dtype),
            sl.layers.Conv2DTranspose(4, 3, strides=2, padding="valid", activation="relu", dtype=dtype),
            sl.layers.Conv2DTranspose(2, 2, padding="same", activation=None, dtype=dtype)]


def tf_layers_model(x, reuse=None):
    with sl.scopes.variable_scope("net", reuse=reuse):
        x = sl.layers.conv2d(x, 4, 3, strides=2, padding="same", activation="relu")
        x = sl.layers.conv2d(x, 6, 3, padding="same", activation="relu")
        x = sl.layers.conv2d_transpose(x, 4, 3, strides=2, padding="valid", activation="relu")
        return sl.layers.conv2d_transpose(x, 2, 2, padding="same")


def slim_model(x, reuse=None):
    with sl.scopes.variable_scope("net", reuse=reuse), \
            slim.arg_scope([slim.conv2d, slim.conv2d_transpose], kernel_size=3):
        x = slim.conv2d(x, 4, stride=2)
        x = slim.conv2d(x, 6)
        x = slim.conv2d_transpose(x, 4, stride=2, padding="VALID")
        return slim.conv2d_transpose(x, 2, kernel_size=2, activation_fn=None)


def _keras_run(layers, x):
    """Output and gradients of sum(y²) through ``layers`` (plain functions in between are fine)."""
    with sl.GradientTape() as tape:
        tape.watch(x)
        y = x
        for layer in layers:
            y = layer(y)
        loss = (y * y).sum()
    variables = [w for layer in layers for w in getattr(layer, "trainable_weights", [])]
    return y, tape.gradient(loss, [x] + variables)


def _store_run(model, x, weights):
    with sl.scopes.variable_store():
        model(x)
        variables = sl.scopes.get_variables()
        assert len(variables) == len(weights)
        for var, w in zip(variables, weights):
            var.assign(w)
        with sl.GradientTape() as tape:
            tape.watch(x)
            y = model(x, reuse=True)
            loss = (y * y).sum()
        return y, tape.gradient(loss, [x] + variables)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_three_styles_are_bitwise_identical(dtype):
    sl.set_seed(3)
    x = sl.constant(np.random.default_rng(3).standard_normal((2, 7, 7, 3)).astype(dtype))
    layers = keras_model(dtype)  # the store functions build their layers in the input's dtype
    y_k, g_k = _keras_run(layers, x)
    weights = [w for layer in layers for w in layer.get_weights()]
    assert y_k.shape == (2, 9, 9, 2) and y_k.dtype == np.dtype(dtype)
    for model in (tf_layers_model, slim_model):
        y, g = _store_run(model, x, weights)
        assert np.array_equal(np.asarray(y), np.asarray(y_k)), model.__name__
        assert len(g) == len(g_k) == 9
        for a, b in zip(g, g_k):
            assert np.asarray(a).dtype == np.dtype(dtype)
            assert np.array_equal(np.asarray(a), np.asarray(b)), model.__name__


def mindspore_model(dtype="float32"):
    """keras_model in MindSpore's vocabulary: NCHW, has_bias, pad_mode, activations outside the convs."""
    ms = sl.mindspore
    return [ms.Conv2d(3, 4, 3, stride=2, has_bias=True, dtype=dtype), sl.nn.relu,
            ms.Conv2d(4, 6, 3, has_bias=True, dtype=dtype), sl.nn.relu,
            ms.Conv2dTranspose(6, 4, 3, stride=2, pad_mode="valid", has_bias=True, dtype=dtype), sl.nn.relu,
            ms.Conv2dTranspose(4, 2, 2, has_bias=True, dtype=dtype)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mindspore_face_gives_the_same_numbers(dtype):
    sl.set_seed(5)
    x = sl.constant(np.random.default_rng(5).standard_normal((2, 7, 7, 3)).astype(dtype))
    layers = keras_model(dtype)
    y_k, g_k = _keras_run(layers, x)
    steps = mindspore_model(dtype)
    convs = [step for step in steps if isinstance(step, sl.layers.Layer)]
    for conv, keras_layer in zip(convs, layers):  # Keras [kh, kw, a, b] -> MindSpore (b, a, kh, kw)
        conv.set_weights([w.transpose(3, 2, 0, 1) if w.ndim == 4 else w for w in keras_layer.get_weights()])
    y, g = _keras_run(steps, sl.constant(np.asarray(x).transpose(0, 3, 1, 2)))
    assert np.array_equal(np.asarray(y).transpose(0, 2, 3, 1), np.asarray(y_k))
    assert np.array_equal(g[0].transpose(0, 2, 3, 1), g_k[0])
    for a, b in zip(g[1:], g_k[1:]):
        assert a.dtype == np.dtype(dtype)
        assert np.array_equal(a.transpose(2, 3, 1, 0) if a.ndim == 4 else a, b)


def test_comparison_can_fail_different_weights_differ():
    sl.set_seed(4)
    x = sl.constant(np.random.default_rng(4).standard_normal((1, 7, 7, 3)).astype("float32"))
    layers = keras_model()
    y_k, _ = _keras_run(layers, x)
    weights = [w * 1.001 for layer in layers for w in layer.get_weights()]
    y, _ = _store_run(slim_model, x, weights)
    assert not np.array_equal(np.asarray(y), np.asarray(y_k))


def test_slim_defaults_differ_from_tf_layers_defaults():
    # Same call shape, different hidden defaults: ReLU + SAME (Slim) vs linear + valid (tf.layers).
    x = np.random.default_rng(5).standard_normal((1, 5, 5, 1)).astype("float32")
    init = sl.initializers.Constant(np.ones((3, 3, 1, 2), "float32"))
    with sl.scopes.variable_store():
        s = slim.conv2d(x, 2, 3, weights_initializer=init)
        t = sl.layers.conv2d(x, 2, 3, kernel_initializer=init)
    assert s.shape == (1, 5, 5, 2) and t.shape == (1, 3, 3, 2)
    assert np.asarray(s).min() >= 0 and np.asarray(t).min() < 0


def test_example_script_reports_agreement(capsys, load_example):
    load_example("three_styles").main()
    out = capsys.readouterr().out
    assert out.count("bitwise identical") == 3 and "DIFFER" not in out
    assert "mindspore vs keras: outputs" in out
    assert "scope (examples/three_styles.py:" in out
