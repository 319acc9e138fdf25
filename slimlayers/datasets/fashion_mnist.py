"""Fashion-MNIST, as ``keras.datasets.fashion_mnist.load_data()`` returns it.

60,000 training and 10,000 test 28×28 grey images of 10 kinds of clothing
(labels: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal,
6 shirt, 7 sneaker, 8 bag, 9 ankle boot). The files are the four original IDX
``.gz`` files (copyright Zalando SE, MIT license), found where Keras caches
them (``~/.keras/datasets/fashion-mnist/``), in slimlayers' cache, or
downloaded once (30 MB) with their SHA-256 checked.

Example:
    >>> import slimlayers as sl
    >>> (x_train, y_train), (x_test, y_test) = sl.datasets.fashion_mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, y_train.dtype                                                  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""
from __future__ import annotations

from .loader import load
from .spec import DatasetSpec, RemoteFile

# SHA-256 and sizes published by Keras (keras/src/datasets/fashion_mnist.py, FILE_HASHES) and
# TensorFlow Datasets (tensorflow_datasets/url_checksums/fashion_mnist.txt): the same four files
SPEC = DatasetSpec("Fashion-MNIST", subdir="fashion-mnist", files=(
    RemoteFile("train-labels-idx1-ubyte.gz", "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
               29515),
    RemoteFile("train-images-idx3-ubyte.gz", "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
               26421880),
    RemoteFile("t10k-labels-idx1-ubyte.gz", "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
               5148),
    RemoteFile("t10k-images-idx3-ubyte.gz", "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
               4422102),
))


def load_data(path=None, *, progress=True):
    """Load Fashion-MNIST: ``(x_train, y_train), (x_test, y_test)``, uint8, shapes ``(60000, 28, 28)``,
    ``(60000,)``, ``(10000, 28, 28)``, ``(10000,)`` — as ``keras.datasets.fashion_mnist.load_data()``.

    Args:
        path: None to use Keras' cache, then slimlayers' cache (``~/.slimlayers/datasets/fashion-mnist/``),
            then download there. Or a directory holding the four IDX files
            (``train-images-idx3-ubyte.gz``, ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz``,
            ``t10k-labels-idx1-ubyte.gz``; un-gzipped copies work too), or a Keras-style ``.npz``.
        progress: show a progress bar on stderr while downloading.

    Example:
        >>> (x_train, y_train), _ = sl.datasets.fashion_mnist.load_data()   # doctest: +SKIP
        >>> x = x_train[..., None].astype("float32") / 255                    # doctest: +SKIP
    """
    return load(SPEC, path, progress)


__all__ = ["load_data", "SPEC"]
