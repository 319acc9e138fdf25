"""Read a dataset's arrays from a Keras ``.npz`` or from four IDX files, checked against its ``DatasetSpec``.

Nothing is unpickled: ``.npz`` archives are opened with ``allow_pickle=False``
and IDX files are parsed byte by byte. A file that does not hold exactly the
arrays the spec describes is a ``DatasetFileError`` naming it.

Example:
    >>> import os, tempfile, numpy as np
    >>> from slimlayers.datasets.spec import DatasetSpec, RemoteFile
    >>> spec = DatasetSpec("tiny", (RemoteFile("tiny.npz", "0" * 64),), num_train=2, num_test=1,
    ...                    image_shape=(3, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.npz")
    >>> np.savez(path, **{k: np.zeros(s, np.uint8) for k, s in spec.shapes.items()})
    >>> (x_train, y_train), (x_test, y_test) = read_npz(path, spec)
    >>> x_train.shape, y_test.dtype.name
    ((2, 3, 3), 'uint8')
"""
from __future__ import annotations

import zipfile
import zlib

import numpy as np

from .errors import DatasetFileError
from .idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from .spec import KEYS


def read_npz(path, spec):
    """``(x_train, y_train), (x_test, y_test)`` from a Keras-style ``.npz`` archive at ``path``."""
    with open(path, "rb") as f:
        start = f.read(6)
    if not start.startswith(b"PK"):
        kind = "a single .npy array" if start == b"\x93NUMPY" else "not a zip archive"
        raise DatasetFileError(f"Cannot read {path} as an .npz archive of uint8 arrays: it is {kind}.")
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in KEYS if k not in archive.files]
            if missing:
                raise DatasetFileError(f"Cannot read {path}: it has no array {', '.join(missing)} "
                                       f"(it holds {', '.join(archive.files) or 'nothing'}).")
            arrays = {k: archive[k] for k in KEYS}
    except DatasetFileError:
        raise
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        # a truncated or corrupt archive, a pickle or object array (refused), a broken .npy header
        raise DatasetFileError(f"Cannot read {path} as an .npz archive of uint8 arrays: {err}") from None
    for key, array in arrays.items():
        _check(path, key, array, spec)
    return _split(arrays)


def read_idx_files(paths, spec):
    """``(x_train, y_train), (x_test, y_test)`` from IDX files: ``paths`` maps each key to its file."""
    arrays = {}
    for key in KEYS:
        magic = IMAGES_MAGIC if key.startswith("x") else LABELS_MAGIC
        arrays[key] = read_idx(paths[key], magic, spec.shapes[key])
    return _split(arrays)


def _check(path, key, array, spec):
    expected = spec.shapes[key]
    if array.dtype != np.uint8 or array.shape != expected:
        raise DatasetFileError(f"Cannot read {path}: `{key}` is {array.dtype} of shape {array.shape}, "
                               f"expected uint8 of shape {expected} ({spec.title}).")


def _split(arrays):
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


__all__ = ["read_npz", "read_idx_files"]
