"""Keras 3 regularizers vs numpy formulas, recorded Keras numbers and finite differences."""
import json

import numpy as np
import pytest

import slimlayers as sl
from conformance import assert_close, load_cases

R = sl.regularizers

# -- conformance replay: the sl.regularizers.* cases (sl.slim.* cases are tested with sl.slim) ----------
REG_CASES = [(c, a) for c, a in load_cases("regularizer") if c["api"].startswith("sl.regularizers.")]


def test_conformance_cases_found():
    assert len(REG_CASES) >= 15


@pytest.mark.parametrize("case,arrays", REG_CASES, ids=[c["id"] for c, _ in REG_CASES])
def test_conformance(case, arrays):
    cls = getattr(R, case["api"].split(".")[-1])
    value = cls(**case["kwargs"])(arrays["kernel"])
    assert isinstance(value, sl.Tensor) and value.shape == ()
    assert value.dtype == arrays["kernel"].dtype  # computed in the weight's dtype
    assert_close(value, arrays["value"], case["tol"]["value"], check_dtype=False, name="value")


# -- formulas ---------------------------------------------------------------------------------------------
W = np.random.default_rng(0).normal(size=(3, 3, 4, 5))


@pytest.mark.parametrize("reg,expected", [
    (R.L1(0.3), 0.3 * np.abs(W).sum()),
    (R.L2(0.3), 0.3 * (W ** 2).sum()),
    (R.L1L2(l1=0.2, l2=0.7), 0.2 * np.abs(W).sum() + 0.7 * (W ** 2).sum()),
    (R.L1L2(l2=0.7), 0.7 * (W ** 2).sum()),
    (R.L1L2(l1=0.2), 0.2 * np.abs(W).sum()),
    (R.L1(), 0.01 * np.abs(W).sum()),
    (R.L2(None), 0.01 * (W ** 2).sum()),
    (R.L1L2(), 0.0),
])
def test_formula(reg, expected):
    np.testing.assert_allclose(float(reg(W)), expected, rtol=1e-12)


def test_l2_has_no_half():  # the factor-2 trap with TF-Slim (semantics.md §4.6)
    assert float(R.L2(0.5)([3.0, 4.0])) == 12.5


@pytest.mark.parametrize("x", [W.astype(np.float32), sl.Variable(W.astype(np.float32)), W.tolist()])
def test_input_kinds_float32(x):
    v = R.L1L2(0.25, 0.5)(x)
    assert v.dtype == np.float32
    np.testing.assert_allclose(float(v), 0.25 * np.abs(W).sum() + 0.5 * (W ** 2).sum(), rtol=1e-5)


# -- gradients --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("reg", [R.L1(0.3), R.L2(0.3), R.L1L2(0.2, 0.7)], ids=["L1", "L2", "L1L2"])
def test_gradient_finite_differences(reg):
    w = np.random.default_rng(3).normal(size=(2, 3, 4))
    v = sl.Variable(w)
    with sl.GradientTape() as tape:
        penalty = reg(v)
    got = tape.gradient(penalty, v)
    h = 1e-6
    numeric = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        d = np.zeros_like(w)
        d[i] = h
        numeric[i] = (float(reg(w + d)) - float(reg(w - d))) / (2 * h)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


# -- validation (Keras 3) ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: R.L1(-0.1), lambda: R.L2(-1.0), lambda: R.L1L2(l1=-1.0),
                                  lambda: R.L1L2(l2=float("nan")), lambda: R.L2("big"), lambda: R.L1(True)])
def test_invalid_factors(make):
    with pytest.raises(ValueError, match="non-negative float"):
        make()


def test_l2_error_message():
    with pytest.raises(ValueError, match=r"Invalid argument `l2`: expected a non-negative float. Received: l2=-1.0"):
        R.L2(-1.0)


# -- registry ---------------------------------------------------------------------------------------------
def test_names_resolve_like_keras3():
    assert R.get(None) is None
    assert isinstance(R.get("l1"), R.L1) and R.get("l1").l1 == 0.01
    assert isinstance(R.get("l2"), R.L2) and R.get("l2").l2 == 0.01
    assert isinstance(R.get("L1"), R.L1)
    l1l2 = R.get("l1l2")
    assert isinstance(l1l2, R.L1L2) and (l1l2.l1, l1l2.l2) == (0.0, 0.0)
    with pytest.raises(ValueError, match="Unknown regularizer: 'l1_l2'"):
        R.get("l1_l2")  # Keras 3 rejects it (tf_keras only)
    assert R.l1 is R.L1 and R.l2 is R.L2 and R.l1_l2 is R.L1L2
    reg = R.L2(0.1)
    assert R.get(reg) is reg
    fn = lambda x: sl.autodiff.ops.sum(x)  # noqa: E731
    assert R.get(fn) is fn
    with pytest.raises(ValueError, match="Did you mean 'l2'"):
        R.get("l3")
    with pytest.raises(TypeError, match="regularizer"):
        R.get(0.5)


@pytest.mark.parametrize("reg", [R.L1(0.25), R.L2(0.5), R.L1L2(0.125, 0.75), R.L1L2()])
def test_serialize_round_trip(reg):
    config = R.serialize(reg)
    restored = R.deserialize(json.loads(json.dumps(config)))
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()
    assert float(restored(W)) == float(reg(W))


# Keras 3 (keras/src/regularizers/regularizers.py): L1L2 maps None to 0.0; only L1/L2 default to 0.01
@pytest.mark.parametrize("kwargs, expected", [({}, (0.0, 0.0)), ({"l1": None, "l2": None}, (0.0, 0.0)),
                                              ({"l1": None}, (0.0, 0.0)), ({"l2": 0.5}, (0.0, 0.5)),
                                              ({"l1": 0.25, "l2": None}, (0.25, 0.0))])
def test_l1l2_none_is_zero_as_keras_3(kwargs, expected):
    reg = sl.regularizers.L1L2(**kwargs)
    assert (reg.l1, reg.l2) == expected
    assert sl.regularizers.get(sl.regularizers.serialize(reg)).get_config() == {"l1": expected[0], "l2": expected[1]}
    x = np.array([-1.0, 2.0])
    assert float(reg(x)) == pytest.approx(expected[0] * 3.0 + expected[1] * 5.0)


def test_l1_and_l2_none_is_their_default():
    assert sl.regularizers.L1(None).l1 == 0.01 and sl.regularizers.L2(None).l2 == 0.01
