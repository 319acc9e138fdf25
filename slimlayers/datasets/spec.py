"""What a downloadable image dataset is: its files, their published SHA-256, and the arrays they hold.

``mnist.SPEC`` and ``fashion_mnist.SPEC`` are instances; a test (or an
IDX-format dataset such as Kuzushiji-MNIST) describes its own files the same way.

Example:
    >>> tiny = DatasetSpec("tiny", files=(RemoteFile("tiny.npz", "0" * 64),),
    ...                    num_train=5, num_test=3, image_shape=(4, 4))
    >>> tiny.shapes["x_test"], tiny.is_npz
    ((3, 4, 4), True)
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ..validation import arg_error, check_int

KERAS_BASE_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

# the arrays, in the order load_data returns them, and their names in the original IDX release
KEYS = ("x_train", "y_train", "x_test", "y_test")
IDX_NAMES = {"x_train": "train-images-idx3-ubyte.gz", "y_train": "train-labels-idx1-ubyte.gz",
             "x_test": "t10k-images-idx3-ubyte.gz", "y_test": "t10k-labels-idx1-ubyte.gz"}


@dataclass(frozen=True)
class RemoteFile:
    """One published file: its name (on the server and in the caches) and SHA-256 (lower-case hex).

    ``size`` is its length in bytes when published; it bounds the download.
    """

    name: str
    sha256: str
    size: int | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or "/" in self.name or self.name.startswith("."):
            raise arg_error("name", "must be a plain file name", self.name)
        if not isinstance(self.sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", self.sha256):
            raise arg_error("sha256", "must be 64 lower-case hex digits", self.sha256)
        if self.size is not None:
            check_int("size", self.size, 1)


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset of uint8 grey images with uint8 labels, stored as one Keras-style ``.npz`` or four IDX files.

    Args:
        title: name used in messages ("MNIST").
        files: one ``RemoteFile`` ending in ``.npz`` (keys ``x_train, y_train, x_test, y_test``), or the four
            IDX files named as in ``IDX_NAMES``.
        subdir: folder under ``datasets/`` in the Keras and slimlayers caches ("" or "fashion-mnist").
        num_train, num_test: number of images in each split.
        image_shape: ``(rows, cols)``.
        base_url: where the files are published; the ``SLIMLAYERS_DATASETS_URL`` environment variable
            replaces it (a mirror).
    """

    title: str
    files: tuple
    subdir: str = ""
    num_train: int = 60000
    num_test: int = 10000
    image_shape: tuple = (28, 28)
    base_url: str = KERAS_BASE_URL

    def __post_init__(self):
        object.__setattr__(self, "files", tuple(self.files))  # frozen: a list passed in must not change later
        names = sorted(f.name for f in self.files)
        if not (len(names) == 1 and names[0].endswith(".npz")) and names != sorted(IDX_NAMES.values()):
            raise arg_error("files", f"must be one .npz file or the four IDX files {sorted(IDX_NAMES.values())}",
                            names)
        check_int("num_train", self.num_train, 0)
        check_int("num_test", self.num_test, 0)
        if len(self.image_shape) != 2:
            raise arg_error("image_shape", "must be (rows, cols)", self.image_shape)
        object.__setattr__(self, "image_shape", tuple(check_int("image_shape", n, 1) for n in self.image_shape))

    @property
    def is_npz(self):
        return len(self.files) == 1

    @property
    def shapes(self):
        """The shape of each array, by key."""
        rows, cols = self.image_shape
        return {"x_train": (self.num_train, rows, cols), "y_train": (self.num_train,),
                "x_test": (self.num_test, rows, cols), "y_test": (self.num_test,)}


__all__ = ["DatasetSpec", "RemoteFile", "KEYS", "IDX_NAMES", "KERAS_BASE_URL"]
