"""Mini-batches over in-memory arrays: ``BatchIterator`` and the two helpers ``fit`` shares with it.

Example:
    >>> import numpy as np
    >>> num_samples([np.zeros((3, 2)), np.zeros(3)])
    3
    >>> take([np.arange(4), np.arange(4) * 10], [3, 0])
    [array([3, 0]), array([30,  0])]
"""
from __future__ import annotations

import numpy as np

from .. import random as sl_random
from ..validation import check_int


class BatchIterator:
    """Iterate over ``(x, y)`` in mini-batches; reshuffled every epoch when ``shuffle`` is true.

    Args:
        x: array (or list of arrays) with samples along axis 0.
        y: matching targets, or None.
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: draw a new permutation each time iteration starts.
        seed: int, Generator, or None for the ``sl.set_seed`` stream ``"datasets/batches"``.

    Example:
        >>> it = BatchIterator(np.arange(5), np.arange(5), batch_size=2, shuffle=False)
        >>> [b[0].tolist() for b in it]
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, x, y=None, batch_size=32, shuffle=True, seed=None):
        self.x = x
        self.y = y
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.shuffle = bool(shuffle)
        self.num_samples = num_samples(x)
        if y is not None and num_samples(y) != self.num_samples:
            raise ValueError(f"x and y must have the same number of samples; received {self.num_samples} "
                             f"and {num_samples(y)}.")
        self._rng = sl_random.resolve(seed, "datasets/batches") if self.shuffle else None

    def __len__(self):
        return -(-self.num_samples // self.batch_size)

    def __iter__(self):
        n = self.num_samples
        order = self._rng.permutation(n) if self.shuffle else None
        for start in range(0, n, self.batch_size):
            idx = order[start:start + self.batch_size] if order is not None else slice(start, start + self.batch_size)
            xb = take(self.x, idx)
            yield (xb, take(self.y, idx)) if self.y is not None else (xb,)


def num_samples(data):
    """Length along axis 0 of an array, or the common length of a list/tuple of arrays."""
    if isinstance(data, (list, tuple)):
        counts = {len(a) for a in data}
        if len(counts) != 1:
            raise ValueError(f"All input arrays must have the same number of samples; received {sorted(counts)}.")
        return counts.pop()
    return len(data)


def take(data, idx):
    """``data[idx]`` for an array, or that of each array in a list/tuple; None stays None."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return [np.asarray(a)[idx] for a in data]
    return np.asarray(data)[idx]


__all__ = ["BatchIterator", "num_samples", "take"]
