"""Recycled result arrays: ``empty(shape, dtype)`` hands back an earlier array nobody holds any more.

Why: a training step allocates the same few large arrays (conv outputs and
gradients) every time, and fresh memory from the OS costs ~0.1 ms/MB in page
faults: about a quarter of the autoencoder's step. An array is reused only when
the pool's own references are the last ones (CPython reference count), so no
caller, view (``.base``), tape or Tensor can ever see its contents change.
Bounded: at most ``MAX_BYTES`` are kept, least recently used first out.
(A weak reference does not count: an array held only weakly may be reused;
nothing in slimlayers holds results that way.)

Example:
    >>> a = empty((2, 3), np.float32); addr = a.ctypes.data; del a
    >>> empty((2, 3), np.float32).ctypes.data == addr
    True
"""
from __future__ import annotations

import math
import sys
import threading
from collections import OrderedDict

import numpy as np

MAX_BYTES = 256 << 20
MIN_BYTES = 64 << 10  # smaller arrays come from malloc's own free lists without page faults

_lock = threading.Lock()
_pool: OrderedDict = OrderedDict()  # id(array) -> array, least recently handed out first
_held = 0


def empty(shape, dtype):
    """``np.empty(shape, dtype)``, reusing a pooled array of that shape and dtype nobody else holds."""
    global _held
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow, and no numpy call
    if nbytes < MIN_BYTES or nbytes > MAX_BYTES // 4:
        return np.empty(shape, dtype)
    shape = tuple(shape)
    with _lock:
        key = _first_free(shape, dtype)
        if key is not None:
            _pool.move_to_end(key)
            return _pool[key]
        arr = np.empty(shape, dtype)
        _pool[id(arr)] = arr
        _held += nbytes
        while _held > MAX_BYTES:
            key = _first_free()
            if key is None:
                break
            _held -= _pool.pop(key).nbytes
        return arr


def _first_free(shape=None, dtype=None):
    """Key of the least recently used pooled array (of that shape and dtype) only the pool holds."""
    for key, arr in _pool.items():
        if sys.getrefcount(arr) == _FREE_REFS and (shape is None or (arr.shape == shape and arr.dtype == dtype)):
            return key
    return None


def _refs_in_loop(pool):
    for _key, arr in pool.items():  # the same loop shape as _first_free's: same references held
        return sys.getrefcount(arr)


# the reference count an array held only by the pool shows inside _first_free's loop (measured, not
# assumed: it differs between CPython versions)
_FREE_REFS = _refs_in_loop({0: np.empty(0)})


def clear():
    """Forget every pooled array (their memory is freed once nobody else holds them)."""
    global _held
    with _lock:
        _pool.clear()
        _held = 0
