"""The one registry pattern: every registry rejects a config argument its class does not take in the same way."""
import pytest

import slimlayers as sl

# (module, kind, a class name registered there, its constructor arguments)
REGISTRIES = [
    (sl.initializers, "initializer", "GlorotUniform", "seed"),
    (sl.regularizers, "regularizer", "L1L2", "l1, l2"),
    (sl.losses, "loss", "MeanSquaredError", "reduction, name"),
    (sl.optimizers, "optimizer", "SGD", "learning_rate, momentum, nesterov, weight_decay, clipnorm, clipvalue, "
                                        "global_clipnorm, name"),
]


@pytest.mark.parametrize("module,kind,name,arguments", REGISTRIES, ids=[r[1] for r in REGISTRIES])
def test_unknown_config_argument(module, kind, name, arguments):
    config = {"class_name": name, "config": {"bogus_arg": 1}}
    message = (f"Invalid argument `config`: {kind} '{name}' has no argument 'bogus_arg' (its arguments: "
               f"{arguments}). Received: config={{'bogus_arg': 1}}")
    for resolve in (module.get, module.deserialize):
        with pytest.raises(TypeError) as info:
            resolve(config)
        assert str(info.value) == message


@pytest.mark.parametrize("module,kind,name,arguments", REGISTRIES, ids=[r[1] for r in REGISTRIES])
def test_known_arguments_still_load(module, kind, name, arguments):
    obj = module.get({"class_name": name, "config": {}})
    assert type(obj).__name__ == name
    again = module.deserialize(module.serialize(obj))
    assert again.get_config() == obj.get_config()


def test_function_entries_take_no_config():
    with pytest.raises(ValueError, match="activation 'relu' takes no config"):
        sl.activations.get({"class_name": "relu", "config": {"bogus_arg": 1}})
    assert sl.activations.get({"class_name": "relu", "config": {}}) is sl.activations.relu


@pytest.mark.parametrize("module, cls", [(sl.initializers, sl.initializers.GlorotUniform),
                                         (sl.regularizers, sl.regularizers.L2),
                                         (sl.optimizers, sl.optimizers.Adam)])
def test_a_class_gives_a_new_instance_as_keras(module, cls):
    # keras.initializers.get: "In the case that the identifier is a class, this method will return a new
    # instance of the class by its constructor."
    obj = module.get(cls)
    assert type(obj) is cls and obj.get_config() == cls().get_config()
    layer = sl.layers.Dense(2, kernel_initializer=sl.initializers.Ones)
    layer.build((None, 3))
    assert (layer.kernel.numpy() == 1).all()
