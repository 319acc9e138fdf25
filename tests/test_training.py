"""compile / fit / evaluate / predict / *_on_batch, checked against numpy computations written here."""
import io

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.layers import Dense, Input

rng = np.random.default_rng(3)


def linear_data(n=64):
    x = rng.normal(size=(n, 3)).astype(np.float32)
    w = np.array([[1.0], [-2.0], [0.5]], np.float32)
    return x, x @ w + 0.3


def test_fit_reduces_loss_and_returns_history():
    sl.set_seed(0)
    x, y = linear_data()
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.1), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=20, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 20 and losses[-1] < 0.01 * losses[0]
    assert model.history is history and history.epoch == list(range(20))


def test_sgd_step_equals_numpy_gradient_descent():
    x, y = linear_data(8)
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.05), loss="mse")
    k, b = [w.astype(np.float64) for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    err = x @ k + b - y
    assert isinstance(loss, float) and loss == pytest.approx(np.mean(err ** 2), rel=1e-5)
    gk, gb = 2 * x.T @ err / len(x), 2 * err.mean(0)
    nk, nb = model.get_weights()
    np.testing.assert_allclose(nk, k - 0.05 * gk, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nb, b - 0.05 * gb, rtol=1e-5, atol=1e-6)


def test_regularization_penalties_are_in_the_reported_loss():
    x, y = linear_data(8)
    model = sl.models.Sequential([Input((3,)), Dense(1, kernel_regularizer=sl.regularizers.L2(0.1),
                                                     bias_initializer="ones",
                                                     activity_regularizer=sl.regularizers.L1(0.01))])
    model.compile(optimizer=sl.optimizers.SGD(0.01), loss="mse")
    k, b = model.get_weights()
    out = x @ k + b
    expected = np.mean((out - y) ** 2) + 0.1 * np.sum(k ** 2) + 0.01 * np.sum(np.abs(out)) / len(x)
    assert model.train_on_batch(x, y) == pytest.approx(expected, rel=1e-5)  # penalties at pre-update weights
    assert model.test_on_batch(x, y) < expected


def test_train_on_batch_return_forms_and_accuracy_key():
    x = rng.normal(size=(32, 4)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64)
    model = sl.models.Sequential([Input((4,)), Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    pred = model.predict(x, verbose=0)
    loss, acc = model.train_on_batch(x, labels)
    assert acc == pytest.approx(np.mean(np.argmax(pred, -1) == labels))
    logs = model.train_on_batch(x, labels, return_dict=True)
    assert set(logs) == {"loss", "accuracy"}
    history = model.fit(x, labels, epochs=2, verbose=0, validation_split=0.25)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}


@pytest.mark.parametrize("units, loss, labels_kind, metric_cls", [
    (1, "binary_crossentropy", "binary", sl.metrics.BinaryAccuracy),
    (3, "categorical_crossentropy", "onehot", sl.metrics.CategoricalAccuracy),
    (3, "sparse_categorical_crossentropy", "sparse", sl.metrics.SparseCategoricalAccuracy),
])
def test_accuracy_resolves_by_output_and_loss(units, loss, labels_kind, metric_cls):
    x = rng.normal(size=(6, 2)).astype(np.float32)
    y = {"binary": rng.integers(0, 2, (6, 1)), "onehot": np.eye(3)[rng.integers(0, 3, 6)],
         "sparse": rng.integers(0, 3, 6)}[labels_kind]
    model = sl.models.Sequential([Input((2,)), Dense(units, activation="sigmoid" if units == 1 else "softmax")])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    model.test_on_batch(x, y)
    assert type(model.metrics[1]) is metric_cls and model.metrics[1].name == "accuracy"


def test_evaluate_matches_numpy_and_weights_epoch_loss_by_batch_size():
    x, y = linear_data(10)
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    k, b = model.get_weights()
    out = x @ k + b
    loss, mae = model.evaluate(x, y, batch_size=4, verbose=0)  # batches of 4, 4, 2
    assert loss == pytest.approx(np.mean((out - y) ** 2), rel=1e-5)
    assert mae == pytest.approx(np.mean(np.abs(out - y)), rel=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=3, verbose=0), out, rtol=1e-5)


def test_validation_split_takes_the_last_samples_before_shuffling():
    x, y = linear_data(10)
    seen = []
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.0), loss="mse")
    cb = sl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(logs["val_loss"]))
    model.fit(x, y, epochs=1, validation_split=0.3, verbose=0, callbacks=[cb])
    k, b = model.get_weights()
    assert seen[0] == pytest.approx(np.mean((x[7:] @ k + b - y[7:]) ** 2), rel=1e-5)


def test_sample_weight_in_fit_and_evaluate():
    x, y = linear_data(6)
    w = np.array([1, 1, 1, 0, 0, 0], np.float32)
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    k, b = model.get_weights()
    got = model.evaluate(x, y, sample_weight=w, verbose=0)
    assert got == pytest.approx(np.sum(w * ((x @ k + b - y) ** 2)[:, 0]) / 6, rel=1e-5)


def test_progress_bar_output():
    x, y = linear_data(20)
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    out = io.StringIO()
    cb = sl.callbacks.ProgbarLogger(verbose=2, stream=out)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[cb])
    text = out.getvalue()
    assert "Epoch 1/2" in text and "Epoch 2/2" in text
    assert text.count("3/3 [========================]") == 2 and "loss: " in text


def test_errors_are_clear():
    model = sl.models.Sequential([Input((3,)), Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="verbose"):
        model.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=3)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(np.zeros((2, 3)), np.zeros((3, 1)), verbose=0)
    with pytest.raises(TypeError, match="metrics"):
        model.compile(optimizer="sgd", loss="mse", metrics="accuracy")


def test_batchnorm_and_dropout_train_in_fit():
    sl.set_seed(1)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    y = (x[:, :1] * 2).astype(np.float32)
    model = sl.models.Sequential([Input((4,)), Dense(8, activation="relu"), sl.layers.BatchNormalization(),
                                  sl.layers.Dropout(0.1), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    moving_mean = model.layers[1].moving_mean.numpy().copy()
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert not np.array_equal(model.layers[1].moving_mean.numpy(), moving_mean)


def test_sequential_without_input_trains_from_the_first_step():
    x, y = linear_data(32)
    model = sl.models.Sequential([Dense(1)])
    model.compile(optimizer=sl.optimizers.SGD(0.1), loss="mse")
    first = model.train_on_batch(x, y)
    for _ in range(20):
        last = model.train_on_batch(x, y)
    assert last < 0.1 * first


def test_subclassed_model_trains_and_saves_weights(tmp_path):
    class TwoLayer(sl.models.Model):
        def __init__(self):
            super().__init__(name="two_layer")
            self.hidden = Dense(8, activation="relu")
            self.out = Dense(1)

        def call(self, inputs, training=None):
            return self.out(self.hidden(inputs))

    x, y = linear_data(32)
    model = TwoLayer()
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save_weights(tmp_path / "w.safetensors")
    other = TwoLayer()
    other(x[:1])
    other.load_weights(tmp_path / "w.safetensors")
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(NotImplementedError, match="subclassed model"):
        model.save(tmp_path / "m.safetensors")


def test_autoencoder_example_runs(tmp_path, load_example):
    example = load_example("autoencoder")
    mse, baseline = example.main(["--epochs", "3", "--train", "1024", "--test", "64", "--out", str(tmp_path),
                                  "--verbose", "0"])
    assert mse < 0.5 * baseline
    assert (tmp_path / "autoencoder.safetensors").exists()


def test_digits_example_reaches_95_percent(load_example):
    pytest.importorskip("sklearn")
    example = load_example("classify_digits")
    assert example.main(["--verbose", "0", "--epochs", "8"]) >= 0.95


@pytest.mark.parametrize("bad", ["abc", 3.0, [object()]])
def test_fit_rejects_non_numeric_data_by_name(bad):
    model = sl.models.Sequential([sl.layers.Input((3,)), sl.layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(TypeError, match="`x`"):
        model.fit(bad, np.ones((4, 1)), verbose=0)
