"""Optimizers: the first steps against the Keras 3 update formulas, written out here in numpy."""
import numpy as np
import pytest

import slimlayers as sl

rng = np.random.default_rng(1)
GRADS = [rng.normal(size=(3, 2)) for _ in range(4)]
W0 = rng.normal(size=(3, 2))


def run(opt, dtype=np.float64):
    var = sl.Variable(W0, dtype=dtype)
    history = []
    for g in GRADS:
        opt.apply_gradients([(g.astype(dtype), var)])
        history.append(var.numpy().copy())
    return history


def check(opt, expected_steps):
    got = run(opt)
    for step, (g, e) in enumerate(zip(got, expected_steps)):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14, err_msg=f"step {step + 1}")


def test_sgd_plain():
    lr = 0.1
    w, out = W0.copy(), []
    for g in GRADS:
        w = w - lr * g
        out.append(w)
    check(sl.optimizers.SGD(learning_rate=lr), out)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum(nesterov):
    lr, mu = 0.05, 0.9
    w, m, out = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        m = mu * m - lr * g
        w = w + (mu * m - lr * g if nesterov else m)
        out.append(w)
    check(sl.optimizers.SGD(learning_rate=lr, momentum=mu, nesterov=nesterov), out)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam(amsgrad):
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, v, vhat, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, start=1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        vhat = np.maximum(vhat, v)
        w = w - m * alpha / (np.sqrt(vhat if amsgrad else v) + eps)  # epsilon outside the sqrt
        out.append(w)
    check(sl.optimizers.Adam(learning_rate=lr, amsgrad=amsgrad), out)


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.5, False), (0.0, True)])
def test_rmsprop(momentum, centered):
    lr, rho, eps = 0.01, 0.9, 1e-7
    w, v, mom, avg, out = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        v = rho * v + (1 - rho) * g * g
        if centered:
            avg = rho * avg + (1 - rho) * g
            denom = v - avg * avg + eps
        else:
            denom = v + eps  # epsilon inside the sqrt (Keras 3)
        inc = lr * g / np.sqrt(denom)
        if momentum:
            mom = momentum * mom + inc
            w = w - mom
        else:
            w = w - inc
        out.append(w)
    check(sl.optimizers.RMSprop(learning_rate=lr, momentum=momentum, centered=centered), out)


def test_defaults_match_keras():
    sgd, adam, rms = sl.optimizers.SGD(), sl.optimizers.Adam(), sl.optimizers.RMSprop()
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    assert (rms.learning_rate, rms.rho, rms.momentum, rms.epsilon) == (0.001, 0.9, 0.0, 1e-7)


def test_float32_adam_first_step_uses_float32_arithmetic():
    # Keras on TF: hyperparameters cast to float32, `1 - beta` computed in Python then cast.
    var = sl.Variable(W0.astype(np.float32))
    g = GRADS[0].astype(np.float32)
    sl.optimizers.Adam(learning_rate=0.01).apply_gradients([(g, var)])
    f = np.float32
    m = (g - 0) * f(1 - 0.9)
    v = (g * g - 0) * f(1 - 0.999)
    alpha = f(0.01) * np.sqrt(f(1) - f(0.999) ** f(1)) / (f(1) - f(0.9) ** f(1))
    expected = W0.astype(np.float32) - (m * alpha) / (np.sqrt(v) + f(1e-7))
    assert var.dtype == np.float32
    np.testing.assert_array_equal(var.numpy(), expected)


def test_in_place_update_never_changes_a_shared_tensor():
    var = sl.Variable(np.ones(3, np.float32))
    snapshot = var.value()  # shares the array
    before = snapshot.numpy().copy()
    sl.optimizers.SGD(0.5).apply_gradients([(np.ones(3, np.float32), var)])
    np.testing.assert_array_equal(snapshot.numpy(), before)
    np.testing.assert_allclose(var.numpy(), 0.5)
    # and when nothing shares the array, the update is in place (no new allocation)
    var2 = sl.Variable(np.ones(3, np.float32))
    array_id = id(var2._value)
    sl.optimizers.Adam().apply_gradients([(np.ones(3, np.float32), var2)])
    assert id(var2._value) == array_id


def test_clipping_and_weight_decay():
    var = sl.Variable(np.array([1.0, 2.0]), dtype=np.float64)
    sl.optimizers.SGD(1.0, clipvalue=0.5).apply_gradients([(np.array([3.0, -0.1]), var)])
    np.testing.assert_allclose(var.numpy(), [0.5, 2.1])
    var = sl.Variable(np.array([0.0, 0.0]), dtype=np.float64)
    sl.optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(np.array([3.0, 4.0]), var)])
    np.testing.assert_allclose(var.numpy(), [-0.6, -0.8])
    var = sl.Variable(np.array([2.0]), dtype=np.float64)
    sl.optimizers.SGD(0.1, weight_decay=0.5).apply_gradients([(np.array([1.0]), var)])
    np.testing.assert_allclose(var.numpy(), [2.0 - 2.0 * 0.5 * 0.1 - 0.1])


def test_none_gradients_are_skipped_and_iterations_count():
    a, b = sl.Variable([1.0]), sl.Variable([1.0])
    opt = sl.optimizers.SGD(0.1)
    opt.apply([None, np.array([1.0], np.float32)], [a, b])
    assert a.numpy()[0] == 1.0 and opt.iterations == 1


def test_registry_and_errors():
    assert isinstance(sl.optimizers.get("adam"), sl.optimizers.Adam)
    assert isinstance(sl.optimizers.get("SGD"), sl.optimizers.SGD)
    assert isinstance(sl.optimizers.get("rmsprop"), sl.optimizers.RMSprop)
    opt = sl.optimizers.SGD(learning_rate=0.2, momentum=0.8, nesterov=True)
    again = sl.optimizers.deserialize(sl.optimizers.serialize(opt))
    assert again.get_config() == opt.get_config()
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        sl.optimizers.get("adma")
    with pytest.raises(ValueError, match="learning_rate"):
        sl.optimizers.Adam(learning_rate=-1)
    with pytest.raises(ValueError, match="does not match variable"):
        sl.optimizers.SGD().apply_gradients([(np.ones(2, np.float32), sl.Variable([1.0]))])
