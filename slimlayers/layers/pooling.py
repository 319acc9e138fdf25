"""``MaxPooling2D`` and ``AveragePooling2D`` (Keras semantics, ``sl.nn`` pooling underneath).

Output length per axis: ``'valid'`` ``floor((i - pool)/stride) + 1``, ``'same'``
``ceil(i/stride)``; SAME pads like a convolution (extra at the bottom/right),
padded cells never win a max, and the average divides by the cells inside
the input only (as TensorFlow).

Example:
    >>> sl.layers.MaxPooling2D()(np.ones((1, 5, 5, 2), "float32")).shape
    (1, 2, 2, 2)
    >>> sl.layers.AveragePooling2D(3, strides=2, padding="same")(np.ones((1, 5, 5, 2), "float32")).shape
    (1, 3, 3, 2)
"""
from __future__ import annotations

from ..validation import int_tuple, keras_data_format, padding_mode, to_tf_format
from ..nn.pooling import avg_pool2d, max_pool2d
from ..nn.layout import join_shape, split_shape
from ..nn.shapes import forward_geometry
from ..scopes import add_arg_scope
from .input_spec import check_rank
from .base import Layer

__all__ = ["AveragePooling2D", "MaxPooling2D"]


class _Pooling2D(Layer):
    _op = None

    def __init__(self, pool_size, strides, padding, data_format, name, trainable, dtype):
        super().__init__(trainable=trainable, name=name, dtype=dtype)
        self.pool_size = int_tuple("pool_size", pool_size)
        self.strides = self.pool_size if strides is None else int_tuple("strides", strides)
        self.padding = padding_mode(padding)
        self.data_format = keras_data_format(data_format)

    def build(self, input_shape):
        self.compute_output_shape(input_shape)  # refuses an empty output, naming this layer
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        check_rank(self, input_shape, 4)
        n, h, w, c = split_shape(input_shape, self.data_format)
        oh, ow = forward_geometry((h, w), self.pool_size, self.strides, (1, 1), self.padding, what="window",
                                  context=f"layer {self.name!r}")[1]
        return join_shape(n, oh, ow, c, self.data_format)

    def call(self, inputs):
        check_rank(self, inputs.shape, 4)
        return self._op(inputs, self.pool_size, self.strides, self.padding.upper(),
                        data_format=to_tf_format(self.data_format))


@add_arg_scope
class MaxPooling2D(_Pooling2D):
    """Maximum over ``pool_size`` windows (``strides`` default to ``pool_size``).

    Args:
        pool_size, strides: int or tuple of 2 ints (> 0); ``strides=None`` means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (any case).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    _op = staticmethod(max_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 trainable=True, dtype=None):
        super().__init__(pool_size, strides, padding, data_format, name, trainable, dtype)


@add_arg_scope
class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows (``'same'``: over the cells inside the input).

    Args:
        pool_size, strides: int or tuple of 2 ints (> 0); ``strides=None`` means ``pool_size``.
        padding: ``'valid'`` or ``'same'`` (any case).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
    """

    _op = staticmethod(avg_pool2d)

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, name=None,
                 trainable=True, dtype=None):
        super().__init__(pool_size, strides, padding, data_format, name, trainable, dtype)
