"""ZeroPadding2D and Cropping2D: Keras 3 argument forms, a naive numpy reference, gradients, saving."""
import numpy as np
import pytest

import slimlayers as sl
from layer_harness import check_layer


def naive_pad(x, pads, channels_first):
    """Zero padding written with loops over the output (no np.pad)."""
    (t, b), (l, r) = pads
    if channels_first:
        x = x.transpose(0, 2, 3, 1)
    n, h, w, c = x.shape
    out = np.zeros((n, h + t + b, w + l + r, c), x.dtype)
    for i in range(h):
        for j in range(w):
            out[:, i + t, j + l, :] = x[:, i, j, :]
    return out.transpose(0, 3, 1, 2) if channels_first else out


def naive_crop(x, crops, channels_first):
    (t, b), (l, r) = crops
    if channels_first:
        x = x.transpose(0, 2, 3, 1)
    n, h, w, c = x.shape
    out = np.empty((n, h - t - b, w - l - r, c), x.dtype)
    for i in range(out.shape[1]):
        for j in range(out.shape[2]):
            out[:, i, j, :] = x[:, i + t, j + l, :]
    return out.transpose(0, 3, 1, 2) if channels_first else out


FORMS = [(2, ((2, 2), (2, 2))), ((1, 3), ((1, 1), (3, 3))), (((0, 2), (1, 0)), ((0, 2), (1, 0))),
         ([[1, 0], [0, 1]], ((1, 0), (0, 1)))]


@pytest.mark.parametrize("given,pairs", FORMS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_zero_padding_matches_naive_reference(given, pairs, data_format):
    x = np.random.default_rng(0).standard_normal((2, 5, 6, 3) if data_format == "channels_last" else (2, 3, 5, 6))
    layer = sl.layers.ZeroPadding2D(given, data_format=data_format, dtype="float64")
    assert layer.padding == pairs
    np.testing.assert_array_equal(layer(x).numpy(), naive_pad(x, pairs, data_format == "channels_first"))
    check_layer(sl.layers.ZeroPadding2D, dict(padding=given, data_format=data_format), x.shape)


@pytest.mark.parametrize("given,pairs", FORMS)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_cropping_matches_naive_reference(given, pairs, data_format):
    x = np.random.default_rng(1).standard_normal((2, 7, 8, 3) if data_format == "channels_last" else (2, 3, 7, 8))
    layer = sl.layers.Cropping2D(given, data_format=data_format, dtype="float64")
    assert layer.cropping == pairs
    np.testing.assert_array_equal(layer(x).numpy(), naive_crop(x, pairs, data_format == "channels_first"))
    check_layer(sl.layers.Cropping2D, dict(cropping=given, data_format=data_format), x.shape)


def test_defaults_and_symbolic_shapes():
    assert sl.layers.ZeroPadding2D().padding == ((1, 1), (1, 1))
    assert sl.layers.Cropping2D().cropping == ((0, 0), (0, 0))
    x = sl.layers.Input((None, 9, 2))
    assert sl.layers.ZeroPadding2D(((1, 2), (3, 4)))(x).shape == (None, None, 16, 2)
    assert sl.layers.Cropping2D(((1, 2), (3, 4)))(x).shape == (None, None, 2, 2)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="Invalid argument `padding`: must be >= 0"):
        sl.layers.ZeroPadding2D(-1)
    with pytest.raises(ValueError, match="`padding`: must be an int, a tuple of 2 ints"):
        sl.layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(TypeError, match="`cropping`"):
        sl.layers.Cropping2D("1")
    with pytest.raises(ValueError, match="`cropping`: must be an int or a tuple of 2 integers"):
        sl.layers.Cropping2D(((1, 2, 3), 0))
    with pytest.raises(ValueError, match="must leave at least one row"):
        sl.layers.Cropping2D(((2, 2), (0, 0)), name="crop")(np.ones((1, 4, 4, 1), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4"):
        sl.layers.ZeroPadding2D()(np.ones((4, 4, 1), "float32"))


def test_model_with_padding_and_cropping_saves_and_loads(tmp_path):
    inp = sl.layers.Input((6, 6, 2))
    y = sl.layers.ZeroPadding2D(((1, 0), (2, 1)))(inp)
    y = sl.layers.Conv2D(3, 3)(y)
    y = sl.layers.Cropping2D(((0, 1), (1, 0)))(y)
    model = sl.models.Model(inp, y)
    x = np.random.default_rng(2).standard_normal((2, 6, 6, 2)).astype("float32")
    model.save(tmp_path / "m.safetensors")
    loaded = sl.models.load_model(tmp_path / "m.safetensors")
    assert [type(layer).__name__ for layer in loaded.layers][1:] == ["ZeroPadding2D", "Conv2D", "Cropping2D"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
