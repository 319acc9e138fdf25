"""Save and load models as one safetensors file: weights keyed by layer path, config as JSON metadata.

Nothing here unpickles or imports by name: a file is parsed as safetensors
(a length-prefixed JSON header and raw little-endian arrays) and a model
config only ever names slimlayers layer classes, so loading runs no code from
the file. Writes are atomic: the bytes go to a temporary file in the same
directory, are fsync'ed, then ``os.replace`` swaps it in, so a crash mid-save
leaves the previous file intact.

Example:
    >>> model.save("ae.safetensors")                     # doctest: +SKIP
    >>> again = sl.models.load_model("ae.safetensors")   # doctest: +SKIP
"""
from __future__ import annotations

import hashlib
import json
import os
import struct

import numpy as np

from ..files import atomic_file
from .config import deserialize_model, serialize_model

FORMAT = "slimlayers"
FORMAT_VERSION = "1"
_ST_DTYPES = {"F16": 2, "F32": 4, "F64": 8, "BF16": 2, "I8": 1, "I16": 2, "I32": 4, "I64": 8, "U8": 1,
              "U16": 2, "U32": 4, "U64": 8, "BOOL": 1}
_MAX_HEADER = 100 * 1024 * 1024


class WeightsFileError(ValueError):
    """A file that is not a readable slimlayers safetensors file, or does not fit the model."""


# -- writing -----------------------------------------------------------------
def atomic_write(path, data):
    """Write ``data`` (bytes) to ``path`` so that readers see either the old file or the complete new one."""
    with atomic_file(path) as f:
        f.write(data)


def _serialize(model, with_config):
    from safetensors.numpy import save

    named = model._named_weights()
    tensors = {key: np.ascontiguousarray(var._value) for key, var in named}
    order = [key for key, _ in named]
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION, "weight_order": json.dumps(order),
                "sha256": _digest(tensors, order)}
    if with_config:
        metadata["model_config"] = json.dumps(serialize_model(model))
    return save(tensors, metadata=metadata)


def _digest(tensors, order):
    """sha256 over the arrays' bytes in ``order``: a flipped bit in the data section is caught on load."""
    h = hashlib.sha256()
    for key in order:
        h.update(key.encode("utf-8"))
        h.update(np.ascontiguousarray(tensors[key]).tobytes())
    return h.hexdigest()


def save_weights(model, path):
    """Write ``model``'s weights (keyed by layer path, e.g. ``conv2d_1/kernel``) to ``path``."""
    _require_built(model, "save_weights")
    atomic_write(path, _serialize(model, with_config=False))


def save_model(model, path):
    """Write config and weights of ``model`` to ``path``; ``load_model(path)`` rebuilds it."""
    _require_built(model, "save")
    atomic_write(path, _serialize(model, with_config=True))


def _require_built(model, what):
    if not model.built:
        raise ValueError(f"Model {model.name!r} has no weights yet: build it (call it on data, or start it "
                         f"with an Input) before {what}().")


# -- reading -----------------------------------------------------------------
def read_file(path):
    """``(tensors, metadata)`` of a safetensors file, with errors that say what is wrong with it."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"No such weights file: {path!r}") from None
    header, metadata = _parse_header(path, data)
    from safetensors import SafetensorError
    from safetensors.numpy import load

    try:
        tensors = load(data)
    except SafetensorError as e:
        raise WeightsFileError(f"{path!r} is not a valid safetensors file: {e}") from None
    return tensors, metadata


def _parse_header(path, data):
    def bad(reason):
        return WeightsFileError(f"{path!r} is not a slimlayers weights file (safetensors format): {reason}.")

    if len(data) < 8:
        raise bad(f"it is only {len(data)} bytes long (truncated or empty)")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or n < 2:
        raise bad(f"its first 8 bytes announce a {n}-byte header, which no safetensors file has "
                  f"(a pickle, .npy or other foreign file?)")
    if 8 + n > len(data):
        raise bad(f"truncated: the header needs {n} bytes but only {len(data) - 8} follow")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise bad(f"its header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise bad("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    body = len(data) - 8 - n
    end = 0
    for name, info in header.items():
        try:
            start, stop = info["data_offsets"]
            expected = int(np.prod(info["shape"], dtype=np.int64)) * _ST_DTYPES[info["dtype"]]
        except (KeyError, TypeError, ValueError):
            raise bad(f"entry {name!r} of its header is malformed: {info!r}") from None
        if stop - start != expected:
            raise bad(f"entry {name!r} claims {stop - start} bytes for shape {info['shape']} "
                      f"({expected} bytes expected)")
        end = max(end, stop)
    if end > body:
        raise bad(f"truncated: the data section needs {end} bytes but only {body} are present")
    if end < body:
        raise bad(f"it has {body - end} unexpected bytes after the data (corrupted?)")
    return header, metadata


def _check_file(path, tensors, metadata):
    """A slimlayers file whose arrays still hash to the checksum written with them."""
    if metadata.get("format") != FORMAT:
        raise WeightsFileError(f"{path!r} is a safetensors file but was not written by slimlayers "
                               f"(metadata format={metadata.get('format')!r}); use model.save_weights / "
                               f"model.save to create one.")
    if "sha256" in metadata:
        order = _file_order(tensors, metadata)
        if _digest(tensors, order) != metadata["sha256"]:
            raise WeightsFileError(f"{path!r} is corrupted: its weights do not match the checksum stored "
                                   f"with them (damaged on disk or in transfer?).")


def _file_order(tensors, metadata):
    """The file's keys in the order the model listed them when saved (falls back to sorted)."""
    try:
        order = [k for k in json.loads(metadata.get("weight_order", "[]")) if k in tensors]
    except (json.JSONDecodeError, TypeError):
        order = []
    return order + sorted(set(tensors) - set(order))


def assign_weights(model, tensors, path, metadata=None):
    """Check every name, shape and dtype first, then assign: a mismatch leaves the model unchanged."""
    named = model._named_weights()
    expected = {key for key, _ in named}
    for key, var in named:
        if key not in tensors:
            extra = sorted(set(tensors) - expected)
            hint = f"; the file has {extra[:5]} that the model lacks" if extra else ""
            raise WeightsFileError(f"Cannot load {path!r} into model {model.name!r}: weight {key!r} "
                                   f"(shape {var.shape}) is missing from the file{hint}.")
        arr = tensors[key]
        if arr.shape != var.shape:
            raise WeightsFileError(f"Cannot load {path!r} into model {model.name!r}: weight {key!r} has shape "
                                   f"{arr.shape} in the file but {var.shape} in the model.")
        if arr.dtype != var.dtype:
            raise WeightsFileError(f"Cannot load {path!r} into model {model.name!r}: weight {key!r} has dtype "
                                   f"{arr.dtype} in the file but {var.dtype} in the model.")
    extra = [key for key in _file_order(tensors, metadata or {}) if key not in expected]
    if extra:
        raise WeightsFileError(f"Cannot load {path!r} into model {model.name!r}: the file has weight "
                               f"{extra[0]!r} that the model does not ({len(extra)} extra in all).")
    for key, var in named:
        var.assign(tensors[key])


def load_weights(model, path):
    """Load weights written by ``save_weights`` or ``save`` into ``model`` (names and shapes must match)."""
    path = os.fspath(path)
    tensors, metadata = read_file(path)
    _check_file(path, tensors, metadata)
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built: build it (or start it with an Input) before "
                         f"load_weights({path!r}).")
    assign_weights(model, tensors, path, metadata or {})


def load_model(path, custom_objects=None):
    """Rebuild the model saved by ``model.save(path)``: its architecture from the config, then its weights.

    Args:
        path: the file written by ``save``.
        custom_objects: ``{"ClassName": cls}`` for your own Layer subclasses.
    """
    path = os.fspath(path)
    tensors, metadata = read_file(path)
    _check_file(path, tensors, metadata)
    if "model_config" not in metadata:
        raise WeightsFileError(f"{path!r} holds only weights (written by save_weights): build the model in "
                               f"code, then call model.load_weights({path!r}).")
    try:
        config = json.loads(metadata["model_config"])
    except json.JSONDecodeError as e:
        raise WeightsFileError(f"{path!r} has a corrupted model config ({e}).") from None
    model = deserialize_model(config, custom_objects=custom_objects)
    assign_weights(model, tensors, path, metadata)
    return model


__all__ = ["WeightsFileError", "atomic_write", "save_weights", "save_model", "load_weights", "load_model",
           "read_file"]
