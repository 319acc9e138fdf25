"""Record reference numbers from real Keras 3 (TensorFlow backend) for tests/test_keras_parity.py.

Not run by the test suite (slimlayers never depends on TensorFlow). To refresh:

    python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu keras numpy
    /tmp/tfvenv/bin/python tests/data/keras_parity/generate.py

Writes keras_parity.npz beside this file: inputs, initial weights and Keras' outputs.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026)
out = {"keras_version": np.array(keras.__version__)}


def autoencoder():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ])


# 1. Training parity: the benchmark autoencoder, Adam + MSE, 4 train_on_batch steps.
x = rng.random((16, 28, 28, 1)).astype("float32")
model = autoencoder()
weights = [rng.uniform(-0.2, 0.2, w.shape).astype("float32") for w in model.get_weights()]
model.set_weights(weights)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
out["ae/x"] = x
for i, w in enumerate(weights):
    out[f"ae/w0_{i}"] = w
out["ae/losses"] = np.array([model.train_on_batch(x, x) for _ in range(4)], dtype=np.float64)
for i, w in enumerate(model.get_weights()):
    out[f"ae/w4_{i}"] = w

# 2. A regularized classifier trained with fit (SGD momentum nesterov, batch 8, no shuffle).
xc = rng.standard_normal((24, 8, 8, 3)).astype("float32")
yc = rng.integers(0, 4, 24)
clf = keras.Sequential([
    keras.Input((8, 8, 3)),
    keras.layers.Conv2D(6, 3, padding="same", activation="relu",
                        kernel_regularizer=keras.regularizers.L2(0.01)),
    keras.layers.MaxPooling2D(),
    keras.layers.Conv2D(8, 3, activation="tanh", bias_regularizer=keras.regularizers.L1(0.02),
                        activity_regularizer=keras.regularizers.L2(0.001)),
    keras.layers.Flatten(),
    keras.layers.Dense(4, kernel_regularizer=keras.regularizers.L1L2(0.001, 0.002)),
])
cw = [rng.uniform(-0.3, 0.3, w.shape).astype("float32") for w in clf.get_weights()]
clf.set_weights(cw)
clf.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
hist = clf.fit(xc, yc, batch_size=8, epochs=3, shuffle=False, verbose=0)
out["clf/x"], out["clf/y"] = xc, yc
for i, w in enumerate(cw):
    out[f"clf/w0_{i}"] = w
for i, w in enumerate(clf.get_weights()):
    out[f"clf/w3_{i}"] = w
out["clf/loss"] = np.array(hist.history["loss"])
out["clf/accuracy"] = np.array(hist.history["accuracy"])
out["clf/eval"] = np.array(clf.evaluate(xc, yc, verbose=0))

# 3. BatchNormalization: one training call (output + moving stats), then inference; RMSprop step.
xb = (rng.standard_normal((6, 5, 5, 4)) * 3 + 1).astype("float32")
bn = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
bn.build(xb.shape)
bw = [rng.uniform(0.5, 1.5, (4,)).astype("float32"), rng.uniform(-0.5, 0.5, (4,)).astype("float32"),
      rng.uniform(-0.5, 0.5, (4,)).astype("float32"), rng.uniform(0.5, 1.5, (4,)).astype("float32")]
bn.set_weights(bw)
out["bn/x"] = xb
for i, w in enumerate(bw):
    out[f"bn/w0_{i}"] = w
out["bn/train_out"] = np.asarray(bn(xb, training=True))
for i, w in enumerate(bn.get_weights()):
    out[f"bn/w1_{i}"] = w
out["bn/infer_out"] = np.asarray(bn(xb, training=False))

# 4. Pooling and upsampling layers.
xp = rng.standard_normal((2, 7, 9, 3)).astype("float32")
out["pool/x"] = xp
for name, layer in [
    ("max_valid", keras.layers.MaxPooling2D(3, 2, padding="valid")),
    ("max_same", keras.layers.MaxPooling2D(3, 2, padding="same")),
    ("avg_valid", keras.layers.AveragePooling2D(2, padding="valid")),
    ("avg_same", keras.layers.AveragePooling2D(3, 2, padding="same")),
    ("up_nearest", keras.layers.UpSampling2D((2, 3))),
    ("up_bilinear", keras.layers.UpSampling2D((2, 3), interpolation="bilinear")),
]:
    out[f"pool/{name}"] = np.asarray(layer(xp))

# 5. Losses on extreme values.
logits = np.array([[-80.0, 0.0, 50.0], [3.0, -2.0, 0.5], [1e-3, 20.0, -20.0]], "float32")
probs = np.array([[0.0, 0.3, 0.7], [1.0, 0.0, 0.0], [0.2, 0.5, 0.3]], "float32")
onehot = np.eye(3, dtype="float32")[[2, 0, 1]]
sparse = np.array([2, 0, 1])
binary = np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0]], "float32")
out["loss/logits"], out["loss/probs"], out["loss/onehot"] = logits, probs, onehot
out["loss/sparse"], out["loss/binary"] = sparse, binary
out["loss/bce_logits"] = np.array(keras.losses.BinaryCrossentropy(from_logits=True)(binary, logits))
out["loss/bce_probs"] = np.array(keras.losses.BinaryCrossentropy()(binary, probs))
out["loss/cce_logits"] = np.array(keras.losses.CategoricalCrossentropy(from_logits=True)(onehot, logits))
out["loss/cce_probs"] = np.array(keras.losses.CategoricalCrossentropy()(onehot, probs))
out["loss/scce_logits"] = np.array(keras.losses.SparseCategoricalCrossentropy(from_logits=True)(sparse, logits))
out["loss/mse"] = np.array(keras.losses.MeanSquaredError()(probs, logits))
out["loss/mae"] = np.array(keras.losses.MeanAbsoluteError()(probs, logits))

np.savez_compressed(os.path.join(HERE, "keras_parity.npz"), **out)
print("wrote", os.path.join(HERE, "keras_parity.npz"), "keras", keras.__version__)
