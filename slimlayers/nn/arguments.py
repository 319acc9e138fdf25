"""Argument normalisation, written once: int-vs-tuple sizes, padding spellings, data formats.

Both the tf.nn-style ops and the Keras/Slim-style layers call these, so a rule
(and its error message) lives in exactly one place.

Example:
    >>> spatial_pair("strides", [1, 2, 3, 1], "NHWC")
    (2, 3)
    >>> tf_padding("same", "NHWC")
    'SAME'
"""
from __future__ import annotations

import numbers

import numpy as np

from ._errors import arg_error, check_int

TF_FORMATS = ("NHWC", "NCHW")
KERAS_FORMATS = ("channels_last", "channels_first")


def _as_sequence(name, value):
    if isinstance(value, np.ndarray):
        if value.ndim > 1:
            raise arg_error(name, "must be an int or a flat list of ints", value.tolist())
        return list(value.reshape(-1))
    if isinstance(value, (list, tuple)):
        return list(value)
    raise arg_error(name, "must be an int or a list/tuple of ints", value, TypeError)


def spatial_pair(name, value, data_format="NHWC", minimum=1):
    """tf.nn strides/dilations: an int, or a list of length 1, 2 or 4 (4 in ``data_format`` order)."""
    if value is None:
        return (1, 1)
    if isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_)):
        v = check_int(name, value, minimum)
        return (v, v)
    seq = _as_sequence(name, value)
    if len(seq) == 1:
        v = check_int(name, seq[0], minimum)
        return (v, v)
    if len(seq) == 2:
        return tuple(check_int(name, v, minimum) for v in seq)
    if len(seq) == 4:
        vals = [check_int(name, v, minimum) for v in seq]
        outer = (0, 3) if data_format == "NHWC" else (0, 1)
        if any(vals[i] != 1 for i in outer):
            raise arg_error(name, f"batch and channel entries must be 1 ({data_format} order)", value)
        h, w = (1, 2) if data_format == "NHWC" else (2, 3)
        return vals[h], vals[w]
    raise arg_error(name, f"must have length 1, 2 or 4, not {len(seq)}", value)


def int_tuple(name, value, n=2, minimum=1):
    """Keras ``standardize_tuple``: an int, or a tuple/list of exactly ``n`` ints >= ``minimum``."""
    if isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_)):
        v = check_int(name, value, minimum)
        return (v,) * n
    seq = _as_sequence(name, value)
    if len(seq) != n:
        raise arg_error(name, f"must be an int or a tuple of {n} integers", value)
    return tuple(check_int(name, v, minimum) for v in seq)


def tf_data_format(data_format):
    """``"NHWC"`` or ``"NCHW"`` (exact spelling; ``None`` means NHWC)."""
    if data_format is None:
        return "NHWC"
    if data_format not in TF_FORMATS:
        raise arg_error("data_format", "must be 'NHWC' or 'NCHW'", data_format)
    return data_format


def keras_data_format(data_format):
    """``"channels_last"`` or ``"channels_first"`` (``None`` means channels_last)."""
    if data_format is None:
        return "channels_last"
    if not isinstance(data_format, str) or data_format.lower() not in KERAS_FORMATS:
        raise arg_error("data_format", "must be 'channels_last' or 'channels_first'", data_format)
    return data_format.lower()


def to_tf_format(keras_format):
    return "NHWC" if keras_format == "channels_last" else "NCHW"


def padding_mode(padding, name="padding"):
    """``"same"`` or ``"valid"``, any letter case (Keras / Slim / tf.layers spellings)."""
    if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
        raise arg_error(name, "must be 'same' or 'valid' (any letter case)", padding)
    return padding.lower()


def tf_padding(padding, data_format="NHWC"):
    """tf.nn padding: ``"SAME"`` / ``"VALID"`` (any case), or explicit pairs.

    Explicit padding is four ``[before, after]`` pairs in ``data_format`` order
    whose batch and channel pairs are zero; returns ``((top, bottom), (left, right))``.
    """
    if isinstance(padding, str):
        if padding.upper() in ("SAME", "VALID"):
            return padding.upper()
        if padding.upper() == "EXPLICIT":
            raise arg_error("padding", "'EXPLICIT' is not a padding mode; pass explicit padding as a "
                                       "list of 4 [before, after] pairs", padding)
        raise arg_error("padding", "must be 'SAME', 'VALID' or a list of 4 [before, after] pairs", padding)
    if isinstance(padding, np.ndarray):
        padding = padding.tolist()
    if not isinstance(padding, (list, tuple)):
        raise arg_error("padding", "must be 'SAME', 'VALID' or a list of 4 [before, after] pairs",
                        padding, TypeError)
    if len(padding) != 4:
        raise arg_error("padding", f"explicit padding must have 4 [before, after] pairs, not {len(padding)}",
                        padding)
    pairs = []
    for pair in padding:
        if not isinstance(pair, (list, tuple, np.ndarray)) or len(pair) != 2:
            raise arg_error("padding", "each element of explicit padding must be a [before, after] pair",
                            padding)
        pairs.append(tuple(check_int("padding", v, 0) for v in pair))
    outer = (0, 3) if data_format == "NHWC" else (0, 1)
    if any(pairs[i] != (0, 0) for i in outer):
        raise arg_error("padding", f"batch and channel pairs must be [0, 0] ({data_format} order)", padding)
    h, w = (1, 2) if data_format == "NHWC" else (2, 3)
    return pairs[h], pairs[w]


def float_dtype(name, *arrays):
    """The common float dtype of ``arrays`` (float32 or float64); anything else is a TypeError."""
    dtypes = {a.dtype for a in arrays}
    for dt in dtypes:
        if dt not in (np.float32, np.float64):
            raise TypeError(f"Invalid dtype for `{name}`: expected float32 or float64. Received: {dt}")
    if len(dtypes) > 1:
        names = " and ".join(str(d) for d in sorted(dtypes, key=str))
        raise TypeError(f"Invalid dtypes for `{name}`: all operands must share one float dtype. "
                        f"Received: {names}")
    return dtypes.pop()
