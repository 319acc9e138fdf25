"""Recycled result arrays (slimlayers/nn/_recycle.py): reused only when nothing else can see them."""
import gc

import numpy as np

import slimlayers as sl
from slimlayers.nn import _recycle

SHAPE = (64, 1024)  # 256 KB of float32: pooled


def test_an_array_nobody_holds_is_handed_out_again():
    _recycle.clear()
    a = _recycle.empty(SHAPE, np.float32)
    address = a.ctypes.data
    del a
    assert _recycle.empty(SHAPE, np.float32).ctypes.data == address


def test_held_arrays_views_and_other_shapes_are_never_reused():
    _recycle.clear()
    a = _recycle.empty(SHAPE, np.float32)
    a[...] = 7
    b = _recycle.empty(SHAPE, np.float32)  # a is still held
    assert b.ctypes.data != a.ctypes.data
    view = a[3:]
    address = a.ctypes.data
    del a
    c = _recycle.empty(SHAPE, np.float32)  # a survives through its view
    assert c.ctypes.data != address
    c[...] = 0
    assert np.all(view == 7)
    assert _recycle.empty((32, 1024), np.float32).ctypes.data != address
    assert _recycle.empty(SHAPE, np.float64).ctypes.data != address


def test_small_arrays_are_not_pooled():
    a = _recycle.empty((4, 4), np.float32)
    assert id(a) not in _recycle._pool


def test_the_pool_is_bounded(monkeypatch):
    _recycle.clear()
    monkeypatch.setattr(_recycle, "MAX_BYTES", 4 * 256 * 1024)
    for _ in range(10):
        _recycle.empty(SHAPE, np.float32)  # each dropped at once: recycled or evicted
        _recycle.empty((128, 1024), np.float32)
    assert _recycle._held <= _recycle.MAX_BYTES
    _recycle.clear()


def test_results_kept_by_the_caller_survive_later_steps():
    """Conv outputs and gradients kept across calls are never overwritten by later calls."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 16, 32)).astype(np.float32)
    layer = sl.layers.Conv2D(64, 3, padding="same", activation="relu")
    kept = []
    for step in range(3):
        xv = sl.Variable(x + step)
        with sl.GradientTape() as tape:
            y = layer(xv)
        grads = tape.gradient(y, [xv, layer.kernel])
        kept.append((y.numpy(), y.numpy().copy(), [g.copy() for g in grads], grads))
        gc.collect()
    for y, y_copy, grads_copy, grads in kept:
        np.testing.assert_array_equal(y, y_copy)
        for g, g_copy in zip(grads, grads_copy):
            np.testing.assert_array_equal(g, g_copy)
