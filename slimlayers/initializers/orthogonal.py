"""``Orthogonal``: a (semi-)orthogonal matrix from the QR decomposition of a normal draw (Keras 3).

Example:
    >>> w = Orthogonal(seed=0)((6, 3))
    >>> bool(np.allclose(w.T @ w, np.eye(3), atol=1e-6))
    True
"""
from __future__ import annotations

import math

import numpy as np

from ..validation import check_number
from .base import Initializer


class Orthogonal(Initializer):
    """``gain`` × an orthogonal matrix, reshaped to the weight's shape.

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; QR of a
    normal ``(max, min)`` matrix, columns sign-corrected by ``sign(diag(R))``,
    transposed when rows < cols. Then WᵀW = I (rows ≥ cols) or WWᵀ = I.

    Args:
        gain: multiplicative factor (1.0).  seed: see ``Initializer``.
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = check_number("gain", gain)
        super().__init__(seed)

    def sample(self, shape, rng):
        if len(shape) < 2:
            raise ValueError("The tensor to initialize must be at least two-dimensional. "
                             f"Received: shape={shape} of rank {len(shape)}.")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)
