"""Datasets: small ones that need no download, MNIST and Fashion-MNIST as Keras loads them, and batching.

``shapes`` draws filled and outlined circles, squares, triangles and bars at
random positions and scales: enough structure for an autoencoder or a
classifier to learn in seconds. ``digits`` is scikit-learn's bundled 8×8
digits (an optional extra). ``mnist.load_data()`` and
``fashion_mnist.load_data()`` return Keras' arrays, from Keras' cache, an
explicit path, or one verified download (``loader`` tells where they look).

Example:
    >>> import slimlayers as sl
    >>> x, y = sl.datasets.shapes(8, size=16, seed=0)
    >>> x.shape, x.dtype.name, sorted(set(y.tolist())) <= list(range(len(sl.datasets.SHAPE_NAMES)))
    ((8, 16, 16, 1), 'float32', True)
    >>> (x_train, y_train), (x_test, y_test) = sl.datasets.mnist.load_data()   # doctest: +SKIP
"""
from __future__ import annotations

from . import fashion_mnist, mnist
from .batching import BatchIterator, num_samples, take
from .errors import DatasetFileError, DownloadError
from .offline import SHAPE_NAMES, digits, shapes
from .spec import DatasetSpec, RemoteFile

__all__ = ["SHAPE_NAMES", "shapes", "digits", "mnist", "fashion_mnist", "DatasetSpec", "RemoteFile",
           "DatasetFileError", "DownloadError", "BatchIterator", "num_samples", "take"]
