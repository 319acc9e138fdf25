"""Download one file over HTTP(S) with a progress bar, check its SHA-256, and move it into place atomically.

The bytes go to a temporary file in the destination's directory; only after
the whole body arrived, its length and SHA-256 matched and it was fsync'ed
does ``os.replace`` give it its final name. A killed process, a dropped
connection or a checksum mismatch therefore never leaves a half-written file
under the final name, and the temporary file is removed on every error.
Standard library only (urllib); proxies come from the usual environment variables.

Example:
    >>> download("https://example.org/mnist.npz", "/tmp/mnist.npz", sha256="…")  # doctest: +SKIP
    mnist.npz: 100%|██████████| 11.0M/11.0M [00:01<00:00, 8.9MB/s]
"""
from __future__ import annotations

import hashlib
import os
import sys

from ..files import atomic_file
from .errors import DatasetFileError, DownloadError

TIMEOUT = 30.0  # seconds a connect or a single read may wait; a stalled server becomes an error
MAX_BYTES = 1 << 30  # bound on a body whose length is neither published nor announced
_CHUNK = 1 << 16


def download(url, dest, sha256, size=None, progress=True, timeout=TIMEOUT):
    """Fetch ``url`` into ``dest`` if its SHA-256 is ``sha256``; returns ``dest``.

    Args:
        url: http(s) address.
        dest: final path; its directory is created if needed.
        sha256: expected SHA-256, lower-case hex.
        size: expected length in bytes, if known (otherwise the server's Content-Length, if any).
        progress: show a tqdm progress bar on stderr (``TQDM_DISABLE=1`` also silences it).
        timeout: seconds for the connection and for each read.

    Raises:
        DownloadError: the server could not be reached, answered with an error, or the transfer stopped early.
        DatasetFileError: the bytes arrived but their SHA-256 is not ``sha256`` (nothing is kept).
    """
    with atomic_file(dest, suffix=".part", make_dirs=True) as out:
        digest = _fetch(url, out, size, progress, timeout)
        if digest != sha256:  # raised inside the block: the partial file is removed, nothing is kept
            raise DatasetFileError(f"The file downloaded from {url} has SHA-256 {digest}, not the published "
                                   f"{sha256}; it was not kept. A corrupt transfer or a mirror serving other "
                                   f"data: try again, or check SLIMLAYERS_DATASETS_URL.")
    return dest


def _fetch(url, out, size, progress, timeout):
    """Stream the body of ``url`` into ``out``; returns its SHA-256 hex digest."""
    # imported here: `import slimlayers.datasets` (which every model imports) stays fast
    import http.client
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as err:
        raise DownloadError(f"{url} answered HTTP {err.code} {err.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        raise DownloadError(f"cannot reach {url}: {getattr(err, 'reason', err)}") from None
    with response:
        announced = response.headers.get("Content-Length")
        announced = int(announced) if announced and announced.isdigit() else None
        if size is not None and announced is not None and announced != size:
            raise DownloadError(f"{url} announces {announced} bytes, but the published file has {size}")
        expected = size if size is not None else announced
        limit = expected if expected is not None else MAX_BYTES
        digest, received = hashlib.sha256(), 0
        bar_options = {} if progress else {"disable": True}  # not passing it lets TQDM_DISABLE decide
        with tqdm(total=expected, desc=os.path.basename(url), unit="B", unit_scale=True, unit_divisor=1024,
                  file=sys.stderr, **bar_options) as bar:
            while True:  # ends: every pass consumes bytes, which are capped by `limit`, or stops
                try:
                    chunk = response.read(_CHUNK)
                except (OSError, http.client.HTTPException) as err:
                    raise DownloadError(f"the transfer from {url} broke off after {received} bytes: "
                                        f"{err or type(err).__name__}") from None
                if not chunk:
                    break
                received += len(chunk)
                if received > limit:
                    raise DownloadError(f"{url} sent more than the expected {limit} bytes")
                digest.update(chunk)
                out.write(chunk)
                bar.update(len(chunk))
    if expected is not None and received != expected:
        raise DownloadError(f"the connection to {url} closed after {received} of {expected} bytes")
    return digest.hexdigest()


def sha256_of(path):
    """SHA-256 (hex) of the file at ``path``, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


__all__ = ["download", "sha256_of", "TIMEOUT"]
