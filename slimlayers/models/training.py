"""``compile`` / ``fit`` / ``evaluate`` / ``predict`` and the ``*_on_batch`` calls (Keras 3 semantics).

The reported loss includes every regularization penalty: kernel and bias
penalties at the weights the step started from, activity penalties divided by
the batch size (the Layer base does that division). An epoch's ``loss`` is the
mean of the batch losses weighted by batch size; metrics average over every
sample. One training step is: forward under a tape, loss, gradients, one
optimizer update in place; nothing is re-validated per step.

Example:
    >>> model.compile(optimizer="adam", loss="mse")                  # doctest: +SKIP
    >>> history = model.fit(x, x, batch_size=64, epochs=3)           # doctest: +SKIP
    >>> history.history["loss"]                                      # doctest: +SKIP
"""
from __future__ import annotations

import math

import numpy as np

from .. import callbacks as callbacks_module
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from .. import random as sl_random
from ..autodiff.tape import GradientTape, stop_recording
from ..autodiff.tensor import Tensor
from ..datasets import BatchIterator, num_samples as _num_samples, take as _take
from ..validation import arg_error, check_int

DEFAULT_BATCH_SIZE = 32  # Keras' default for fit, evaluate and predict


class _Plan:
    """What a training step needs, collected once the model is built (reset by ``compile``)."""

    __slots__ = ("weights", "regularized", "activity_layers")

    def __init__(self, model):
        self.weights = model._all_weights()
        self.regularized = [w for w in self.weights if w.regularizer is not None]
        self.activity_layers = [layer for layer in model._flatten_layers()
                                if layer.activity_regularizer is not None]


def _verbosity(verbose):
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise arg_error("verbose", "must be 'auto', 0, 1 or 2", verbose)
    return verbose


def _batch_size(batch_size, name="batch_size"):
    """``batch_size`` checked (an int >= 1), ``DEFAULT_BATCH_SIZE`` when None."""
    return DEFAULT_BATCH_SIZE if batch_size is None else check_int(name, batch_size, 1)


def _progbar(verbose, steps):
    """The bar ``evaluate`` and ``predict`` draw: none when silent."""
    return callbacks_module.verbose_progbar(steps, verbose) if verbose else None


def _as_data(data, name):
    """numpy arrays (or a list of them for multi-input/-output models); Tensors are unwrapped."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)) and data and all(isinstance(d, (np.ndarray, Tensor)) for d in data):
        return [np.asarray(d) for d in data]
    arr = np.asarray(data)
    if arr.dtype.kind not in "fiub" or arr.ndim == 0:
        raise arg_error(name, "must be a numeric array with a batch axis (or a list of arrays)",
                        type(data).__name__, TypeError)
    return arr


class TrainingMixin:
    """Training methods of ``Model``; see the module docstring."""

    def _init_training(self):
        self.optimizer = None
        self.loss = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._loss_objects = None
        self._loss_weights = None
        self._metric_specs = []
        self._metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._plan = None

    # -- compile -----------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None):
        """Choose the optimizer, the loss and the metrics that ``fit`` and ``evaluate`` report.

        Args:
            optimizer: name (``"adam"``), config dict or ``sl.optimizers`` instance.
            loss: name (``"mse"``), ``sl.losses`` object or callable; a list gives one per output.
            metrics: list of names (``"accuracy"``, ``"mae"``) or ``sl.metrics`` objects.
            loss_weights: per-output weights when ``loss`` is a list.
        """
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        if loss is None:
            self._loss_objects = None
        elif isinstance(loss, (list, tuple)):
            self._loss_objects = [losses_module.as_loss_object(item) for item in loss]
        else:
            self._loss_objects = [losses_module.as_loss_object(loss)]
        if loss_weights is not None:
            loss_weights = [float(w) for w in loss_weights]
            if self._loss_objects is None or len(loss_weights) != len(self._loss_objects):
                raise arg_error("loss_weights", "needs one weight per loss", loss_weights)
        self._loss_weights = loss_weights
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
            raise arg_error("metrics", "must be a list (e.g. metrics=['accuracy'])", metrics, TypeError)
        self._metric_specs = list(metrics)
        self._metrics = None
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._plan = None
        self.compiled = True

    def _assert_compiled(self, what):
        if not self.compiled:
            raise RuntimeError(f"You must call compile() on model {self.name!r} before {what}().")
        if self._loss_objects is None and what != "predict":
            raise RuntimeError(f"Model {self.name!r} was compiled without a loss; pass loss=... to compile() "
                               f"before {what}().")

    @property
    def metrics(self):
        return [self._loss_tracker, *(self._metrics or [])]

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    # -- one step ----------------------------------------------------------------
    def _get_plan(self):
        # Called after a forward pass: models built lazily (Sequential without Input, subclassed models)
        # only have all their weights once they have been called.
        if self._plan is None:
            self._plan = _Plan(self)
        return self._plan

    def _compute_loss(self, y, y_pred, sample_weight):
        objects = self._loss_objects
        if isinstance(y_pred, (list, tuple)):
            ys = y if isinstance(y, (list, tuple)) else [y]
            if len(ys) != len(y_pred):
                raise ValueError(f"Model {self.name!r} has {len(y_pred)} outputs but received {len(ys)} targets.")
            if len(objects) == 1:
                objects = objects * len(y_pred)
            total = None
            for i, (loss_obj, target, pred) in enumerate(zip(objects, ys, y_pred)):
                term = loss_obj(target, pred, sample_weight)
                if self._loss_weights is not None:
                    term = term * self._loss_weights[i]
                total = term if total is None else total + term
            return total
        return objects[0](y, y_pred, sample_weight)

    def _regularized_loss(self, loss):
        plan = self._get_plan()
        for w in plan.regularized:
            loss = loss + w.regularizer(w)
        for layer in plan.activity_layers:
            for term in layer._activity_losses:
                loss = loss + term
        return loss

    def _train_step(self, x, y, sample_weight):
        with GradientTape() as tape:  # trainable Variables are watched automatically
            y_pred = self(x, training=True)
            loss = self._regularized_loss(self._compute_loss(y, y_pred, sample_weight))
        variables = [w for w in self._get_plan().weights if w.trainable]
        grads = tape.gradient(loss, variables)
        del tape  # frees the recorded graph, so the optimizer may update the weight arrays in place
        self.optimizer.apply(grads, variables)
        return float(loss), y_pred

    def _test_step(self, x, y, sample_weight):
        with stop_recording():
            y_pred = self(x, training=False)
            loss = self._regularized_loss(self._compute_loss(y, y_pred, sample_weight))
        return float(loss), y_pred

    def _run_batch(self, step_fn, x, y, sample_weight):
        """``step_fn`` (``_train_step`` or ``_test_step``) on one batch, counted in the loss and the metrics."""
        loss, y_pred = step_fn(x, y, sample_weight)
        self._update_metrics(loss, _num_samples(x), y, y_pred, sample_weight)

    def _update_metrics(self, loss, batch_size, y, y_pred, sample_weight):
        self._loss_tracker.update_state(loss, sample_weight=batch_size)
        if self._metrics is None:
            self._resolve_metrics(y, y_pred)
        if self._metrics:
            pred = y_pred._value
            for m in self._metrics:
                m.update_state(y, pred, sample_weight)

    def _resolve_metrics(self, y, y_pred):
        if self._metric_specs and isinstance(y_pred, (list, tuple)):
            raise NotImplementedError("Metrics on models with several outputs are not supported; "
                                      "compile with metrics=None or evaluate each output separately.")
        loss = self._loss_objects[0] if self._loss_objects else None
        self._metrics = [metrics_module.resolve(spec, y, y_pred, loss) for spec in self._metric_specs]

    def _logs(self):
        return {m.name: float(m.result()) for m in self.metrics}

    # -- batch API -----------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """One optimisation step on one batch; returns its loss (float), ``[loss, *metrics]`` or a dict."""
        return self._on_batch("train_on_batch", self._train_step, x, y, sample_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss and metrics of one batch, without updating the weights."""
        return self._on_batch("test_on_batch", self._test_step, x, y, sample_weight, return_dict)

    def _on_batch(self, what, step_fn, x, y, sample_weight, return_dict):
        self._assert_compiled(what)
        self.reset_metrics()
        self._run_batch(step_fn, _as_data(x, "x"), _as_data(y, "y"), sample_weight)
        return self._result(return_dict)

    def predict_on_batch(self, x):
        """The model's output for one batch, as numpy (inference mode)."""
        with stop_recording():
            return _to_numpy(self(_as_data(x, "x"), training=False))

    def _result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    # -- fit -----------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0, sample_weight=None, validation_batch_size=None,
            validation_freq=1):
        """Train for ``epochs`` passes over ``(x, y)``; returns a ``History``.

        Args:
            x, y: arrays (or lists of arrays); ``x`` may also be a
                ``sl.datasets.BatchIterator`` (then ``y`` is None).
            batch_size: samples per step (default 32).
            epochs: index of the last epoch (training starts at ``initial_epoch``).
            verbose: ``"auto"``/1 progress bar, 2 one line per epoch, 0 silent.
            callbacks: list of ``sl.callbacks.Callback``.
            validation_split: fraction of the samples, taken from the end before
                shuffling, held out for validation.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
            shuffle: reshuffle the training samples every epoch (seeded by ``sl.set_seed``).
        """
        self._assert_compiled("fit")
        verbose = _verbosity(verbose)
        epochs = check_int("epochs", epochs, 0)
        initial_epoch = check_int("initial_epoch", initial_epoch, 0)
        validation_freq = check_int("validation_freq", validation_freq, 1)
        batch_size = _batch_size(batch_size)
        validation_batch_size = _batch_size(validation_batch_size or batch_size, "validation_batch_size")
        split = float(validation_split)
        if not 0.0 <= split < 1.0:
            raise arg_error("validation_split", "must be in [0, 1)", validation_split)

        if isinstance(x, BatchIterator):
            if y is not None or split:
                raise ValueError("When x is a BatchIterator, pass y=None and no validation_split "
                                 "(the iterator yields (x, y) batches).")
            train_batches = x
        else:
            x, y = _as_data(x, "x"), _as_data(y, "y")
            if y is None:
                raise arg_error("y", "is required to fit (for an autoencoder pass y=x)", y)
            if split and validation_data is None:
                (x, y, sample_weight), validation_data = _hold_out(x, y, sample_weight, validation_split)
            train_batches = _ArrayBatches(x, y, sample_weight, batch_size, shuffle)
        validation = _validation_arrays(validation_data) if validation_data is not None else None

        cbs, history = self._callback_list(callbacks, verbose, epochs, len(train_batches))
        self.stop_training = False
        cbs.call("on_train_begin", None)
        epoch_logs = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.call("on_epoch_begin", epoch, None)
            for step, batch in enumerate(train_batches):
                xb, yb, swb = batch if len(batch) == 3 else (*batch, None)  # a BatchIterator yields (x, y)
                if cbs.has("on_train_batch_begin"):
                    cbs.call("on_train_batch_begin", step, None)
                self._run_batch(self._train_step, xb, yb, swb)
                if cbs.has("on_train_batch_end"):
                    cbs.call("on_train_batch_end", step, self._logs())
                if self.stop_training:
                    break
            epoch_logs = self._logs()
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_data(*validation, validation_batch_size)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.call("on_epoch_end", epoch, epoch_logs)
            if self.stop_training:
                break
        cbs.call("on_train_end", epoch_logs)
        self.history = history
        return history

    def _callback_list(self, callbacks, verbose, epochs, steps):
        user = list(callbacks or [])
        history = callbacks_module.History()
        chain = user + [history]
        if verbose:
            chain.insert(0, callbacks_module.ProgbarLogger(verbose))
        params = {"verbose": verbose, "epochs": epochs, "steps": steps}
        return callbacks_module.CallbackList(chain, self, params), history

    # -- evaluate / predict ------------------------------------------------------------
    def _evaluate_data(self, x, y, sample_weight, batch_size, verbose=0):
        """Loss and metrics over arrays (already through ``_as_data``), batch by batch; returns the logs."""
        self.reset_metrics()
        batches = _ArrayBatches(x, y, sample_weight, batch_size, shuffle=False)
        bar = _progbar(verbose, len(batches))
        for step, (xb, yb, swb) in enumerate(batches):
            self._run_batch(self._test_step, xb, yb, swb)
            if bar is not None:
                bar.update(step + 1, self._logs())
        logs = self._logs()
        if bar is not None:
            bar.update(len(batches), logs, finalize=True)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, return_dict=False):
        """Loss (and metrics) over ``(x, y)`` in inference mode: a float, ``[loss, *metrics]`` or a dict."""
        self._assert_compiled("evaluate")
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        x, y = _as_data(x, "x"), _as_data(y, "y")
        if y is None:
            raise arg_error("y", "is required to evaluate", y)
        self._evaluate_data(x, y, sample_weight, batch_size, verbose)
        return self._result(return_dict)

    def predict(self, x, batch_size=None, verbose="auto"):
        """The model's outputs for ``x`` (inference mode), computed batch by batch, as numpy."""
        verbose = _verbosity(verbose)
        batch_size = _batch_size(batch_size)
        x = _as_data(x, "x")
        n = _num_samples(x)
        bar = _progbar(verbose, _num_batches(n, batch_size))
        outputs = []
        with stop_recording():
            for step, start in enumerate(range(0, n, batch_size)):
                out = self(_take(x, slice(start, start + batch_size)), training=False)
                outputs.append(_to_numpy(out))
                if bar is not None:
                    bar.update(step + 1)
        if bar is not None:
            bar.update(len(outputs), finalize=True)
        if not outputs:
            raise ValueError("predict received no samples (x has length 0).")
        if isinstance(outputs[0], list):
            return [np.concatenate(parts) for parts in zip(*outputs)]
        return np.concatenate(outputs)


class _ArrayBatches:
    """(x, y, sample_weight or None) mini-batches of in-memory arrays; a new seeded permutation per epoch."""

    def __init__(self, x, y, sample_weight, batch_size, shuffle):
        self.x, self.y = x, y
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.batch_size = batch_size
        self.n = _num_samples(x)
        if _num_samples(y) != self.n:
            raise ValueError(f"x and y must have the same number of samples; received {self.n} and "
                             f"{_num_samples(y)}.")
        self.rng = sl_random.generator("models/fit_shuffle") if shuffle else None

    def __len__(self):
        return _num_batches(self.n, self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(self.n) if self.rng is not None else None
        for start in range(0, self.n, self.batch_size):
            idx = order[start:start + self.batch_size] if order is not None else slice(start, start + self.batch_size)
            sw = None if self.sample_weight is None else _take(self.sample_weight, idx)
            yield _take(self.x, idx), _take(self.y, idx), sw


def _num_batches(n, batch_size):
    return -(-n // batch_size)


def _hold_out(x, y, sample_weight, validation_split):
    """``(x, y, sample_weight)`` of the first ``1 - validation_split`` of the samples, and the rest as
    validation data (taken before any shuffling, as Keras does)."""
    n = _num_samples(x)
    cut = math.floor(n * (1.0 - float(validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={validation_split} leaves an empty training or "
                         f"validation set with {n} samples.")
    train_idx, val_idx = slice(0, cut), slice(cut, n)
    validation_data = (_take(x, val_idx), _take(y, val_idx)) + \
        ((_take(sample_weight, val_idx),) if sample_weight is not None else ())
    if sample_weight is not None:
        sample_weight = _take(np.asarray(sample_weight), train_idx)
    return (_take(x, train_idx), _take(y, train_idx), sample_weight), validation_data


def _validation_arrays(data):
    """``validation_data`` as ``(x, y, sample_weight or None)`` arrays."""
    if not isinstance(data, (list, tuple)) or len(data) not in (2, 3):
        raise arg_error("validation_data", "must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight)",
                        type(data).__name__, TypeError)
    return _as_data(data[0], "x"), _as_data(data[1], "y"), data[2] if len(data) == 3 else None


def _to_numpy(out):
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return np.array(out)
