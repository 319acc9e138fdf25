"""Import keras, torch, onnx and onnxruntime only when a conversion needs them.

A plain install of slimlayers stays numpy + numba + safetensors; each
converter asks for its library here, and a missing one gets an ImportError
that names the extra to install.

Example:
    >>> np_module = require("numpy", "test")   # any importable module works the same way
"""
from __future__ import annotations

import importlib

EXTRAS = {"keras": "keras", "torch": "torch", "onnx": "onnx", "onnxruntime": "onnx"}


def require(module, extra=None):
    """``importlib.import_module(module)``, or an ImportError saying ``pip install "slimlayers[extra]"``."""
    extra = extra or EXTRAS.get(module, module)
    try:
        return importlib.import_module(module)
    except ImportError as e:
        missing = getattr(e, "name", None)
        if module == "keras" and missing not in (None, "keras"):
            # keras is there but its backend is not (Keras' default backend is TensorFlow)
            raise ImportError(f"keras could not load its backend ({e}). Install that backend, or choose an "
                              f"installed one before keras is imported, e.g. KERAS_BACKEND=torch.") from e
        raise ImportError(f"This conversion needs {module!r}, an optional dependency of slimlayers: "
                          f'pip install "slimlayers[{extra}]"') from e
