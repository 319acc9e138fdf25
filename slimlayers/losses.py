"""Losses with Keras 3 formulas and reductions.

Each loss function maps ``(y_true, y_pred)`` to one value per sample (the mean
or sum over the last axis); a ``Loss`` object then reduces those values
(``"sum_over_batch_size"``: their mean). Every function is one differentiable
primitive: the forward and its gradient sit side by side, in numpy, so a
training step pays for one node instead of a chain of elementwise ops.
Labels (``y_true``) are treated as constants, as Keras does when training.

``from_logits=False`` works on probabilities clipped to ``[1e-7, 1 - 1e-7]``
(Keras' ``epsilon``); ``from_logits=True`` uses the stable log-sum-exp forms.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> float(sl.losses.MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    >>> sl.losses.get("mse") is sl.losses.mean_squared_error
    True
"""
from __future__ import annotations

import numpy as np

from .autodiff import ops
from .autodiff.tape import record
from .autodiff.tensor import as_array, convert
from .validation import arg_error
from .registry import Registry

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "none", None)


# -- helpers -----------------------------------------------------------------
def _prepare(y_true, y_pred):
    """``y_pred`` as a float Tensor and ``y_true`` as a numpy array of the same dtype and shape."""
    y_pred = convert(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = ops.cast(y_pred, np.float32)
    t = as_array(y_true).astype(y_pred.dtype, copy=False)
    if t.shape != y_pred.shape:
        matched = match_label_rank(t, y_pred)
        if matched.shape != y_pred.shape:
            raise ValueError(f"y_true and y_pred must have the same shape; received y_true.shape={t.shape}, "
                             f"y_pred.shape={y_pred.shape}.")
        t = matched
    return t, y_pred


def match_label_rank(y_true, y_pred):
    """``y_true`` with a trailing axis of size 1 added or removed to match ``y_pred``'s rank, as Keras does
    (``(batch,)`` labels for ``(batch, 1)`` outputs and vice versa); otherwise ``y_true`` unchanged.

    Example:
        >>> match_label_rank(np.zeros(4), np.zeros((4, 1))).shape
        (4, 1)
    """
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def _per_sample(pred, value, grad_of_pred):
    """Record ``value`` (one entry per sample) with the VJP ``upstream[..., None] * grad_of_pred``."""
    return record(value, (pred,), lambda g: (np.expand_dims(g, -1) * grad_of_pred,))


def _eps(dtype):
    return dtype.type(EPSILON)


# -- error formulas, shared with sl.metrics (plain numpy) --------------------------
def squared_error(y_true, y_pred, dtype):
    """``(mean((y_pred - y_true)**2, axis=-1), y_pred - y_true)``: per-sample values and the difference.

    ``y_pred`` is taken in ``dtype`` and numpy promotes ``y_true`` to it: the
    loss computes in its prediction's float dtype, the metric in float64. A 0-d
    input has no axis to average: its value is ``diff**2``.

    Example:
        >>> squared_error(np.array([[0.0, 1.0]]), np.array([[1.0, 1.0]]), np.float64)[0]
        array([0.5])
    """
    diff = y_pred.astype(dtype, copy=False) - y_true
    return (np.mean(diff * diff, axis=-1) if diff.ndim else diff * diff), diff


def absolute_error(y_true, y_pred, dtype):
    """``(mean(|y_pred - y_true|, axis=-1), y_pred - y_true)``, computed as ``squared_error`` is."""
    diff = y_pred.astype(dtype, copy=False) - y_true
    return (np.mean(np.abs(diff), axis=-1) if diff.ndim else np.abs(diff)), diff


# -- loss functions (one value per sample) -------------------------------------
def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)**2, axis=-1)``."""
    t, p = _prepare(y_true, y_pred)
    values, diff = squared_error(t, p._value, p.dtype)
    if p.ndim == 0:
        return record(values, (p,), lambda g: (g * 2 * diff,))
    n = p.dtype.type(max(p.shape[-1], 1))
    return _per_sample(p, values, (2 / n) * diff)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_pred - y_true|, axis=-1)``."""
    t, p = _prepare(y_true, y_pred)
    values, diff = absolute_error(t, p._value, p.dtype)
    if p.ndim == 0:
        return record(values, (p,), lambda g: (g * np.sign(diff),))
    n = p.dtype.type(max(p.shape[-1], 1))
    return _per_sample(p, values, np.sign(diff) / n)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """``mean(-(t·log p + (1-t)·log(1-p)), axis=-1)``.

    With logits ``z``: ``max(z, 0) - z·t + log(1 + exp(-|z|))`` (never overflows).
    ``label_smoothing`` moves targets towards 0.5: ``t·(1-s) + s/2``.
    """
    t, p = _prepare(y_true, y_pred)
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    z = p._value
    n = z.dtype.type(max(z.shape[-1], 1)) if z.ndim else z.dtype.type(1)
    if from_logits:
        value = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
        e = np.exp(-np.abs(z))
        sig = np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)
        grad = sig - t
    else:
        eps = _eps(z.dtype)
        inside = (z >= eps) & (z <= 1 - eps)  # clip's gradient passes inside the interval only
        c = np.clip(z, eps, 1 - eps)
        value = -(t * np.log(c) + (1 - t) * np.log(1 - c))
        grad = np.where(inside, (c - t) / (c * (1 - c)), 0).astype(z.dtype, copy=False)
    if z.ndim == 0:
        return record(value, (p,), lambda g: (g * grad,))
    return _per_sample(p, np.mean(value, axis=-1), grad / n)


def _log_softmax(z):
    shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def _categorical_from_onehot(t, p, from_logits):
    """``-sum(t · log q, axis=-1)`` with ``q = softmax(z)`` or the clipped, renormalised probabilities."""
    z = p._value
    if z.ndim == 0:
        raise ValueError("Categorical crossentropy needs predictions with a class axis; received a scalar.")
    if from_logits:
        log_q = _log_softmax(z)
        value = -np.sum(t * log_q, axis=-1)
        grad = np.exp(log_q) * np.sum(t, axis=-1, keepdims=True) - t
        return _per_sample(p, value, grad)
    total = np.sum(z, axis=-1, keepdims=True)
    q = z / total
    eps = _eps(z.dtype)
    c = np.clip(q, eps, 1 - eps)
    value = -np.sum(t * np.log(c), axis=-1)
    g_q = np.where((q >= eps) & (q <= 1 - eps), -t / c, 0).astype(z.dtype, copy=False)
    # q = z / sum(z): dL/dz_k = (g_k - sum_j g_j q_j) / sum(z)
    grad = (g_q - np.sum(g_q * q, axis=-1, keepdims=True)) / total
    return _per_sample(p, value, grad)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    """``-sum(t · log p, axis=-1)``; probabilities are first divided by their sum, then clipped."""
    t, p = _prepare(y_true, y_pred)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    return _categorical_from_onehot(t, p, from_logits)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Categorical crossentropy with integer class labels (``y_true`` of shape ``y_pred.shape[:-1]``)."""
    p = convert(y_pred)
    if p.dtype.kind != "f":
        p = ops.cast(p, np.float32)
    labels = as_array(y_true)
    if labels.ndim == p.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != p.shape[:-1]:
        raise ValueError(f"sparse_categorical_crossentropy expects y_true of shape {p.shape[:-1]} "
                         f"(one class index per sample); received y_true.shape={labels.shape}.")
    num_classes = p.shape[-1]
    labels_int = labels.astype(np.int64)
    if labels.size and (np.any(labels_int != labels) or labels_int.min() < 0 or labels_int.max() >= num_classes):
        raise ValueError(f"sparse_categorical_crossentropy labels must be integers in [0, {num_classes}); "
                         f"received values from {labels.min()} to {labels.max()}.")
    onehot = np.zeros(p.shape, p.dtype)
    np.put_along_axis(onehot, labels_int[..., None], 1, axis=-1)
    return _categorical_from_onehot(onehot, p, from_logits)


# -- Loss objects ------------------------------------------------------------
class Loss:
    """Base class: ``call`` gives per-sample values, ``__call__`` weights and reduces them.

    Args:
        reduction: ``"sum_over_batch_size"`` (mean of the per-sample values,
            Keras' default), ``"sum"`` or ``"none"``.
        name: shown in logs and configs.
    """

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise arg_error("reduction", f"must be one of {REDUCTIONS}", reduction)
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        values = self.call(y_true, y_pred)
        if sample_weight is not None:
            w = as_array(sample_weight).astype(values.dtype, copy=False)
            while w.ndim > values.ndim and w.shape[-1] == 1:
                w = w[..., 0]
            values = values * w
        return reduce_values(values, self.reduction)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


def reduce_values(values, reduction="sum_over_batch_size"):
    """Reduce per-sample loss values: mean (Keras ``sum_over_batch_size``), sum, or none."""
    if reduction in ("none", None):
        return values
    total = ops.sum(values)
    if reduction == "sum":
        return total
    return total / values.dtype.type(max(values.size, 1))


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample loss function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or getattr(fn, "__name__", None))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors. Example: ``sl.losses.MeanSquaredError()(y, p)``."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy; ``from_logits=True`` takes raw scores instead of probabilities."""

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name, from_logits=bool(from_logits),
                         label_smoothing=float(label_smoothing))
        self.from_logits = bool(from_logits)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy with one-hot targets; ``from_logits=True`` applies a stable log-softmax."""

    def __init__(self, from_logits=False, label_smoothing=0.0, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=bool(from_logits), label_smoothing=float(label_smoothing))
        self.from_logits = bool(from_logits)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy with integer class labels."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=bool(from_logits))
        self.from_logits = bool(from_logits)


def _snake(name):
    from .registry import snake_case
    return snake_case(name)


# -- registry ----------------------------------------------------------------
_REGISTRY = Registry("loss", base=Loss)
for _cls in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy, CategoricalCrossentropy,
             SparseCategoricalCrossentropy):
    _REGISTRY.register(names=[_cls.__name__])(_cls)
_REGISTRY.register("mse", "MSE")(mean_squared_error)
_REGISTRY.register("mae", "MAE")(mean_absolute_error)
_REGISTRY.register("bce")(binary_crossentropy)
_REGISTRY.register("cce")(categorical_crossentropy)
_REGISTRY.register()(sparse_categorical_crossentropy)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def get(identifier):
    """A loss from a name (``"mse"``, ``"MeanSquaredError"``…), a config dict, a ``Loss`` or a callable."""
    return _REGISTRY.get(identifier)


def serialize(loss):
    return _REGISTRY.serialize(loss)


def deserialize(config):
    return _REGISTRY.deserialize(config)


def as_loss_object(identifier):
    """``get(identifier)`` wrapped so that it always reduces: functions become ``LossFunctionWrapper``s."""
    loss = get(identifier)
    if loss is None:
        raise arg_error("loss", "is required to train (a name such as 'mse', a Loss or a callable)", identifier)
    if isinstance(loss, Loss):
        return loss
    if not callable(loss):
        raise arg_error("loss", "must be a name, a Loss or a callable", identifier, TypeError)
    return LossFunctionWrapper(loss)


__all__ = ["Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "mean_squared_error",
           "mean_absolute_error", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "mse", "mae", "get", "serialize", "deserialize",
           "reduce_values", "squared_error", "absolute_error", "match_label_rank"]
