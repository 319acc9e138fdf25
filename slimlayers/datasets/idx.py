"""IDX files, the format of the original MNIST and Fashion-MNIST files, read with every length checked.

An IDX file is a 4-byte magic number (two zero bytes, a dtype code, the
number of dimensions), one big-endian uint32 per dimension, then the values
in C order. MNIST's images are ``0x00000803`` (unsigned bytes, 3 dimensions:
count, rows, columns) and its labels ``0x00000801``. Files may be gzipped
(detected from their first bytes, not their name).

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(bytes([0, 0, 0x08, 1, 0, 0, 0, 3, 7, 2, 1]))
    >>> read_idx(path, LABELS_MAGIC, shape=(3,))
    array([7, 2, 1], dtype=uint8)
"""
from __future__ import annotations

import gzip
import math
import zlib

import numpy as np

from ..validation import MAX_ARRAY_BYTES
from .errors import DatasetFileError

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
_DTYPE_NAMES = {0x08: "unsigned byte", 0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32",
                0x0E: "float64"}
_GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path, magic, shape=None):
    """The uint8 array stored in the IDX file ``path`` (gzipped or not).

    Args:
        path: the file.
        magic: the magic number the file must start with (``IMAGES_MAGIC`` or ``LABELS_MAGIC``).
        shape: the dimensions the header must declare, or None to accept any (up to
            ``slimlayers.validation.MAX_ARRAY_BYTES``).

    Raises ``DatasetFileError`` (a ``ValueError``) naming the file for a wrong
    magic number or shape, a truncated file, trailing bytes, or broken gzip data.
    """
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == _GZIP_MAGIC
    opener = gzip.open if gzipped else open
    try:
        with opener(path, "rb") as f:
            dims = _read_header(f, path, magic, shape)
            data = _read_exactly(f, path, math.prod(dims), "values")
            if f.read(1):
                raise _error(path, f"bytes follow the {math.prod(dims)} values that its header declares")
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        # gzip notices truncation, a bad CRC or a corrupt deflate stream only while reading
        raise _error(path, f"its gzip data is truncated or corrupt ({err})") from None
    return np.frombuffer(data, np.uint8).reshape(dims)


def _read_header(f, path, magic, shape):
    """The dimensions declared by the header, checked against ``magic`` and ``shape``."""
    head = _read_exactly(f, path, 4, "magic number")
    found = int.from_bytes(head, "big")
    if found != magic:
        raise _error(path, f"its magic number is 0x{found:08X} ({_describe(head)}), "
                           f"not 0x{magic:08X} ({_describe(magic.to_bytes(4, 'big'))})")
    ndim = head[3]
    sizes = _read_exactly(f, path, 4 * ndim, "dimensions")
    dims = tuple(int.from_bytes(sizes[4 * i:4 * i + 4], "big") for i in range(ndim))
    if shape is not None and dims != tuple(shape):
        raise _error(path, f"its header declares shape {dims}, expected {tuple(shape)}")
    if math.prod(dims) > MAX_ARRAY_BYTES:  # a corrupt header must not make us allocate gigabytes
        raise _error(path, f"its header declares shape {dims}, more than "
                           f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB of values")
    return dims


def _read_exactly(f, path, n, what):
    """``n`` bytes from ``f`` in a writable buffer; a short read means the file was cut off."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:  # ends: every pass reads at least one byte or stops
        k = f.readinto(view[got:])
        if not k:
            raise _error(path, f"it is truncated: {got} of {n} bytes of {what} present")
        got += k
    return buf


def _describe(magic_bytes):
    zero, code, ndim = magic_bytes[:2], magic_bytes[2], magic_bytes[3]
    if zero != b"\x00\x00" or code not in _DTYPE_NAMES:
        return "not an IDX file"
    return f"{_DTYPE_NAMES[code]}, {ndim} dimension{'s' if ndim != 1 else ''}"


def _error(path, problem):
    return DatasetFileError(f"Cannot read IDX file {path}: {problem}.")


__all__ = ["IMAGES_MAGIC", "LABELS_MAGIC", "read_idx"]
