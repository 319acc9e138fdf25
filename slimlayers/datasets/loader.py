"""Find a dataset's files (explicit path, Keras' cache, slimlayers' cache, else download) and read them.

Where the files come from, in this order:

1. ``path``, when given: a Keras-style ``.npz`` or a directory holding the
   four IDX files (standard names, gzipped or not). Nothing else is tried.
2. Keras' cache, ``$KERAS_HOME/datasets/`` (default ``~/.keras/datasets/``),
   so a machine that ran ``keras.datasets.*.load_data()`` needs no download.
3. slimlayers' cache, ``$SLIMLAYERS_HOME/datasets/`` (default ``~/.slimlayers/datasets/``).
4. A download into slimlayers' cache from the published URL, or from the
   mirror named by ``$SLIMLAYERS_DATASETS_URL`` (files under the same names).

Cached files are used only if their SHA-256 is the published one; an explicit
``path`` is checked for structure (keys, dtypes, shapes) instead, since a
re-saved copy of the same arrays is as good as the original.

Example:
    >>> import slimlayers as sl
    >>> (x_train, y_train), (x_test, y_test) = load(sl.datasets.mnist.SPEC)            # doctest: +SKIP
    >>> _ = load(sl.datasets.mnist.SPEC, path="~/Downloads/mnist.npz")                 # doctest: +SKIP
    >>> cache_dir().endswith("datasets")
    True
"""
from __future__ import annotations

import os
import warnings

from ..validation import arg_error
from .download import download, sha256_of
from .errors import DownloadError
from .files import read_idx_files, read_npz
from .spec import IDX_NAMES, KEYS

URL_ENV = "SLIMLAYERS_DATASETS_URL"
HOME_ENV = "SLIMLAYERS_HOME"


def load(spec, path=None, progress=True):
    """``(x_train, y_train), (x_test, y_test)`` of the dataset ``spec`` describes, as uint8 arrays.

    Args:
        spec: a ``DatasetSpec`` (``sl.datasets.mnist.SPEC``, ``sl.datasets.fashion_mnist.SPEC``, or your own).
        path: an ``.npz`` file or a directory of IDX files to read instead of the caches; ``~`` is expanded.
        progress: show a progress bar on stderr while downloading.
    """
    if path is not None:
        return _read_explicit(spec, path)
    files = {f.name: _cached_or_downloaded(spec, f, progress) for f in spec.files}
    if spec.is_npz:
        return read_npz(files[spec.files[0].name], spec)
    return read_idx_files({key: files[IDX_NAMES[key]] for key in KEYS}, spec)


def keras_datasets_dir():
    """``$KERAS_HOME/datasets``, or ``~/.keras/datasets`` (where ``keras.datasets`` caches its downloads)."""
    return os.path.join(os.path.expanduser(os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")),
                        "datasets")


def cache_dir():
    """``$SLIMLAYERS_HOME/datasets``, or ``~/.slimlayers/datasets``: where downloads go."""
    return os.path.join(os.path.expanduser(os.environ.get(HOME_ENV) or os.path.join("~", ".slimlayers")),
                        "datasets")


def url_of(spec, remote):
    """The address of ``remote``: the ``SLIMLAYERS_DATASETS_URL`` mirror if set, else ``spec.base_url``."""
    base = os.environ.get(URL_ENV) or spec.base_url
    return base.rstrip("/") + "/" + remote.name


def _read_explicit(spec, path):
    try:
        path = os.path.expanduser(os.fspath(path))
    except TypeError:
        raise arg_error("path", "must be a str or os.PathLike", path, TypeError) from None
    if os.path.isdir(path):
        found, missing = {}, []
        for key in KEYS:
            gz = os.path.join(path, IDX_NAMES[key])
            plain = gz[:-len(".gz")]  # as torchvision and manual gunzips leave them
            found[key] = gz if os.path.isfile(gz) else plain if os.path.isfile(plain) else None
            if found[key] is None:
                missing.append(IDX_NAMES[key])
        if missing:
            raise arg_error("path", f"a directory must hold the four IDX files ({', '.join(IDX_NAMES.values())}, "
                                    f"gzipped or not); missing: {', '.join(missing)}", path)
        return read_idx_files(found, spec)
    if os.path.isfile(path):
        return read_npz(path, spec)
    raise arg_error("path", "must be an existing .npz file or a directory of IDX files", path, FileNotFoundError)


def _intact(path, remote, otherwise):
    """Whether ``path`` exists with the published SHA-256; a present but different file is warned about."""
    if not os.path.isfile(path):
        return False
    if sha256_of(path) == remote.sha256:
        return True
    warnings.warn(f"{path} does not have the published SHA-256 of {remote.name}; {otherwise}.", stacklevel=5)
    return False


def _cached_or_downloaded(spec, remote, progress):
    """A local path of ``remote`` whose SHA-256 matches: Keras' copy, ours, or a fresh download."""
    keras_copy = os.path.join(keras_datasets_dir(), spec.subdir, remote.name)
    if _intact(keras_copy, remote, "ignoring it"):  # a bad Keras copy stays: Keras' cache is read only here
        return keras_copy
    our_copy = os.path.join(cache_dir(), spec.subdir, remote.name)
    if _intact(our_copy, remote, "downloading it again"):
        return our_copy
    url = url_of(spec, remote)
    try:
        return download(url, our_copy, remote.sha256, remote.size, progress)
    except DownloadError as err:
        raise DownloadError(_manual_steps(spec, err)) from None


def _manual_steps(spec, err):
    """The error for a failed download: what went wrong, and how to put the files in place by hand."""
    one = len(spec.files) == 1
    urls = "".join(f"\n  {url_of(spec, f)}" for f in spec.files)
    hashes = "".join(f"\n  {f.sha256}  {f.name}" for f in spec.files)
    ours = os.path.join(cache_dir(), spec.subdir)
    keras = os.path.join(keras_datasets_dir(), spec.subdir)
    return (f"Could not download {spec.title}: {err}.\n"
            f"To use it without a working connection here, download on a machine that has one:{urls}\n"
            f"and copy {'it' if one else 'the files'} into {ours}\n"
            f"(or into {keras}, where Keras keeps {'it' if one else 'them'}), "
            f"or pass {'the file' if one else 'their directory'} as load_data(path=...).\n"
            f"Expected SHA-256 (sha256sum):{hashes}\n"
            f"A mirror holding the same file names can be set with {URL_ENV}=<base URL>.")


__all__ = ["load", "keras_datasets_dir", "cache_dir", "url_of", "URL_ENV", "HOME_ENV"]
