"""sl.slim.migrate's Keras source in real Keras 3: TF-Slim's numbers, Keras' own weight order, every argument."""
import importlib.util
import inspect
import os

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
if os.environ.get("CI") == "true":  # CI installs the keras extra: a missing Keras must fail, not skip
    import keras
else:
    keras = pytest.importorskip("keras")

import slimlayers as sl  # noqa: E402
from migration_support import MODEL_NAMES, build, fixture, sl_models  # noqa: E402
from slimlayers.slim.migration.rules import KERAS_ARGS, KERAS_INITIALIZERS, KERAS_ONLY  # noqa: E402

slim = sl.slim


def _migrate(name):
    fn, shape = sl_models()[name]
    return slim.migrate(fn, np.zeros(shape, "float32"), is_training=False)


def _predict(model, x):
    return np.asarray(model.predict(x, verbose=0))


def _losses(model):
    return sum(float(keras.ops.convert_to_numpy(loss)) for loss in model.losses)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_keras_source_gives_tf_slims_predictions_and_regularization_losses(name):
    recorded = fixture(name)
    m = _migrate(name)
    model = build(m.source)
    assert isinstance(model, keras.Model)
    assert model.input_shape[1:] == recorded.input.shape[1:]
    model.set_weights(m.weights_from(recorded.variables))
    np.testing.assert_allclose(_predict(model, recorded.input), recorded.output, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(_losses(model), recorded.regularization_loss, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_weights_follow_keras_own_order(name):
    m = _migrate(name)
    model = build(m.source)
    keras_order = [w.path.split("/")[0] for w in model.weights]
    ours = [layer for layer in m.layer_names for _ in range(len(model.get_layer(layer).weights))]
    assert keras_order == ours
    assert [w.shape for w in model.get_weights()] == [w.shape for w in m.weights]


def test_layer_order_is_the_graphs_not_the_calls():
    def model(x):
        main = slim.conv2d(x, 4, 3, scope="main_a")
        main = slim.conv2d(main, 4, 3, scope="main_b")
        shortcut = slim.conv2d(x, 4, 1, scope="shortcut")  # called last, but shallower than main_a
        return shortcut + main

    m = slim.migrate(model, np.zeros((1, 6, 6, 3), "float32"))
    keras_model = build(m.source)
    assert m.layer_names == [w.path.split("/")[0] for w in keras_model.weights][::2]
    assert m.layer_names == ["main_a", "shortcut", "main_b"]


def test_every_keras_argument_is_written():
    for cls_name, names in KERAS_ARGS.items():
        params = inspect.signature(getattr(keras.layers, cls_name).__init__).parameters
        own = [p for p in params if p not in ("self", "kwargs", "name", "lora_rank", "lora_alpha",
                                              "quantization_config")]
        assert list(names) == own, cls_name
        for arg, value in KERAS_ONLY.items():
            if arg in params:
                assert params[arg].default == value, (cls_name, arg)
    for cls_name in KERAS_INITIALIZERS:
        assert hasattr(keras.initializers, cls_name)


def test_save_and_load_model_in_keras(tmp_path):
    recorded = fixture("residual")
    m = _migrate("residual")
    path = m.save(tmp_path, weights=m.weights_from(recorded.variables))
    spec = importlib.util.spec_from_file_location("migrated_residual", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    np.testing.assert_allclose(_predict(module.load_model(), recorded.input), recorded.output, rtol=1e-5,
                               atol=2e-5)


def test_keras_and_slimlayers_agree_on_channels_first_and_leaky_relu():
    import functools

    def model(x, is_training=False):
        with slim.arg_scope([slim.conv2d, slim.conv2d_transpose, slim.batch_norm], data_format="NCHW"):
            net = slim.conv2d(x, 4, 3, stride=2, normalizer_fn=slim.batch_norm,
                              normalizer_params={"is_training": is_training, "scale": True})
            net = slim.conv2d_transpose(net, 2, 3, stride=2,
                                        activation_fn=functools.partial(sl.nn.leaky_relu, negative_slope=0.1))
        return net

    x = np.random.default_rng(0).standard_normal((2, 3, 8, 8)).astype("float32")
    m_keras = slim.migrate(model, x)
    m_sl = slim.migrate(model, x, target="slimlayers")
    rng = np.random.default_rng(1)
    weights = [np.abs(w) + 0.5 if "moving_variance" in n else rng.standard_normal(w.shape).astype("float32")
               for w, n in zip(m_keras.weights, m_keras.variable_names)]
    keras_model, sl_model = build(m_keras.source), build(m_sl.source)
    keras_model.set_weights(weights)
    sl_model.set_weights(m_sl.weights_from(dict(zip(m_keras.variable_names, weights))))
    np.testing.assert_allclose(_predict(keras_model, x), np.asarray(sl_model(x)), rtol=1e-5, atol=1e-5)


def test_the_migration_pages_generator_runs_in_keras_with_the_slim_models_numbers():
    from migration_support import slim_run
    from test_docs import run_page

    page = run_page("migration.md")
    migration, generator = page["migration"], page["generator"]
    rng = np.random.default_rng(0)
    weights = [np.abs(w) + 0.5 if "moving_variance" in n else rng.standard_normal(w.shape).astype("float32") * 0.2
               for w, n in zip(migration.weights, migration.variable_names)]
    model = build(migration.source)
    model.set_weights(weights)
    z = rng.standard_normal((3, 100)).astype("float32")
    expected, losses = slim_run(generator, z, dict(zip(migration.variable_names, weights)))
    np.testing.assert_allclose(_predict(model, z), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_losses(model), sum(float(v) for v in losses), rtol=1e-6)
    assert model.output_shape == (None, 32, 32, 3)


def test_shared_layers_two_inputs_and_two_outputs_keep_keras_order():
    def model(a, b):
        shared_a = slim.conv2d(a, 3, 3, scope="shared")
        shared_b = slim.conv2d(b, 3, 3, scope="shared", reuse=True)
        deep = slim.conv2d(slim.conv2d(shared_a, 3, 1, scope="deep1"), 3, 1, scope="deep2")
        merged = sl.layers.Concatenate(axis=-1)([shared_b, deep])
        return [slim.conv2d(merged, 2, 1, scope="head"), shared_b + deep]

    rng = np.random.default_rng(5)
    a, b = (rng.standard_normal((2, 6, 6, 3)).astype("float32") for _ in range(2))
    m = slim.migrate(model, a, b)
    keras_model = build(m.source)
    assert [w.path.split("/")[0] for w in keras_model.weights][::2] == m.layer_names
    weights = [rng.standard_normal(w.shape).astype("float32") for w in m.weights]
    keras_model.set_weights(weights)
    sl_model = build(slim.migrate(model, a, b, target="slimlayers").source)
    sl_model.set_weights(slim.migrate(model, a, b, target="slimlayers").weights_from(
        dict(zip(m.variable_names, weights))))
    for got, expected in zip(keras_model.predict([a, b], verbose=0), sl_model([a, b])):
        np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-5, atol=1e-5)
