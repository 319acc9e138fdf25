"""Malformed arguments get a ValueError/TypeError that names the argument — never numpy's, Numba's or
Python's own error from deep inside (OverflowError, "can't convert complex to float", a ragged-array
message that names nothing)."""
import numpy as np
import pytest

import slimlayers as sl

X = np.ones((1, 6, 6, 2), "float32")
W = np.ones((3, 3, 2, 2), "float32")


def _calls(name, value):
    """Every public entry point that takes strides/dilations, with one argument set to ``value``."""
    nn_name = {"strides": "strides", "dilations": "dilations"}[name]
    keras_name = {"strides": "strides", "dilations": "dilation_rate"}[name]
    slim_name = {"strides": "stride", "dilations": "rate"}[name]
    return [
        (nn_name, lambda: sl.nn.conv2d(X, W, **{"strides": 1, nn_name: value}, padding="SAME")),
        (nn_name, lambda: sl.nn.conv2d_transpose(X, W, [1, 6, 6, 2], **{"strides": 1, nn_name: value},
                                                 padding="SAME")),
        (keras_name, lambda: sl.layers.Conv2D(2, 3, **{keras_name: value})),
        (keras_name, lambda: sl.layers.Conv2DTranspose(2, 3, **{keras_name: value})),
        (slim_name, lambda: sl.slim.conv2d(X, 2, 3, **{slim_name: value})),
    ]


@pytest.mark.parametrize("name", ["strides", "dilations"])
def test_complex_values_are_a_type_error_naming_the_argument(name):
    for arg, call in _calls(name, 1 + 2j):
        with sl.scopes.variable_store(), pytest.raises(TypeError, match=f"`{arg}`: must be an integer"):
            call()


@pytest.mark.parametrize("name", ["strides", "dilations"])
@pytest.mark.parametrize("value", [10**30, [1, 10**19], 2**31])
def test_huge_values_are_a_value_error_naming_the_argument(name, value):
    for arg, call in _calls(name, value):
        with sl.scopes.variable_store(), pytest.raises(ValueError, match=f"`{arg}`: must be at most 2147483647"):
            call()


def test_largest_allowed_stride_still_runs():
    # 2**31 - 1 is accepted: a 1x1 output of the first pixel
    y = sl.nn.conv2d(X, np.ones((1, 1, 2, 1), "float32"), 2**31 - 1, "VALID")
    assert y.shape == (1, 1, 1, 1) and float(y.numpy().ravel()[0]) == 2.0


@pytest.mark.parametrize("call", [
    lambda v: sl.nn.conv2d(v, W, 1, "SAME"),
    lambda v: sl.layers.Conv2D(2, 1)(v),
    lambda v: sl.nn.relu(v),
])
def test_ragged_nested_list_is_a_value_error_naming_the_input(call):
    ragged = [[[[1.0, 2.0]], [[3.0]]]]
    with pytest.raises(ValueError, match=r"Invalid argument `(input|inputs|x)`: a nested list must be rectangular"):
        call(ragged)
