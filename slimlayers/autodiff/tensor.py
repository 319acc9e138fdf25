"""``Tensor`` (an immutable numpy value that ops can differentiate) and ``Variable``.

The bottom of ``autodiff``: it imports neither the tape nor the ops. Its
differentiable operators (``+``, ``@``, ``t.sum()``, …) are defined in
``operators.py`` and installed when ``slimlayers.autodiff`` is imported.

Example:
    >>> import slimlayers as sl
    >>> t = sl.constant([[1.0, 2.0]])
    >>> (t * 2 + 1).numpy()
    array([[3., 5.]], dtype=float32)
"""
from __future__ import annotations

import itertools

import numpy as np

_ids = itertools.count()
_FLOATS = (np.float32, np.float64)


def as_array(value, dtype=None, name="input"):
    """numpy array from a Tensor, array, scalar or nested list; lists of Python floats become float32.

    A ragged nested list is a ``ValueError`` naming ``name`` (numpy's own message names nothing).
    """
    if isinstance(value, Tensor):
        arr = value._value
    elif isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except ValueError as err:
            raise ValueError(f"Invalid argument `{name}`: a nested list must be rectangular (every row the "
                             f"same length), as an array is. ({err})") from None
        if arr.dtype == object:
            raise TypeError(f"Invalid argument `{name}`: must be numeric (an array, a number or a nested "
                            f"list of numbers). Received: a value of type {type(value).__name__}")
        if dtype is None and arr.dtype == np.float64 and not isinstance(value, np.generic):
            arr = arr.astype(np.float32)
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype), copy=False)
    return arr


class Tensor:
    """An immutable array with a gradient history. ``np.asarray(t)`` gives its value."""

    __slots__ = ("_value", "_id", "__weakref__")
    __array_priority__ = 100  # numpy defers `array + tensor` to Tensor.__radd__

    def __init__(self, value, dtype=None):
        self._value = as_array(value, dtype)
        self._id = next(_ids)

    @classmethod
    def _wrap(cls, value):
        t = Tensor.__new__(Tensor)
        t._value = value if isinstance(value, np.ndarray) else np.asarray(value)
        t._id = next(_ids)
        return t

    # -- array protocol -------------------------------------------------
    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def size(self):
        return self._value.size

    def numpy(self):
        """The value as a numpy array (a copy for Variables, so it cannot change under you)."""
        return self._value

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and v.dtype != dtype:
            return v.astype(dtype)
        return v.copy() if copy else v

    def __len__(self):
        return len(self._value)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __bool__(self):
        return bool(self._value)

    def __repr__(self):
        return f"<sl.Tensor shape={self.shape} dtype={self.dtype.name}\n{self._value!r}>"

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]  # differentiable indexing (operators.py)

    __hash__ = object.__hash__

    # Arithmetic (+ - * / @ **, unary - and abs, indexing, sum/mean/reshape/transpose/astype) is
    # differentiable, so it lives with the ops: autodiff/operators.py installs it on this class.
    def __pos__(self):
        return self

    # comparisons are not differentiable: they return numpy bool arrays
    def __lt__(self, o):
        return self._value < as_array(o)

    def __le__(self, o):
        return self._value <= as_array(o)

    def __gt__(self, o):
        return self._value > as_array(o)

    def __ge__(self, o):
        return self._value >= as_array(o)

    @property
    def T(self):
        return self.transpose()


class Variable(Tensor):
    """A mutable, named Tensor; trainable Variables are watched by every GradientTape.

    Example:
        >>> v = sl.Variable(np.zeros(3), name="bias")
        >>> v.assign_add([1.0, 2.0, 3.0]).numpy()
        array([1., 2., 3.])
    """

    __slots__ = ("trainable", "name", "regularizer")

    def __init__(self, value, trainable=True, name=None, dtype=None):
        if isinstance(value, Tensor):
            value = value._value
        arr = as_array(value, dtype)
        super().__init__(np.array(arr, copy=True))
        self.trainable = bool(trainable)
        self.name = name
        self.regularizer = None

    def numpy(self):
        return self._value.copy()

    def assign(self, value):
        new = as_array(value, self.dtype)
        if new.shape != self.shape:
            raise ValueError(
                f"Cannot assign a value of shape {new.shape} to variable {self.name!r} of shape {self.shape}."
            )
        # A fresh array: tensors computed from the old value keep seeing it.
        self._value = np.array(new, dtype=self.dtype, copy=True)
        return self

    def assign_add(self, delta):
        return self.assign(self._value + as_array(delta, self.dtype))

    def assign_sub(self, delta):
        return self.assign(self._value - as_array(delta, self.dtype))

    def value(self):
        return Tensor._wrap(self._value)

    def __repr__(self):
        return (f"<sl.Variable {self.name!r} shape={self.shape} dtype={self.dtype.name} "
                f"trainable={self.trainable}>")


def constant(value, dtype=None):
    """A Tensor holding ``value`` (Python floats default to float32, like TensorFlow)."""
    return Tensor(np.array(as_array(value, dtype), copy=True))


def convert(value, dtype=None):
    """Tensor view of ``value`` without copying when it already is one."""
    if isinstance(value, Tensor) and (dtype is None or value.dtype == dtype):
        return value
    return Tensor(value, dtype)
