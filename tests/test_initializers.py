"""Initializers: sample statistics vs the Keras 3 formulas, seeding contract, fans, registry, configs."""
import json
import math

import numpy as np
import pytest

import slimlayers as sl

I = sl.initializers
TRUNC = 0.87962566103423978  # std of N(0,1) truncated to [-2, 2]

# Fans below are written out by hand (not from compute_fans):
# (5,5,40,30): fan_in = 25*40 = 1000, fan_out = 25*30 = 750;   (200,150): 200, 150.
CONV, DENSE = (5, 5, 40, 30), (200, 150)


def _uniform(lo, hi):
    return ("uniform", lo, hi)


def _normal(mean, std):
    return ("normal", mean, std)


def _truncated(mean, sigma):  # sigma = pre-truncation std
    return ("truncated", mean, sigma)


STAT_CASES = [
    ("GlorotUniform", I.GlorotUniform(seed=1), CONV, _uniform(-math.sqrt(6 / 1750), math.sqrt(6 / 1750))),
    ("GlorotUniform-dense", I.GlorotUniform(seed=2), DENSE, _uniform(-math.sqrt(6 / 350), math.sqrt(6 / 350))),
    ("GlorotNormal", I.GlorotNormal(seed=3), CONV, _truncated(0, math.sqrt(2 / 1750) / TRUNC)),
    ("HeUniform", I.HeUniform(seed=4), CONV, _uniform(-math.sqrt(6 / 1000), math.sqrt(6 / 1000))),
    ("HeNormal", I.HeNormal(seed=5), CONV, _truncated(0, math.sqrt(2 / 1000) / TRUNC)),
    ("LecunUniform", I.LecunUniform(seed=6), CONV, _uniform(-math.sqrt(3 / 1000), math.sqrt(3 / 1000))),
    ("LecunNormal", I.LecunNormal(seed=7), DENSE, _truncated(0, math.sqrt(1 / 200) / TRUNC)),
    ("VS-fan_out-untruncated", I.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=8), CONV,
     _normal(0, math.sqrt(3 / 750))),
    ("VS-fan_avg-normal", I.VarianceScaling(0.5, "fan_avg", "normal", seed=9), DENSE,
     _truncated(0, math.sqrt(0.5 / 175) / TRUNC)),
    # transposed-conv kernel [kh, kw, out, in]: Keras' rule would use fan_in = 25*50; explicit axes say in = 20
    ("VS-transposed-axes", I.VarianceScaling(2.0, "fan_in", "uniform", seed=10, input_axes=3, output_axes=2),
     (5, 5, 50, 20), _uniform(-math.sqrt(6 / 500), math.sqrt(6 / 500))),
    ("HeUniform-transposed-keras-rule", I.HeUniform(seed=11), (5, 5, 50, 20),
     _uniform(-math.sqrt(6 / 1250), math.sqrt(6 / 1250))),
    ("HeUniform-1d", I.HeUniform(seed=12), (30000,), _uniform(-math.sqrt(6 / 30000), math.sqrt(6 / 30000))),
    ("RandomNormal", I.RandomNormal(mean=0.5, stddev=2.0, seed=13), CONV, _normal(0.5, 2.0)),
    ("RandomNormal-default", I.RandomNormal(seed=14), CONV, _normal(0, 0.05)),
    ("RandomUniform", I.RandomUniform(-0.2, 0.6, seed=15), CONV, _uniform(-0.2, 0.6)),
    ("RandomUniform-default", I.RandomUniform(seed=16), CONV, _uniform(-0.05, 0.05)),
    ("TruncatedNormal", I.TruncatedNormal(mean=1.0, stddev=0.5, seed=17), CONV, _truncated(1.0, 0.5)),
    ("TruncatedNormal-default", I.TruncatedNormal(seed=18), CONV, _truncated(0, 0.05)),
    ("MindSpore-Normal", I.get("Normal"), CONV, _normal(0, 0.01)),
    ("MindSpore-Uniform", I.get("Uniform"), CONV, _uniform(-0.07, 0.07)),
    ("MindSpore-XavierNormal", I.get("XavierNormal"), CONV, _normal(0, math.sqrt(2 / 1750))),
    ("MindSpore-XavierUniform", I.get("XavierUniform"), CONV, _uniform(-math.sqrt(6 / 1750), math.sqrt(6 / 1750))),
]


@pytest.mark.parametrize("name,init,shape,dist", STAT_CASES, ids=[c[0] for c in STAT_CASES])
def test_sample_statistics(name, init, shape, dist):
    w = init(shape, "float64")
    assert w.shape == shape and w.dtype == np.float64 and w.size >= 20000
    kind, a, b = dist
    if kind == "uniform":
        assert w.min() >= a and w.max() <= b
        assert w.min() < a + 0.002 * (b - a) and w.max() > b - 0.002 * (b - a)
        mean, std = (a + b) / 2, (b - a) / math.sqrt(12)
    elif kind == "normal":
        mean, std = a, b
        beyond = np.mean(np.abs(w - mean) > 2 * std)
        assert abs(beyond - 0.0455) < 0.006  # untruncated: ~4.55% beyond 2σ
    else:
        mean, std = a, b * TRUNC
        assert np.all(np.abs(w - mean) <= 2 * b) and np.max(np.abs(w - mean)) > 1.98 * b
    assert abs(w.mean() - mean) < 5 * std / math.sqrt(w.size)
    assert abs(w.std() / std - 1) < 0.03


def test_semantics_reference_numbers():
    # semantics.md §5.2, shape (3,3,64,32): GlorotUniform limit 0.08333, LecunUniform 0.07216, HeUniform 0.10206
    shape = (3, 3, 64, 32)
    assert abs(np.abs(I.GlorotUniform(seed=0)(shape)).max() - 0.08333) < 2e-4
    assert abs(np.abs(I.LecunUniform(seed=0)(shape)).max() - 0.07216) < 2e-4
    assert abs(np.abs(I.HeUniform(seed=0)(shape)).max() - 0.10206) < 3e-4
    assert np.abs(I.GlorotNormal(seed=0)(shape)).max() <= 0.1094 + 1e-4


def test_scalar_shape():
    w = I.HeUniform(seed=0)((), "float64")
    assert w.shape == () and abs(float(w)) <= math.sqrt(6)


# -- fans ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,kwargs,expected", [
    ((), {}, (1, 1)), ((7,), {}, (7, 7)), ((4, 9), {}, (4, 9)), ((3, 3, 64, 32), {}, (576, 288)),
    ((2, 3, 5, 4, 6), {}, (2 * 3 * 5 * 4, 2 * 3 * 5 * 6)),
    ((3, 3, 8, 2), dict(in_axes=3, out_axes=2), (18, 72)),             # Conv2DTranspose [kh, kw, out, in]
    ((16, 8, 3, 3), dict(in_axes=1, out_axes=0), (72, 144)),           # PyTorch [out, in, kh, kw]
    ((4, 5, 6), dict(in_axes=(0, 1), out_axes=-1), (20, 6)),
])
def test_compute_fans(shape, kwargs, expected):
    assert I.compute_fans(shape, **kwargs) == expected


@pytest.mark.parametrize("kwargs,match", [(dict(in_axes=3), "together"), (dict(in_axes=2, out_axes=2), "share"),
                                          (dict(in_axes=4, out_axes=0), "in_axes")])
def test_compute_fans_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        I.compute_fans((3, 3, 8, 2), **kwargs)


# -- seeding -------------------------------------------------------------------------------------------------
SHAPE = (3, 3, 4, 8)


def test_int_seed_is_reproducible_and_portable():
    a = I.RandomUniform(seed=42)(SHAPE)
    b = I.RandomUniform(seed=42)(SHAPE)
    assert np.array_equal(a, b) and np.array_equal(a, I.RandomUniform(seed=42)(SHAPE))
    # the stream is numpy's PCG64 seeded with the int, drawn in float64 then cast: same on every machine
    expected = np.random.default_rng(42).uniform(-0.05, 0.05, SHAPE).astype(np.float32)
    assert np.array_equal(a, expected)
    assert not np.array_equal(a, I.RandomUniform(seed=43)(SHAPE))
    assert np.array_equal(I.GlorotNormal(seed=5)(SHAPE, "float64").astype(np.float32), I.GlorotNormal(seed=5)(SHAPE))


def test_generator_seed_is_consumed():
    init = I.HeNormal(seed=np.random.default_rng(7))
    first, second = init(SHAPE), init(SHAPE)
    assert not np.array_equal(first, second)
    replay = I.HeNormal(seed=np.random.default_rng(7))
    assert np.array_equal(replay(SHAPE), first)


def test_unseeded_instance_repeats_and_instances_differ():
    init = I.GlorotUniform()
    assert np.array_equal(init(SHAPE), init(SHAPE))
    assert not np.array_equal(init(SHAPE), I.GlorotUniform()(SHAPE))


def test_set_seed_makes_unseeded_instances_reproducible():
    sl.set_seed(11)
    a = [I.GlorotUniform()(SHAPE), I.Orthogonal()((6, 6))]
    sl.set_seed(11)
    b = [I.GlorotUniform()(SHAPE), I.Orthogonal()((6, 6))]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


def test_initialize_uses_keyed_streams():
    sl.set_seed(3)
    kernel = I.initialize(I.GlorotUniform(), SHAPE, "float32", key="conv/kernel")
    sl.set_seed(3)
    other = I.initialize(I.GlorotUniform(), SHAPE, "float32", key="extra_layer/kernel")
    again = I.initialize(I.GlorotUniform(), SHAPE, "float32", key="conv/kernel")
    assert np.array_equal(kernel, again)      # another key drawn first does not shift this one
    assert not np.array_equal(kernel, other)
    sl.set_seed(4)
    assert not np.array_equal(kernel, I.initialize(I.GlorotUniform(), SHAPE, "float32", key="conv/kernel"))
    # a seeded initializer ignores the key
    seeded = I.GlorotUniform(seed=9)
    assert np.array_equal(I.initialize(seeded, SHAPE, "float32", key="a"), seeded(SHAPE))
    assert kernel.dtype == np.float32


def test_initialize_accepts_plain_callables_and_checks_shape():
    def ramp(shape, dtype):
        return np.arange(np.prod(shape), dtype=dtype).reshape(shape)

    assert I.get(ramp) is ramp
    out = I.initialize(ramp, (2, 3), "float64", key="x")
    assert out.dtype == np.float64 and out[1, 2] == 5
    with pytest.raises(ValueError, match="shape"):
        I.initialize(lambda shape, dtype: np.zeros(3), (2, 3), "float32")
    with pytest.raises(TypeError, match="initializer"):
        I.initialize(3.0, (2,), "float32")


def test_seed_validation():
    for bad in (-1, 1.5, "3", True):
        with pytest.raises((ValueError, TypeError), match="seed"):
            I.GlorotUniform(seed=bad)


# -- Orthogonal, Identity, constants ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,gain", [((30, 20), 1.0), ((20, 30), 1.0), ((3, 3, 8, 16), 2.0)])
def test_orthogonal(shape, gain):
    w = I.Orthogonal(gain=gain, seed=0)(shape, "float64")
    assert w.shape == shape
    flat = w.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(gram.shape[0]), atol=1e-12)


def test_orthogonal_rank_error():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        I.Orthogonal(seed=0)((5,))


def test_identity():
    np.testing.assert_array_equal(I.Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    with pytest.raises(ValueError, match="2D"):
        I.Identity()((2, 2, 2))


def test_constant_scalar_array_and_mismatch():
    assert I.Constant(2.5)((2, 2)).tolist() == [[2.5, 2.5], [2.5, 2.5]]
    assert I.Constant()((2,)).tolist() == [0.0, 0.0]
    value = np.arange(6, dtype=np.float32).reshape(2, 3) / 7
    out = I.Constant(value)((2, 3), "float32")
    assert np.array_equal(out, value)
    out[0, 0] = 99  # the caller owns the result
    assert I.Constant(value)((2, 3))[0, 0] == 0
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*\(3, 2\)"):
        I.Constant(value)((3, 2))
    with pytest.raises(TypeError, match="value"):
        I.Constant("a")


def test_zeros_ones_and_dtypes():
    assert I.Zeros()((2,), "int32").dtype == np.int32
    assert I.Ones()((2, 2), "float64").tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert I.Zeros(seed=3)((1,)).dtype == np.float32
    with pytest.raises(ValueError, match="dtype"):
        I.GlorotUniform(seed=0)((2, 2), "int32")


# -- VarianceScaling validation (semantics.md §5.2) ----------------------------------------------------------------
@pytest.mark.parametrize("kwargs,match", [
    (dict(mode="FAN_IN"), "mode"), (dict(distribution="gaussian"), "distribution"),
    (dict(scale=0.0), "scale"), (dict(scale=-1.0), "scale"), (dict(input_axes=2), "together"),
])
def test_variance_scaling_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        I.VarianceScaling(**kwargs)


def test_variance_scaling_distribution_normalisation():
    assert I.VarianceScaling(distribution="Normal").distribution == "truncated_normal"
    assert I.VarianceScaling(distribution="UNIFORM").distribution == "uniform"


# -- registry ------------------------------------------------------------------------------------------------------
KERAS_NAMES = {
    "glorot_uniform": I.GlorotUniform, "glorot_normal": I.GlorotNormal, "he_uniform": I.HeUniform,
    "he_normal": I.HeNormal, "lecun_uniform": I.LecunUniform, "lecun_normal": I.LecunNormal,
    "variance_scaling": I.VarianceScaling, "random_normal": I.RandomNormal, "random_uniform": I.RandomUniform,
    "truncated_normal": I.TruncatedNormal, "zeros": I.Zeros, "ones": I.Ones, "constant": I.Constant,
    "orthogonal": I.Orthogonal, "identity": I.Identity, "normal": I.RandomNormal, "uniform": I.RandomUniform,
    "one": I.Ones, "zero": I.Zeros,
}


@pytest.mark.parametrize("name,cls", sorted(KERAS_NAMES.items()))
def test_keras_names(name, cls):
    assert type(I.get(name)) is cls
    assert type(I.get(cls.__name__)) is cls


def test_mindspore_names():
    normal = I.get("Normal")
    assert type(normal) is I.RandomNormal and (normal.mean, normal.stddev) == (0.0, 0.01)
    uniform = I.get("Uniform")
    assert type(uniform) is I.RandomUniform and (uniform.minval, uniform.maxval) == (-0.07, 0.07)
    assert type(I.get("XavierUniform")) is I.GlorotUniform and type(I.get("xavier_uniform")) is I.GlorotUniform
    xn = I.get("XavierNormal")
    assert (xn.scale, xn.mode, xn.distribution) == (1.0, "fan_avg", "untruncated_normal")
    assert type(I.get("One")) is I.Ones and type(I.get("Zero")) is I.Zeros
    # names shared with Keras mean the Keras class (documented choice)
    assert type(I.get("HeUniform")) is I.HeUniform and type(I.get("HeNormal")) is I.HeNormal
    assert I.get("TruncatedNormal").stddev == 0.05
    # a string gives a fresh instance each time, so two layers do not share values
    assert I.get("glorot_uniform") is not I.get("glorot_uniform")


def test_get_passthrough_and_errors():
    assert I.get(None) is None
    init = I.HeNormal(seed=1)
    assert I.get(init) is init
    with pytest.raises(ValueError, match="Unknown initializer: 'glorot_unifrom'. Did you mean 'glorot_uniform'"):
        I.get("glorot_unifrom")
    with pytest.raises(TypeError, match="initializer"):
        I.get(0.5)
    with pytest.raises(ValueError, match="class_name"):
        I.deserialize({"config": {}})


ROUND_TRIP = [I.GlorotUniform(seed=1), I.GlorotNormal(seed=2), I.HeUniform(seed=3), I.HeNormal(seed=4),
              I.LecunUniform(seed=5), I.LecunNormal(seed=6),
              I.VarianceScaling(0.5, "fan_out", "uniform", seed=7, input_axes=[0, 1], output_axes=3),
              I.RandomNormal(0.1, 0.2, seed=8), I.RandomUniform(-0.3, 0.4, seed=9),
              I.TruncatedNormal(0.5, 1.5, seed=10),
              I.Zeros(), I.Ones(), I.Constant(0.25), I.Constant(np.arange(24.0).reshape(2, 3, 4, 1)),
              I.Orthogonal(gain=0.5, seed=11), I.Identity(gain=2.0), I.GlorotUniform()]


def test_round_trip_covers_every_class():
    assert {type(i) for i in ROUND_TRIP} == {c for c in vars(I).values()
                                            if isinstance(c, type) and issubclass(c, I.Initializer)} - {I.Initializer}


@pytest.mark.parametrize("init", ROUND_TRIP, ids=[repr(i)[:40] for i in ROUND_TRIP])
def test_serialize_round_trip(init):
    config = json.loads(json.dumps(I.serialize(init)))   # JSON-safe
    restored = I.deserialize(config)
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config()
    shape = (3, 4) if isinstance(init, I.Identity) else (2, 3, 4, 1)
    if init.is_random and init.seed is None:
        return  # an unseeded copy draws its own fixed seed, as in Keras
    assert np.array_equal(restored(shape), init(shape))


# -- Keras 3 identifiers: arrays, compatibility names, clear config errors (issue 16) --------------------
def test_an_array_is_an_initializer_returning_it_as_keras_3():
    # keras.initializers.get(array) returns an initializer giving that array; another shape is a ValueError
    value = np.arange(6.0).reshape(3, 2)
    init = I.get(value)
    np.testing.assert_array_equal(init((3, 2), "float64"), value)
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*\(2, 3\)"):
        init((2, 3))
    layer = sl.layers.Dense(2, kernel_initializer=value)
    layer.build((None, 3))
    np.testing.assert_array_equal(layer.kernel.numpy(), value.astype("float32"))
    with pytest.raises(ValueError, match="must match the variable's shape"):
        sl.layers.Dense(4, kernel_initializer=value)(np.ones((1, 3), "float32"))


def test_a_layer_with_an_array_initializer_round_trips_its_config():
    value = np.array([[1.0, -2.0], [0.5, 4.0]])
    layer = sl.layers.Dense(2, kernel_initializer=value, name="arr")
    config = layer.get_config()
    assert config["kernel_initializer"] == {"class_name": "Constant", "config": {"value": value.tolist()}}
    rebuilt = sl.layers.Dense.from_config(json.loads(json.dumps(config)))
    rebuilt.build((None, 2))
    np.testing.assert_array_equal(rebuilt.kernel.numpy(), value.astype("float32"))


def test_tensors_are_array_initializers_too():
    t = sl.constant(np.ones((2, 2), "float32") * 3)
    np.testing.assert_array_equal(I.get(t)((2, 2)), np.full((2, 2), 3.0, "float32"))


@pytest.mark.parametrize("name, cls", [("OrthogonalInitializer", "Orthogonal"), ("IdentityInitializer", "Identity"),
                                       ("normal", "RandomNormal"), ("uniform", "RandomUniform"), ("one", "Ones"),
                                       ("zero", "Zeros")])
def test_keras_3_compatibility_names_resolve(name, cls):
    # keras/src/initializers/__init__.py ALL_OBJECTS_DICT aliases
    assert type(I.get(name)).__name__ == cls
    assert type(I.get({"class_name": name, "config": {}})).__name__ == cls


def test_unknown_config_argument_names_the_config_and_the_argument():
    with pytest.raises(TypeError, match=r"`config`: initializer 'GlorotUniform' has no argument 'bogus_arg' "
                                        r"\(its arguments: seed\)"):
        I.get({"class_name": "GlorotUniform", "config": {"bogus_arg": 1}})
    with pytest.raises(TypeError, match=r"`config`: regularizer 'L2' has no argument 'l1'"):
        sl.regularizers.get({"class_name": "L2", "config": {"l1": 0.1}})
    with pytest.raises(ValueError, match="'config' of initializer 'Zeros' must be a dict"):
        I.get({"class_name": "Zeros", "config": [1]})
