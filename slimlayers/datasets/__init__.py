"""Datasets: small ones that need no download, readers for IDX and .npz image files, and batching.

``shapes`` draws filled and outlined circles, squares, triangles and bars at
random positions and scales: enough structure for an autoencoder or a
classifier to learn in seconds. ``digits`` is scikit-learn's bundled 8×8
digits (an optional extra). ``spec``, ``idx`` and ``files`` describe and
read image datasets published as a Keras ``.npz`` or as IDX files.

Example:
    >>> import slimlayers as sl
    >>> x, y = sl.datasets.shapes(8, size=16, seed=0)
    >>> x.shape, x.dtype.name, sorted(set(y.tolist())) <= list(range(len(sl.datasets.SHAPE_NAMES)))
    ((8, 16, 16, 1), 'float32', True)
"""
from __future__ import annotations

from .batching import BatchIterator, num_samples, take
from .errors import DatasetFileError
from .offline import SHAPE_NAMES, digits, shapes
from .spec import DatasetSpec, RemoteFile

__all__ = ["SHAPE_NAMES", "shapes", "digits", "DatasetSpec", "RemoteFile", "DatasetFileError",
           "BatchIterator", "num_samples", "take"]
