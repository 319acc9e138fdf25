"""One error format for every argument check: the argument, the rule, the received value."""
from __future__ import annotations

import math
import numbers

import numpy as np


def arg_error(name, rule, value, cls=ValueError):
    """``ValueError("Invalid argument `strides`: must be positive. Received: strides=0")``."""
    return cls(f"Invalid argument `{name}`: {rule}. Received: {name}={value!r}")


def check_int(name, value, minimum=None):
    """``value`` as a Python int; rejects bools, non-integral or non-finite numbers, and values < minimum."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Number):
        raise arg_error(name, "must be an integer", value, TypeError)
    if isinstance(value, numbers.Integral):
        out = int(value)
    else:
        f = float(value)
        if not np.isfinite(f) or f != int(f):
            raise arg_error(name, "must be a finite integer", value)
        out = int(f)
    if minimum is not None and out < minimum:
        rule = "must be positive" if minimum == 1 else f"must be >= {minimum}"
        raise arg_error(name, rule, value)
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
                         f"{MAX_ARRAY_BYTES / 2**30:.0f} GiB limit (slimlayers.nn._errors.MAX_ARRAY_BYTES).")
