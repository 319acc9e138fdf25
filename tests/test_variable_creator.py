"""Layer.variable_creator: one hook for where a layer's variables come from (like TF's variable creators)."""
import numpy as np

import slimlayers as sl
from slimlayers.scopes.variables import store_creator


def test_default_creator_is_what_add_weight_does_without_a_creator():
    requests = []

    def spy(next_creator, **request):
        requests.append(request)
        return next_creator(**request)

    sl.set_seed(3)
    plain = sl.layers.Dense(4, name="d")
    plain.build((2, 3))
    sl.set_seed(3)
    hooked = sl.layers.Dense(4, name="d")
    hooked.variable_creator = spy
    hooked.build((2, 3))
    assert [r["name"] for r in requests] == ["d/kernel", "d/bias"]
    assert requests[0]["shape"] == (3, 4) and requests[0]["dtype"] == np.float32
    assert set(requests[0]) == {"name", "shape", "dtype", "initializer", "regularizer", "trainable", "fan_axes"}
    for a, b in zip(plain.weights, hooked.weights):
        assert a.name == b.name and np.array_equal(a.numpy(), b.numpy())


def test_whatever_the_creator_returns_is_the_layers_weight():
    shared = {}

    def share(next_creator, **request):
        key = request["name"].split("/", 1)[1]
        if key not in shared:
            shared[key] = next_creator(**request)
        return shared[key]

    first, second = sl.layers.Dense(2, name="a"), sl.layers.Dense(2, name="b")
    first.variable_creator = second.variable_creator = share
    x = np.ones((1, 3), "float32")
    np.testing.assert_array_equal(first(x).numpy(), second(x).numpy())
    assert [w is v for w, v in zip(first.weights, second.weights)] == [True, True]
    assert "add_weight" not in vars(first)  # nothing patched on the instance


def test_non_trainable_weights_from_a_creator_stay_frozen():
    bn = sl.layers.BatchNormalization()
    bn.variable_creator = lambda next_creator, **request: next_creator(**request)
    bn.build((2, 3))
    bn.trainable = False
    bn.trainable = True
    assert sorted(w.name.split("/")[-1] for w in bn.trainable_weights) == ["beta", "gamma"]


def test_store_creator_renames_reuses_and_registers_regularizers_once():
    reg = sl.regularizers.L2(0.5)
    with sl.scopes.variable_store() as store:
        layers = []
        for reuse in (None, True):
            layer = sl.layers.Dense(2, name="fc", kernel_regularizer=reg)
            layer.variable_creator = store_creator(reuse, {"kernel": "weights", "bias": "biases"})
            layer(np.ones((1, 3), "float32"))
            layers.append(layer)
        assert list(store.variables) == ["fc/weights", "fc/biases"]
        assert layers[0].weights[0] is layers[1].weights[0] is store.variables["fc/weights"]
        assert len(sl.scopes.get_regularization_losses()) == 1
