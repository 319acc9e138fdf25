"""Argument validation, written once: the one error format and one normaliser per argument kind.

The ground floor of the package: it imports only numpy, and every other
package (kernels' callers, ops, layers, faces, models) checks its arguments
here, so a rule and its message live in exactly one place.

Example:
    >>> spatial_pair("strides", [1, 2, 3, 1], "NHWC")
    (2, 3)
    >>> tf_padding("same", "NHWC")
    'SAME'
    >>> check_int("strides", 0, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: Invalid argument `strides`: must be positive. Received: strides=0
"""
from __future__ import annotations

import math
import numbers

import numpy as np


def arg_error(name, rule, value, cls=ValueError):
    """``ValueError("Invalid argument `strides`: must be positive. Received: strides=0")``."""
    return cls(f"Invalid argument `{name}`: {rule}. Received: {name}={value!r}")


MAX_INT = 2**31 - 1  # kernel sizes, strides, dilations: larger is a mistake, and overflows int64 products


def check_int(name, value, minimum=None, maximum=None):
    """``value`` as a Python int; rejects bools, complex, non-integral or non-finite numbers, and values
    outside ``[minimum, maximum]``."""
    if type(value) is int:  # the common case first: no abstract-base-class checks on every layer call
        out = value
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise arg_error(name, "must be an integer", value, TypeError)
    elif isinstance(value, numbers.Integral):
        out = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            raise arg_error(name, "must be a finite integer", value)
        out = int(f)
    if minimum is not None and out < minimum:
        rule = "must be positive" if minimum == 1 else f"must be >= {minimum}"
        raise arg_error(name, rule, value)
    if maximum is not None and out > maximum:
        raise arg_error(name, f"must be at most {maximum}", value)
    return out


def check_number(name, value, minimum=None, strict=False):
    """``value`` as a finite float; ``minimum`` bounds it (``strict``: exclusive)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise arg_error(name, "must be a finite number", value, TypeError if not isinstance(value, numbers.Real)
                        else ValueError)
    value = float(value)
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise arg_error(name, f"must be {'>' if strict else '>='} {minimum:g}", value)
    return value


MAX_ARRAY_BYTES = 8 << 30  # refuse arrays that cannot reasonably fit in memory, before allocating


def check_allocation(what, shape, dtype):
    """Fail fast, with a ValueError naming ``what``, instead of asking numpy for an impossible array."""
    nbytes = math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise ValueError(f"{what} of shape {tuple(shape)} would need {nbytes / 2**30:.1f} GiB, more than the "
                         f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB limit (slimlayers.validation.MAX_ARRAY_BYTES).")

_NO_KEY = object()
_BOOLS = {True: object(), False: object()}  # a bool must never share a key with the int it equals


def _key(value):
    t = type(value)
    if t is int or t is str or value is None or isinstance(value, np.dtype):
        return value
    if t is bool:
        return _BOOLS[value]
    if t is tuple or t is list:
        parts = tuple(_key(v) for v in value)
        return _NO_KEY if _has_no_key(parts) else parts
    return _NO_KEY


def _has_no_key(parts):
    return any(p is _NO_KEY for p in parts)  # identity: ``in`` would ask each part's __eq__


def cache_key(*values):
    """``values`` as a hashable key, or None unless each is built only of exact ints, strs, bools, None,
    numpy dtypes and lists/tuples of these (a list and a tuple share a key: every check takes both).

    Exact types keep ``True`` and ``1.0``, which the checks refuse, apart from the ``1`` they equal.

    Example:
        >>> cache_key((2, 2), "SAME") == cache_key([2, 2], "SAME"), cache_key(np.int64(2))
        (True, None)
    """
    for v in values:
        t = type(v)
        if not (t is int or t is str or v is None):
            break
    else:
        return values  # the common case, on every layer call: no new tuple
    key = tuple(_key(v) for v in values)
    return None if _has_no_key(key) else key


class CheckedArguments:
    """Results of a pure argument check, memoised by ``cache_key`` of everything it depends on.

    A layer calls its op with the same shapes and arguments every step; the checks and the shape
    arithmetic then cost a dictionary lookup instead of tens of microseconds of Python. Errors
    are never stored (the next call checks again), nor is anything without a key.

    Example:
        >>> memo = CheckedArguments()
        >>> memo.get(cache_key(3), lambda v: v * 2, 3), memo.get(None, lambda v: v * 2, 4)
        (6, 8)
    """

    def __init__(self, size=512):
        self._results = {}
        self._size = size

    def get(self, key, check, *args):
        """``check(*args)``, from the memo when ``key`` (not None) was seen before."""
        if key is None:
            return check(*args)
        result = self._results.get(key)
        if result is None:
            result = check(*args)
            if len(self._results) >= self._size:
                self._results.clear()  # simple and thread-safe; a model has far fewer distinct calls
            self._results[key] = result
        return result


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
        v = check_int(name, value, minimum, MAX_INT)
        return (v, v)
    seq = _as_sequence(name, value)
    if len(seq) == 1:
        v = check_int(name, seq[0], minimum, MAX_INT)
        return (v, v)
    if len(seq) == 2:
        return tuple(check_int(name, v, minimum, MAX_INT) for v in seq)
    if len(seq) == 4:
        vals = [check_int(name, v, minimum, MAX_INT) for v in seq]
        outer = (0, 3) if data_format == "NHWC" else (0, 1)
        if any(vals[i] != 1 for i in outer):
            raise arg_error(name, f"batch and channel entries must be 1 ({data_format} order)", value)
        h, w = (1, 2) if data_format == "NHWC" else (2, 3)
        return vals[h], vals[w]
    raise arg_error(name, f"must have length 1, 2 or 4, not {len(seq)}", value)


def int_tuple(name, value, n=2, minimum=1):
    """Keras ``standardize_tuple``: an int, or a tuple/list of exactly ``n`` ints >= ``minimum``."""
    if isinstance(value, numbers.Number) and not isinstance(value, (bool, np.bool_)):
        v = check_int(name, value, minimum, MAX_INT)
        return (v,) * n
    seq = _as_sequence(name, value)
    if len(seq) != n:
        raise arg_error(name, f"must be an int or a tuple of {n} integers", value)
    return tuple(check_int(name, v, minimum, MAX_INT) for v in seq)


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


def layer_dtype(dtype):
    """A layer's dtype: ``None`` → float32; float32 or float64, any spelling numpy accepts."""
    if dtype is None:
        return np.dtype(np.float32)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.float32, np.float64):
        raise arg_error("dtype", "must be 'float32' or 'float64'", dtype)
    return dt


def slim_data_format(data_format, allow_none=True):
    """TF-Slim's ``data_format`` (``'NHWC'``, ``'NCHW'``; ``None`` = NHWC where Slim allows it) in Keras
    spelling: ``'channels_last'`` / ``'channels_first'``."""
    if data_format is None and allow_none:
        return "channels_last"
    if data_format not in TF_FORMATS:
        rule = "must be None, 'NHWC' or 'NCHW'" if allow_none else "must be 'NHWC' or 'NCHW'"
        raise arg_error("data_format", rule, data_format)
    return "channels_last" if data_format == "NHWC" else "channels_first"
