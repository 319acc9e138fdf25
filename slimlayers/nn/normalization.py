"""``moments`` and ``batch_normalization`` with tf.nn semantics (composites of differentiable ops).

Because both are built from recorded primitives, the gradient of a
training-mode batch norm flows through the batch mean and variance too.

Example:
    >>> x = np.array([[1.0], [3.0]], "float32")
    >>> mean, var = sl.nn.moments(x, axes=[0])
    >>> float(mean[0]), float(var[0])
    (2.0, 1.0)
"""
from __future__ import annotations

from ..autodiff import ops
from ..autodiff.tensor import convert

__all__ = ["moments", "batch_normalization"]


def moments(x, axes, keepdims=False, name=None):
    """Mean and biased variance of ``x`` over ``axes`` (two-pass: ``mean((x - mean)**2)``)."""
    x = convert(x)
    axes = tuple(int(a) % x.ndim for a in ([axes] if isinstance(axes, int) else axes))
    mean = ops.mean(x, axis=axes, keepdims=True)
    # The variance's gradient through the mean is exactly zero (the deviations
    # sum to 0), so stopping it, as TF does, changes nothing but saves work.
    variance = ops.mean(ops.square(x - ops.stop_gradient(mean)), axis=axes, keepdims=True)
    if not keepdims:
        shape = tuple(n for i, n in enumerate(x.shape) if i not in axes)
        mean, variance = ops.reshape(mean, shape), ops.reshape(variance, shape)
    return mean, variance


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """``(x - mean) / sqrt(variance + eps) * scale + offset`` (``offset``/``scale`` may be None).

    Computed as TF does: ``inv = rsqrt(variance + eps) * scale``, ``x * inv + (offset - mean * inv)``.
    """
    x = convert(x)
    inv = 1.0 / ops.sqrt(convert(variance, x.dtype) + variance_epsilon)
    if scale is not None:
        inv = inv * scale
    shift = -(convert(mean, x.dtype) * inv)
    if offset is not None:
        shift = offset + shift
    return x * inv + shift
