"""Conv2D / Conv2DTranspose layers: recorded Keras 3 cases, Keras' error rules, fans, and the
cases Keras' TF backend cannot run (checked against the naive reference and finite differences)."""
import json

import numpy as np
import pytest

import slimlayers as sl
from conformance import assert_close, load_cases
from layer_harness import check_layer
from naive import naive_conv2d, naive_conv2d_backprop_input

LAYER_CASES = load_cases("keras.Conv2D") + load_cases("keras.Conv2DTranspose")


def _ids(cases):
    return [c["id"] for c, _ in cases]


@pytest.mark.parametrize("case,arrays", [c for c in LAYER_CASES if not c[0].get("expect_error")],
                         ids=_ids([c for c in LAYER_CASES if not c[0].get("expect_error")]))
def test_recorded_keras_layer(case, arrays):
    cls = getattr(sl.layers, case["api"].split(".")[-1])
    layer = cls(**case["kwargs"])
    layer.build(arrays["input"].shape)
    layer.set_weights([arrays["kernel"], arrays["bias"]] if "bias" in arrays else [arrays["kernel"]])
    y = layer(arrays["input"])
    assert y.shape == tuple(case["expect_shape"])
    assert layer.compute_output_shape(arrays["input"].shape) == tuple(case["expect_shape"])
    assert_close(y, arrays["output"], case["tol"]["output"])


@pytest.mark.parametrize("case,arrays", [c for c in LAYER_CASES if c[0].get("expect_error")],
                         ids=_ids([c for c in LAYER_CASES if c[0].get("expect_error")]))
def test_recorded_keras_layer_errors(case, arrays):
    cls = getattr(sl.layers, case["api"].split(".")[-1])
    with pytest.raises((ValueError, TypeError)):
        cls(**case["kwargs"])(arrays["input"])


SHAPE_CASES = [c for c in load_cases("shape") if c[0].get("kind") == "layer_output_shape"]


@pytest.mark.parametrize("case,arrays", SHAPE_CASES, ids=_ids(SHAPE_CASES))
def test_recorded_layer_output_shape(case, arrays):
    cls = getattr(sl.layers, case["api"].split(".")[-1])
    y = cls(**case["kwargs"])(np.zeros(case["input_shape"], "float32"))
    assert y.shape == tuple(case["expect_shape"])


# -- constructor validation, by message ---------------------------------------------------------
@pytest.mark.parametrize("cls,kwargs,message", [
    (sl.layers.Conv2D, dict(filters=0, kernel_size=3), "`filters`: must be positive. Received: filters=0"),
    (sl.layers.Conv2D, dict(filters=-2, kernel_size=3), "filters=-2"),
    (sl.layers.Conv2D, dict(filters=2, kernel_size=0), "`kernel_size`: must be positive"),
    (sl.layers.Conv2D, dict(filters=2, kernel_size=(3, 3, 3)), "`kernel_size`: must be an int or a tuple of 2"),
    (sl.layers.Conv2D, dict(filters=2, kernel_size=3, strides=0), "`strides`: must be positive"),
    (sl.layers.Conv2D, dict(filters=2, kernel_size=3, dilation_rate=(1, 0)), "`dilation_rate`: must be positive"),
    (sl.layers.Conv2D, dict(filters=2, kernel_size=3, strides=2, dilation_rate=2),
     "`strides > 1` is not supported together with `dilation_rate > 1`. Received: strides=(2, 2) and "
     "dilation_rate=(2, 2)"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, groups=3), "`groups`: must divide filters=4"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, groups=0), "`groups`: must be positive"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, padding="causal"), "`padding`: must be 'same' or 'valid'"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, padding=[[1, 1], [1, 1]]), "`padding`"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, data_format="NHWC"),
     "`data_format`: must be 'channels_last' or 'channels_first'. Received: data_format='NHWC'"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, kernel_initializer="glorot_unifrom"),
     "Unknown initializer: 'glorot_unifrom'. Did you mean"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, activation="rleu"), "'rleu'. Did you mean"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, kernel_regularizer="l3"), "Unknown regularizer: 'l3'"),
    (sl.layers.Conv2D, dict(filters=4, kernel_size=3, dtype="int32"), "`dtype`"),
    (sl.layers.Conv2DTranspose, dict(filters=1, kernel_size=3, strides=2, output_padding=2),
     "At dimension 0, output_padding is 2 but strides is 2. Received: output_padding=(2, 2), strides=(2, 2)"),
    (sl.layers.Conv2DTranspose, dict(filters=1, kernel_size=3, strides=(1, 3), output_padding=(0, 3)),
     "At dimension 1, output_padding is 3 but strides is 3"),
    (sl.layers.Conv2DTranspose, dict(filters=1, kernel_size=3, output_padding=-1),
     "`output_padding`: must be >= 0. Received: output_padding=-1"),
    (sl.layers.Conv2DTranspose, dict(filters=1, kernel_size=3, strides=2, dilation_rate=2), "dilation_rate > 1"),
    (sl.layers.Conv2DTranspose, dict(filters=3, kernel_size=3, groups=2), "`groups`: must divide filters=3"),
])
def test_constructor_errors(cls, kwargs, message):
    with pytest.raises((ValueError, TypeError)) as info:
        cls(**kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("cls", [sl.layers.Conv2D, sl.layers.Conv2DTranspose])
def test_build_errors(cls):
    with pytest.raises(ValueError, match=r"must be evenly divisible by the number of groups. Received groups=3, "
                                         r"but the input has 4 channels \(full input shape is \(1, 8, 8, 4\)\)"):
        cls(6, 1, groups=3)(np.zeros((1, 8, 8, 4), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        cls(2, 1)(np.zeros((8, 8, 4), "float32"))
    layer = cls(2, 1)
    layer(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="expected axis 3 of the input to have value 3"):
        layer(np.zeros((1, 4, 4, 5), "float32"))


def test_conv2d_output_would_be_empty():
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        sl.layers.Conv2D(1, 5)(np.zeros((1, 4, 4, 1), "float32"))


# -- beyond Keras' TF backend: independent references ----------------------------------------------
def _transpose_reference(x, kernel, strides, dilation, groups, out_hw, crop):
    """The adjoint of the naive forward conv that maps ``out_hw`` (padded by ``crop`` before) onto x's size."""
    pads = []
    for axis in range(2):
        i, o, k, s, d = x.shape[1 + axis], out_hw[axis], kernel.shape[axis], strides[axis], dilation[axis]
        pads.append((crop[axis], (i - 1) * s + d * (k - 1) + 1 - o - crop[axis]))
    return naive_conv2d_backprop_input(x, kernel, out_hw, strides, pads, dilation, groups)


@pytest.mark.parametrize("i,k,s,op", [(4, 4, 2, 0), (5, 2, 3, 0), (3, 4, 1, 0), (4, 2, 2, 0)])
def test_same_even_kernel_output_padding_zero(i, k, s, op):
    """Keras' TF backend crashes here; the result is the adjoint of the conv cropping P//2 at the start."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, i, i + 1, 3))
    layer = sl.layers.Conv2DTranspose(2, k, strides=s, padding="same", output_padding=op, use_bias=False,
                                      dtype="float64")
    y = layer(x).numpy()
    o = ((i - 1) * s, i * s)  # Keras formula (i-1)*s + dk % 2 + op with even dk
    assert y.shape == (2, o[0], o[1], 2)
    crop = tuple(((ii - 1) * s + k - oo) // 2 for ii, oo in zip((i, i + 1), o))
    kernel = layer.kernel.numpy()
    expected = _transpose_reference(x, kernel, (s, s), (1, 1), 1, o, crop)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_dilated_and_grouped_transpose_matches_adjoint(padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 6, 4))
    layer = sl.layers.Conv2DTranspose(6, 3, padding=padding, dilation_rate=2, groups=2, use_bias=False,
                                      dtype="float64")
    y = layer(x).numpy()
    assert layer.kernel.shape == (3, 3, 3, 4)
    assert y.shape == ((2, 9, 10, 6) if padding == "valid" else (2, 5, 6, 6))  # semantics.md §2.5
    # <conv_transpose(x), z> == <x, conv(z)> with the same kernel: the defining adjoint identity
    z = rng.standard_normal(y.shape)
    pads = [(0, 0), (0, 0)] if padding == "valid" else [(2, 2), (2, 2)]
    conv_z = naive_conv2d(z, layer.kernel.numpy(), (1, 1), pads, (2, 2), 2)
    np.testing.assert_allclose(np.sum(y * z), np.sum(x * conv_z), rtol=1e-10)


def test_channels_first_equals_channels_last():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 5, 7, 3)).astype("float32")
    for cls, kw in [(sl.layers.Conv2D, dict(strides=2, padding="same")),
                    (sl.layers.Conv2DTranspose, dict(strides=2, padding="same", output_padding=1))]:
        last = cls(4, 3, **kw)
        first = cls(4, 3, data_format="channels_first", **kw)
        y_last = last(x)
        first.build(np.transpose(x, (0, 3, 1, 2)).shape)
        first.set_weights(last.get_weights())
        y_first = first(np.transpose(x, (0, 3, 1, 2)))
        np.testing.assert_allclose(np.transpose(y_first.numpy(), (0, 2, 3, 1)), y_last.numpy(), rtol=1e-5,
                                   atol=1e-6)
        assert first.compute_output_shape((None, 3, 5, 7)) == (None, 4) + y_last.shape[1:3]


# -- initializer fans (semantics.md §5.1) --------------------------------------------------------
def test_transpose_kernel_fan_in_counts_the_layer_inputs():
    """Conv2DTranspose(8, 3, he_uniform) on 2 channels: limit sqrt(6/(2*9)) (Keras: sqrt(6/(8*9)))."""
    sl.set_seed(3)
    layer = sl.layers.Conv2DTranspose(8, 3, kernel_initializer="he_uniform")
    layer.build((1, 5, 5, 2))
    w = np.abs(layer.kernel.numpy())
    limit = np.sqrt(6 / (2 * 9))
    assert w.max() <= limit and w.max() > 0.95 * limit
    fan_out_init = sl.layers.Conv2DTranspose(8, 3, kernel_initializer=sl.initializers.VarianceScaling(
        2.0, "fan_out", "uniform"))
    fan_out_init.build((1, 5, 5, 2))
    fan_out_limit = np.sqrt(6 / (8 * 9))
    assert fan_out_limit * 0.95 < np.abs(fan_out_init.kernel.numpy()).max() <= fan_out_limit


def test_glorot_is_unaffected_by_the_fan_axes():
    sl.set_seed(6)
    layer = sl.layers.Conv2DTranspose(8, 3)
    layer.build((1, 5, 5, 2))
    limit = np.sqrt(6 / (2 * 9 + 8 * 9))
    assert limit * 0.95 < np.abs(layer.kernel.numpy()).max() <= limit


def test_conv_kernel_fan_in_with_groups():
    sl.set_seed(4)
    layer = sl.layers.Conv2D(64, 3, groups=4, kernel_initializer="he_uniform")
    layer.build((1, 5, 5, 32))
    w = np.abs(layer.kernel.numpy())
    limit = np.sqrt(6 / (8 * 9))  # fan_in = kh*kw*in/groups
    assert layer.kernel.shape == (3, 3, 8, 64)
    assert w.max() <= limit and w.max() > 0.98 * limit


# -- harness: shapes, config, gradients, one training step ---------------------------------------
@pytest.mark.parametrize("kwargs,shape", [
    (dict(filters=4, kernel_size=3, strides=2, padding="same", activation="tanh"), (2, 7, 6, 3)),
    (dict(filters=4, kernel_size=(2, 3), dilation_rate=2, groups=2, kernel_regularizer="l2"), (2, 7, 8, 2)),
    (dict(filters=2, kernel_size=3, data_format="channels_first", use_bias=False), (2, 3, 6, 5)),
])
def test_conv2d_harness(kwargs, shape):
    check_layer(sl.layers.Conv2D, kwargs, shape, n_weights=1 + kwargs.get("use_bias", True))


@pytest.mark.parametrize("kwargs,shape", [
    (dict(filters=3, kernel_size=3, strides=2, padding="same", activation="sigmoid"), (2, 4, 3, 2)),
    (dict(filters=2, kernel_size=4, strides=(2, 3), padding="valid", output_padding=(1, 2)), (1, 3, 3, 2)),
    (dict(filters=4, kernel_size=2, padding="same", output_padding=0, groups=2, dilation_rate=(1, 2),
          bias_regularizer="l1", activity_regularizer="l2"), (2, 4, 4, 4)),
    (dict(filters=2, kernel_size=3, strides=2, data_format="channels_first"), (1, 3, 3, 4)),
])
def test_conv2d_transpose_harness(kwargs, shape):
    check_layer(sl.layers.Conv2DTranspose, kwargs, shape, n_weights=2)


def test_config_is_keras_shaped_and_json():
    layer = sl.layers.Conv2DTranspose(4, 3, strides=2, padding="SAME", output_padding=1, activation="relu",
                                      name="up")
    cfg = json.loads(json.dumps(layer.get_config()))
    assert cfg["padding"] == "same" and cfg["output_padding"] == [1, 1] and cfg["activation"] == "relu"
    assert cfg["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert cfg["name"] == "up" and cfg["dtype"] == "float32" and cfg["data_format"] == "channels_last"
    assert list(cfg)[:5] == ["filters", "kernel_size", "strides", "padding", "output_padding"]
    assert repr(layer) == ("Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2), padding='same', "
                           "output_padding=(1, 1), activation='relu', name='up')")


def test_transpose_kernel_keras_fans_by_initializer_axes():
    """The documented way to get Keras' numbers: axes given to the initializer win over the layer's."""
    sl.set_seed(5)
    init = sl.initializers.VarianceScaling(2.0, "fan_in", "uniform", input_axes=2, output_axes=3)
    layer = sl.layers.Conv2DTranspose(8, 3, kernel_initializer=init)
    layer.build((1, 5, 5, 2))
    w = np.abs(layer.kernel.numpy())
    limit = np.sqrt(6 / (8 * 9))
    assert w.max() <= limit and w.max() > 0.9 * limit
    assert init.input_axes == 2  # the user's initializer is not modified
