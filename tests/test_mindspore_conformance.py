"""The public MindSpore 2.10 cases (tests/data/conformance-mindspore), replayed as its README's recipe says:
forward and gradients, output and parameter shapes, errors, and initializer statistics."""
import numpy as np
import pytest

import slimlayers as sl
from conformance import MINDSPORE_SET, assert_close, assert_sample_matches, load_cases

CASES = load_cases("mindspore.", MINDSPORE_SET)


def family(*names):
    picked = [(c, a) for c, a in CASES if c["family"] in names]
    return pytest.mark.parametrize("case, arrays", picked, ids=[c["id"] for c, _ in picked])


def layer_class(case):
    return getattr(sl.mindspore, case["api"].rsplit(".", 1)[-1])


def kwargs(case):
    """MindSpore takes ints or tuples: the JSON lists become tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}


def test_every_family_is_replayed():
    counts = {}
    for case, _ in CASES:
        counts[case["family"]] = counts.get(case["family"], 0) + 1
    assert sum(counts.values()) == 160 and len(counts) == 6


@family("mindspore.Conv2d", "mindspore.Conv2dTranspose")
def test_recorded_forward_and_gradients(case, arrays):
    layer = layer_class(case)(**kwargs(case))
    if not layer.built:
        layer.build(arrays["input"].shape)
    has_bias = "bias" in arrays
    layer.set_weights([arrays["weight"], arrays["bias"]] if has_bias else [arrays["weight"]])
    x = sl.Variable(arrays["input"])
    with sl.GradientTape() as tape:
        y = layer(x)
    assert len(layer.trainable_weights) == (2 if has_bias else 1)
    grads = tape.gradient(y, [x] + layer.trainable_weights, output_gradients=arrays["grad_output"])
    assert_close(y, arrays["output"], case["tol"]["output"])
    assert layer.compute_output_shape(arrays["input"].shape) == arrays["output"].shape
    for name, got in zip(["grad_input", "grad_weight", "grad_bias"], grads):
        assert_close(got, arrays[name], case["tol"][name], name=name)


@family("mindspore.shape")
def test_recorded_output_and_parameter_shapes(case, arrays):
    layer = layer_class(case)(**kwargs(case))
    y = layer(np.zeros(case["input_shape"], "float32"))
    assert np.asarray(y).shape == tuple(case["expect_shape"])
    assert [np.asarray(w).shape for w in layer.get_weights()] == [tuple(s) for s in case["weight_shapes"]]


@family("mindspore.Conv2d.error", "mindspore.Conv2dTranspose.error")
def test_recorded_errors(case, arrays):
    with pytest.raises((ValueError, TypeError)):
        layer_class(case)(**kwargs(case))(arrays["input"])


@family("mindspore.init")
def test_recorded_initializer_statistics(case, arrays):
    pooled = {name: [] for name in case["param_shapes"]}
    for seed in case["seeds"]:
        sl.set_seed(seed)
        layer = layer_class(case)(**kwargs(case))
        if not layer.built:
            layer.build(case["input_shape"])
        weights = layer.get_weights()
        assert [w.shape for w in weights] == [tuple(s) for s in case["param_shapes"].values()]
        for name, w in zip(case["param_shapes"], weights):
            assert w.dtype == np.float32 and getattr(layer, name).shape == w.shape
            pooled[name].append(w.ravel())
    for name, values in pooled.items():
        assert_sample_matches(np.concatenate(values), case["expect"][name], name=name)
