"""sl.mindspore.Conv2d / Conv2dTranspose beyond the recorded cases: the naive reference (tests/naive.py) with
MindSpore's size and padding rules written out independently here, the adjoint identity, output_padding as
zeros after the bias, where each rule raises, initializers, and the layers inside models (fit, save/load)."""
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import slimlayers as sl
from layer_harness import check_layer
from naive import naive_conv2d, naive_conv2d_backprop_filter, naive_conv2d_backprop_input

ms = sl.mindspore
ROOT = Path(__file__).resolve().parent.parent


# -- an independent statement of MindSpore's rules (README of tests/data/conformance-mindspore) ----------------
def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _dk(k, d):
    return d * (k - 1) + 1


def _same_split(i, k, s, d):
    """TF/MindSpore 'same': total padding max((ceil(i/s) - 1)*s + dk - i, 0), the odd unit at the end."""
    total = max((-(-i // s) - 1) * s + _dk(k, d) - i, 0)
    return total // 2, total - total // 2


def _conv_pads(kw, hw):
    """Per-axis (before, after) padding of the forward conv on spatial size ``hw``."""
    k, s, d = _pair(kw["kernel_size"]), _pair(kw["stride"]), _pair(kw["dilation"])
    if kw["pad_mode"] == "pad":
        p = kw["padding"]
        t, b, l, r = (p,) * 4 if isinstance(p, int) else p
        return (t, b), (l, r)
    if kw["pad_mode"] == "same":
        return tuple(_same_split(hw[a], k[a], s[a], d[a]) for a in range(2))
    return (0, 0), (0, 0)


def _transposed_conv_size(kw, hw):
    """Conv2dTranspose before output_padding: same i*s, valid i*s + max(dk - s, 0), pad (i-1)*s + dk - t - b."""
    k, s, d = _pair(kw["kernel_size"]), _pair(kw["stride"]), _pair(kw["dilation"])
    out = []
    for a in range(2):
        i, dk = hw[a], _dk(k[a], d[a])
        if kw["pad_mode"] == "same":
            out.append(i * s[a])
        elif kw["pad_mode"] == "valid":
            out.append(i * s[a] + max(dk - s[a], 0))
        else:
            out.append((i - 1) * s[a] + dk - sum(_conv_pads(kw, hw)[a]))
    return tuple(out)


def _nhwc(a, df):
    return a if df == "NHWC" else a.transpose(0, 2, 3, 1)


def _from_nhwc(a, df):
    return a if df == "NHWC" else a.transpose(0, 3, 1, 2)


def reference(transposed, kw, x, weight, bias, dy):
    """Output and the gradients of sum(output * dy) w.r.t. input, weight and bias, in float64."""
    df = kw.get("data_format", "NCHW")
    x, dy = _nhwc(x, df), _nhwc(dy, df)
    w = weight.transpose(2, 3, 1, 0)  # MindSpore (a, b, kh, kw) -> naive's [kh, kw, b, a], both layouts
    s, d, g = _pair(kw["stride"]), _pair(kw["dilation"]), kw["group"]
    if not transposed:
        pads = _conv_pads(kw, x.shape[1:3])
        y = naive_conv2d(x, w, s, pads, d, g) + bias
        gx = naive_conv2d_backprop_input(dy, w, x.shape[1:3], s, pads, d, g)
        gw = naive_conv2d_backprop_filter(x, dy, w.shape[:2], s, pads, d, g)
        gb = dy.sum(axis=(0, 1, 2))
    else:  # the adjoint of the forward conv whose input has the transposed conv's size
        conv_hw = _transposed_conv_size(kw, x.shape[1:3])
        pads = _conv_pads(kw, conv_hw)
        y = naive_conv2d_backprop_input(x, w, conv_hw, s, pads, d, g) + bias
        bottom, right = _pair(kw.get("output_padding", 0))
        y = np.pad(y, ((0, 0), (0, bottom), (0, right), (0, 0)))  # zeros appended after the bias
        dy = dy[:, :conv_hw[0], :conv_hw[1]]
        gx = naive_conv2d(dy, w, s, pads, d, g)
        gw = naive_conv2d_backprop_filter(dy, x, w.shape[:2], s, pads, d, g)
        gb = dy.sum(axis=(0, 1, 2))
    return _from_nhwc(y, df), _from_nhwc(gx, df), gw.transpose(3, 2, 0, 1), gb


def run_layer(cls, kw, x, weight, bias, dy):
    layer = cls(**kw, dtype="float64")
    layer.set_weights([weight, bias] if kw["has_bias"] else [weight])
    xv = sl.Variable(x)
    with sl.GradientTape() as tape:
        y = layer(xv)
    grads = tape.gradient(y, [xv] + layer.trainable_weights, output_gradients=dy)
    return (np.asarray(y), *grads)


@st.composite
def configs(draw, transposed):
    g = draw(st.integers(1, 3))
    maybe_pair = lambda lo, hi: st.one_of(st.integers(lo, hi), st.tuples(st.integers(lo, hi), st.integers(lo, hi)))
    kw = dict(in_channels=g * draw(st.integers(1, 3)), out_channels=g * draw(st.integers(1, 3)),
              kernel_size=draw(maybe_pair(1, 4)), stride=draw(maybe_pair(1, 3)), dilation=draw(maybe_pair(1, 3)),
              group=g, pad_mode=draw(st.sampled_from(["same", "valid", "pad"])), has_bias=draw(st.booleans()),
              data_format=draw(st.sampled_from(["NCHW", "NHWC"])))
    if kw["pad_mode"] == "pad":
        kw["padding"] = draw(st.one_of(st.integers(0, 3), st.tuples(*[st.integers(0, 3)] * 4)))
        if transposed:
            bounds = [max(s, d) for s, d in zip(_pair(kw["stride"]), _pair(kw["dilation"]))]
            kw["output_padding"] = draw(st.one_of(st.integers(0, min(bounds) - 1),
                                                  st.tuples(*[st.integers(0, b - 1) for b in bounds])))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 10)), draw(st.integers(1, 10)))
    return kw, shape


def _check_against_reference(transposed, kw, shape, seed):
    cls = ms.Conv2dTranspose if transposed else ms.Conv2d
    n, h, w = shape
    x = np.random.default_rng(seed).standard_normal((n, kw["in_channels"], h, w))
    if kw["data_format"] == "NHWC":
        x = x.transpose(0, 2, 3, 1)
    layer = cls(**kw, dtype="float64")
    rng = np.random.default_rng(seed + 1)
    weight, bias = rng.standard_normal(layer.weight.shape), rng.standard_normal(kw["out_channels"])
    out_shape = layer.compute_output_shape(x.shape)
    dy = rng.standard_normal(out_shape)
    got = run_layer(cls, kw, x, weight, bias, dy)
    expected = reference(transposed, kw, x, weight, bias if kw["has_bias"] else 0.0, dy)
    for name, g, e in zip(["output", "grad_input", "grad_weight", "grad_bias"], got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-10, err_msg=f"{name} of {cls.__name__}(**{kw})")


def _positive_output(transposed, kw, shape):
    k, s, d = _pair(kw["kernel_size"]), _pair(kw["stride"]), _pair(kw["dilation"])
    hw = shape[1:]
    if transposed:
        return min(_transposed_conv_size(kw, hw)) >= 1
    pads = _conv_pads(kw, hw)
    return all((hw[a] + sum(pads[a]) - _dk(k[a], d[a])) // s[a] + 1 >= 1 for a in range(2))


@pytest.mark.parametrize("transposed", [False, True], ids=["Conv2d", "Conv2dTranspose"])
@settings(max_examples=60, deadline=None)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_layers_match_the_naive_reference(transposed, data, seed):
    kw, shape = data.draw(configs(transposed))
    assume(_positive_output(transposed, kw, shape))
    _check_against_reference(transposed, kw, shape, seed)


# the corners the strategy may miss, every time: asymmetric padding, output_padding >= stride with a larger
# dilation, groups, NHWC, stride with dilation, 'valid' with dk < stride, 'same' with an even kernel
CORNERS = [
    (False, dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 3), pad_mode="pad",
                 padding=(0, 3, 2, 1), dilation=(1, 2), group=2, has_bias=True, data_format="NCHW"), (2, 9, 11)),
    (False, dict(in_channels=6, out_channels=3, kernel_size=4, stride=2, pad_mode="same", padding=0,
                 dilation=2, group=3, has_bias=True, data_format="NHWC"), (1, 8, 7)),
    (True, dict(in_channels=2, out_channels=4, kernel_size=(4, 3), stride=1, pad_mode="pad", padding=(2, 0, 0, 1),
                output_padding=(1, 1), dilation=2, group=2, has_bias=True, data_format="NCHW"), (1, 6, 5)),
    (True, dict(in_channels=6, out_channels=3, kernel_size=3, stride=(3, 2), pad_mode="pad", padding=(1, 2, 0, 1),
                output_padding=(2, 1), dilation=(1, 2), group=3, has_bias=True, data_format="NHWC"), (2, 4, 5)),
    (True, dict(in_channels=3, out_channels=2, kernel_size=2, stride=3, pad_mode="valid", padding=0,
                dilation=1, group=1, has_bias=True, data_format="NCHW"), (1, 3, 4)),
    (True, dict(in_channels=2, out_channels=2, kernel_size=4, stride=2, pad_mode="same", padding=0,
                dilation=1, group=2, has_bias=False, data_format="NHWC"), (1, 5, 4)),
]


@pytest.mark.parametrize("transposed, kw, shape", CORNERS)
def test_corner_configurations_match_the_naive_reference(transposed, kw, shape):
    _check_against_reference(transposed, kw, shape, seed=7)


def test_nhwc_is_nchw_transposed_with_the_same_weight_layout():
    for cls, kw in ((ms.Conv2d, dict(pad_mode="pad", padding=(1, 0, 2, 1))),
                    (ms.Conv2dTranspose, dict(stride=2, pad_mode="pad", padding=1, output_padding=1))):
        sl.set_seed(1)
        a = cls(4, 6, 3, group=2, has_bias=True, **kw)
        b = cls(4, 6, 3, group=2, has_bias=True, data_format="NHWC", **kw)
        b.set_weights(a.get_weights())
        x = np.random.default_rng(2).standard_normal((2, 4, 5, 6)).astype("float32")
        np.testing.assert_array_equal(np.asarray(b(x.transpose(0, 2, 3, 1))).transpose(0, 3, 1, 2), np.asarray(a(x)))


def test_adjoint_identity_with_one_weight_array():
    # Conv2dTranspose(out, in) is the adjoint of Conv2d(in, out) with the very same weight array,
    # whenever the forward conv drops no rows ('same' on i*s, 'pad' with (h + t + b - dk) % s == 0)
    rng = np.random.default_rng(3)
    for kw, h in ((dict(stride=2, pad_mode="same"), 8), (dict(stride=3, pad_mode="pad", padding=(2, 0, 1, 1)), 10)):
        conv = ms.Conv2d(6, 4, 3, group=2, dtype="float64", **kw)
        up = ms.Conv2dTranspose(4, 6, 3, group=2, dtype="float64", **kw)
        up.set_weights(conv.get_weights())
        x = rng.standard_normal((2, 6, h, h))
        y = np.asarray(conv(x))
        r = rng.standard_normal(y.shape)
        assert np.asarray(up(r)).shape == x.shape
        np.testing.assert_allclose(np.sum(y * r), np.sum(x * np.asarray(up(r))), rtol=1e-12)


# -- output_padding: zeros after the bias (MindSpore), not computed rows (PyTorch, Keras) ----------------------
def test_output_padding_appends_zeros_after_the_bias_and_drops_their_gradient():
    up = ms.Conv2dTranspose(2, 3, 3, stride=2, pad_mode="pad", padding=1, output_padding=1, has_bias=True,
                            weight_init="ones", bias_init=0.5)
    x = sl.Variable(np.ones((1, 2, 4, 4), "float32"))
    with sl.GradientTape() as tape:
        y = up(x)
    assert y.shape == (1, 3, 8, 8)
    y = np.asarray(y)
    assert np.all(y[:, :, -1, :] == 0) and np.all(y[:, :, :, -1] == 0) and np.all(y[:, :, :-1, :-1] > 0.5)
    marked = np.zeros((1, 3, 8, 8), "float32")
    marked[:, :, -1, :] = marked[:, :, :, -1] = 1.0  # a gradient only where the zeros were appended
    with sl.GradientTape() as tape:
        y = up(x)
    gx, gw, gb = tape.gradient(y, [x, up.weight, up.bias], output_gradients=marked)
    assert not gx.any() and not gw.any() and not gb.any()
    # Keras (like PyTorch) computes those rows from the scatter: same size, real values at the end
    keras = sl.layers.Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1, data_format="channels_first",
                                      kernel_initializer="ones", bias_initializer=sl.initializers.Constant(0.5))
    assert keras(np.ones((1, 2, 4, 4), "float32")).shape == (1, 3, 8, 8)
    assert np.all(np.asarray(keras(np.ones((1, 2, 4, 4), "float32")))[:, :, -1, :] >= 0.5)


def test_an_empty_transposed_conv_with_output_padding_is_all_appended_zeros():
    # width (1-1)*1 + 1 - 1 - 0 = 0, then one appended zero column (MindSpore returns zeros, gradients zero)
    up = ms.Conv2dTranspose(1, 2, (3, 1), stride=(2, 1), dilation=(1, 4), pad_mode="pad", padding=(0, 0, 1, 0),
                            output_padding=(1, 1), has_bias=True, bias_init=1.0)
    x = sl.Variable(np.ones((1, 1, 3, 1), "float32"))
    with sl.GradientTape() as tape:
        y = up(x)
    assert y.shape == (1, 2, 8, 1) == up.compute_output_shape((1, 1, 3, 1)) and not np.asarray(y).any()
    assert not any(g.any() for g in tape.gradient(y, [x, up.weight, up.bias]))


# -- where each rule raises: construction or call, as MindSpore ------------------------------------------------
CONSTRUCTION_ERRORS = [
    (ms.Conv2d, dict(pad_mode="same", padding=1), "padding.*unless pad_mode='pad'"),
    (ms.Conv2dTranspose, dict(pad_mode="valid", padding=(0, 2, 0, 0)), "padding.*unless pad_mode='pad'"),
    (ms.Conv2d, dict(pad_mode="pad", padding=(1, 1)), "padding.*tuple of 4"),
    (ms.Conv2d, dict(pad_mode="pad", padding=(0, 2, -1, 0)), "padding.*>= 0"),
    (ms.Conv2d, dict(pad_mode="Same"), "pad_mode.*case-sensitive"),
    (ms.Conv2dTranspose, dict(pad_mode="full"), "pad_mode"),
    (ms.Conv2d, dict(stride=(1, 1, 2, 2)), "stride.*tuple of 2"),
    (ms.Conv2d, dict(dilation=0), "dilation.*positive"),
    (ms.Conv2d, dict(group=0), "group.*positive"),
    (ms.Conv2d, dict(group=3), "in_channels.*divisible by group=3"),
    (ms.Conv2d, dict(data_format="nchw"), "data_format"),
    (ms.Conv2d, dict(data_format=None), "data_format"),
    (ms.Conv2d, dict(has_bias=1), "has_bias.*bool"),
    (ms.Conv2dTranspose, dict(output_padding=(0, 1, 0, 1)), "output_padding.*tuple of 2"),
    (ms.Conv2d, dict(weight_init="foo"), "weight_init.*MindSpore initializer name"),
    (ms.Conv2d, dict(weight_init=np.ones((2, 2, 3, 3))), "Constant initializer value has shape"),
    (ms.Conv2d, dict(weight_init=object()), "weight_init"),
]


@pytest.mark.parametrize("cls, kw, match", CONSTRUCTION_ERRORS)
def test_argument_rules_raise_at_construction(cls, kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cls(**{**dict(in_channels=4, out_channels=2, kernel_size=3), **kw})


CALL_ERRORS = [  # MindSpore accepts these at construction and raises when the layer is called
    (dict(stride=2, pad_mode="pad", output_padding=2), "max\\(stride, dilation\\) is 2"),
    (dict(stride=1, pad_mode="pad", output_padding=(1, 0)), "max\\(stride, dilation\\) is 1"),
    (dict(stride=2, pad_mode="pad", output_padding=(0, -1)), "output_padding.*>= 0"),
    (dict(stride=2, pad_mode="valid", output_padding=(0, 1)), "output_padding.*unless pad_mode='pad'"),
    (dict(stride=1, pad_mode="pad", padding=(5, 5, 0, 0)), "negative"),
]


@pytest.mark.parametrize("kw, match", CALL_ERRORS)
def test_output_rules_raise_when_the_transposed_layer_is_called(kw, match):
    layer = ms.Conv2dTranspose(2, 2, 3, **kw)
    with pytest.raises(ValueError, match=match):
        layer(np.ones((1, 2, 4, 4), "float32"))


def test_input_rules_raise_at_call_with_value_errors():
    conv = ms.Conv2d(2, 2, 4, pad_mode="valid")
    with pytest.raises(ValueError, match="expected axis 1 of the input to have value 2"):  # MindSpore: RuntimeError
        conv(np.ones((1, 3, 8, 8), "float32"))
    with pytest.raises(ValueError, match="expected ndim=4"):
        conv(np.ones((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match="zero or negative.*output height"):  # input smaller than the kernel
        conv(np.ones((1, 2, 2, 6), "float32"))
    nhwc = ms.Conv2dTranspose(2, 2, 3, data_format="NHWC")
    with pytest.raises(ValueError, match="expected axis 3 of the input to have value 2"):
        nhwc(np.ones((1, 4, 4, 3), "float32"))


def test_parameters_exist_from_construction_in_mindspore_layouts():
    conv = ms.Conv2d(4, 6, (3, 2), group=2)
    up = ms.Conv2dTranspose(4, 6, (3, 2), group=2, has_bias=True)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias is None and not conv.built
    assert up.weight.shape == (4, 3, 3, 2) and up.bias.shape == (6,)
    assert [w.name for w in up.weights] == [f"{up.name}/weight", f"{up.name}/bias"]
    assert conv.stride == (1, 1) and conv.pad_mode == "same" and conv.data_format == "NCHW"


# -- initializers: MindSpore's names and defaults, sl.initializers objects on MindSpore's fans ----------------
def _weights(cls, seed=0, **kw):
    sl.set_seed(seed)
    return cls(64, 96, 3, group=2, has_bias=True, **kw).get_weights()


@pytest.mark.parametrize("name, expected", [
    ("normal", ("std", 0.01)), ("Normal", ("std", 0.01)), ("TruncatedNormal", ("std", 0.01)),
    ("truncatedNormal", ("std", 0.01)), ("Uniform", ("bound", 0.07)), ("uniform", ("bound", 0.07)),
    ("HeUniform", ("bound", (6 / 288) ** 0.5)), ("he_uniform", ("bound", (6 / 288) ** 0.5)),
    ("HeNormal", ("std", (2 / 288) ** 0.5)), ("he_normal", ("std", (2 / 288) ** 0.5)),
    ("XavierUniform", ("bound", (6 / (288 + 864)) ** 0.5)), ("xavier_uniform", ("bound", (6 / 1152) ** 0.5)),
    ("XavierNormal", ("std", (2 / 1152) ** 0.5)), ("VarianceScaling", ("bound", (3 / 288) ** 0.5)),
    ("One", ("constant", 1.0)), ("ones", ("constant", 1.0)), ("ZERO", ("constant", 0.0)), (-0.5, ("constant", -0.5)),
    (None, ("bound", 1 / 288 ** 0.5)),
])
def test_weight_init_names_keep_mindspore_meanings(name, expected):
    w = _weights(ms.Conv2d, weight_init=name)[0]  # (96, 32, 3, 3): fan_in 32*9 = 288, fan_out 96*9 = 864
    kind, value = expected
    if kind == "constant":
        assert np.all(w == np.float32(value))
    elif kind == "bound":
        assert np.abs(w).max() <= value and np.abs(w).max() > 0.99 * value
        np.testing.assert_allclose(w.std(), value / 3 ** 0.5, rtol=0.03)
    else:  # untruncated normal: values beyond 2 sigma occur
        np.testing.assert_allclose(w.std(), value, rtol=0.03)
        assert np.abs(w).max() > 3 * value


def test_default_bias_and_fans_follow_each_layout():
    bias = _weights(ms.Conv2d)[1]  # fan_in of weight (96, 32, 3, 3) = 288
    assert np.abs(bias).max() <= 1 / 288 ** 0.5
    w, bias = _weights(ms.Conv2dTranspose)  # weight (64, 48, 3, 3): fan_in 48*9 = 432
    assert w.shape == (64, 48, 3, 3) and np.abs(w).max() <= 1 / 432 ** 0.5 < np.abs(w).max() / 0.98
    assert np.abs(bias).max() <= 1 / 432 ** 0.5
    # an sl.initializers object draws on MindSpore's fans too (Keras' [..., in, out] rule would give 64*48)
    he = _weights(ms.Conv2dTranspose, weight_init=sl.initializers.HeUniform())[0]
    assert (6 / 432) ** 0.5 * 0.98 < np.abs(he).max() <= (6 / 432) ** 0.5


def test_initial_values_are_reproducible_and_array_initializers_are_copied():
    a, b = _weights(ms.Conv2d, seed=5), _weights(ms.Conv2d, seed=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    value = np.arange(2 * 1 * 2 * 2, dtype="float32").reshape(2, 1, 2, 2)
    layer = ms.Conv2d(1, 2, 2, weight_init=value, has_bias=True, bias_init=np.array([1.0, 2.0]))
    value[...] = 0
    assert layer.get_weights()[0].sum() == 28 and layer.get_weights()[1].tolist() == [1.0, 2.0]


# -- ordinary slimlayers layers: harness, config, arg_scope, models, fit, save/load ---------------------------
@pytest.mark.parametrize("cls, kw, shape, n_weights", [
    (ms.Conv2d, dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=(2, 1), pad_mode="pad",
                     padding=(1, 0, 0, 1), dilation=(1, 2), group=2, has_bias=True), (2, 4, 7, 6), 2),
    (ms.Conv2d, dict(in_channels=3, out_channels=2, kernel_size=3, data_format="NHWC"), (2, 5, 5, 3), 1),
    (ms.Conv2dTranspose, dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, pad_mode="pad", padding=1,
                              output_padding=(1, 0), group=2, has_bias=True, bias_init="normal"), (2, 4, 3, 4), 2),
    (ms.Conv2dTranspose, dict(in_channels=2, out_channels=3, kernel_size=2, stride=3, pad_mode="valid",
                              data_format="NHWC", weight_init="xavier_uniform"), (1, 3, 2, 2), 1),
])
def test_layer_harness(cls, kw, shape, n_weights):
    check_layer(cls, kw, shape, n_weights=n_weights)


def test_config_round_trips_every_kind_of_initializer():
    for init in ("TruncatedNormal", 0.25, np.full((3, 2, 1, 1), 0.5), sl.initializers.RandomNormal(stddev=0.1, seed=3)):
        layer = ms.Conv2dTranspose(3, 2, 1, weight_init=init, output_padding=(0, 0), padding=(0, 0, 0, 0))
        config = json.loads(json.dumps(layer.get_config()))
        clone = ms.Conv2dTranspose.from_config(config)
        assert clone.get_config() == config
        if not isinstance(init, str):
            np.testing.assert_array_equal(clone.get_weights()[0], layer.get_weights()[0])


def test_arg_scope_supplies_mindspore_defaults():
    with sl.scopes.arg_scope([ms.Conv2d], has_bias=True, pad_mode="pad", padding=1):
        layer = ms.Conv2d(3, 4, 3)
    assert layer.has_bias and layer.padding == 1 and len(layer.weights) == 2


def mindspore_autoencoder():
    """A small NCHW autoencoder in MindSpore's vocabulary: 16x16 -> 8x8 -> 4x4 -> 8x8 -> 16x16."""
    act = sl.layers.Activation
    return sl.models.Sequential([
        sl.layers.Input((1, 16, 16)),
        ms.Conv2d(1, 8, 3, stride=2, has_bias=True), act("relu"),                               # same: 8x8
        ms.Conv2d(8, 16, 3, stride=2, pad_mode="pad", padding=1, has_bias=True), act("relu"),   # 4x4
        ms.Conv2dTranspose(16, 8, 3, stride=2, pad_mode="pad", padding=1, output_padding=1,     # 7x7 + 1 = 8x8
                           has_bias=True), act("relu"),
        ms.Conv2dTranspose(8, 1, 4, stride=2, has_bias=True), act("sigmoid"),                  # same: 16x16
    ], name="mindspore_autoencoder")


def _blobs(n, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:16, 0:16]
    centres = rng.uniform(3, 13, (n, 2))
    return np.exp(-((yy - centres[:, :1, None]) ** 2 + (xx - centres[:, 1:, None]) ** 2) / 8.0)[:, None] \
        .astype("float32")


def test_mindspore_autoencoder_trains_saves_and_loads(tmp_path):
    sl.set_seed(0)
    model = mindspore_autoencoder()
    model.compile(optimizer=sl.optimizers.Adam(0.01), loss="mse")
    x = _blobs(64)
    history = model.fit(x, x, batch_size=16, epochs=6, shuffle=False, verbose=0).history["loss"]
    assert history[-1] < 0.6 * history[0] and all(b < a for a, b in zip(history, history[1:]))

    printed = []
    model.summary(print_fn=printed.append)
    assert "(Conv2dTranspose)" in printed[0] and "(None, 1, 16, 16)" in printed[0]

    path = tmp_path / "ms_ae.safetensors"
    model.save(path)
    again = sl.models.load_model(path)
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]
    np.testing.assert_array_equal(again.predict(x[:4], verbose=0), model.predict(x[:4], verbose=0))
    # a fresh process that never imported sl.mindspore resolves "mindspore>Conv2d" by itself
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r})
        import slimlayers as sl
        model = sl.models.load_model({str(path)!r})
        print(type(model.layers[0]).__module__, model.layers[4].output_padding)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.stdout.split() == ["slimlayers.mindspore.conv", "1"], out.stderr


def test_mindspore_layers_compose_with_keras_layers_in_a_functional_model():
    inp = sl.layers.Input((3, 12, 12))
    h = ms.Conv2d(3, 8, 3, stride=2, has_bias=True)(inp)
    h = sl.layers.BatchNormalization(axis=1)(h)
    h = sl.layers.MaxPooling2D(2, data_format="channels_first")(h)
    skip = sl.layers.UpSampling2D(2, data_format="channels_first")(h)
    up = ms.Conv2dTranspose(8, 8, 2, stride=2)(h)
    out = sl.layers.Conv2D(2, 1, data_format="channels_first")(sl.layers.Concatenate(axis=1)([up, skip]))
    model = sl.models.Model(inp, out)
    assert out.shape == (None, 2, 6, 6)
    assert model.predict(np.ones((2, 3, 12, 12), "float32"), verbose=0).shape == (2, 2, 6, 6)


def test_summary_shows_the_mindspore_window():
    model = sl.models.Sequential([
        sl.layers.Input((3, 16, 50)),
        sl.mindspore.Conv2d(3, 8, 4, pad_mode="pad", padding=1),
        sl.mindspore.Conv2dTranspose(8, 2, 3, stride=2, pad_mode="pad", padding=1, output_padding=1),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # (16 + 2 - 4) + 1 = 15, (50 + 2 - 4) + 1 = 49; then (15-1)*2 + 3 - 2 + 1 = 30, (49-1)*2 + 3 - 2 + 1 = 98
    assert "16×50 →(k4,s1,pad(1,1,1,1))→ 15×49" in text
    assert "15×49 →(k3,s2,pad(1,1,1,1),op1)→ 30×98" in text
