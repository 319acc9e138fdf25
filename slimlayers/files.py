"""Files that appear whole or not at all: a killed process never leaves a half-written file behind.

Used by model saving and dataset downloads (ground floor: standard library only).

Example:
    >>> with atomic_file("/tmp/example.bin") as f:
    ...     _ = f.write(b"all or nothing")
"""
from __future__ import annotations

import contextlib
import os
import tempfile

__all__ = ["atomic_file"]


@contextlib.contextmanager
def atomic_file(path, suffix=".tmp", make_dirs=False):
    """Yield a binary file that becomes ``path`` when the block ends without an error.

    The data goes to a temporary file in the same directory, is fsynced, and ``os.replace``
    gives it its final name (readers see the old file or the complete new one); an error in
    the block removes the temporary file and re-raises. ``make_dirs`` creates the directory.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if make_dirs:
        os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory):
    """Make the rename itself durable; not every platform can open a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
