"""Sequential / functional models: construction, weights order, nesting, config, summary."""
import json

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.layers import (Add, BatchNormalization, Concatenate, Conv2D, Conv2DTranspose, Dense, Flatten,
                               Input)

rng = np.random.default_rng(2)


def test_sequential_with_input_is_built_at_construction():
    model = sl.models.Sequential([Input((6,)), Dense(4), Dense(2)])
    assert model.built and model.output_shape == (None, 2)
    assert [w.shape for w in model.weights] == [(6, 4), (4,), (4, 2), (2,)]
    assert len(model.layers) == 2  # the InputLayer is not listed (Keras 3)


def test_sequential_without_input_builds_on_first_call_and_add():
    model = sl.models.Sequential()
    model.add(Dense(3))
    assert not model.built
    x = rng.normal(size=(5, 4)).astype(np.float32)
    y = model(x)
    assert y.shape == (5, 3) and model.built
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(np.asarray(y), x @ kernel + bias, rtol=1e-6)
    model.add(Dense(1))  # added after build: built at once
    assert model(x).shape == (5, 1) and model.output_shape == (None, 1)


def test_input_layer_checks_sample_shape():
    model = sl.models.Sequential([Input((6,)), Dense(2)])
    with pytest.raises(ValueError, match="expects inputs of shape"):
        model(np.zeros((2, 5), np.float32))


def test_weights_are_listed_per_layer_trainable_first():
    model = sl.models.Sequential([Input((4,)), Dense(3, name="d1"), BatchNormalization(name="bn"),
                                  Dense(2, name="d2")])
    names = [w.name for w in model.weights]
    assert names == ["d1/kernel", "d1/bias", "bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance",
                     "d2/kernel", "d2/bias"]
    assert [w.name for w in model.trainable_weights] == ["d1/kernel", "d1/bias", "bn/gamma", "bn/beta",
                                                         "d2/kernel", "d2/bias"]
    model.layers[0].trainable = False  # freezing does not reorder get_weights
    assert [w.name for w in model.weights] == names
    assert len(model.get_weights()) == 8


def test_functional_branches_merge_and_match_manual_computation():
    inp = Input((5,))
    a, b = Dense(4, name="fa")(inp), Dense(4, name="fb")(inp)
    out = Concatenate()([Add()([a, b]), a])
    model = sl.models.Model(inp, out)
    assert isinstance(model, sl.models.Model) and model.name.startswith("functional")
    x = rng.normal(size=(3, 5)).astype(np.float32)
    ka, ba, kb, bb = model.get_weights()
    ya, yb = x @ ka + ba, x @ kb + bb
    np.testing.assert_allclose(np.asarray(model(x)), np.concatenate([ya + yb, ya], -1), rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in model.layers][1:3] == ["fa", "fb"]


def test_multi_input_multi_output_and_shared_layer():
    a, b = Input((3,)), Input((3,))
    shared = Dense(2)
    model = sl.models.Model([a, b], [shared(a), shared(b)])
    xa, xb = np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)
    ya, yb = model([xa, xb])
    kernel, bias = shared.get_weights()
    np.testing.assert_allclose(np.asarray(ya), xa @ kernel + bias, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(yb), np.broadcast_to(bias, (2, 2)))
    assert len(model.weights) == 2


def test_nested_models_as_layers():
    encoder = sl.models.Sequential([Input((4,)), Dense(2)], name="encoder")
    decoder = sl.models.Sequential([Input((2,)), Dense(4)], name="decoder")
    inp = Input((4,))
    model = sl.models.Model(inp, decoder(encoder(inp)))
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(model(x)), np.asarray(decoder(encoder(x))))
    assert len(model.weights) == 4
    assert [k for k, _ in model._named_weights()] == ["sequential/dense/kernel", "sequential/dense/bias",
                                                      "sequential_1/dense/kernel", "sequential_1/dense/bias"]
    outer = sl.models.Sequential([encoder, decoder])
    np.testing.assert_allclose(np.asarray(outer(x)), np.asarray(model(x)))


def test_disconnected_graph_is_rejected():
    a, b = Input((3,)), Input((3,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        sl.models.Model(a, Add()([Dense(3)(a), b]))


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_config_round_trip_rebuilds_the_same_function(kind):
    if kind == "sequential":
        model = sl.models.Sequential([Input((8, 8, 1)), Conv2D(3, 3, strides=2, padding="same", activation="relu"),
                                      Conv2DTranspose(1, 3, strides=2, padding="same"), Flatten(), Dense(2)])
    else:
        inp = Input((8, 8, 1))
        x = Conv2D(2, 3, padding="same")(inp)
        y = Conv2D(2, 1)(inp)
        model = sl.models.Model(inp, Dense(3)(Flatten()(Add()([x, y]))))
    config = {"class_name": type(model).__name__, "config": model.get_config()}
    config = json.loads(json.dumps(config))  # JSON-safe
    again = sl.models.config.deserialize_model(config)
    again.set_weights(model.get_weights())
    x = rng.normal(size=(2, 8, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    assert again.get_config() == model.get_config()


def test_unknown_class_in_config_is_rejected_without_importing():
    config = {"class_name": "Sequential",
              "config": {"name": "s", "layers": [{"class_name": "os.system", "config": {}}]}}
    with pytest.raises(ValueError, match="Unknown layer class 'os.system'"):
        sl.models.config.deserialize_model(config)


def test_summary_text_for_a_known_model():
    model = sl.models.Sequential([
        Input((9, 9, 1)), Conv2D(8, 3, strides=2, name="enc"), BatchNormalization(name="bn"),
        Conv2DTranspose(1, 3, strides=2, name="dec"),
        Conv2DTranspose(1, 3, strides=2, output_padding=1, name="up")], name="ae")
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    # counts: 3*3*1*8+8=80; bn 4*8=32 (16 non-trainable); 3*3*1*8+1=73; 3*3*1*1+1=10
    for expected in ("│ enc (Conv2D)", "(None, 4, 4, 8)", "9×9 →(k3,s2,valid)→ 4×4", "4×4 →(k3,s2,valid)→ 9×9",
                     "9×9 →(k3,s2,valid,op1)→ 20×20", " Total params: 195 (780.00 B)",
                     " Trainable params: 179 (716.00 B)", " Non-trainable params: 16 (64.00 B)"):
        assert expected in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [r.split("│")[1].strip() for r in rows] == ["enc (Conv2D)", "bn (BatchNormalization)",
                                                       "dec (Conv2DTranspose)", "up (Conv2DTranspose)"]
    assert [r.split("│")[4].strip() for r in rows] == ["80", "32", "73", "10"]
    assert len({len(line) for line in text.splitlines()[1:-3]}) == 1  # a rectangular table


def test_summary_needs_a_built_model():
    with pytest.raises(ValueError, match="not been built"):
        sl.models.Sequential([Dense(2)]).summary()
