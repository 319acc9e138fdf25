"""``UpSampling2D``: repeat (nearest) or interpolate (bilinear) rows and columns.

``'bilinear'`` is ``tf.image.resize(..., 'bilinear')`` to ``(h*size[0], w*size[1])``
with half-pixel centres and no antialiasing, as Keras 3.

Example:
    >>> x = np.array([[1.0, 2.0]], "float32").reshape(1, 1, 2, 1)
    >>> sl.layers.UpSampling2D((1, 2))(x).numpy().ravel()
    array([1., 1., 2., 2.], dtype=float32)
"""
from __future__ import annotations

from ..validation import arg_error, int_tuple, keras_data_format, to_tf_format
from ..nn.resize import METHODS, resize
from ..nn.layout import join_shape, split_shape
from ..scopes import add_arg_scope
from .input_spec import check_rank
from .base import Layer

__all__ = ["UpSampling2D"]


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
