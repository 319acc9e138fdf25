"""MNIST handwritten digits, as ``keras.datasets.mnist.load_data()`` returns them.

60,000 training and 10,000 test images of the digits 0–9, 28×28 grey levels
0–255. The file is Keras' ``mnist.npz`` (Yann LeCun and Corinna Cortes hold
the copyright; CC BY-SA 3.0): found in Keras' cache, slimlayers' cache, or
downloaded once (11 MB) with its SHA-256 checked.

Example:
    >>> import slimlayers as sl
    >>> (x_train, y_train), (x_test, y_test) = sl.datasets.mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype, y_test.shape                            # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'), (10000,))
"""
from __future__ import annotations

from .loader import load
from .spec import DatasetSpec, RemoteFile

# SHA-256 that Keras publishes for mnist.npz (keras/src/datasets/mnist.py, file_hash)
SPEC = DatasetSpec("MNIST", files=(
    RemoteFile("mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),))


def load_data(path=None, *, progress=True):
    """Load MNIST: ``(x_train, y_train), (x_test, y_test)``, uint8, shapes ``(60000, 28, 28)``, ``(60000,)``,
    ``(10000, 28, 28)``, ``(10000,)`` — the arrays and order of ``keras.datasets.mnist.load_data()``.

    Args:
        path: None to use Keras' cache (``~/.keras/datasets/mnist.npz``), then slimlayers' cache
            (``~/.slimlayers/datasets/mnist.npz``), then download there. Or the path of a Keras-style
            ``mnist.npz``, or of a directory holding the four original IDX ``.gz`` files.
        progress: show a progress bar on stderr while downloading.

    ``SLIMLAYERS_DATASETS_URL`` names a mirror, ``SLIMLAYERS_HOME`` moves the cache
    (``sl.datasets.loader`` describes the search order).

    Example:
        >>> (x_train, y_train), _ = sl.datasets.mnist.load_data()      # doctest: +SKIP
        >>> x = x_train[..., None].astype("float32") / 255               # doctest: +SKIP
    """
    return load(SPEC, path, progress)


__all__ = ["load_data", "SPEC"]
