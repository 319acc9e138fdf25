"""sl.slim against recorded TF-Slim cases, numpy references and TF-Slim's documented rules."""
import contextlib

import numpy as np
import pytest

import slimlayers as sl
from conformance import assert_close, load_cases
from naive import naive_conv2d

slim = sl.slim


pytestmark = pytest.mark.usefixtures("fresh_store")


def _names():
    return [v.name for v in sl.scopes.get_variables()]


def _same_pads(i, k, s):
    total = max((-(-i // s) - 1) * s + k - i, 0)
    return total // 2, total - total // 2


# -- recorded TF-Slim cases -------------------------------------------------------------
def _activation(kw):
    kw = dict(kw)
    if kw.get("activation_fn") is not None:
        name = kw["activation_fn"]
        kw["activation_fn"] = getattr(sl.nn, name, None) or getattr(sl.activations, name)
    return kw


def _params(cases):
    return [pytest.param(case, arrays, id=case["id"]) for case, arrays in cases]


def _slim_cases():
    families = ("slim.conv2d", "slim.conv2d_transpose")
    return _params([c for c in load_cases("slim.") if c[0]["family"] in families])


@pytest.mark.parametrize("case,arrays", _slim_cases())
def test_slim_conformance(case, arrays):
    kw = _activation(case["kwargs"])
    for arg, name in case["initializers"].items():
        kw[arg] = sl.initializers.Constant(arrays[name])
    with contextlib.ExitStack() as stack:
        for sc in case.get("scope_kwargs", []):
            ops = [getattr(slim, o.split(".")[1]) for o in sc["ops"]]
            stack.enter_context(slim.arg_scope(ops, **_activation(sc["kwargs"])))
        y = getattr(slim, case["family"].split(".")[1])(arrays["input"], **kw)
    assert tuple(y.shape) == tuple(case["expect_shape"])
    assert_close(y, arrays["output"], case["tol"]["output"])


@pytest.mark.parametrize("case,arrays", _params(load_cases("slim.conv2d.error")))
def test_slim_error_conformance(case, arrays):
    with pytest.raises((ValueError, TypeError)):
        slim.conv2d(arrays["input"], **case["kwargs"])


@pytest.mark.parametrize("case,arrays", _params([c for c in load_cases("regularizer") if ".slim." in c[0]["api"]]))
def test_slim_regularizer_conformance(case, arrays):
    fn = getattr(slim, case["api"].split(".")[-1])
    assert_close(fn(**case["kwargs"])(arrays["kernel"]), arrays["value"], case["tol"]["value"],
                 check_dtype=False)


# -- defaults and numbers ------------------------------------------------------------------
def test_conv2d_defaults_relu_same_padding_against_naive_reference():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 6, 3)).astype("float32")
    w = rng.standard_normal((3, 3, 3, 4)).astype("float32")
    b = rng.standard_normal(4).astype("float32")
    y = slim.conv2d(x, 4, 3, stride=2, weights_initializer=sl.initializers.Constant(w),
                    biases_initializer=sl.initializers.Constant(b))
    pads = (_same_pads(5, 3, 2), _same_pads(6, 3, 2))
    ref = np.maximum(naive_conv2d(x, w, (2, 2), pads, (1, 1), 1) + b, 0)
    assert y.shape == (2, 3, 3, 4)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5, atol=1e-5)
    assert (np.asarray(y) >= 0).all() and (ref == 0).any()  # ReLU really was applied


def test_conv2d_nchw_equals_nhwc_transposed():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    w = sl.initializers.Constant(rng.standard_normal((3, 3, 3, 4)).astype("float32"))
    nhwc = slim.conv2d(x, 4, 3, weights_initializer=w, scope="a")
    nchw = slim.conv2d(x.transpose(0, 3, 1, 2), 4, 3, data_format="NCHW", weights_initializer=w, scope="b")
    np.testing.assert_allclose(np.asarray(nchw), np.asarray(nhwc).transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("i,k,s", [(4, 3, 2), (5, 3, 2), (4, 1, 3), (4, 4, 2), (3, 2, 3), (6, 5, 1)])
def test_conv2d_transpose_output_size_is_tf_slims(i, k, s):
    x = np.ones((1, i, i, 2), "float32")
    same = slim.conv2d_transpose(x, 3, k, stride=s, padding="SAME")
    valid = slim.conv2d_transpose(x, 3, k, stride=s, padding="VALID")
    assert same.shape == (1, i * s, i * s, 3)
    assert valid.shape == (1, i * s + max(k - s, 0), i * s + max(k - s, 0), 3)


def test_argument_errors():
    x = np.ones((1, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="rate"):
        slim.conv2d(x, 2, 3, stride=2, rate=2)
    with pytest.raises(ValueError, match="data_format"):
        slim.conv2d(x, 2, 3, data_format="channels_last")
    with pytest.raises(ValueError, match="padding"):
        slim.conv2d(x, 2, 3, padding="FULL")
    with pytest.raises(TypeError):
        slim.conv2d_transpose(x, 2, 3, rate=2)  # no `rate` in TF-Slim's conv2d_transpose
    with pytest.raises(ValueError, match="activation_fn"):
        slim.conv2d(x, 2, 3, activation_fn="no_such_activation")


def test_activation_names_resolve_in_nn_then_activations():
    x = np.linspace(-3, 3, 16, dtype="float32").reshape(1, 4, 4, 1)
    ones = sl.initializers.Constant(np.ones((1, 1, 1, 1), "float32"))
    sig = slim.conv2d(x, 1, 1, activation_fn="sigmoid", weights_initializer=ones)
    np.testing.assert_allclose(np.asarray(sig), 1 / (1 + np.exp(-x)), rtol=1e-6)
    six = slim.conv2d(x * 4, 1, 1, activation_fn="relu6", weights_initializer=ones)
    np.testing.assert_allclose(np.asarray(six), np.clip(x * 4, 0, 6))
    lin = slim.conv2d(x, 1, 1, activation_fn=None, weights_initializer=ones)
    np.testing.assert_allclose(np.asarray(lin), x)


def test_normalizer_fn_replaces_the_bias():
    calls = []

    def normalizer(t, shift=0.0):
        calls.append(shift)
        return t + shift

    x = np.ones((1, 3, 3, 2), "float32")
    y = slim.conv2d(x, 2, 1, activation_fn=None, normalizer_fn=normalizer, normalizer_params={"shift": 5.0},
                    weights_initializer=sl.initializers.Zeros(), biases_initializer=sl.initializers.Ones(),
                    scope="n1")
    assert calls == [5.0] and np.allclose(np.asarray(y), 5.0)
    slim.conv2d(x, 2, 1, biases_initializer=None, scope="nobias")
    assert _names() == ["n1/weights", "nobias/weights"]


# -- names, scopes, reuse ----------------------------------------------------------------
def test_default_scope_names_and_variable_shapes():
    x = np.ones((1, 4, 4, 3), "float32")
    slim.conv2d(x, 8, 3)
    slim.conv2d(x, 8, [3, 1])
    slim.conv2d_transpose(x, 5, 2)
    slim.fully_connected(np.ones((2, 3), "float32"), 4)
    with sl.scopes.variable_scope("blk"):
        slim.conv2d(x, 2, 1)
    shapes = {v.name: v.shape for v in sl.scopes.get_variables()}
    assert shapes == {"Conv/weights": (3, 3, 3, 8), "Conv/biases": (8,), "Conv_1/weights": (3, 1, 3, 8),
                      "Conv_1/biases": (8,), "Conv2d_transpose/weights": (2, 2, 5, 3),
                      "Conv2d_transpose/biases": (5,), "fully_connected/weights": (3, 4),
                      "fully_connected/biases": (4,), "blk/Conv/weights": (1, 1, 3, 2),
                      "blk/Conv/biases": (2,)}
    assert all(isinstance(v, sl.Variable) and v.trainable for v in sl.scopes.get_variables())


def test_reuse_shares_variables_and_errors_follow_tf():
    x = np.random.default_rng(2).standard_normal((1, 4, 4, 3)).astype("float32")
    a = slim.conv2d(x, 4, 3, scope="c1")
    b = slim.conv2d(x, 4, 3, scope="c1", reuse=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert _names() == ["c1/weights", "c1/biases"]
    with pytest.raises(ValueError, match="Variable c1/weights already exists, disallowed"):
        slim.conv2d(x, 4, 3, scope="c1")
    with pytest.raises(ValueError, match="Variable nope/weights does not exist"):
        slim.conv2d(x, 4, 3, scope="nope", reuse=True)
    with pytest.raises(ValueError, match="reuse=True cannot be used without a name_or_scope"):
        slim.conv2d(x, 4, 3, reuse=True)
    with pytest.raises(ValueError, match="Trying to share variable c1/weights"):
        slim.conv2d(x, 5, 3, scope="c1", reuse=True)
    slim.conv2d(x, 4, 3, scope="n1", normalizer_fn=lambda t: t)
    with pytest.raises(ValueError, match="Variable n1/biases does not exist"):
        slim.conv2d(x, 4, 3, scope="n1", reuse=True)


def _model(x):
    net = slim.conv2d(x, 4, 3, stride=2)
    net = slim.conv2d(net, 2, 3)
    return slim.conv2d_transpose(net, 3, 3, stride=2, activation_fn=None)


def test_running_a_model_twice_under_a_reusing_scope_shares_default_names():
    x = np.random.default_rng(3).standard_normal((1, 8, 8, 3)).astype("float32")
    with sl.scopes.variable_scope("model"):
        first = _model(x)
    names = _names()
    with sl.scopes.variable_scope("model", reuse=True):
        second = _model(x)
    with sl.scopes.variable_scope("model", reuse=sl.scopes.AUTO_REUSE):
        third = _model(x)
    assert _names() == names == ["model/Conv/weights", "model/Conv/biases", "model/Conv_1/weights",
                                 "model/Conv_1/biases", "model/Conv2d_transpose/weights",
                                 "model/Conv2d_transpose/biases"]
    np.testing.assert_array_equal(np.asarray(first), np.asarray(second))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(third))
    with pytest.raises(ValueError, match="already exists"):
        with sl.scopes.variable_scope("model"):
            _model(x)


def test_reuse_cannot_be_switched_off_inside_a_reusing_scope():
    x = np.ones((1, 4, 4, 1), "float32")
    slim.conv2d(x, 1, 1, scope="s/c")
    with sl.scopes.variable_scope("s", reuse=True):
        slim.conv2d(x, 1, 1, scope="c", reuse=False)  # False acts as None: still reusing
    assert _names() == ["s/c/weights", "s/c/biases"]


def test_get_variables_matches_whole_scope_components():
    x = np.ones((1, 4, 4, 1), "float32")
    slim.conv2d(x, 1, 1)
    slim.conv2d(x, 1, 1)
    assert [v.name for v in sl.scopes.get_variables("Conv")] == ["Conv/weights", "Conv/biases"]
    assert [v.name for v in sl.scopes.get_variables("Conv_1")] == ["Conv_1/weights", "Conv_1/biases"]


def test_variable_store_isolation_and_reset():
    x = np.ones((1, 4, 4, 1), "float32")
    slim.conv2d(x, 1, 1, scope="outer")
    with sl.scopes.variable_store():
        assert sl.scopes.get_variables() == []
        slim.conv2d(x, 1, 1, scope="outer")  # no clash: a new store
    assert _names() == ["outer/weights", "outer/biases"]
    sl.scopes.reset_variables()
    assert _names() == []
    slim.conv2d(x, 1, 1)
    assert _names() == ["Conv/weights", "Conv/biases"]  # counters reset too


def test_repeat_and_stack_naming():
    x = np.ones((1, 4, 4, 2), "float32")
    slim.repeat(x, 3, slim.conv2d, 4, [3, 3], scope="conv1")
    slim.repeat(x, 2, slim.conv2d, 4, 1)
    slim.stack(x, slim.conv2d, [(4, [3, 3]), (5, [1, 1])], scope="st")
    flat = np.ones((2, 3), "float32")
    slim.stack(flat, slim.fully_connected, [3, 4])
    slim.stack(flat, slim.fully_connected, [3, 4])
    weights = [n for n in _names() if n.endswith("weights")]
    assert weights == ["conv1/conv1_1/weights", "conv1/conv1_2/weights", "conv1/conv1_3/weights",
                       "Repeat/convolution2d_1/weights", "Repeat/convolution2d_2/weights",
                       "st/st_1/weights", "st/st_2/weights",
                       "Stack/fully_connected_1/weights", "Stack/fully_connected_2/weights",
                       "Stack_1/fully_connected_1/weights", "Stack_1/fully_connected_2/weights"]
    with pytest.raises(ValueError, match="stack_args"):
        slim.stack(x, slim.conv2d, 4)


def test_repeat_and_stack_see_arg_scope():
    x = np.ones((1, 8, 8, 1), "float32")
    with slim.arg_scope([slim.conv2d], padding="VALID"):
        y = slim.repeat(x, 2, slim.conv2d, 1, 3, scope="r")
    assert y.shape == (1, 4, 4, 1)


# -- regularizers, initializers --------------------------------------------------------------
def test_regularizer_formulas_and_checks():
    w = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert float(slim.l2_regularizer(0.5)(w)) == pytest.approx(0.5 * np.sum(w ** 2) / 2)
    assert float(slim.l1_regularizer(0.25)(w)) == pytest.approx(0.25 * np.sum(np.abs(w)))
    assert float(slim.l1_l2_regularizer(0.25, 0.5)(w)) == pytest.approx(
        0.25 * np.sum(np.abs(w)) + 0.5 * np.sum(w ** 2) / 2)
    assert float(slim.l1_l2_regularizer(0.0, 0.5)(w)) == pytest.approx(0.5 * np.sum(w ** 2) / 2)
    for fn in (slim.l1_regularizer, slim.l2_regularizer):
        with pytest.raises(ValueError, match="integer"):
            fn(1)
        with pytest.raises(ValueError, match="less than 0"):
            fn(-0.1)
        assert fn(0.0) is None
    with pytest.raises(ValueError, match="scale_l1"):
        slim.l1_l2_regularizer(scale_l1=1)


def test_xavier_and_variance_scaling_initializers():
    shape = (3, 3, 64, 32)  # fan_in 576, fan_out 288
    w = np.asarray(slim.xavier_initializer(seed=1)(shape))
    limit = np.sqrt(6 / (576 + 288))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    v = np.asarray(slim.variance_scaling_initializer(seed=2)(shape))  # factor 2, FAN_IN, truncated normal
    sigma = np.sqrt(1.3 * 2.0 / 576)  # Slim's 1.3 correction, truncated at 2 sigma
    assert np.abs(v).max() <= 2 * sigma * (1 + 1e-6) and np.abs(v).max() > 0.99 * 2 * sigma
    assert v.std() == pytest.approx(sigma * 0.87962566, rel=0.03)
    u = np.asarray(slim.variance_scaling_initializer(1.0, "FAN_OUT", uniform=True, seed=3)(shape))
    assert np.abs(u).max() <= np.sqrt(3 / 288) and np.abs(u).max() > 0.99 * np.sqrt(3 / 288)
    with pytest.raises(TypeError, match="mode"):
        slim.variance_scaling_initializer(mode="fan_in")
    with pytest.raises(TypeError, match="non-floating"):
        slim.variance_scaling_initializer(dtype=np.int32)


# -- training through the store ----------------------------------------------------------------
def test_regularization_losses_once_per_variable_and_trainable_with_a_tape():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 6, 2)).astype("float32")
    target = rng.standard_normal((2, 6, 6, 3)).astype("float32")
    reg = slim.l2_regularizer(0.25)

    def model(reuse=None):
        return slim.conv2d(x, 3, 3, activation_fn=None, weights_regularizer=reg, scope="c", reuse=reuse)

    model()
    model(reuse=True)
    w = sl.scopes.get_variables("c")[0]
    losses = sl.scopes.get_regularization_losses()
    assert len(losses) == 1
    assert float(losses[0]) == pytest.approx(0.25 * np.sum(w.numpy().astype(np.float64) ** 2) / 2, rel=1e-5)

    def total():
        y = model(reuse=True)
        return ((y - target) ** 2).mean() + sum(sl.scopes.get_regularization_losses())

    with sl.GradientTape() as tape:
        loss = total()
    variables = sl.scopes.get_variables(trainable=True)
    grads = tape.gradient(loss, variables)
    # The gradient of the regularizer part alone is scale * w (Slim's halved L2).
    with sl.GradientTape() as tape2:
        reg_only = sum(sl.scopes.get_regularization_losses())
    np.testing.assert_allclose(np.asarray(tape2.gradient(reg_only, [w])[0]), 0.25 * w.numpy(), rtol=1e-6)
    before = float(loss)
    for v, g in zip(variables, grads):
        v.assign_sub(0.05 * np.asarray(g))
    assert float(total()) < before


def test_scoped_call_is_explained_with_scope_location():
    with slim.arg_scope([slim.conv2d], padding="VALID", activation_fn=None):
        info = sl.scopes.explain(slim.conv2d, np.ones((1, 4, 4, 1)), 8, 3)
    src = info.sources()
    assert src["padding"] == src["activation_fn"] == "scope" and src["stride"] == "default"
    assert info["padding"].origin.startswith("tests/test_slim.py:")


# -- the other layer functions -------------------------------------------------------------------
def test_batch_norm_names_defaults_and_numbers():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 3, 2)).astype("float32") * 2 + 1
    y = slim.batch_norm(x)
    assert _names() == ["BatchNorm/beta", "BatchNorm/moving_mean", "BatchNorm/moving_variance"]  # scale=False
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(np.asarray(y), (x - mean) / np.sqrt(var + 0.001), rtol=1e-4, atol=1e-5)
    mm = sl.scopes.get_variables("BatchNorm/moving_mean")[0]
    np.testing.assert_allclose(mm.numpy(), 0.001 * mean, rtol=1e-4)  # decay 0.999
    frozen = slim.batch_norm(x, is_training=False, scope="BatchNorm", reuse=True)
    np.testing.assert_allclose(np.asarray(frozen), (x - mm.numpy()) / np.sqrt(
        sl.scopes.get_variables("BatchNorm/moving_variance")[0].numpy() + 0.001), rtol=1e-4, atol=1e-5)


def test_conv_with_batch_norm_normalizer_nests_its_scope():
    x = np.random.default_rng(6).standard_normal((2, 4, 4, 1)).astype("float32")
    slim.conv2d(x, 2, 3, normalizer_fn=slim.batch_norm, normalizer_params={"scale": True})
    assert _names() == ["Conv/weights", "Conv/BatchNorm/gamma", "Conv/BatchNorm/beta",
                        "Conv/BatchNorm/moving_mean", "Conv/BatchNorm/moving_variance"]


def test_pooling_flatten_dropout_fully_connected():
    x = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
    pooled = slim.max_pool2d(x, 2)  # Slim defaults: stride 2, VALID
    np.testing.assert_array_equal(np.asarray(pooled), x.reshape(2, 2, 2, 2, 2, 1).max(axis=(2, 4)))
    avg = slim.avg_pool2d(x, [2, 2])
    np.testing.assert_allclose(np.asarray(avg), x.reshape(2, 2, 2, 2, 2, 1).mean(axis=(2, 4)))
    np.testing.assert_array_equal(np.asarray(slim.flatten(x)), x.reshape(2, 16))
    np.testing.assert_array_equal(np.asarray(slim.dropout(x, 0.5, is_training=False)), x)
    dropped = np.asarray(slim.dropout(np.ones((1000,), "float32").reshape(10, 100), keep_prob=0.5))
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.3 < (dropped > 0).mean() < 0.7
    with pytest.raises(ValueError, match="keep_prob"):
        slim.dropout(x, keep_prob=0.0)
    fc = slim.fully_connected(np.ones((2, 3), "float32"), 4, weights_initializer=sl.initializers.Constant(
        -np.ones((3, 4), "float32")))
    np.testing.assert_array_equal(np.asarray(fc), np.zeros((2, 4)))  # ReLU default


def test_variable_scope_argument_checks():
    with pytest.raises(ValueError, match="reuse"):
        with sl.scopes.variable_scope("a", reuse="yes"):
            pass
    with pytest.raises(ValueError, match="name"):
        with sl.scopes.variable_scope("a/"):
            pass
    with sl.scopes.variable_scope("a", reuse=np.True_) as vs:
        assert vs.reuse is True and vs.name == "a"
    with sl.scopes.variable_scope("a") as outer:
        with sl.scopes.variable_scope("b") as inner:
            assert inner.name == "a/b"
    with sl.scopes.variable_scope("x"):
        with sl.scopes.variable_scope(outer) as again:  # a VariableScope re-enters at its absolute name
            assert again.name == "a"
