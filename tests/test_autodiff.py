"""The autodiff core: every primitive against finite differences, and GradientTape semantics."""
import numpy as np
import pytest

import slimlayers as sl
from slimlayers.autodiff import ops
from gradcheck import check_gradients

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
POS = rng.uniform(0.5, 2.0, (3, 4))


@pytest.mark.parametrize("name, fn, args", [
    ("add", lambda a, b: a + b, (A, B)),
    ("add_broadcast", lambda a, b: a + b, (A, B[0])),
    ("sub", lambda a, b: a - b, (A, B[:, :1])),
    ("mul", lambda a, b: a * b, (A, B)),
    ("div", lambda a, b: a / b, (A, POS)),
    ("pow", lambda a, b: a ** b, (POS, B)),
    ("pow_scalar", lambda a: a ** 3, (A,)),
    ("rsub", lambda a: 2.0 - a, (A,)),
    ("rdiv", lambda a: 1.0 / a, (POS,)),
    ("neg", lambda a: -a, (A,)),
    ("matmul", lambda a, b: a @ b, (A, B.T)),
    ("batched_matmul", lambda a, b: a @ b, (rng.standard_normal((2, 3, 4)), rng.standard_normal((4, 5)))),
    ("sum_axis", lambda a: a.sum(axis=1), (A,)),
    ("sum_all", lambda a: a.sum(), (A,)),
    ("mean_keepdims", lambda a: a.mean(axis=0, keepdims=True), (A,)),
    ("reshape", lambda a: a.reshape(4, 3), (A,)),
    ("transpose", lambda a: a.transpose(), (rng.standard_normal((2, 3, 4)),)),
    ("pad", lambda a: ops.pad(a, [(1, 0), (2, 3)]), (A,)),
    ("concat", lambda a, b: ops.concat([a, b], axis=0), (A, B)),
    ("stack", lambda a, b: ops.stack([a, b], axis=1), (A, B)),
    ("getitem", lambda a: a[1:, ::2], (A,)),
    ("exp", ops.exp, (A,)),
    ("log", ops.log, (POS,)),
    ("sqrt", ops.sqrt, (POS,)),
    ("tanh", sl.nn.tanh, (A,)),
    ("sigmoid", sl.nn.sigmoid, (A,)),
    ("abs", ops.abs, (A,)),
    ("square", ops.square, (A,)),
    ("maximum", ops.maximum, (A, B)),
    ("minimum", ops.minimum, (A, B)),
    ("where", lambda a, b: ops.where(A > 0, a, b), (A, B)),
    ("max", lambda a: ops.max(a, axis=1), (A,)),
    ("cast", lambda a: ops.cast(a, np.float64) * 2, (A,)),
])
def test_primitive_gradients_match_finite_differences(name, fn, args):
    check_gradients(fn, *args)


def test_variables_are_watched_and_constants_are_not():
    v = sl.Variable([1.0, 2.0])
    c = sl.constant([3.0, 4.0])
    with sl.GradientTape() as tape:
        y = (v * c).sum()
    gv, gc = tape.gradient(y, [v, c])
    np.testing.assert_array_equal(gv, [3.0, 4.0])
    assert gc is None


def test_watch_makes_constants_differentiable():
    c = sl.constant([3.0, 4.0])
    with sl.GradientTape() as tape:
        tape.watch(c)
        y = (c * c).sum()
    np.testing.assert_array_equal(tape.gradient(y, c), [6.0, 8.0])


def test_non_trainable_variables_are_not_watched():
    v = sl.Variable([1.0], trainable=False)
    with sl.GradientTape() as tape:
        y = v * 2
    assert tape.gradient(y, v) is None


def test_non_persistent_tape_allows_one_gradient_call():
    v = sl.Variable(2.0)
    with sl.GradientTape() as tape:
        y = v * v
    tape.gradient(y, v)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, v)


def test_persistent_tape_and_intermediate_sources():
    v = sl.Variable(3.0)
    with sl.GradientTape(persistent=True) as tape:
        h = v * v
        y = h * 2
    assert float(tape.gradient(y, h)) == 2.0
    assert float(tape.gradient(y, v)) == 12.0


def test_output_gradients_seed_the_walk():
    v = sl.Variable([1.0, 2.0])
    with sl.GradientTape() as tape:
        y = v * 3
    np.testing.assert_array_equal(tape.gradient(y, v, output_gradients=[1.0, 10.0]), [3.0, 30.0])


def test_output_gradients_shape_is_checked():
    v = sl.Variable([1.0, 2.0])
    with sl.GradientTape() as tape:
        y = v * 3
    with pytest.raises(ValueError, match="shape"):
        tape.gradient(y, v, output_gradients=[1.0, 2.0, 3.0])


def test_nested_structures_of_sources():
    a, b = sl.Variable(1.0), sl.Variable(2.0)
    with sl.GradientTape() as tape:
        y = a * b
    grads = tape.gradient(y, {"a": a, "rest": [b]})
    assert float(grads["a"]) == 2.0 and float(grads["rest"][0]) == 1.0


def test_deep_graph_does_not_hit_the_recursion_limit():
    v = sl.Variable(1.0)
    with sl.GradientTape() as tape:
        y = v
        for _ in range(20000):
            y = y + 0.0
    assert float(tape.gradient(y, v)) == 1.0


def test_operations_outside_a_tape_are_not_recorded():
    v = sl.Variable(2.0)
    y0 = v * v
    with sl.GradientTape() as tape:
        y = y0 * v
    assert float(tape.gradient(y, v)) == 4.0


def test_gradients_keep_the_source_dtype():
    v = sl.Variable(np.ones(3, np.float32))
    with sl.GradientTape() as tape:
        y = (v * 2.5).sum()
    g = tape.gradient(y, v)
    assert g.dtype == np.float32


def test_python_floats_default_to_float32_and_scalars_do_not_upcast():
    t = sl.constant([1.0, 2.0])
    assert t.dtype == np.float32
    assert (t * 2.5 + 1).dtype == np.float32
    assert sl.constant(np.zeros(2)).dtype == np.float64


def test_variable_assign_checks_shape_and_keeps_old_tensors():
    v = sl.Variable(np.zeros(2, np.float32), name="v")
    old = v * 1
    v.assign([1.0, 2.0])
    np.testing.assert_array_equal(old.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="'v'"):
        v.assign([1.0, 2.0, 3.0])


def test_numpy_interop():
    t = sl.constant([[1.0, 2.0]])
    assert isinstance(np.asarray(t), np.ndarray)
    assert (np.ones(2, np.float32) + t).shape == (1, 2)
    assert float(sl.constant(3.0)) == 3.0
