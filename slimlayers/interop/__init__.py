"""Models in and out: Keras, PyTorch and ONNX (``sl.interop``).

* ``to_keras(model)`` / ``from_keras(keras_model)`` — same architecture, weights and predictions.
* ``to_torch(model)`` — a ``torch.nn.Module`` in the model's own data format;
  ``from_torch(module, input_shape)`` — a model from an ``nn.Sequential`` (NCHW).
* ``to_onnx(model, path, opset=17)`` — an ONNX file that onnxruntime runs.

keras, torch, onnx and onnxruntime are optional: each is imported when a
function needs it (``pip install "slimlayers[keras]"``, ``[torch]``, ``[onnx]``).
Whatever a target cannot hold with the same weights raises ``ValueError``
naming the layer; nothing is approximated.

Example:
    >>> model = sl.models.Sequential([sl.layers.Input((8, 8, 1)), sl.layers.Conv2D(4, 3, padding="same")])
    >>> module = sl.interop.to_torch(model)          # needs torch
"""
from .keras_convert import from_keras, to_keras
from .onnx_export import to_onnx
from .torch_export import to_torch
from .torch_import import from_torch

__all__ = ["from_keras", "from_torch", "to_keras", "to_onnx", "to_torch"]
