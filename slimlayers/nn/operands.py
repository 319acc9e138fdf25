"""What every ``sl.nn`` op does first and last: take operands in, allocate results.

Example:
    >>> rank4("input", np.ones((1, 2, 2, 1))).shape
    (1, 2, 2, 1)
"""
from __future__ import annotations

from ..autodiff.tensor import Tensor, as_array
from ..validation import check_allocation
from ._recycle import empty as recycled

__all__ = ["rank4", "tensor", "new_result"]


def tensor(name, value):
    """``value`` (a Tensor, array, number or nested list) as a Tensor; errors name ``name``."""
    return value if isinstance(value, Tensor) else Tensor(as_array(value, name=name))


def rank4(name, value):
    """``value`` as a rank-4 Tensor, or a ValueError naming ``name`` and its shape."""
    t = tensor(name, value)
    if t.ndim != 4:
        raise ValueError(f"Invalid argument `{name}`: must be a rank-4 tensor, not rank {t.ndim}. "
                         f"Received: {name} with shape {t.shape}")
    return t


def new_result(shape, dtype):
    """An uninitialised result array (recycled when possible); refuses impossible sizes before allocating."""
    check_allocation("The result", shape, dtype)
    return recycled(shape, dtype)
