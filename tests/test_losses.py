"""Losses against numpy formulas written here (float64), finite differences, and extreme inputs."""
import numpy as np
import pytest

import slimlayers as sl
from slimlayers.autodiff import GradientTape, Variable

rng = np.random.default_rng(0)
EPS = 1e-7


def np_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def ref_bce_probs(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return np.mean(-(t * np.log(p) + (1 - t) * np.log(1 - p)), axis=-1)


def ref_bce_logits(t, z):
    # log(1 + exp(-|z|)) form computed with logaddexp, independent of the implementation's formula
    return np.mean(np.logaddexp(0, z) - t * z, axis=-1)


def ref_cce_probs(t, p):
    p = p / p.sum(-1, keepdims=True)
    return -np.sum(t * np.log(np.clip(p, EPS, 1 - EPS)), axis=-1)


def ref_cce_logits(t, z):
    lse = np.log(np.sum(np.exp(z - z.max(-1, keepdims=True)), -1)) + z.max(-1)
    return np.sum(t * (lse[..., None] - z), axis=-1)


def value(loss, t, p):
    return float(np.asarray(loss(t, p)))


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (6, 1)])
def test_mse_mae_match_numpy(shape):
    t = rng.normal(size=shape)
    p = rng.normal(size=shape)
    assert value(sl.losses.MeanSquaredError(), t, p) == pytest.approx(np.mean(np.mean((p - t) ** 2, -1)), rel=1e-12)
    assert value(sl.losses.MeanAbsoluteError(), t, p) == pytest.approx(np.mean(np.mean(np.abs(p - t), -1)), rel=1e-12)


def test_binary_crossentropy_probabilities_including_0_and_1():
    t = rng.integers(0, 2, size=(8, 4)).astype(np.float64)
    p = rng.uniform(size=(8, 4))
    p[0, :2] = [0.0, 1.0]  # clipped to [1e-7, 1 - 1e-7]: finite loss
    got = value(sl.losses.BinaryCrossentropy(), t, p)
    assert np.isfinite(got)
    assert got == pytest.approx(np.mean(ref_bce_probs(t, p)), rel=1e-10)


@pytest.mark.parametrize("scale", [1.0, 50.0, 1e4])
def test_binary_crossentropy_logits_extreme(scale):
    t = rng.integers(0, 2, size=(6, 3)).astype(np.float64)
    z = rng.normal(size=(6, 3)) * scale
    got = value(sl.losses.BinaryCrossentropy(from_logits=True), t, z)
    assert np.isfinite(got)
    assert got == pytest.approx(np.mean(ref_bce_logits(t, z)), rel=1e-10)


@pytest.mark.parametrize("scale", [1.0, 100.0, 1e4])
def test_categorical_crossentropy_logits_extreme(scale):
    labels = rng.integers(0, 5, size=7)
    t = np.eye(5)[labels]
    z = rng.normal(size=(7, 5)) * scale
    got = value(sl.losses.CategoricalCrossentropy(from_logits=True), t, z)
    assert np.isfinite(got)
    assert got == pytest.approx(np.mean(ref_cce_logits(t, z)), rel=1e-10)
    sparse = value(sl.losses.SparseCategoricalCrossentropy(from_logits=True), labels, z)
    assert sparse == pytest.approx(got, rel=1e-12)


def test_categorical_crossentropy_probabilities_unnormalised_and_zero():
    labels = np.array([0, 1, 2, 1])
    t = np.eye(3)[labels]
    p = rng.uniform(size=(4, 3)) * 3
    p[0, 0] = 0.0  # the true class has probability 0: clipped to 1e-7
    expected = np.mean(ref_cce_probs(t, p))
    assert value(sl.losses.CategoricalCrossentropy(), t, p) == pytest.approx(expected, rel=1e-10)
    assert value(sl.losses.SparseCategoricalCrossentropy(), labels, p) == pytest.approx(expected, rel=1e-10)
    assert value(sl.losses.SparseCategoricalCrossentropy(), labels[:, None], p) == pytest.approx(expected, rel=1e-10)


def test_float32_results_stay_float32():
    t = rng.uniform(size=(4, 3)).astype(np.float32)
    p = rng.uniform(size=(4, 3)).astype(np.float32)
    for loss in (sl.losses.MeanSquaredError(), sl.losses.BinaryCrossentropy(), sl.losses.CategoricalCrossentropy()):
        assert loss(t, p).dtype == np.float32


def finite_difference(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = h
        g[i] = (f(x + d) - f(x - d)) / (2 * h)
    return g


CASES = [
    (sl.losses.MeanSquaredError(), lambda: rng.normal(size=(3, 4)), lambda: rng.normal(size=(3, 4))),
    (sl.losses.MeanAbsoluteError(), lambda: rng.normal(size=(3, 4)), lambda: rng.normal(size=(3, 4))),
    (sl.losses.BinaryCrossentropy(), lambda: rng.integers(0, 2, (3, 4)).astype(float),
     lambda: rng.uniform(0.05, 0.95, size=(3, 4))),
    (sl.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
     lambda: rng.integers(0, 2, (3, 4)).astype(float), lambda: rng.normal(size=(3, 4)) * 3),
    (sl.losses.CategoricalCrossentropy(), lambda: np.eye(4)[rng.integers(0, 4, 3)],
     lambda: rng.uniform(0.1, 1.0, size=(3, 4))),
    (sl.losses.CategoricalCrossentropy(from_logits=True), lambda: np.eye(4)[rng.integers(0, 4, 3)],
     lambda: rng.normal(size=(3, 4)) * 3),
    (sl.losses.SparseCategoricalCrossentropy(from_logits=True), lambda: rng.integers(0, 4, 3),
     lambda: rng.normal(size=(3, 4))),
]


@pytest.mark.parametrize("loss, make_t, make_p", CASES, ids=lambda c: getattr(c, "name", ""))
def test_gradient_matches_finite_differences(loss, make_t, make_p):
    t, p0 = make_t(), make_p()
    pv = Variable(p0, dtype=np.float64)
    with GradientTape() as tape:
        out = loss(t, pv)
    grad = tape.gradient(out, pv)
    numeric = finite_difference(lambda p: float(np.asarray(loss(t, p))), p0)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_reductions_and_sample_weight():
    t = rng.normal(size=(4, 3))
    p = rng.normal(size=(4, 3))
    per_sample = np.mean((p - t) ** 2, -1)
    np.testing.assert_allclose(np.asarray(sl.losses.MeanSquaredError(reduction="none")(t, p)), per_sample)
    assert value(sl.losses.MeanSquaredError(reduction="sum"), t, p) == pytest.approx(per_sample.sum())
    w = np.array([1.0, 0.0, 2.0, 0.5])
    got = float(np.asarray(sl.losses.MeanSquaredError()(t, p, sample_weight=w)))
    assert got == pytest.approx(np.sum(per_sample * w) / 4)  # Keras: divided by the number of samples


def test_label_shapes_squeeze_or_expand_and_mismatch_errors():
    p = rng.uniform(size=(5, 1))
    t = rng.integers(0, 2, 5).astype(float)
    assert value(sl.losses.BinaryCrossentropy(), t, p) == pytest.approx(np.mean(ref_bce_probs(t[:, None], p)))
    with pytest.raises(ValueError, match="same shape"):
        sl.losses.mse(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="labels must be integers"):
        sl.losses.sparse_categorical_crossentropy([0, 5], np.ones((2, 3)))


def test_registry_names_and_round_trip():
    assert sl.losses.get("mse") is sl.losses.mean_squared_error
    assert sl.losses.get("mae") is sl.losses.mean_absolute_error
    assert isinstance(sl.losses.get("BinaryCrossentropy"), sl.losses.BinaryCrossentropy)
    assert sl.losses.get("sparse_categorical_crossentropy") is sl.losses.sparse_categorical_crossentropy
    loss = sl.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2)
    again = sl.losses.deserialize(sl.losses.serialize(loss))
    assert again.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        sl.losses.get("mde")
    with pytest.raises(ValueError, match="reduction"):
        sl.losses.MeanSquaredError(reduction="mean_of_everything")
