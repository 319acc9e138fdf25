"""Metrics: per-sample functions and stateful ``Metric`` objects that average them over an epoch.

Metric functions return one value per sample (Keras 3 formulas, plain numpy:
metrics are never differentiated). A ``MeanMetricWrapper`` accumulates
``sum(values · weight)`` and ``sum(weight)`` across batches, so an epoch's
value is the exact mean over all its samples.

``"accuracy"`` (or ``"acc"``) passed to ``compile`` resolves as in Keras:
binary accuracy when the model has one output unit or the loss is binary
crossentropy, sparse categorical accuracy for integer labels, categorical
accuracy otherwise; the History key stays ``"accuracy"``.

Example:
    >>> import slimlayers as sl
    >>> m = sl.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    >>> m.result()
    0.5
"""
from __future__ import annotations

import numpy as np

from .autodiff.tensor import as_array
from .losses import absolute_error, match_label_rank, squared_error
from .validation import arg_error
from .registry import Registry, snake_case


def _arrays(y_true, y_pred):
    return np.asarray(as_array(y_true)), np.asarray(as_array(y_pred))


# -- functions (one value per sample) -------------------------------------
def accuracy(y_true, y_pred):
    """``mean(y_true == y_pred, axis=-1)`` (exact equality)."""
    t, p = _arrays(y_true, y_pred)
    t = match_label_rank(t, p)
    return np.mean(t == p, axis=-1, dtype=np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(y_true == (y_pred > threshold), axis=-1)``."""
    t, p = _arrays(y_true, y_pred)
    t = match_label_rank(t, p)
    return np.mean(t == (p > threshold), axis=-1, dtype=np.float64)


def categorical_accuracy(y_true, y_pred):
    """``argmax(y_true) == argmax(y_pred)`` per sample (one-hot targets)."""
    t, p = _arrays(y_true, y_pred)
    return (np.argmax(t, axis=-1) == np.argmax(p, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """``y_true == argmax(y_pred)`` per sample (integer labels)."""
    t, p = _arrays(y_true, y_pred)
    if t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    return (t.astype(np.int64) == np.argmax(p, axis=-1)).astype(np.float64)


def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)**2, axis=-1)``: the loss's formula, computed in float64."""
    t, p = _arrays(y_true, y_pred)
    return squared_error(match_label_rank(t, p), p, np.float64)[0]


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_pred - y_true|, axis=-1)``: the loss's formula, computed in float64."""
    t, p = _arrays(y_true, y_pred)
    return absolute_error(match_label_rank(t, p), p, np.float64)[0]


# -- stateful metrics -------------------------------------------------------
class Metric:
    """Base class: ``update_state`` per batch, ``result`` for the running value, ``reset_state``."""

    def __init__(self, name=None, dtype=None):
        self.name = name or snake_case(type(self).__name__)
        self.dtype = dtype
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update with one batch and return the running result."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """Weighted mean of every value seen since the last reset."""

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(as_array(values), dtype=np.float64)
        if sample_weight is None:
            self.total += float(np.sum(values))
            self.count += float(values.size)
        else:
            w = np.broadcast_to(np.asarray(as_array(sample_weight), dtype=np.float64), values.shape)
            self.total += float(np.sum(values * w))
            self.count += float(np.sum(w))

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """Averages a per-sample metric function over every sample seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn = fn
        self._fn_kwargs = kwargs
        super().__init__(name=name or fn.__name__, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(y_true, y_pred, **self._fn_kwargs)
        if sample_weight is not None:
            w = np.asarray(as_array(sample_weight), dtype=np.float64)
            while w.ndim > np.ndim(values) and w.shape[-1] == 1:
                w = w[..., 0]
            sample_weight = w
        super().update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class Accuracy(MeanMetricWrapper):
    """Fraction of exactly equal entries."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of entries where ``y_pred > threshold`` equals the 0/1 target."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)


class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose predicted class matches the one-hot target."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose predicted class equals the integer label."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class MeanSquaredError(MeanMetricWrapper):
    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


_REGISTRY = Registry("metric", base=Metric)
for _cls in (Mean, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
             MeanSquaredError, MeanAbsoluteError):
    _REGISTRY.register(names=[_cls.__name__])(_cls)
for _fn in (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy):
    _REGISTRY.register()(_fn)
_REGISTRY.register("mse", "MSE")(mean_squared_error)
_REGISTRY.register("mae", "MAE")(mean_absolute_error)
_REGISTRY.register()(accuracy)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error


def get(identifier):
    """A metric object or function from a name, config dict, ``Metric`` or callable."""
    return _REGISTRY.get(identifier)


def serialize(metric):
    return _REGISTRY.serialize(metric)


def deserialize(config):
    return _REGISTRY.deserialize(config)


def _loss_name(loss):
    if loss is None:
        return ""
    fn = getattr(loss, "fn", loss)
    return getattr(fn, "__name__", type(loss).__name__)


def resolve(identifier, y_true, y_pred, loss=None):
    """The ``Metric`` that ``compile(metrics=[identifier])`` tracks, given one batch of targets and outputs.

    ``"accuracy"``/``"acc"`` picks binary, sparse categorical or categorical
    accuracy from the shapes (and the loss), keeping the name the user wrote.
    A name of a function (``"mae"``) is tracked under that name.
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        t_shape, p_shape = np.shape(y_true), np.shape(y_pred)
        loss_name = _loss_name(loss)
        if (p_shape and p_shape[-1] == 1) or loss_name == "binary_crossentropy":
            return BinaryAccuracy(name=identifier)
        sparse = (len(t_shape) == len(p_shape) - 1 or (t_shape and t_shape[-1] == 1)) and \
            p_shape and p_shape[-1] > 1
        if sparse or loss_name == "sparse_categorical_crossentropy":
            return SparseCategoricalAccuracy(name=identifier)
        return CategoricalAccuracy(name=identifier)
    metric = get(identifier)
    if isinstance(metric, Metric):
        return metric
    if callable(metric):
        name = identifier if isinstance(identifier, str) else getattr(metric, "__name__", "metric")
        return MeanMetricWrapper(metric, name=name)
    raise arg_error("metrics", "entries must be names, Metric objects or callables", identifier, TypeError)


__all__ = ["Metric", "Mean", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "accuracy",
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "mean_squared_error",
           "mean_absolute_error", "mse", "mae", "get", "serialize", "deserialize", "resolve"]
