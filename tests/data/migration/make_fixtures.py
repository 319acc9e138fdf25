"""Record TF-Slim's predictions and regularization losses for the models in models.py.

Run with real TF-Slim (not a project dependency):
    python -m venv /tmp/slimvenv && /tmp/slimvenv/bin/pip install tensorflow-cpu tf-slim tf_keras
    /tmp/slimvenv/bin/python tests/data/migration/make_fixtures.py

Writes ``<model>.npz`` beside this file: ``input``, ``output``,
``regularization_loss`` (the sum TF-Slim collects) and every variable as
``var:<Slim name>`` (random values, moving variances positive), plain arrays
only (no pickle).
"""
import importlib
import os
import sys
import types
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf_slim as slim  # noqa: E402

# tf-slim 1.1 predates TF 2.21: its batch_norm imports the legacy layers from their pre-2.16 place, and its
# utils name the tensor class where it used to live
for _suffix in ("", ".normalization"):
    sys.modules["tf_keras.legacy_tf_layers" + _suffix] = importlib.import_module("tf_keras.src.legacy_tf_layers"
                                                                                 + _suffix)
tf_ops = importlib.import_module("tensorflow.python.framework.ops")
if not hasattr(tf_ops, "Tensor"):
    tf_ops.Tensor = tf.Tensor

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import models  # noqa: E402

ops = types.SimpleNamespace(
    relu=tf.nn.relu, tanh=tf.nn.tanh, sigmoid=tf.nn.sigmoid, leaky_relu=tf.nn.leaky_relu,
    truncated_normal=lambda stddev: tf.compat.v1.truncated_normal_initializer(stddev=stddev),
    zeros=tf.compat.v1.zeros_initializer,
    reshape=tf.reshape, concat=lambda values, axis: tf.concat(values, axis),
    variable_scope=tf.compat.v1.variable_scope,
)


def record(name, model_fn, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        inputs = tf.compat.v1.placeholder(tf.float32, shape)
        outputs = model_fn(inputs, is_training=False)
        loss = tf.compat.v1.losses.get_regularization_loss()
        variables = tf.compat.v1.global_variables()
        with tf.compat.v1.Session() as session:
            arrays = {}
            for v in variables:
                value = rng.standard_normal(v.shape.as_list()).astype(np.float32) * 0.3
                if "moving_variance" in v.name:
                    value = np.abs(value) + 0.5
                arrays["var:" + v.name.split(":")[0]] = value
                v.load(value, session)
            y, reg = session.run([outputs, loss], {inputs: x})
    np.savez(HERE / f"{name}.npz", input=x, output=y, regularization_loss=np.float64(reg), **arrays)
    print(f"{name}: output {y.shape}, {len(variables)} variables, regularization loss {reg:.6f}")


if __name__ == "__main__":
    tf.compat.v1.disable_eager_execution()
    for i, (name, (fn, shape)) in enumerate(models.build(slim, ops).items()):
        record(name, fn, shape, seed=i)
