"""sl.nn.conv2d / conv2d_transpose / bias_add: recorded TF cases, a naive reference, adjoints, bad input."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import slimlayers as sl
from conformance import assert_close, load_cases
from gradcheck import check_gradients
from naive import naive_conv2d, naive_conv2d_backprop_input


def case_id(value):
    return value.get("id") if isinstance(value, dict) and "id" in value else None


# -- recorded TensorFlow cases --------------------------------------------------
@pytest.mark.parametrize("case, arrays", load_cases("nn.conv2d"), ids=case_id)
def test_conformance_nn(case, arrays):
    fn = {"sl.nn.conv2d": sl.nn.conv2d, "sl.nn.conv2d_transpose": sl.nn.conv2d_transpose}[case["api"]]
    if case.get("expect_error"):
        with pytest.raises((ValueError, TypeError)):
            fn(arrays["input"], arrays["filters"], **case["kwargs"])
        return
    x, f = sl.Variable(arrays["input"]), sl.Variable(arrays["filters"])
    with sl.GradientTape() as tape:
        y = fn(x, f, **case["kwargs"])
    gx, gf = tape.gradient(y, [x, f], output_gradients=arrays["grad_output"])
    assert_close(np.asarray(y), arrays["output"], case["tol"]["output"])
    assert_close(gx, arrays["grad_input"], case["tol"]["grad_input"])
    assert_close(gf, arrays["grad_filters"], case["tol"]["grad_filters"])


@pytest.mark.parametrize("case, arrays", load_cases("shape"), ids=case_id)
def test_conformance_shape_arithmetic(case, arrays):
    kw = case["kwargs"]
    kind = case["kind"]
    if kind == "conv_output_length":
        assert sl.nn.conv_output_length(**kw) == case["expect"]
    elif kind == "conv_transpose_output_length":
        got = sl.nn.conv_transpose_output_length(**kw)
        assert isinstance(got, (int, np.integer)) and got == case["expect"]
    elif kind == "nn_conv2d_transpose_output_shape":
        ins, fs, expect = case["input_shape"], case["filter_shape"], case["expect_shape"]
        for i in (1, 2):
            assert sl.nn.conv_transpose_output_length(length=ins[i], kernel=fs[i - 1],
                                                      padding=case["length_padding"],
                                                      stride=kw["strides"]) == expect[i]
        y = sl.nn.conv2d_transpose(np.zeros(ins, "float32"), np.zeros(fs, "float32"), output_shape=expect, **kw)
        assert y.shape == tuple(expect)
    elif kind == "layer_output_shape":
        layer = getattr(sl.layers, case["api"].split(".")[-1])(**kw)
        assert layer(np.zeros(case["input_shape"], "float32")).shape == tuple(case["expect_shape"])
    else:
        pytest.fail(f"unknown shape case kind {kind}")


# -- an independent reference ---------------------------------------------------
def same_pads(i, k, s, d):
    """TF SAME split, written out independently of slimlayers.nn.shapes."""
    out = -(-i // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - i, 0)
    return total // 2, total - total // 2


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 3))
    cout = groups * draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h = draw(st.integers((kh - 1) * dh + 1, (kh - 1) * dh + 7))
    w = draw(st.integers((kw - 1) * dw + 1, (kw - 1) * dw + 7))
    padding = draw(st.sampled_from(["SAME", "VALID", "explicit"]))
    if padding == "explicit":
        padding = [[0, 0], [draw(st.integers(0, 3)), draw(st.integers(0, 3))],
                   [draw(st.integers(0, 3)), draw(st.integers(0, 3))], [0, 0]]
    n = draw(st.integers(1, 2))
    return dict(n=n, h=h, w=w, cin=cin, cout=cout, groups=groups, k=(kh, kw), s=(sh, sw), d=(dh, dw),
                padding=padding, nchw=draw(st.booleans()))


def _pads(cfg):
    if cfg["padding"] == "SAME":
        return (same_pads(cfg["h"], cfg["k"][0], cfg["s"][0], cfg["d"][0]),
                same_pads(cfg["w"], cfg["k"][1], cfg["s"][1], cfg["d"][1]))
    if cfg["padding"] == "VALID":
        return (0, 0), (0, 0)
    return tuple(cfg["padding"][1]), tuple(cfg["padding"][2])


def _padding_arg(cfg):
    p = cfg["padding"]
    if isinstance(p, list) and cfg["nchw"]:
        return [p[0], p[3], p[1], p[2]]
    return p


@settings(max_examples=60, deadline=None)
@given(conv_configs(), st.sampled_from([np.float32, np.float64]))
def test_conv2d_matches_naive_reference(cfg, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((cfg["n"], cfg["h"], cfg["w"], cfg["cin"])).astype(dtype)
    f = rng.standard_normal((*cfg["k"], cfg["cin"] // cfg["groups"], cfg["cout"])).astype(dtype)
    pads = _pads(cfg)
    expected = naive_conv2d(x, f, cfg["s"], pads, cfg["d"], cfg["groups"])
    xin = x.transpose(0, 3, 1, 2) if cfg["nchw"] else x
    df = "NCHW" if cfg["nchw"] else "NHWC"
    y = np.asarray(sl.nn.conv2d(xin, f, list(cfg["s"]), _padding_arg(cfg), data_format=df,
                                dilations=list(cfg["d"])))
    if cfg["nchw"]:
        y = y.transpose(0, 2, 3, 1)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(y, expected, rtol=tol, atol=tol)
    assert y.dtype == dtype


@settings(max_examples=60, deadline=None)
@given(conv_configs(), st.data())
def test_conv2d_transpose_matches_naive_reference_for_every_accepted_size(cfg, data):
    """The transposed conv equals the naive input-gradient for each size TF accepts, and the adjoint holds."""
    rng = np.random.default_rng(2)
    n, cin_t, cout_t = cfg["n"], cfg["cin"], cfg["cout"]
    # the transposed op maps [.., i, cin_t] -> [.., o, cout_t]; its forward conv maps o -> i
    kh, kw = cfg["k"]
    o_h, o_w = cfg["h"], cfg["w"]
    fwd = dict(cfg, cin=cout_t, cout=cin_t, groups=1)
    pads = _pads(fwd)
    i_h = (o_h + sum(pads[0]) - (kh - 1) * cfg["d"][0] - 1) // cfg["s"][0] + 1
    i_w = (o_w + sum(pads[1]) - (kw - 1) * cfg["d"][1] - 1) // cfg["s"][1] + 1
    x = rng.standard_normal((n, i_h, i_w, cin_t))
    f = rng.standard_normal((kh, kw, cout_t, cin_t))
    # SAME crop is derived from the requested output size, so recompute pads for it
    expected = naive_conv2d_backprop_input(x, f, (o_h, o_w), cfg["s"], pads, cfg["d"], 1)
    df = "NCHW" if cfg["nchw"] else "NHWC"
    xin = x.transpose(0, 3, 1, 2) if cfg["nchw"] else x
    out_shape = [n, cout_t, o_h, o_w] if cfg["nchw"] else [n, o_h, o_w, cout_t]
    if data.draw(st.booleans()):
        out_shape = [o_h, o_w]
    y = np.asarray(sl.nn.conv2d_transpose(xin, f, out_shape, list(cfg["s"]), _padding_arg(cfg),
                                          data_format=df, dilations=list(cfg["d"])))
    if cfg["nchw"]:
        y = y.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-10)
    # adjoint identity <conv(z), x> == <z, conv_transpose(x)>
    z = rng.standard_normal(expected.shape)
    lhs = np.vdot(naive_conv2d(z, f, cfg["s"], pads, cfg["d"], 1), x)
    np.testing.assert_allclose(lhs, np.vdot(z, y), rtol=1e-10, atol=1e-9)


def test_conv_gradients_match_finite_differences():
    rng = np.random.default_rng(3)
    x, f = rng.standard_normal((2, 5, 6, 4)), rng.standard_normal((3, 2, 2, 6))
    check_gradients(lambda a, b: sl.nn.conv2d(a, b, [2, 1], "SAME", dilations=1), x, f)
    check_gradients(lambda a, b: sl.nn.conv2d(a, b, 1, [[0, 0], [1, 2], [0, 1], [0, 0]], dilations=2), x, f)
    xt, ft = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((3, 3, 3, 2))
    check_gradients(lambda a, b: sl.nn.conv2d_transpose(a, b, [2, 6, 8, 3], 2, "SAME"), xt, ft)
    check_gradients(lambda a, b: sl.nn.conv2d_transpose(a, b, [2, 3, 7, 9], 2, "VALID", "NCHW"),
                    xt.transpose(0, 3, 1, 2), ft[:, :, :, :].copy())


def test_bias_add_both_layouts_and_gradient():
    rng = np.random.default_rng(4)
    x, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal(5)
    np.testing.assert_allclose(np.asarray(sl.nn.bias_add(x, b)), x + b)
    xc = rng.standard_normal((2, 5, 3, 4))
    np.testing.assert_allclose(np.asarray(sl.nn.bias_add(xc, b, data_format="NCHW")), xc + b[:, None, None])
    check_gradients(lambda a, c: sl.nn.bias_add(a, c), x, b)
    with pytest.raises(ValueError, match="bias"):
        sl.nn.bias_add(x, np.zeros(4))


# -- argument forms -------------------------------------------------------------
X = np.random.default_rng(5).standard_normal((2, 7, 8, 4)).astype(np.float32)
F = np.random.default_rng(6).standard_normal((3, 3, 4, 6)).astype(np.float32)


@pytest.mark.parametrize("strides", [2, [2], [2, 2], (2, 2), [1, 2, 2, 1], np.array([2, 2]), np.int64(2)])
def test_stride_spellings_agree(strides):
    ref = np.asarray(sl.nn.conv2d(X, F, 2, "SAME"))
    np.testing.assert_array_equal(np.asarray(sl.nn.conv2d(X, F, strides, "SAME")), ref)


def test_padding_is_case_insensitive_and_lists_become_float32():
    np.testing.assert_array_equal(np.asarray(sl.nn.conv2d(X, F, 1, "same")), np.asarray(sl.nn.conv2d(X, F, 1, "SAME")))
    y = sl.nn.conv2d(X[:1, :3, :3, :1].tolist(), F[:, :, :1, :1].tolist(), 1, "VALID")
    assert y.dtype == np.float32 and y.shape == (1, 1, 1, 1)


@pytest.mark.parametrize("layout", ["fortran", "strided", "negative"])
def test_non_contiguous_inputs_give_the_contiguous_result(layout):
    ref = np.asarray(sl.nn.conv2d(X, F, 1, "SAME"))
    if layout == "fortran":
        x = np.asfortranarray(X)
    elif layout == "strided":
        x = np.repeat(X, 2, axis=2)[:, :, ::2]
    else:
        x = X[:, ::-1][:, ::-1]
    np.testing.assert_array_equal(np.asarray(sl.nn.conv2d(x, np.asfortranarray(F), 1, "SAME")), ref)


def test_inputs_are_not_modified_and_nan_propagates():
    x, f = X.copy(), F.copy()
    x[0, 3, 3, 0] = np.nan
    y = np.asarray(sl.nn.conv2d(x, f, 1, "SAME"))
    assert np.isnan(y[0, 2:5, 2:5]).all() and not np.isnan(y[1]).any()
    assert np.isnan(x[0, 3, 3, 0]) and np.array_equal(f, F)


def test_empty_batch_gives_empty_result():
    y = sl.nn.conv2d(X[:0], F, 2, "SAME")
    assert y.shape == (0, 4, 4, 6)
    t = sl.nn.conv2d_transpose(X[:0, :, :, :], F.transpose(0, 1, 3, 2), [0, 14, 16, 6], 2, "SAME")
    assert t.shape == (0, 14, 16, 6)


def test_dilated_transposed_conv_is_the_adjoint_of_the_dilated_conv():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((3, 3, 4, 5))
    x, y = rng.standard_normal((1, 9, 9, 4)), rng.standard_normal((1, 5, 5, 5))
    lhs = np.vdot(np.asarray(sl.nn.conv2d(x, w, 1, "VALID", dilations=2)), y)
    rhs = np.vdot(x, np.asarray(sl.nn.conv2d_transpose(y, w, [1, 9, 9, 4], 1, "VALID", dilations=2)))
    assert abs(lhs - rhs) < 1e-9 * abs(lhs)


# -- bad input: a clear ValueError/TypeError naming the argument -----------------
@pytest.mark.parametrize("kwargs, match", [
    (dict(input=X[0]), "input.*rank-4"),
    (dict(filters=F[0]), "filters.*rank-4"),
    (dict(filters=F[:, :, :3]), "multiple of the filter's input depth"),
    (dict(filters=np.zeros((3, 3, 2, 5), np.float32)), "divisible by the number of groups"),
    (dict(strides=0), "strides.*positive"),
    (dict(strides=-1), "strides.*positive"),
    (dict(strides=[1, 2, 3]), "strides.*length 1, 2 or 4"),
    (dict(strides=[2, 1, 1, 1]), "strides.*batch and channel"),
    (dict(strides=1.5), "strides.*integer"),
    (dict(strides=float("nan")), "strides.*integer"),
    (dict(dilations=0), "dilations.*positive"),
    (dict(padding="FULL"), "padding"),
    (dict(padding="EXPLICIT"), "padding"),
    (dict(padding=[[0, 0], [1, 1], [1, 1]]), "4 \\[before, after\\] pairs"),
    (dict(padding=[1, 2, 3, 4]), "pair"),
    (dict(padding=[[0, 0], [-1, 1], [1, 1], [0, 0]]), "padding.*>= 0"),
    (dict(padding=[[1, 0], [1, 1], [1, 1], [0, 0]]), "batch and channel"),
    (dict(data_format="NWHC"), "data_format"),
    (dict(input=X.astype(np.int32)), "dtype"),
    (dict(input=X.astype(np.complex64)), "dtype"),
    (dict(input=X.astype(bool)), "dtype"),
    (dict(input=X.astype(object)), "dtype"),
    (dict(filters=F.astype(np.float64)), "dtype"),
    (dict(filters=np.zeros((9, 9, 4, 2), np.float32), padding="VALID"), "larger than the padded input"),
])
def test_conv2d_rejects_bad_input(kwargs, match):
    args = dict(input=X, filters=F, strides=1, padding="SAME")
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        sl.nn.conv2d(**args)


FT = np.zeros((3, 3, 5, 4), np.float32)  # [kh, kw, out, in]


@pytest.mark.parametrize("output_shape, match", [
    ([2, 7, 8], "4 values .* or 2"),
    ([3, 14, 16, 5], "batch"),
    ([2, 14, 16, 6], "channel"),
    ([2, 15, 16, 5], "height 15 .*accepted height: 13..14"),
    ([2, 14, 17, 5], "width 17 .*accepted width: 15..16"),
    ([2, 0, 16, 5], "height 0"),
    ([2, -14, 16, 5], "output_shape.*>= 0"),
    ([2, float("inf"), 16, 5], "output_shape.*integer"),
    ("14,16", "output_shape"),
    (np.array([2.0, 14.0, 16.0, 5.0]), "output_shape.*integer"),
])
def test_conv2d_transpose_rejects_bad_output_shape(output_shape, match):
    with pytest.raises((ValueError, TypeError), match=match):
        sl.nn.conv2d_transpose(X, FT, output_shape, 2, "SAME")


def test_conv2d_transpose_accepts_every_form_of_output_shape():
    for shape in ([2, 13, 15, 5], (2, 13, 15, 5), np.array([2, 13, 15, 5]), [13, 15], sl.constant(np.array([13, 15]))):
        assert sl.nn.conv2d_transpose(X, FT, shape, 2, "SAME").shape == (2, 13, 15, 5)


def test_conv2d_transpose_rejects_channel_mismatch():
    with pytest.raises(ValueError, match="filters.shape\\[3\\]"):
        sl.nn.conv2d_transpose(X, np.zeros((3, 3, 5, 3), np.float32), [2, 14, 16, 5], 2, "SAME")


def test_huge_results_fail_fast():
    with pytest.raises(ValueError, match="GiB"):
        sl.nn.conv2d_transpose(np.zeros((1, 100, 100, 1), np.float32), np.zeros((1, 1, 64, 1), np.float32),
                               [1, 100 * 500, 100 * 500, 64], 500, "SAME")
