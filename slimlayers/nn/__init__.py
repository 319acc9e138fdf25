"""tf.nn-style ops: convolutions, bias_add, activations, and the shape arithmetic behind them."""
from .activations import (elu, exponential, gelu, hard_sigmoid, hard_silu, hard_swish, leaky_relu, linear, mish,
                          relu, relu6, selu, sigmoid, silu, softmax, softplus, softsign, swish, tanh)
from .conv import bias_add, conv2d, conv2d_transpose, fused_conv2d, fused_conv2d_transpose
from .shapes import conv_output_length, conv_transpose_output_length
from .dropout import dropout
from .normalization import batch_normalization, moments
from .pooling import avg_pool2d, max_pool2d
from .resize import resize


def __getattr__(name):
    if name == "explain_conv_transpose":
        from .explain import explain_conv_transpose
        return explain_conv_transpose
    raise AttributeError(f"module 'slimlayers.nn' has no attribute {name!r}")


__all__ = ["bias_add", "conv2d", "conv2d_transpose", "fused_conv2d", "fused_conv2d_transpose",
           "conv_output_length", "conv_transpose_output_length",
           "dropout", "batch_normalization", "moments", "max_pool2d", "avg_pool2d", "resize",
           "elu", "exponential", "gelu", "hard_sigmoid", "hard_silu", "hard_swish", "leaky_relu", "linear", "mish",
           "relu", "relu6", "selu", "sigmoid", "silu", "softmax", "softplus", "softsign", "swish", "tanh"]
