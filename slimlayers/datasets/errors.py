"""The two ways getting a dataset file can fail: the bytes are wrong, or they never arrived."""
from __future__ import annotations


class DatasetFileError(ValueError):
    """A dataset file that is corrupt, truncated, of the wrong kind or shape, or fails its SHA-256 check."""


class DownloadError(OSError):
    """A download that could not start or did not finish (offline, HTTP error, connection cut, timeout)."""


__all__ = ["DatasetFileError", "DownloadError"]
