"""A reusable layer test harness: one call checks everything every layer must do.

``check_layer(cls, kwargs, input_shape)`` builds ``cls(**kwargs, dtype="float64")`` and checks

1. the output shape equals ``compute_output_shape`` (also with an unknown batch size);
2. the number of weights and ``count_params`` (sum of the weight sizes);
3. the config round trip: ``from_config(json.loads(json.dumps(get_config())))`` gives an
   equal config, and — with the same weights — the same output;
4. float64 finite-difference gradients w.r.t. the input(s) and every trainable weight
   (of ``<layer(x), r>`` with a random ``r``, plus the layer's losses);
5. one SGD step with ``GradientTape`` reduces a squared-error loss (layers with weights);
6. ``repr`` names the class and the layer.

Example:
    check_layer(sl.layers.Dense, dict(units=3), (4, 2), n_weights=2)
"""
from __future__ import annotations

import json

import numpy as np

import slimlayers as sl


def _inputs(input_shape, rng, positive=False):
    """Random float64 input(s); a list of shapes gives a list of arrays."""
    if isinstance(input_shape, list):
        return [_inputs(s, rng, positive) for s in input_shape]
    x = rng.standard_normal(input_shape)
    return np.abs(x) + 0.5 if positive else x


def _total(layer, inputs, probe, training):
    """Scalar ``<layer(x), probe> + sum(layer.losses)`` as a Tensor."""
    y = layer(inputs, training=training)
    out = (y * probe).sum()
    for loss in layer.losses:
        out = out + loss
    return out


def _finite_difference(fn, array, n_probe, rng, eps=1e-6):
    """Central differences of the scalar ``fn()`` at up to ``n_probe`` random entries of ``array``."""
    flat = array.reshape(-1)
    picks = rng.choice(flat.size, size=min(n_probe, flat.size), replace=False)
    grads = {}
    for i in picks:
        orig = flat[i]
        flat[i] = orig + eps
        plus = float(fn())
        flat[i] = orig - eps
        minus = float(fn())
        flat[i] = orig
        grads[int(i)] = (plus - minus) / (2 * eps)
    return grads


def check_gradients(layer, inputs, training=None, n_probe=12, seed=0, rtol=1e-5, atol=1e-7):
    """Tape gradients of ``<layer(x), r> + losses`` w.r.t. inputs and trainable weights vs finite differences."""
    rng = np.random.default_rng(seed)
    xs = inputs if isinstance(inputs, list) else [inputs]
    xs = [np.array(x, dtype=np.float64) for x in xs]
    probe = rng.standard_normal(layer(xs if isinstance(inputs, list) else xs[0], training=training).shape)
    as_input = (lambda arrays: [sl.constant(a) for a in arrays]) if isinstance(inputs, list) \
        else (lambda arrays: sl.constant(arrays[0]))
    tensors = [sl.constant(x) for x in xs]
    weights = layer.trainable_weights
    with sl.GradientTape() as tape:
        tape.watch(tensors)
        total = _total(layer, tensors if isinstance(inputs, list) else tensors[0], probe, training)
    analytic = tape.gradient(total, tensors + weights)

    for k, x in enumerate(xs):
        numeric = _finite_difference(lambda: _total(layer, as_input(xs), probe, training), x, n_probe, rng)
        got = analytic[k].reshape(-1)
        for i, expected in numeric.items():
            np.testing.assert_allclose(got[i], expected, rtol=rtol, atol=atol,
                                       err_msg=f"{layer.name}: d/d input {k} at flat index {i}")
    for w, got in zip(weights, analytic[len(xs):]):
        value = w.numpy()

        def f(value=value, w=w):
            w.assign(value)
            return _total(layer, as_input(xs), probe, training)

        numeric = _finite_difference(f, value, n_probe, rng)
        w.assign(value)
        got = np.zeros(w.shape) if got is None else got
        for i, expected in numeric.items():
            np.testing.assert_allclose(got.reshape(-1)[i], expected, rtol=rtol, atol=atol,
                                       err_msg=f"{layer.name}: d/d {w.name} at flat index {i}")


def check_training_step(layer, inputs, training=True, learning_rate=1e-2, seed=0):
    """One plain SGD step on every trainable weight reduces ``mean((layer(x) - target)**2) + losses``."""
    rng = np.random.default_rng(seed)
    target = rng.standard_normal(layer(inputs, training=training).shape)

    def loss():
        y = layer(inputs, training=training)
        total = ((y - target) * (y - target)).mean()
        for extra in layer.losses:
            total = total + extra
        return total

    with sl.GradientTape() as tape:
        before = loss()
    weights = layer.trainable_weights
    grads = tape.gradient(before, weights)
    assert all(g is not None for g in grads), f"{layer.name}: a trainable weight got no gradient"
    for w, g in zip(weights, grads):
        w.assign_sub(learning_rate * g)
    after = loss()
    assert float(after) < float(before), f"{layer.name}: loss {float(before)} -> {float(after)} after one step"


def check_layer(cls, kwargs, input_shape, n_weights=0, training=None, grad=True, fit=True, positive=False,
                seed=0):
    """Run every harness check on ``cls(**kwargs, dtype="float64")``; returns the built layer.

    Args:
        input_shape: a shape, or a list of shapes for merge layers.
        n_weights: expected ``len(layer.weights)``.
        training: the ``training`` flag for the gradient check and the training step.
        grad, fit: skip the gradient check / training step when False.
        positive: draw inputs > 0 (e.g. away from a kink at 0).
    """
    rng = np.random.default_rng(seed)
    layer = cls(**kwargs, dtype="float64")
    inputs = _inputs(input_shape, rng, positive)
    y = layer(inputs)

    # 1. shapes
    assert layer.compute_output_shape(input_shape) == y.shape
    unknown = [(None, *s[1:]) for s in input_shape] if isinstance(input_shape, list) else (None, *input_shape[1:])
    assert layer.compute_output_shape(unknown) == (None, *y.shape[1:])
    assert y.dtype == np.float64

    # 2. weights
    assert len(layer.weights) == n_weights, [w.name for w in layer.weights]
    assert layer.count_params() == sum(int(np.prod(w.shape)) for w in layer.weights)
    assert len(layer.get_weights()) == n_weights

    # 3. config round trip through JSON
    config = json.loads(json.dumps(layer.get_config()))
    clone = cls.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    clone(inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(clone(inputs)), np.asarray(layer(inputs)), rtol=1e-12, atol=1e-12)

    # 4-5. gradients and a training step
    if grad:
        check_gradients(layer, inputs, training=training, seed=seed)
    if fit and layer.trainable_weights:
        check_training_step(layer, inputs, training=training, seed=seed)

    # 6. repr
    text = repr(layer)
    assert text.startswith(cls.__name__ + "(") and repr(layer.name) in text
    return layer
