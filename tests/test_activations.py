"""Activations vs recorded Keras 3 numbers, independent float64 formulas and finite differences."""
import math

import numpy as np
import pytest

import slimlayers as sl
from conformance import assert_close, load_cases

A = sl.activations

# -- conformance replay (recorded with Keras 3.15 / TF 2.21) -------------------------------------------
ACTIVATION_CASES = load_cases("activation")


def test_conformance_family_is_complete():
    assert len(ACTIVATION_CASES) == 37


@pytest.mark.parametrize("case,arrays", ACTIVATION_CASES, ids=[c["id"] for c, _ in ACTIVATION_CASES])
def test_conformance(case, arrays):
    fn = getattr(A, case["api"].split(".")[-1])
    y = fn(arrays["input"], *case.get("args", []), **case["kwargs"])
    assert isinstance(y, sl.Tensor)
    assert_close(y, arrays["output"], case["tol"]["output"])


# -- independent scalar references (Python math, float64) ----------------------------------------------
def _sig(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _softplus(x):
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805
REFERENCE = {
    "relu": lambda x: max(x, 0.0),
    "relu6": lambda x: min(max(x, 0.0), 6.0),
    "leaky_relu": lambda x: x if x > 0 else 0.2 * x,
    "elu": lambda x: x if x > 0 else math.expm1(x),
    "selu": lambda x: SELU_S * (x if x > 0 else SELU_A * math.expm1(x)),
    "gelu": lambda x: 0.5 * x * math.erfc(-x / math.sqrt(2)),
    "sigmoid": _sig,
    "hard_sigmoid": lambda x: min(max(x + 3, 0.0), 6.0) / 6,
    "hard_silu": lambda x: x * min(max(x + 3, 0.0), 6.0) / 6,
    "hard_swish": lambda x: x * min(max(x + 3, 0.0), 6.0) / 6,
    "tanh": math.tanh,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + abs(x)),
    "silu": lambda x: x * _sig(x),
    "swish": lambda x: x * _sig(x),
    "mish": lambda x: x * math.tanh(_softplus(x)),
    "exponential": lambda x: math.exp(x) if x < 700 else math.inf,
    "linear": lambda x: x,
}
ELEMENTWISE = sorted(REFERENCE)
POINTS = [-1000.0, -100.0, -30.0, -5.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.5, 3.0, 7.0, 30.0, 100.0, 1000.0]


def test_every_public_activation_is_checked():
    assert set(A.ALL) == set(REFERENCE) | {"softmax"}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_matches_formula_including_extremes_float64(name):
    x = np.array(POINTS)
    y = getattr(A, name)(x).numpy()
    expected = np.array([REFERENCE[name](v) for v in POINTS])
    finite = np.isfinite(expected)
    assert np.all(np.isfinite(y[finite])), f"{name} gives nan/inf where the math is finite: {y}"
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_matches_formula_float32(name):
    x = np.array(POINTS, np.float32)
    y = getattr(A, name)(x).numpy()
    assert y.dtype == np.float32
    expected = np.array([REFERENCE[name](float(v)) for v in x])
    finite = np.abs(expected) < 3e38
    assert np.all(np.isfinite(y[finite]))
    np.testing.assert_allclose(y[finite], expected[finite], rtol=1e-6, atol=1e-37)


def test_gelu_approximate_formula():
    x = np.linspace(-8, 8, 41)
    ref = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(A.gelu(x, approximate=True).numpy(), ref, rtol=1e-13, atol=1e-300)
    assert abs(float(A.gelu([-3.0])[0]) - (-0.00405)) < 5e-6            # semantics.md §7
    assert abs(float(A.gelu([-3.0], approximate=True)[0]) - (-0.00364)) < 5e-6


@pytest.mark.parametrize("kwargs,expected", [
    # semantics.md §7: threshold 1, slope 0.1, max 4: -5 -> -0.6, 1 -> 0 (strict), 7 -> 4
    (dict(negative_slope=0.1, max_value=4.0, threshold=1.0), {-5.0: -0.6, 1.0: 0.0, 7.0: 4.0, 2.0: 2.0}),
    (dict(threshold=-1.0), {-0.5: -0.5, -1.0: 0.0, -2.0: 0.0, 3.0: 3.0}),
    (dict(max_value=6.0), {-2.0: 0.0, 3.0: 3.0, 9.0: 6.0}),
    (dict(negative_slope=0.5), {-2.0: -1.0, 0.0: 0.0, 3.0: 3.0}),
    (dict(threshold=-1.0, max_value=2.0), {-0.5: 0.0, 1.5: 1.5, 5.0: 2.0}),
])
def test_relu_keras3_arguments(kwargs, expected):
    x = np.array(list(expected), np.float64)
    np.testing.assert_allclose(A.relu(x, **kwargs).numpy(), list(expected.values()), rtol=1e-15)


def test_leaky_relu_slope_forms():
    x = np.array([-2.0, 3.0])
    assert A.leaky_relu(x).numpy().tolist() == [-0.4, 3.0]
    assert A.leaky_relu(x, 0.5).numpy().tolist() == [-1.0, 3.0]
    assert A.leaky_relu(x, alpha=0.25).numpy().tolist() == [-0.5, 3.0]
    assert A.leaky_relu(x, negative_slope=0.25).numpy().tolist() == [-0.5, 3.0]


def test_softmax_stable_and_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4)) * 3
    for axis in (-1, 0, 1, (1, 2)):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(A.softmax(x + 5000.0, axis=axis).numpy(),
                                   e / e.sum(axis=axis, keepdims=True), rtol=1e-9)
    y = A.softmax(np.array([[1000.0, 0.0, -1000.0]], np.float32)).numpy()
    assert np.all(np.isfinite(y)) and y.dtype == np.float32
    np.testing.assert_allclose(y.sum(), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="axis"):
        A.softmax(x, axis=3)


# -- gradients: central differences in float64 ---------------------------------------------------------
# away from kinks (0 for rectifiers, ±3 for hard_*, 6 for relu6)
GRAD_POINTS = np.array([-6.3, -4.1, -2.7, -1.3, -0.6, -0.2, 0.3, 0.8, 1.6, 2.2, 3.4, 5.1, 6.6])
H = 1e-6


def _tape_grad(fn, x, weights):
    v = sl.Variable(x)
    with sl.GradientTape() as tape:
        y = fn(v)
    return tape.gradient(y, v, output_gradients=weights)


@pytest.mark.parametrize("name", ELEMENTWISE + ["gelu_approximate", "relu_full", "elu_alpha"])
def test_gradient_finite_differences(name):
    fn = {"gelu_approximate": lambda t: A.gelu(t, approximate=True),
          "relu_full": lambda t: A.relu(t, negative_slope=0.3, max_value=4.0, threshold=0.5),
          "elu_alpha": lambda t: A.elu(t, alpha=0.7)}.get(name) or getattr(A, name)
    x = GRAD_POINTS.copy()
    w = np.random.default_rng(1).normal(size=x.shape)
    got = _tape_grad(fn, x, w)
    numeric = w * (fn(x + H).numpy() - fn(x - H).numpy()) / (2 * H)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_gradient_at_extremes_is_finite():
    x = np.array([-1000.0, -100.0, 100.0, 1000.0])
    for name in ELEMENTWISE:
        if name == "exponential":
            continue
        g = _tape_grad(getattr(A, name), x, np.ones(4))
        assert np.all(np.isfinite(g)), name


def test_softmax_gradient_finite_differences():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 5))
    w = rng.normal(size=(2, 5))
    for axis in (-1, 0):
        got = _tape_grad(lambda t, axis=axis: A.softmax(t, axis=axis), x, w)
        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            d = np.zeros_like(x)
            d[i] = H
            up, down = A.softmax(x + d, axis=axis).numpy(), A.softmax(x - d, axis=axis).numpy()
            numeric[i] = np.sum(w * (up - down)) / (2 * H)
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-9)


def test_float32_gradients_keep_dtype():
    v = sl.Variable(np.array([-1.0, 0.5, 2.0], np.float32))
    for name in A.ALL:
        with sl.GradientTape() as tape:
            y = getattr(A, name)(v)
        g = tape.gradient(y, v)
        assert g.dtype == np.float32 and np.all(np.isfinite(g)), name


# -- dtypes and inputs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", A.ALL)
def test_input_kinds_and_dtypes(name):
    fn = getattr(A, name)
    for value, dtype in [([[0.5, -1.0]], np.float32), (np.array([[0.5, -1.0]]), np.float64),
                         (np.array([[1, -2]]), np.float32), (sl.constant([[0.5, -1.0]]), np.float32),
                         (sl.Variable(np.array([[0.5, -1.0]])), np.float64)]:
        y = fn(value)
        assert isinstance(y, sl.Tensor) and y.dtype == dtype and y.shape == (1, 2), (name, value)


def test_nn_exposes_activations():
    assert sl.nn.relu is A.relu and sl.nn.relu6 is A.relu6 and sl.nn.leaky_relu is A.leaky_relu
    assert sl.nn.softmax is A.softmax


# -- registry -------------------------------------------------------------------------------------------
def test_get_names_aliases_and_none():
    assert A.get(None) is A.linear
    assert A.get("swish") is A.silu and A.swish is A.silu
    assert A.get("hard_swish") is A.hard_silu
    assert A.get(A.relu) is A.relu
    custom = lambda x: x  # noqa: E731
    assert A.get(custom) is custom
    assert A.get({"class_name": "tanh", "config": {}}) is A.tanh


@pytest.mark.parametrize("name", A.ALL)
def test_serialize_round_trip(name):
    fn = A.get(name)
    assert isinstance(A.serialize(fn), str)
    assert A.deserialize(A.serialize(fn)) is fn


def test_registry_errors():
    with pytest.raises(ValueError, match="Unknown activation: 'rleu'. Did you mean 'relu'"):
        A.get("rleu")
    with pytest.raises(TypeError, match="activation"):
        A.get(3)
    with pytest.raises(ValueError, match="not a registered activation"):
        A.serialize(lambda x: x)
    with pytest.raises(TypeError, match="approximate"):
        A.gelu([1.0], approximate="yes")
    with pytest.raises(TypeError, match="negative_slope"):
        A.leaky_relu([1.0], "big")
