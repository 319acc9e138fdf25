"""Reverse-mode autodiff: the tape and the one way primitives are recorded.

A primitive computes its result with numpy (or a kernel) and calls
:func:`record` with its inputs and a vector-Jacobian product. Every active
``GradientTape`` that is tracking one of the inputs appends a node. Nodes are
appended in execution order, so walking a tape backwards *is* a topological
order: ``gradient`` is a plain loop, no recursion, whatever the depth.

Example:
    >>> import slimlayers as sl
    >>> x = sl.Variable([1.0, 2.0])
    >>> with sl.GradientTape() as tape:
    ...     y = (x * x).sum()
    >>> tape.gradient(y, x)
    array([2., 4.], dtype=float32)
"""
from __future__ import annotations

import contextvars

import numpy as np

from ..kernels.epilogue import channel_sums
from .tensor import Tensor, Variable

_SUMMABLE = (np.dtype(np.float32), np.dtype(np.float64))

_ACTIVE_TAPES: contextvars.ContextVar[tuple] = contextvars.ContextVar("slimlayers_tapes", default=())


class _Node:
    __slots__ = ("out_id", "inputs", "vjp")

    def __init__(self, out_id, inputs, vjp):
        self.out_id = out_id
        self.inputs = inputs
        self.vjp = vjp


def active_tapes():
    return _ACTIVE_TAPES.get()


def needs_gradient(tensor):
    """Whether any active tape tracks ``tensor``, i.e. whether a VJP must compute its gradient.

    A primitive can skip the work for inputs nobody differentiates (a model's data).
    """
    return any(tape._tracks_any((tensor,)) for tape in _ACTIVE_TAPES.get())


def record(value, inputs, vjp):
    """Wrap ``value`` in a Tensor and record how to differentiate it.

    Args:
        value: the numpy result of the primitive.
        inputs: the Tensor inputs, in the order ``vjp`` returns gradients.
        vjp: ``vjp(upstream) -> tuple`` of numpy gradients (or None) per input.
    """
    out = Tensor._wrap(value)
    tapes = _ACTIVE_TAPES.get()
    if tapes:
        node = None
        for tape in tapes:
            if tape._tracks_any(inputs):
                if node is None:
                    node = _Node(out._id, inputs, vjp)
                tape._nodes.append(node)
                tape._tracked.add(out._id)
    return out


def stop_recording():
    """Context manager that pauses every active tape (like ``tape.stop_recording``)."""
    return _Paused()


class _Paused:
    def __enter__(self):
        self._token = _ACTIVE_TAPES.set(())

    def __exit__(self, *exc):
        _ACTIVE_TAPES.reset(self._token)
        return False


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape`` (the inverse of numpy broadcasting)."""
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    width = int(np.prod(shape))
    if (extra > 0 and grad.shape[extra:] == tuple(shape) and width >= 16 and grad.size
            and grad.dtype in _SUMMABLE and grad.flags.c_contiguous):
        # only leading axes are summed (a bias gradient): sums of the [rows, width] view in short
        # chunks (numpy's axis-0 sum adds a row at a time: 6x slower on conv gradients, and
        # less accurate)
        out = np.empty(width, grad.dtype)
        channel_sums(grad.reshape(-1, width), out)
        return out.reshape(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


class GradientTape:
    """Records operations on watched tensors to compute gradients (TF semantics).

    Trainable ``Variable``s are watched automatically; other tensors need
    ``tape.watch(t)``. A non-persistent tape allows one ``gradient`` call.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = bool(persistent)
        self.watch_accessed_variables = bool(watch_accessed_variables)
        self._nodes = []
        self._tracked = set()
        self._used = False
        self._token = None

    def __enter__(self):
        self._token = _ACTIVE_TAPES.set(_ACTIVE_TAPES.get() + (self,))
        return self

    def __exit__(self, *exc):
        _ACTIVE_TAPES.reset(self._token)
        self._token = None
        return False

    def watch(self, tensor):
        """Track ``tensor`` (or a list/tuple of tensors)."""
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch expects Tensors or Variables; received {type(t).__name__}."
                )
            self._tracked.add(t._id)

    def stop_recording(self):
        return stop_recording()

    def reset(self):
        self._nodes.clear()
        self._tracked.clear()

    def _tracks_any(self, inputs):
        tracked, found = self._tracked, False
        for t in inputs:
            if t._id in tracked:
                found = True
            elif self.watch_accessed_variables and isinstance(t, Variable) and t.trainable:
                tracked.add(t._id)
                found = True
        return found

    def gradient(self, target, sources, output_gradients=None):
        """Gradients of ``target`` w.r.t. ``sources`` (a tensor or a nested list of them).

        Returns numpy arrays in the structure of ``sources``; ``None`` where a
        source does not influence the target. ``output_gradients`` seeds the
        walk (default: ones, i.e. the gradient of ``sum(target)``).
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients; "
                "use GradientTape(persistent=True) to call gradient() more than once."
            )
        self._used = True
        targets = list(_flatten(target))
        seeds = _seed_gradients(targets, output_gradients)
        grads = {}
        for t, g in zip(targets, seeds):
            if not isinstance(t, Tensor):
                raise TypeError(f"gradient target must be a Tensor; received {type(t).__name__}.")
            _accumulate(grads, t._id, g)

        keep = {t._id for t in _flatten(sources) if isinstance(t, Tensor)}
        tracked = self._tracked
        with stop_recording():
            for node in reversed(self._nodes):
                upstream = grads.get(node.out_id)
                if upstream is None:
                    continue
                if node.out_id not in keep:
                    del grads[node.out_id]  # frees memory early; nothing reads it again
                in_grads = node.vjp(upstream)
                for t, g in zip(node.inputs, in_grads):
                    if g is not None and t._id in tracked:  # unwatched inputs get None, as in TF
                        _accumulate(grads, t._id, g)
        if not self.persistent:
            self._nodes = []
        return _structure_like(sources, grads)


def _accumulate(grads, key, g):
    prev = grads.get(key)
    grads[key] = g if prev is None else prev + g


def _seed_gradients(targets, output_gradients):
    if output_gradients is None:
        return [np.ones(t.shape, dtype=t.dtype) for t in targets]
    seeds = list(_flatten(output_gradients)) if len(targets) > 1 else [output_gradients]
    if len(seeds) != len(targets):
        raise ValueError(
            f"output_gradients must match the targets: got {len(seeds)} gradients for {len(targets)} targets."
        )
    out = []
    for t, s in zip(targets, seeds):
        s = np.asarray(s, dtype=t.dtype)
        if s.shape != t.shape:
            raise ValueError(
                f"output_gradients shape {s.shape} does not match the target shape {t.shape}."
            )
        out.append(s)
    return out


def _structure_like(sources, grads):
    if isinstance(sources, Tensor):
        return _grad_for(sources, grads)
    if isinstance(sources, dict):
        return {k: _structure_like(v, grads) for k, v in sources.items()}
    if isinstance(sources, (list, tuple)):
        return type(sources)(_structure_like(s, grads) for s in sources)
    raise TypeError(f"gradient sources must be Tensors or (nested) lists of them; received {type(sources).__name__}.")


def _grad_for(source, grads):
    g = grads.get(source._id)
    if g is None:
        return None
    g = np.asarray(g)
    if g.dtype != source.dtype:
        g = g.astype(source.dtype)
    if g.shape != source.shape:
        g = np.broadcast_to(g, source.shape).copy()
    return g


def _flatten(x):
    if isinstance(x, (list, tuple)):
        for item in x:
            yield from _flatten(item)
    elif isinstance(x, dict):
        for item in x.values():
            yield from _flatten(item)
    else:
        yield x
