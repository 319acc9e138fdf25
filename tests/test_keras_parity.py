"""Training and layer parity with real Keras 3, from numbers recorded by tests/data/keras_parity/generate.py."""
import os

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.layers import (AveragePooling2D, BatchNormalization, Conv2D, Conv2DTranspose, Dense, Flatten, Input,
                               MaxPooling2D, UpSampling2D)

REF = np.load(os.path.join(os.path.dirname(__file__), "data", "keras_parity", "keras_parity.npz"))


def weights(prefix):
    keys = sorted((k for k in REF.files if k.startswith(prefix)), key=lambda k: int(k.rsplit("_", 1)[1]))
    return [REF[k] for k in keys]


def test_autoencoder_adam_steps_match_keras():
    model = sl.models.Sequential([
        Input((28, 28, 1)),
        Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ])
    model.set_weights(weights("ae/w0_"))
    model.compile(optimizer=sl.optimizers.Adam(learning_rate=0.01), loss="mse")
    x = REF["ae/x"]
    losses = [model.train_on_batch(x, x) for _ in range(4)]
    np.testing.assert_allclose(losses, REF["ae/losses"], rtol=2e-5)
    for got, want in zip(model.get_weights(), weights("ae/w4_")):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6)


def test_regularized_classifier_fit_matches_keras():
    model = sl.models.Sequential([
        Input((8, 8, 3)),
        Conv2D(6, 3, padding="same", activation="relu", kernel_regularizer=sl.regularizers.L2(0.01)),
        MaxPooling2D(),
        Conv2D(8, 3, activation="tanh", bias_regularizer=sl.regularizers.L1(0.02),
               activity_regularizer=sl.regularizers.L2(0.001)),
        Flatten(),
        Dense(4, kernel_regularizer=sl.regularizers.L1L2(0.001, 0.002)),
    ])
    model.set_weights(weights("clf/w0_"))
    model.compile(optimizer=sl.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
                  loss=sl.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    history = model.fit(REF["clf/x"], REF["clf/y"], batch_size=8, epochs=3, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"], REF["clf/loss"], rtol=1e-5)
    np.testing.assert_allclose(history.history["accuracy"], REF["clf/accuracy"])
    for got, want in zip(model.get_weights(), weights("clf/w3_")):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(REF["clf/x"], REF["clf/y"], verbose=0), REF["clf/eval"], rtol=1e-5)


def test_batch_normalization_training_and_inference_match_keras():
    layer = BatchNormalization(momentum=0.9, epsilon=1e-3)
    layer.build(REF["bn/x"].shape)
    layer.set_weights(weights("bn/w0_"))
    np.testing.assert_allclose(np.asarray(layer(REF["bn/x"], training=True)), REF["bn/train_out"],
                               rtol=1e-5, atol=1e-5)
    for got, want in zip(layer.get_weights(), weights("bn/w1_")):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(layer(REF["bn/x"], training=False)), REF["bn/infer_out"],
                               rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, layer", [
    ("max_valid", lambda: MaxPooling2D(3, 2, padding="valid")),
    ("max_same", lambda: MaxPooling2D(3, 2, padding="same")),
    ("avg_valid", lambda: AveragePooling2D(2, padding="valid")),
    ("avg_same", lambda: AveragePooling2D(3, 2, padding="same")),
    ("up_nearest", lambda: UpSampling2D((2, 3))),
    ("up_bilinear", lambda: UpSampling2D((2, 3), interpolation="bilinear")),
])
def test_pooling_and_upsampling_match_keras(name, layer):
    np.testing.assert_allclose(np.asarray(layer()(REF["pool/x"])), REF[f"pool/{name}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, loss, y_true, y_pred", [
    ("bce_logits", lambda: sl.losses.BinaryCrossentropy(from_logits=True), "binary", "logits"),
    ("bce_probs", lambda: sl.losses.BinaryCrossentropy(), "binary", "probs"),
    ("cce_logits", lambda: sl.losses.CategoricalCrossentropy(from_logits=True), "onehot", "logits"),
    ("cce_probs", lambda: sl.losses.CategoricalCrossentropy(), "onehot", "probs"),
    ("scce_logits", lambda: sl.losses.SparseCategoricalCrossentropy(from_logits=True), "sparse", "logits"),
    ("mse", lambda: sl.losses.MeanSquaredError(), "probs", "logits"),
    ("mae", lambda: sl.losses.MeanAbsoluteError(), "probs", "logits"),
])
def test_losses_on_extreme_values_match_keras(name, loss, y_true, y_pred):
    got = float(np.asarray(loss()(REF[f"loss/{y_true}"], REF[f"loss/{y_pred}"])))
    np.testing.assert_allclose(got, REF[f"loss/{name}"], rtol=1e-6)
