"""sl.interop.to_keras / from_keras against real Keras 3 (torch backend): predictions, exact weights, refusals."""

import numpy as np
import pytest

import slimlayers as sl
from conftest import optional
from interop_cases import CASES, FORMATS, IDS, Custom, Subclassed, branching_model, build

keras = optional("keras")
L = sl.layers


def predict(keras_model, x):
    return np.asarray(keras_model.predict(x, verbose=0))


def assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


# Keras 3.15's torch backend computes 'same' average pooling as F.pad(zeros) + avg_pool2d(count_include_pad=False),
# so the padded zeros are counted; TensorFlow (and slimlayers, and the TF backend) divide by the cells inside the
# input. The translated layer is the same; only that backend's numbers differ (checked below, border cells only).
TORCH_BACKEND_AVG_SAME = {"avgpool_same"}


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_round_trip_through_keras(case, data_format):
    model, x = build(case, data_format)
    k = sl.interop.to_keras(model)
    if case[0] in TORCH_BACKEND_AVG_SAME and keras.backend.backend() == "torch":
        differ = ~np.isclose(predict(k, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
        inner = differ[:, 1:-1, 1:-1] if data_format == "channels_last" else differ[:, :, 1:-1, 1:-1]
        assert differ.any() and not inner.any()  # windows touching the padding are the whole difference
    else:
        np.testing.assert_allclose(predict(k, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    back = sl.interop.from_keras(k)
    assert_same_weights(back, model)
    assert [layer.get_config() | {"name": None} for layer in back.layers] == \
        [layer.get_config() | {"name": None} for layer in model.layers]
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_functional_round_trip_keeps_the_graph():
    model, x = branching_model()
    k = sl.interop.to_keras(model)
    assert type(k).__name__ == "Functional"
    np.testing.assert_allclose(predict(k, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    back = sl.interop.from_keras(k)
    assert_same_weights(back, model)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))


def test_from_keras_of_a_keras_built_model():
    keras.utils.set_random_seed(0)
    inp = keras.Input((9, 8, 3))
    y = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                            kernel_regularizer=keras.regularizers.L2(1e-3))(inp)
    y = keras.layers.BatchNormalization(momentum=0.9)(y)
    z = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)(y)
    z = keras.layers.Cropping2D(((1, 0), (0, 0)))(z)
    z = keras.layers.ZeroPadding2D(((0, 0), (0, 0)))(z)
    up = keras.layers.UpSampling2D()(y)
    out = keras.layers.Concatenate()([keras.layers.Cropping2D(((1, 0), (0, 0)))(up), z])
    out = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.MaxPooling2D(padding="same")(out)))
    k = keras.Model(inp, out)
    x = np.random.default_rng(0).standard_normal((2, 9, 8, 3)).astype("float32")
    k.compile(optimizer="sgd", loss="mse")
    k.fit(x, np.zeros((2, 2), "float32"), epochs=1, verbose=0)  # moving statistics off their defaults
    model = sl.interop.from_keras(k)
    assert_same_weights(model, k)
    np.testing.assert_allclose(model.predict(x, verbose=0), predict(k, x), rtol=1e-5, atol=1e-5)
    assert model.layers[1].kernel_regularizer.l2 == pytest.approx(1e-3)


def test_initializer_fans_mean_the_same_on_both_sides():
    # Keras' explicit axes carry no receptive field; slimlayers' do. Both mean fan_in = 3*3*2 here.
    init = keras.initializers.VarianceScaling(2.0, "fan_in", "uniform", input_axes=[0, 1, 2],
                                              output_axes=[0, 1, 3])
    k = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(4, 3, kernel_initializer=init)])
    ours = sl.interop.from_keras(k).layers[0].kernel_initializer
    assert (ours.input_axes, ours.output_axes) == ([2], [3])
    assert sl.initializers.compute_fans((3, 3, 2, 4), ours.input_axes, ours.output_axes) == (18, 36)
    # A transposed kernel: Keras reads fan_in from `filters`, slimlayers from the input channels.
    k = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2DTranspose(8, 3, kernel_initializer="he_uniform")])
    ours = sl.interop.from_keras(k).layers[0].kernel_initializer
    assert sl.initializers.compute_fans((3, 3, 8, 2), ours.input_axes, ours.output_axes)[0] == 8 * 9
    model = sl.models.Sequential([L.Input((5, 5, 2)), L.Conv2DTranspose(8, 3, kernel_initializer="he_uniform")])
    theirs = sl.interop.to_keras(model).layers[0].kernel_initializer
    assert keras.src.initializers.random_initializers.compute_fans(
        (3, 3, 8, 2), theirs.input_axes, theirs.output_axes)[0] == 2 * 9


def test_initializer_without_a_slimlayers_form_warns_and_keeps_weights():
    init = keras.initializers.VarianceScaling(input_axes=[2], output_axes=[3])  # no receptive field: no form here
    k = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2D(4, 3, kernel_initializer=init, name="c")])
    with pytest.warns(UserWarning, match="layer 'c': kernel_initializer VarianceScaling"):
        model = sl.interop.from_keras(k)
    assert_same_weights(model, k)


def test_to_keras_refusals_name_the_layer():
    grouped = sl.models.Sequential([L.Input((4, 4, 4)), L.Conv2DTranspose(4, 3, groups=2, name="up")])
    with pytest.raises(ValueError, match=r"layer 'up' \(Conv2DTranspose\): Keras' Conv2DTranspose has no `groups`"):
        sl.interop.to_keras(grouped)
    with pytest.raises(ValueError, match=r"layer 'mine' \(Custom\)"):
        sl.interop.to_keras(sl.models.Sequential([L.Input((4,)), Custom(name="mine")]))
    with pytest.raises(ValueError, match="subclassed model"):
        sl.interop.to_keras(Subclassed())


def test_from_keras_refusals_name_the_layer():
    def one(layer):
        return keras.Sequential([keras.Input((6, 6, 2)), layer])

    cases = [
        (one(keras.layers.Conv2D(2, 3, kernel_constraint=keras.constraints.NonNeg(), name="c1")),
         r"'c1' \(Conv2D\): `kernel_constraint="),
        (one(keras.layers.ReLU(name="r")), r"'r' \(ReLU\): slimlayers has no such layer"),
        (one(keras.layers.Conv2D(2, 3, activation="celu", name="c3")), r"'c3' \(Conv2D\): slimlayers rejects"),
        (one(keras.layers.Dense(2, kernel_regularizer=keras.regularizers.OrthogonalRegularizer(), name="d")),
         r"'d' \(Dense\): kernel_regularizer"),
        (one(keras.layers.BatchNormalization(renorm=True, name="bn")), r"'bn' \(BatchNormalization\): `renorm"),
    ]
    for k, match in cases:
        with pytest.raises(ValueError, match=match):
            sl.interop.from_keras(k)
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    inp = keras.Input((3,))
    with pytest.raises(ValueError, match=r"'inner' \(Sequential\): nested models"):
        sl.interop.from_keras(keras.Model(inp, inner(inp)))

    class Sub(keras.Model):
        def call(self, x):
            return x

    with pytest.raises(ValueError, match="subclassed model"):
        sl.interop.from_keras(Sub())
