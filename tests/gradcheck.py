"""Finite-difference gradient checks (float64 central differences), shared by every test module."""
from __future__ import annotations

import numpy as np

import slimlayers as sl


def numerical_gradient(fn, arrays, index, upstream, eps=1e-6):
    """d<fn(*arrays), upstream>/d arrays[index] by central differences (fn maps numpy arrays to an array)."""
    arrays = [np.array(a, dtype=np.float64, copy=True, order="C") for a in arrays]
    target = arrays[index]
    grad = np.zeros_like(target)
    flat, gflat = target.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = np.sum(np.asarray(fn(*arrays), dtype=np.float64) * upstream)
        flat[i] = orig - eps
        minus = np.sum(np.asarray(fn(*arrays), dtype=np.float64) * upstream)
        flat[i] = orig
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def check_gradients(fn, *arrays, rtol=1e-5, atol=1e-7, seed=0, eps=1e-6):
    """Compare tape gradients of ``fn`` w.r.t. every argument with finite differences.

    ``fn`` takes ``sl.Tensor``/``Variable`` arguments and returns a Tensor;
    a random upstream gradient makes the check sensitive to every output.
    """
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    variables = [sl.Variable(a) for a in arrays]
    with sl.GradientTape() as tape:
        out = fn(*variables)
    upstream = np.random.default_rng(seed).standard_normal(out.shape)
    analytic = tape.gradient(out, variables, output_gradients=upstream)

    def plain(*arrs):
        return fn(*[sl.constant(a) for a in arrs])

    for i, got in enumerate(analytic):
        expected = numerical_gradient(plain, arrays, i, upstream, eps)
        got = np.zeros_like(expected) if got is None else got
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of argument {i} disagrees with finite differences")
