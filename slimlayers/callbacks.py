"""Training callbacks (Keras 3 behaviour): History, progress bar, EarlyStopping, ModelCheckpoint, CSVLogger…

``fit`` calls, in order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
``on_train_batch_begin``/``on_train_batch_end`` per batch, ``on_epoch_end``
(whose logs hold the epoch's averages and the ``val_`` entries), and finally
``on_train_end``. Setting ``model.stop_training = True`` ends training after
the current epoch.

Example:
    >>> import slimlayers as sl
    >>> stop = sl.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    >>> # model.fit(x, y, validation_split=0.2, epochs=50, callbacks=[stop])
"""
from __future__ import annotations

import csv
import math
import os
import sys
import time
import warnings

import numpy as np

from .validation import arg_error

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class Callback:
    """Base class: override any ``on_*`` hook; ``self.model`` and ``self.params`` are set by ``fit``."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList:
    """Dispatches each hook to every callback, skipping those that do not override it (cheap per batch)."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise arg_error("callbacks", "must be a list of sl.callbacks.Callback objects", cb, TypeError)
            cb.set_model(model)
            cb.set_params(params)
        self._active = {hook: [getattr(cb, hook) for cb in self.callbacks
                               if hook in vars(cb) or getattr(type(cb), hook) is not getattr(Callback, hook)]
                        for hook in _HOOKS}

    def has(self, hook):
        return bool(self._active[hook])

    def call(self, hook, *args):
        for fn in self._active[hook]:
            fn(*args)


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]`` is one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


# -- progress bar -------------------------------------------------------------
def _format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"


def _format_logs(logs):
    parts = []
    for key, value in logs.items():
        parts.append(f"{key}: {value:.4g}" if isinstance(value, (float, np.floating)) and abs(value) < 1e-3
                     else f"{key}: {value:.4f}" if isinstance(value, (float, np.floating, int)) else f"{key}: {value}")
    return " - ".join(parts)


class Progbar:
    """A one-line progress bar with ETA: ``12/40 [======>.......] ETA 2s - loss: 0.0312``.

    On a terminal the line is redrawn (at most every 0.05 s); elsewhere only
    the finished line is printed, so logs stay readable.
    """

    def __init__(self, target, width=24, stream=None, interval=0.05):
        self.target = target
        self.width = width
        self.stream = stream if stream is not None else sys.stdout
        self.interval = interval
        self.dynamic = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.perf_counter()
        self._last_draw = 0.0

    def update(self, current, logs=None, finalize=False):
        now = time.perf_counter()
        if not finalize and (not self.dynamic or now - self._last_draw < self.interval):
            return
        self._last_draw = now
        elapsed = now - self.start
        line = self._line(current, logs or {}, elapsed, finalize)
        if self.dynamic:
            self.stream.write("\r" + line + "\033[K" + ("\n" if finalize else ""))
        elif finalize:
            self.stream.write(line + "\n")
        self.stream.flush()

    def _line(self, current, logs, elapsed, finalize):
        target = self.target
        if target:
            digits = len(str(target))
            done = min(int(self.width * current / target), self.width)
            bar = "=" * self.width if done == self.width else ("=" * (done - 1) + ">" if done else "")
            bar = f"[{bar}{'.' * (self.width - len(bar))}]"
            count = f"{current:>{digits}}/{target}"
        else:
            bar, count = "", f"{current}"
        per_step = elapsed / max(current, 1)
        if finalize:
            timing = f"{_format_time(elapsed)} {_format_time(per_step)}/step"
        else:
            eta = per_step * (target - current) if target else 0.0
            timing = f"ETA {_format_time(eta)}"
        metrics = _format_logs(logs)
        return " ".join(p for p in (count, bar, timing) if p) + (f" - {metrics}" if metrics else "")


def verbose_progbar(target, verbose, stream=None):
    """The ``Progbar`` of Keras' ``verbose`` levels: 1 redraws live (on a terminal), 2 prints only the final line."""
    bar = Progbar(target, stream=stream)
    if verbose == 2:
        bar.dynamic = False
    return bar


class ProgbarLogger(Callback):
    """What ``fit(verbose=1)`` shows (a live bar per epoch) and ``verbose=2`` (one line per epoch)."""

    def __init__(self, verbose=1, stream=None):
        super().__init__()
        self.verbose = verbose
        self.stream = stream
        self._bar = None

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs")
        if self.verbose:
            out = self.stream if self.stream is not None else sys.stdout
            out.write(f"Epoch {epoch + 1}/{epochs}\n")
        self._bar = verbose_progbar(self.params.get("steps"), self.verbose, stream=self.stream)

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose == 1:
            self._bar.update(batch + 1, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._bar.update(self.params.get("steps") or 0, logs, finalize=True)


# -- early stopping and checkpoints ----------------------------------------------
def _monitor_op(monitor, mode):
    if mode not in ("auto", "min", "max"):
        raise arg_error("mode", "must be 'auto', 'min' or 'max'", mode)
    if mode == "auto":
        mode = "max" if monitor.endswith(("acc", "accuracy", "auc")) else "min"
    return np.greater if mode == "max" else np.less


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras 3 rules).

    Args:
        monitor: a logs key, e.g. ``"val_loss"`` or ``"accuracy"``.
        min_delta: smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (max for accuracy-like names).
        baseline: the wait counter only resets on improvements that also beat this value.
        restore_best_weights: at the end, put back the weights of the best epoch.
        start_from_epoch: epochs to ignore before monitoring starts.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.monitor_op = _monitor_op(monitor, mode)
        delta = abs(float(min_delta))
        self.min_delta = -delta if self.monitor_op is np.less else delta
        self._reset()

    def _reset(self):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _is_improvement(self, value, reference):
        return reference is None or bool(self.monitor_op(value - self.min_delta, reference))

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping is conditioned on metric `{self.monitor}`, which is not available. "
                          f"Available metrics are: {','.join(logs or {})}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) after epochs, optionally only when ``monitor`` improves.

    Args:
        filepath: may hold format fields filled from the epoch and logs,
            e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"`` (epoch counts from 1).
        monitor / mode: what "best" means when ``save_best_only``.
        save_best_only: save only when the monitored value improves on the best so far.
        save_weights_only: ``model.save_weights`` instead of ``model.save``.
        save_freq: ``"epoch"``, or an int: save every that many batches.
        initial_value_threshold: a first "best" value to beat.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.monitor_op = _monitor_op(monitor, mode)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise arg_error("save_freq", "must be 'epoch' or a positive number of batches", save_freq)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._batches_seen = 0
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._save(self._epoch, logs or {}, batch=batch)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"Can save best model only with {self.monitor} available, skipping.", stacklevel=2)
                return
            if self.best is not None and not self.monitor_op(current, self.best):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class CSVLogger(Callback):
    """Append one CSV row per epoch: ``epoch`` then the sorted log keys.

    Args:
        filename: the CSV file.
        separator: column separator.
        append: keep an existing file's rows (and header) instead of overwriting.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        exists = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._append_header = not exists
        self.keys = None
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch", *self.keys], delimiter=self.sep)
            if self._append_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        for key in self.keys:
            value = logs.get(key, "NA")
            row[key] = value if not isinstance(value, float) or math.isfinite(value) else str(value)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class LambdaCallback(Callback):
    """A callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``.

    Accepts any hook name (``on_epoch_begin``, ``on_train_batch_end``, ``on_train_end``…) as keyword.
    """

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if name not in _HOOKS:
                raise arg_error(name, f"is not a callback hook (hooks: {', '.join(_HOOKS)})", fn, TypeError)
            if fn is not None:
                if not callable(fn):
                    raise arg_error(name, "must be callable", fn, TypeError)
                setattr(self, name, fn)


__all__ = ["Callback", "CallbackList", "History", "Progbar", "ProgbarLogger", "EarlyStopping", "verbose_progbar",
           "ModelCheckpoint", "CSVLogger", "LambdaCallback"]
