"""An impossible output size is refused where it first becomes known — eagerly and symbolically alike.

Keras raises ``ValueError: Computed output size would be zero or negative`` when a conv
or pooling layer is built on a shape that leaves nothing to compute; the symbolic path
(``Input`` → layer → ``Model``) must refuse exactly what the eager path refuses, naming
the layer, the axis and the sizes.
"""
import numpy as np
import pytest

import slimlayers as sl
from slimlayers.nn.shapes import check_output_padding, zero_padded_transpose_geometry

L = sl.layers

EMPTY_CASES = [  # layer, input shape (no batch), axis named in the message
    (lambda: L.Conv2D(1, kernel_size=2, dilation_rate=10, name="dil"), (10, 10, 3), "height"),
    (lambda: L.Conv2D(1, 5, name="big"), (3, 3, 3), "height"),
    (lambda: L.Conv2D(1, (1, 5), name="wide"), (8, 3, 3), "width"),
    (lambda: L.Conv2D(1, 3, data_format="channels_first", name="cf"), (2, 8, 2), "width"),
    (lambda: L.MaxPooling2D(5, name="pool"), (3, 3, 1), "height"),
    (lambda: L.AveragePooling2D((1, 4), name="apool"), (3, 3, 1), "width"),
    # 'same' with an even kernel, output_padding=0 and one input row: (1-1)*1 + 2 % 2 + 0 = 0
    (lambda: L.Conv2DTranspose(1, 2, padding="same", output_padding=0, name="tr"), (1, 1, 1), "height"),
]


@pytest.mark.parametrize("make, shape, axis", EMPTY_CASES)
def test_symbolic_call_refuses_an_empty_output(make, shape, axis):
    layer = make()
    with pytest.raises(ValueError, match=f"zero or negative in layer '{layer.name}': output {axis}"):
        layer(sl.layers.Input(shape))


@pytest.mark.parametrize("make, shape, axis", EMPTY_CASES)
def test_compute_output_shape_refuses_an_empty_output(make, shape, axis):
    layer = make()
    with pytest.raises(ValueError, match=f"zero or negative in layer '{layer.name}': output {axis}"):
        layer.compute_output_shape((None, *shape))


@pytest.mark.parametrize("make, shape, axis", EMPTY_CASES)
def test_eager_call_refuses_the_same_shapes(make, shape, axis):
    with pytest.raises(ValueError, match=f"zero or negative .*output {axis}"):
        make()(np.ones((2, *shape), "float32"))


def test_model_building_fails_before_predict():
    x = sl.layers.Input((10, 10, 3))
    with pytest.raises(ValueError, match="dilation 10"):
        sl.models.Model(x, sl.layers.Conv2D(1, kernel_size=2, dilation_rate=10)(x))


def test_message_names_the_sizes():
    with pytest.raises(ValueError) as info:
        L.Conv2D(1, 5, padding="valid", name="c").compute_output_shape((None, 3, 3, 3))
    text = str(info.value)
    # the effective kernel, the padded input and its parts: what the user needs to fix it
    assert "kernel height 5" in text and "padded input height 3 (input 3, padding 0+0)" in text


def test_unknown_sizes_stay_unknown_and_one_by_one_outputs_pass():
    assert L.Conv2D(4, 3).compute_output_shape((None, None, 5, 2)) == (None, None, 3, 4)
    assert L.Conv2D(1, 3).compute_output_shape((None, 3, 3, 1)) == (None, 1, 1, 1)
    assert L.MaxPooling2D(3).compute_output_shape((None, 3, 7, 1)) == (None, 1, 2, 1)
    assert L.Conv2DTranspose(1, 2, strides=2, padding="same").compute_output_shape((None, 1, 1, 1)) == (None, 2, 2, 1)


# -- the PyTorch/MindSpore output_padding rule and MindSpore's appended-zeros sizes ----------------------------
def test_output_padding_bound_is_max_of_stride_and_dilation_when_dilations_are_given():
    assert check_output_padding((1, 0), (1, 1), dilations=(2, 1)) == (1, 0)
    assert check_output_padding((2, 1), (3, 1), dilations=(1, 2)) == (2, 1)
    with pytest.raises(ValueError, match=r"less than max\(stride, dilation\).*dimension 1, output_padding is 1 but "
                                         r"max\(stride, dilation\) is 1"):
        check_output_padding(1, (1, 1), dilations=(2, 1))
    with pytest.raises(ValueError, match="strictly less than `strides`"):  # Keras' rule is unchanged
        check_output_padding((1, 0), (1, 1))
    with pytest.raises(ValueError, match="must be >= 0"):
        check_output_padding((0, -1), (2, 2), dilations=(1, 1))


def test_zero_padded_transpose_sizes_allow_an_empty_convolution_but_not_an_empty_result():
    # width: (4-1)*2 + 3 - 1 - 1 = 7 conv columns, + 1 appended; height: (1-1)*1 + 1 - 0 - 0 = 1, + 1
    assert zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (1, 1), ((0, 0), (1, 1)), (1, 1)) == \
        ((1, 7), (2, 8))
    # height: the transposed conv is empty ((1-1)*1 + 1 - 1 - 0 = 0): only the appended zero row remains
    assert zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (4, 1), ((1, 0), (0, 0)), (1, 0)) == \
        ((0, 9), (1, 9))
    assert zero_padded_transpose_geometry((None, 4), (1, 3), (1, 2), (1, 1), "same", (0, 0)) == ((None, 8), (None, 8))
    with pytest.raises(ValueError, match="zero in layer 'x': output height 0"):
        zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (4, 1), ((1, 0), (0, 0)), (0, 0), context="layer 'x'")
    with pytest.raises(ValueError, match="negative: output height -1"):
        zero_padded_transpose_geometry((1, 4), (1, 3), (1, 2), (4, 1), ((2, 0), (0, 0)), (2, 0))


def test_fused_transpose_returns_an_empty_result_with_zero_gradients_only_when_asked():
    x = sl.Variable(np.ones((1, 3, 1, 1), "float32"))
    w = sl.Variable(np.ones((1, 1, 1, 1), "float32"))
    b = sl.Variable(np.ones(1, "float32"))
    pads = [[0, 0], [0, 0], [1, 0], [0, 0]]  # width (1-1)*1 + 1 - 1 = 0
    with pytest.raises(ValueError, match="zero or negative"):
        sl.nn.fused_conv2d_transpose(x, w, b, padding=pads)
    with sl.GradientTape() as tape:
        y = sl.nn.fused_conv2d_transpose(x, w, b, padding=pads, allow_empty=True)
    assert y.shape == (1, 3, 0, 1)
    gx, gw, gb = tape.gradient(y, [x, w, b])
    assert gx.shape == (1, 3, 1, 1) and not gx.any() and not gw.any() and not gb.any()
