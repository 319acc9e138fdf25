"""The ``Initializer`` base class, fan computation and the seeding contract.

Seeding (Keras 3 behaviour, made reproducible with numpy's PCG64):

* ``seed=int``: every call returns the same values, on every machine.
* ``seed=np.random.Generator``: every call consumes the generator.
* ``seed=None``: a seed is fixed at construction from the library stream
  ``"initializers/<ClassName>"``, so one instance returns identical values on
  every call (as Keras), and ``sl.set_seed`` makes it reproducible.

Layers do not call initializers directly; they call :func:`initialize` with
their weight path as ``key``: an unseeded initializer then draws from that
weight's own stream, so adding a layer never changes the others' weights.

Values are drawn in float64 and cast, so float32 and float64 weights agree.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import random as sl_random
from ..validation import arg_error
from ..registry import Configurable, constructor_config


class Initializer(Configurable):
    """Base class: subclasses implement ``sample(shape, rng) -> float64 array``.

    Args:
        seed: ``int``, ``np.random.Generator`` or ``None`` (see the module docstring).

    Example:
        >>> from slimlayers.initializers import GlorotUniform
        >>> init = GlorotUniform(seed=1)
        >>> bool((init((3, 3, 2, 4)) == init((3, 3, 2, 4))).all())
        True
    """

    is_random = True  # deterministic initializers (Zeros, Constant, ...) set False

    def __init__(self, seed=None):
        self.seed = check_seed(seed)
        self._default_seed = None
        if self.is_random and seed is None:
            stream = sl_random.generator(f"initializers/{type(self).__name__}")
            self._default_seed = int(stream.integers(2 ** 63 - 1))

    def __call__(self, shape, dtype=None):
        """A numpy array of ``shape`` and ``dtype`` (default float32)."""
        return self.draw(shape, dtype, self._generator())

    def draw(self, shape, dtype, rng):
        """Sample with the generator ``rng`` (ignored by deterministic initializers) and cast."""
        shape = check_shape(shape)
        dtype = check_dtype(dtype, float_only=self.is_random)
        values = np.asarray(self.sample(shape, rng))
        return values.astype(dtype, copy=False).reshape(shape)

    def with_fan_axes(self, in_axes, out_axes):
        """This initializer with the weight's fan axes supplied by its layer (no-op without fans)."""
        return self

    def sample(self, shape, rng):
        raise NotImplementedError(f"{type(self).__name__} must implement sample(shape, rng).")

    def _generator(self):
        if isinstance(self.seed, np.random.Generator):
            return self.seed
        return np.random.default_rng(self.seed if self.seed is not None else self._default_seed)

    # -- config -----------------------------------------------------------
    def get_config(self):
        """The constructor arguments (JSON-safe); deterministic initializers omit the unused seed."""
        return constructor_config(self, skip=() if self.is_random else ("seed",))



def initialize(initializer, shape, dtype=None, key=None, fan_axes=None):
    """Initial value of a weight: the one entry point layers use.

    Args:
        initializer: an ``Initializer`` or a callable ``f(shape, dtype)``.
        shape: the weight's shape.
        dtype: numpy dtype of the result (default float32).
        key: the weight's path (``"dense/kernel"``); an unseeded ``Initializer``
            draws from ``sl.random.generator(key)`` instead of its own seed.
        fan_axes: ``(in_axes, out_axes)`` the layer declares for this weight; used by
            fan-based initializers unless they were given axes of their own.

    Example:
        >>> from slimlayers.initializers import Zeros
        >>> initialize(Zeros(), (2,), "float64")
        array([0., 0.])
    """
    shape = check_shape(shape)
    dtype = check_dtype(dtype)
    if isinstance(initializer, Initializer):
        if fan_axes is not None:
            initializer = initializer.with_fan_axes(*fan_axes)
        if initializer.is_random and initializer.seed is None and key is not None:
            values = initializer.draw(shape, dtype, sl_random.generator(key))
        else:
            values = initializer(shape, dtype)
    elif callable(initializer):
        values = initializer(shape, dtype)
    else:
        raise arg_error("initializer", "must be an Initializer or a callable f(shape, dtype)", initializer,
                        TypeError)
    out = np.asarray(values, dtype=dtype)
    if out.shape != shape:
        raise ValueError(f"Initializer {initializer!r} returned shape {out.shape}; expected {shape}.")
    return out


def compute_fans(shape, in_axes=None, out_axes=None):
    """``(fan_in, fan_out)`` of a weight shape.

    Default (Keras / TF rule, for kernels laid out ``[..., in, out]``):
    ``receptive = prod(shape[:-2])``, ``fan_in = shape[-2]*receptive``,
    ``fan_out = shape[-1]*receptive``; 2-D: ``(shape[0], shape[1])``; 1-D:
    ``(shape[0], shape[0])``; 0-D: ``(1, 1)``.

    Note: for a Keras ``Conv2DTranspose`` kernel ``[kh, kw, filters, in]`` the
    default rule counts the *output* channels as fan_in (that is what Keras
    does, §5.1). Pass ``in_axes``/``out_axes`` (both) to name the axes instead;
    every other axis counts as receptive field: ``fan_in = prod(shape[in_axes])
    * receptive``. PyTorch/MindSpore use ``in_axes=1, out_axes=0`` for their
    ``[out, in, kh, kw]`` layout.

    Example:
        >>> compute_fans((3, 3, 64, 32))
        (576, 288)
        >>> compute_fans((3, 3, 8, 2), in_axes=3, out_axes=2)
        (18, 72)
    """
    shape = check_shape(shape)
    if in_axes is None and out_axes is None:
        if len(shape) == 0:
            return 1, 1
        if len(shape) == 1:
            return shape[0], shape[0]
        receptive = math.prod(shape[:-2])
        return shape[-2] * receptive, shape[-1] * receptive
    if in_axes is None or out_axes is None:
        raise arg_error("in_axes/out_axes", "must be given together", (in_axes, out_axes))
    ins, outs = _axes("in_axes", in_axes, len(shape)), _axes("out_axes", out_axes, len(shape))
    if set(ins) & set(outs):
        raise arg_error("in_axes/out_axes", "must not share an axis", (in_axes, out_axes))
    receptive = math.prod(n for i, n in enumerate(shape) if i not in ins and i not in outs)
    return math.prod(shape[i] for i in ins) * receptive, math.prod(shape[i] for i in outs) * receptive


def _axes(name, axes, ndim):
    items = (axes,) if isinstance(axes, numbers.Integral) else tuple(axes)
    out = []
    for a in items:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral) or not -ndim <= a < ndim:
            raise arg_error(name, f"must be axes of a rank-{ndim} shape", axes)
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise arg_error(name, "must not repeat an axis", axes)
    return tuple(out)


# -- argument checks shared by every initializer ---------------------------
def check_seed(seed):
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise arg_error("seed", "must be a non-negative int, a numpy Generator or None", seed)
    return int(seed)


def check_shape(shape):
    try:
        out = tuple(int(s) for s in shape)
    except TypeError:
        raise arg_error("shape", "must be a sequence of non-negative ints", shape, TypeError) from None
    if any(s < 0 for s in out):
        raise arg_error("shape", "must be a sequence of non-negative ints", shape)
    return out


def check_dtype(dtype, float_only=False):
    dt = np.dtype(np.float32 if dtype is None else dtype)
    allowed = "f" if float_only else "fiub"
    if dt.kind not in allowed:
        rule = "must be a float dtype for a random initializer" if float_only else "must be a numeric dtype"
        raise arg_error("dtype", rule, dtype)
    return dt
