"""Spatial reshaping: ``UpSampling2D``, ``ZeroPadding2D`` and ``Cropping2D`` (Keras 3 semantics).

``UpSampling2D`` repeats (nearest) or interpolates (bilinear) rows and columns;
``'bilinear'`` is ``tf.image.resize(..., 'bilinear')`` to ``(h*size[0], w*size[1])``
with half-pixel centres and no antialiasing, as Keras 3. ``ZeroPadding2D`` and
``Cropping2D`` add or remove rows/columns at the borders (what PyTorch's symmetric
integer padding becomes around a ``'valid'`` convolution, see ``sl.interop``).

Example:
    >>> x = np.array([[1.0, 2.0]], "float32").reshape(1, 1, 2, 1)
    >>> sl.layers.UpSampling2D((1, 2))(x).numpy().ravel()
    array([1., 1., 2., 2.], dtype=float32)
    >>> sl.layers.ZeroPadding2D((1, 0))(x).numpy()[0, :, :, 0]
    array([[0., 0.],
           [1., 2.],
           [0., 0.]], dtype=float32)
    >>> sl.layers.Cropping2D(((0, 0), (1, 0)))(x).numpy().ravel()
    array([2.], dtype=float32)
"""
from __future__ import annotations

import numbers

from ..autodiff import ops
from ..validation import arg_error, check_int, int_tuple, keras_data_format, to_tf_format
from ..nn.resize import METHODS, resize
from ..nn.layout import join_shape, split_shape
from ..scopes import add_arg_scope
from .input_spec import check_rank
from .base import Layer

__all__ = ["Cropping2D", "UpSampling2D", "ZeroPadding2D"]


@add_arg_scope
class UpSampling2D(Layer):
    """Upsample the spatial axes by integer factors.

    Args:
        size: int or tuple of 2 ints (> 0), the row and column factors.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (repeat) or ``'bilinear'``.
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None, trainable=True,
                 dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.size = int_tuple("size", size)
        self.data_format = keras_data_format(data_format)
        if interpolation not in METHODS:
            raise arg_error("interpolation", f"must be one of {', '.join(map(repr, METHODS))}", interpolation)
        self.interpolation = interpolation

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, c = split_shape(input_shape, self.data_format)
        oh, ow = (None if d is None else d * f for d, f in zip((h, w), self.size))
        return join_shape(n, oh, ow, c, self.data_format)

    def call(self, inputs):
        check_rank(self, inputs.shape, 4)
        _, oh, ow, _ = split_shape(self.compute_output_shape(inputs.shape), self.data_format)
        return resize(inputs, (oh, ow), self.interpolation, data_format=to_tf_format(self.data_format))


def _pairs(name, value):
    """Keras' ``padding``/``cropping`` forms as ``((top, bottom), (left, right))``.

    An int is the same amount on all four sides; a pair of ints ``(h, w)`` is
    symmetric per axis; a pair of pairs is explicit. Every amount is an int >= 0.
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = check_int(name, value, minimum=0)
        return ((v, v), (v, v))
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise arg_error(name, "must be an int, a tuple of 2 ints or a tuple of 2 tuples of 2 ints "
                              "((top, bottom), (left, right))", value,
                        ValueError if isinstance(value, (list, tuple)) else TypeError)
    return tuple(int_tuple(name, axis, minimum=0) for axis in value)


@add_arg_scope
class ZeroPadding2D(Layer):
    """Add rows and columns of zeros around the picture (``keras.layers.ZeroPadding2D``).

    Output size per axis: ``i + before + after``.

    Args:
        padding: int (all four sides), ``(h, w)`` (symmetric per axis) or
            ``((top, bottom), (left, right))``; amounts >= 0.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Example:
        >>> ZeroPadding2D(((1, 0), (0, 2)))(np.ones((1, 2, 2, 1), "float32")).shape
        (1, 3, 4, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.padding = _pairs("padding", padding)
        self.data_format = keras_data_format(data_format)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, c = split_shape(input_shape, self.data_format)
        oh, ow = (None if d is None else d + sum(p) for d, p in zip((h, w), self.padding))
        return join_shape(n, oh, ow, c, self.data_format)

    def call(self, inputs):
        check_rank(self, inputs.shape, 4)
        (top, bottom), (left, right) = self.padding
        pads = join_shape((0, 0), (top, bottom), (left, right), (0, 0), self.data_format)
        return ops.pad(inputs, pads)


@add_arg_scope
class Cropping2D(Layer):
    """Remove rows and columns at the picture's borders (``keras.layers.Cropping2D``).

    Output size per axis: ``i - before - after``, which must stay > 0.

    Args:
        cropping: int (all four sides), ``(h, w)`` (symmetric per axis) or
            ``((top, bottom), (left, right))``; amounts >= 0.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Example:
        >>> Cropping2D(((1, 0), (0, 2)))(np.ones((1, 4, 4, 1), "float32")).shape
        (1, 3, 2, 1)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name=None, trainable=True, dtype=None):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.cropping = _pairs("cropping", cropping)
        self.data_format = keras_data_format(data_format)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, c = split_shape(input_shape, self.data_format)
        for size, crop in zip((h, w), self.cropping):
            if size is not None and sum(crop) >= size:
                raise ValueError(f"Layer {self.name!r}: `cropping` {self.cropping} must leave at least one row "
                                 f"and column of the input; received input shape {tuple(input_shape)}.")
        oh, ow = (None if d is None else d - sum(c) for d, c in zip((h, w), self.cropping))
        return join_shape(n, oh, ow, c, self.data_format)

    def call(self, inputs):
        check_rank(self, inputs.shape, 4)
        _, oh, ow, _ = split_shape(self.compute_output_shape(inputs.shape), self.data_format)
        (top, _), (left, _) = self.cropping
        rows, cols = slice(top, top + oh), slice(left, left + ow)
        index = join_shape(slice(None), rows, cols, slice(None), self.data_format)
        return ops.getitem(inputs, index)
