"""sl.nn.explain_conv_transpose against formulas written here, and the scopes.explain table."""
import itertools

import numpy as np
import pytest

import slimlayers as sl


def keras_transpose_length(i, k, s, padding, d=1, op=None):
    """semantics.md §2.3, written independently of slimlayers.nn.shapes."""
    dk = d * (k - 1) + 1
    if op is None:
        return (i - 1) * s + max(dk, s) if padding == "valid" else i * s
    return (i - 1) * s + dk + op if padding == "valid" else (i - 1) * s + dk % 2 + op


def forward_length(o, k, s, padding, d=1):
    dk = d * (k - 1) + 1
    return (o - dk) // s + 1 if padding == "valid" else -(-o // s)


def test_the_seed_example_4x4_k3_s2(capsys):
    valid = sl.nn.explain_conv_transpose((1, 4, 4, 1), 3, 2, "valid")
    text = capsys.readouterr().out
    assert valid.output_size == (9, 9)
    assert "Output size: 9x9" in text and "(4-1)*2 + max(3, 2) = 9" in text
    same = sl.nn.explain_conv_transpose(4, 3, 2, "SAME")
    text = capsys.readouterr().out
    assert same.output_size == (8, 8) and "o = i*s = 4*2 = 8" in text
    assert str(same) == text.rstrip("\n")
    assert "7..8" in text  # the sizes tf.nn.conv2d_transpose would accept


@pytest.mark.parametrize("i,k,s,padding,op,d", [
    (4, 3, 2, "valid", None, 1), (4, 3, 2, "same", 0, 1), (4, 3, 2, "same", 1, 1), (4, 4, 2, "valid", None, 1),
    (4, 1, 3, "valid", None, 1), (4, 5, 3, "valid", 2, 1), (4, 5, 3, "same", 2, 1), (5, 3, 1, "same", None, 2),
    (4, 2, 3, "same", 1, 1), (7, 4, 3, "valid", None, 1)])
def test_numbers_match_independent_formulas(capsys, i, k, s, padding, op, d):
    info = sl.nn.explain_conv_transpose((i, i + 1), k, s, padding, output_padding=op, dilation=d)
    capsys.readouterr()
    dk = d * (k - 1) + 1
    for axis, length in zip(info.axes, (i, i + 1)):
        o = keras_transpose_length(length, k, s, padding, d, op)
        assert axis.output == o and axis.effective_kernel == dk
        assert axis.full_length == (length - 1) * s + dk
        accepted = [n for n in range(1, 4 * o + 10) if forward_length(n, k, s, padding, d) == length]
        assert axis.accepted == (min(accepted), max(accepted))
        assert axis.in_accepted_range == (o in accepted)
        crop = 0 if padding == "valid" else max((length - 1) * s + dk - o, 0) // 2
        assert axis.crop_before == crop
    assert info.output_size == (keras_transpose_length(i, k, s, padding, d, op),
                                keras_transpose_length(i + 1, k, s, padding, d, op))


def test_sizes_agree_with_the_layer():
    for i, k, s, padding in itertools.product((3, 4), (1, 3, 4), (1, 2, 3), ("same", "valid")):
        info = sl.nn.explain_conv_transpose(i, k, s, padding)
        layer = sl.layers.Conv2DTranspose(1, k, strides=s, padding=padding)
        assert layer(np.zeros((1, i, i, 1), "float32")).shape[1:3] == info.output_size


def test_even_kernel_same_op0_is_flagged_as_outside_tf_range(capsys):
    info = sl.nn.explain_conv_transpose(4, 4, 2, "same", output_padding=0)
    text = capsys.readouterr().out
    assert info.output_size == (6, 6) and not info.axes[0].in_accepted_range
    assert "outside 7..8" in text and "Keras on TensorFlow raises" in text


def test_invalid_arguments_raise_like_the_layer():
    with pytest.raises(ValueError, match="output_padding"):
        sl.nn.explain_conv_transpose(4, 3, 2, "same", output_padding=2)
    with pytest.raises(ValueError, match="padding"):
        sl.nn.explain_conv_transpose(4, 3, 2, "full")
    with pytest.raises(ValueError, match="input_shape"):
        sl.nn.explain_conv_transpose((1, 4, 4), 3, 2, "same")
    with pytest.raises(ValueError, match="dilation_rate"):
        sl.nn.explain_conv_transpose(4, 3, 2, "same", dilation=2)


def test_scopes_explain_table_and_records():
    with sl.scopes.arg_scope([sl.layers.Dense], use_bias=False):
        layer = sl.layers.Dense(3, activation="tanh")
    info = sl.scopes.explain(layer)
    lines = str(info).splitlines()
    assert lines[0] == "sl.layers.Dense"
    assert lines[1].split() == ["argument", "value", "source"]
    rows = {line.split()[0]: line for line in lines[2:]}
    assert rows["units"].split()[1:] == ["3", "explicit"]
    assert rows["use_bias"].split()[1] == "False" and "scope (tests/test_explain.py:" in rows["use_bias"]
    assert rows["kernel_initializer"].split()[1:] == ["'glorot_uniform'", "default"]
    # the value column is aligned
    assert len({line.index(line.split()[1], len(line.split()[0])) for line in lines[2:]}) == 1
    assert [r["name"] for r in info.records][:3] == ["units", "activation", "use_bias"]
    assert info.records[2] == {"name": "use_bias", "value": False, "source": "scope",
                               "origin": info["use_bias"].origin}
    with pytest.raises(TypeError):
        sl.scopes.explain(layer, 1)
