"""Callbacks: EarlyStopping rules, ModelCheckpoint files, CSVLogger rows, LambdaCallback hooks, History."""
import csv
import os

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.callbacks import CSVLogger, EarlyStopping, LambdaCallback, ModelCheckpoint
from slimlayers.layers import Dense, Input


class FakeModel:
    """Weights are the epoch number: restore_best_weights is visible in the result."""

    def __init__(self):
        self.stop_training = False
        self.w = None

    def get_weights(self):
        return [self.w]

    def set_weights(self, weights):
        self.w = weights[0]


def drive(callback, values, key="val_loss"):
    model = FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    epochs = 0
    for epoch, value in enumerate(values):
        model.w = epoch
        callback.on_epoch_end(epoch, {key: value})
        epochs += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return epochs, model


def test_early_stopping_patience():
    epochs, _ = drive(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.97, 0.5])
    assert epochs == 4  # best at epoch 1, two epochs without improvement, stop at epoch 3


def test_early_stopping_min_delta_mode_and_restore():
    epochs, model = drive(EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05,
                                        restore_best_weights=True), [0.5, 0.6, 0.62, 0.64], "val_accuracy")
    assert epochs == 3 and model.w == 1  # 0.62 is not > 0.6 + 0.05; weights of epoch 1 restored
    values = [1.0, 0.9, 0.95, 0.96, 0.97]
    assert drive(EarlyStopping(patience=2), values)[0] == 4
    assert drive(EarlyStopping(patience=2, baseline=0.5), values)[0] == 3  # misses the baseline: no reset


def test_early_stopping_stops_fit():
    x = np.ones((8, 2), np.float32)
    model = sl.models.Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.0), loss="mse")  # loss never improves
    history = model.fit(x, x[:, :1], epochs=10, verbose=0, callbacks=[EarlyStopping(monitor="loss", patience=2)])
    assert len(history.history["loss"]) == 3


def test_model_checkpoint_best_only_and_formatted_names(tmp_path):
    x = np.random.default_rng(0).normal(size=(16, 2)).astype(np.float32)
    y = x.sum(1, keepdims=True)
    model = sl.models.Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.1), loss="mse")
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.safetensors")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[ModelCheckpoint(pattern, monitor="loss")])
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and names[0].startswith("ckpt-01-")
    best = str(tmp_path / "best.safetensors")
    cb = ModelCheckpoint(best, monitor="val_loss", save_best_only=True, save_weights_only=True)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 1.0})
    saved = model.get_weights()
    model.set_weights([w + 1 for w in saved])
    cb.on_epoch_end(1, {"val_loss": 2.0})  # worse: file untouched
    fresh = sl.models.Sequential([Input((2,)), Dense(1)])
    fresh.load_weights(best)
    for a, b in zip(fresh.get_weights(), saved):
        np.testing.assert_array_equal(a, b)
    reloaded = sl.models.load_model(names and str(tmp_path / names[-1]))
    assert isinstance(reloaded, sl.models.Sequential)


def test_csv_logger_and_lambda_callback(tmp_path):
    x = np.ones((4, 2), np.float32)
    model = sl.models.Sequential([Input((2,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    events = []
    lam = LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                         on_epoch_end=lambda epoch, logs: events.append(epoch),
                         on_train_batch_end=lambda batch, logs: events.append(("batch", batch)))
    path = tmp_path / "log.csv"
    history = model.fit(x, x[:, :1], batch_size=2, epochs=2, verbose=0, callbacks=[CSVLogger(path), lam])
    assert events == ["begin", ("batch", 0), ("batch", 1), 0, ("batch", 0), ("batch", 1), 1]
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1"] and set(rows[0]) == {"epoch", "loss", "mae"}
    assert float(rows[1]["loss"]) == pytest.approx(history.history["loss"][1])
    model.fit(x, x[:, :1], epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    assert len(list(csv.DictReader(open(path)))) == 3
    with pytest.raises(TypeError, match="on_epoch_ending"):
        LambdaCallback(on_epoch_ending=print)
