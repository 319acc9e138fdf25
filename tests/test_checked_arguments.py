"""The memo of checked op arguments (``validation.cache_key`` / ``CheckedArguments``) never changes
what a call does: a bad argument after a good one that equals it is still refused, errors are
never remembered, and results equal the naive reference on every call."""
import numpy as np
import pytest

import slimlayers as sl
from slimlayers import validation
from slimlayers.validation import CheckedArguments, cache_key

from naive import naive_conv2d


def test_cache_key_keeps_types_the_checks_refuse_apart():
    assert cache_key(1) != cache_key(True)
    assert cache_key((1, 1)) != cache_key((True, 1))
    assert cache_key([2, 2], "SAME") == cache_key((2, 2), "SAME")
    assert cache_key(1.0) is None and cache_key(np.int64(1)) is None and cache_key(np.array([1, 1])) is None
    assert cache_key([[0, 0], [1.5, 1]]) is None
    hash(cache_key("NHWC", None, ((0, 0), (1, 1)), np.dtype("float32")))


def test_memo_stores_results_not_errors():
    calls = []

    def check(v):
        calls.append(v)
        if v < 0:
            raise ValueError("negative")
        return v * 2

    memo = CheckedArguments(size=2)
    assert memo.get(cache_key(3), check, 3) == 6 and memo.get(cache_key(3), check, 3) == 6
    assert calls == [3]
    for _ in range(2):
        with pytest.raises(ValueError):
            memo.get(cache_key(-1), check, -1)
    assert calls == [3, -1, -1]
    memo.get(cache_key(4), check, 4)
    memo.get(cache_key(5), check, 5)  # full: starts over, still correct
    assert memo.get(cache_key(3), check, 3) == 6 and calls[-1] == 3


@pytest.mark.parametrize("bad, error", [(True, TypeError), ((1, True), TypeError), (0, ValueError),
                                         ([1, 1, 1], ValueError), (1.5, ValueError)])
def test_a_bad_stride_after_an_equal_good_one_is_still_refused(bad, error):
    x = np.ones((1, 5, 5, 2), np.float32)
    w = np.ones((3, 3, 2, 3), np.float32)
    sl.nn.conv2d(x, w, 1, "SAME")
    sl.nn.conv2d_transpose(x, np.ones((3, 3, 3, 2), np.float32), [1, 5, 5, 3], 1, "SAME")
    with pytest.raises(error, match="strides"):
        sl.nn.conv2d(x, w, bad, "SAME")
    with pytest.raises(error, match="strides"):
        sl.nn.conv2d_transpose(x, np.ones((3, 3, 3, 2), np.float32), [1, 5, 5, 3], bad, "SAME")


def _same(i, k, s):
    total = max((-(-i // s) - 1) * s + k - i, 0)
    return total // 2, total - total // 2


def test_repeated_calls_with_new_shapes_match_the_naive_conv():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 3, 2, 4)).astype(np.float32)
    for h in (5, 6, 5, 7, 6):
        x = rng.standard_normal((2, h, h + 1, 2)).astype(np.float32)
        for strides, padding in ((1, "SAME"), ([2, 2], "VALID"), ((1, 2), [[0, 0], [1, 0], [0, 2], [0, 0]])):
            s = (strides, strides) if isinstance(strides, int) else tuple(strides)
            if padding == "SAME":
                pads = (_same(h, 3, s[0]), _same(h + 1, 3, s[1]))
            elif padding == "VALID":
                pads = ((0, 0), (0, 0))
            else:
                pads = (tuple(padding[1]), tuple(padding[2]))
            got = sl.nn.conv2d(x, w, strides, padding).numpy()
            np.testing.assert_allclose(got, naive_conv2d(x, w, s, pads, (1, 1), 1), rtol=1e-5, atol=1e-5)


def test_an_output_shape_tensor_or_array_is_checked_every_time():
    x = np.ones((1, 4, 4, 1), np.float32)
    w = np.ones((3, 3, 1, 1), np.float32)
    for shape in (np.array([1, 8, 8, 1]), sl.constant(np.array([1, 8, 8, 1])), [1, 8, 8, 1]):
        assert sl.nn.conv2d_transpose(x, w, shape, 2, "SAME").shape == (1, 8, 8, 1)
    with pytest.raises(ValueError, match="output_shape"):
        sl.nn.conv2d_transpose(x, w, np.array([1, 10, 8, 1]), 2, "SAME")


def test_a_lowered_allocation_limit_applies_to_a_call_seen_before(monkeypatch):
    x = np.ones((2, 8, 8, 1), np.float32)
    w = np.ones((3, 3, 1, 4), np.float32)
    sl.nn.conv2d(x, w, 1, "SAME")
    monkeypatch.setattr(validation, "MAX_ARRAY_BYTES", 1000)
    with pytest.raises(ValueError, match="MAX_ARRAY_BYTES"):
        sl.nn.conv2d(x, w, 1, "SAME")
