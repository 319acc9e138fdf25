"""One convolutional autoencoder, written three ways (and a fourth, MindSpore's), giving the same numbers.

1. Keras classes    — every argument visible on the layer object.
2. tf.layers funcs  — explicit calls, variables found by name in a store.
3. TF-Slim          — arg_scope supplies the shared arguments; Slim's own
                      defaults (ReLU, 'SAME', Xavier) do the rest.
4. MindSpore        — sl.mindspore: NCHW images, weights (out, in, kh, kw),
                      a bias only on request, activations applied separately.

Weights are drawn once (Keras style, seeded) and loaded into the others,
as one would restore a checkpoint (MindSpore's after a layout transpose).
Then outputs, losses (with L2 penalties: note Slim's halved L2) and gradients
are compared bit for bit.

Run: python examples/three_styles.py
"""
from __future__ import annotations

import numpy as np

import slimlayers as sl

slim = sl.slim
LAMBDA = 1e-4  # Keras L2(λ) = λ·Σw²  ==  Slim l2_regularizer(2λ) = 2λ·Σw²/2


# -- 1. Keras classes -------------------------------------------------------------------
def keras_autoencoder():
    reg = sl.regularizers.L2(LAMBDA)
    return [
        sl.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", kernel_regularizer=reg),
        sl.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", kernel_regularizer=reg),
        sl.layers.Conv2DTranspose(8, 3, strides=2, padding="same", activation="relu", kernel_regularizer=reg),
        sl.layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid", kernel_regularizer=reg),
    ]


def keras_forward(layers, x):
    for layer in layers:
        x = layer(x)
    return x


def keras_losses(layers):
    return [loss for layer in layers for loss in layer.losses]


# -- 2. tf.layers functions ------------------------------------------------------------
def tf_layers_autoencoder(x, reuse=None):
    reg = sl.regularizers.L2(LAMBDA)
    with sl.scopes.variable_scope("ae", reuse=reuse):
        x = sl.layers.conv2d(x, 8, 3, strides=2, padding="same", activation="relu", kernel_regularizer=reg)
        x = sl.layers.conv2d(x, 16, 3, strides=2, padding="same", activation="relu", kernel_regularizer=reg)
        x = sl.layers.conv2d_transpose(x, 8, 3, strides=2, padding="same", activation="relu",
                                       kernel_regularizer=reg)
        return sl.layers.conv2d_transpose(x, 1, 3, strides=2, padding="same", activation="sigmoid",
                                          kernel_regularizer=reg)


# -- 3. TF-Slim with arg_scope ----------------------------------------------------------
def slim_autoencoder(x, reuse=None):
    with sl.scopes.variable_scope("ae", reuse=reuse), \
            slim.arg_scope([slim.conv2d, slim.conv2d_transpose], kernel_size=3, stride=2,
                           weights_regularizer=slim.l2_regularizer(2 * LAMBDA)):
        x = slim.conv2d(x, 8)                   # ReLU and 'SAME' are Slim's defaults
        x = slim.conv2d(x, 16)
        x = slim.conv2d_transpose(x, 8)
        return slim.conv2d_transpose(x, 1, activation_fn=sl.nn.sigmoid)


# -- 4. MindSpore's vocabulary -----------------------------------------------------------
MINDSPORE_ACTIVATIONS = (sl.nn.relu, sl.nn.relu, sl.nn.relu, sl.nn.sigmoid)  # MindSpore convs have none


def mindspore_autoencoder():
    ms = sl.mindspore  # pad_mode="same" is MindSpore's default, has_bias=False is too
    return [ms.Conv2d(1, 8, 3, stride=2, has_bias=True), ms.Conv2d(8, 16, 3, stride=2, has_bias=True),
            ms.Conv2dTranspose(16, 8, 3, stride=2, has_bias=True), ms.Conv2dTranspose(8, 1, 3, stride=2, has_bias=True)]


def mindspore_forward(layers, x):
    for layer, activation in zip(layers, MINDSPORE_ACTIVATIONS):
        x = activation(layer(x))
    return x


def mindspore_penalty(layers):
    # MindSpore layers take no regularizer (weight decay lives in its optimizers): Keras' L2, written out
    return sum(sl.regularizers.L2(LAMBDA)(layer.weight) for layer in layers)


def to_mindspore_layout(array):
    """A Keras kernel [kh, kw, a, b] -> MindSpore's (b, a, kh, kw), for Conv2D and Conv2DTranspose alike."""
    return array.transpose(3, 2, 0, 1) if array.ndim == 4 else array


# -- running them -------------------------------------------------------------------------
def _load(variables, arrays):
    for var, value in zip(variables, arrays):
        var.assign(value)


def run(seed=0):
    """Outputs, losses and gradients of the three styles, from one set of weights."""
    sl.set_seed(seed)
    x = np.random.default_rng(seed).random((2, 16, 16, 1)).astype("float32")
    keras = keras_autoencoder()
    keras_forward(keras, x)                      # builds the layers: weights drawn here
    weights = [w for layer in keras for w in layer.get_weights()]
    results = {}

    with sl.GradientTape() as tape:
        y = keras_forward(keras, x)
        loss = ((y - x) ** 2).mean() + sum(keras_losses(keras))
    variables = [w for layer in keras for w in layer.trainable_weights]
    results["keras"] = (y, loss, tape.gradient(loss, variables))

    for style, model in (("tf.layers", tf_layers_autoencoder), ("slim", slim_autoencoder)):
        with sl.scopes.variable_store():
            model(x)                                          # creates ae/... variables
            _load(sl.scopes.get_variables(), weights)         # "restore the checkpoint"
            with sl.GradientTape() as tape:
                y = model(x, reuse=True)
                loss = ((y - x) ** 2).mean() + sum(sl.scopes.get_regularization_losses())
            results[style] = (y, loss, tape.gradient(loss, sl.scopes.get_variables()))

    mindspore = mindspore_autoencoder()
    for layer, keras_layer in zip(mindspore, keras):
        layer.set_weights([to_mindspore_layout(w) for w in keras_layer.get_weights()])
    x_nchw = x.transpose(0, 3, 1, 2)
    with sl.GradientTape() as tape:
        y = mindspore_forward(mindspore, x_nchw)
        loss = ((y - x_nchw) ** 2).mean() + mindspore_penalty(mindspore)
    grads = tape.gradient(loss, [w for layer in mindspore for w in layer.trainable_weights])
    # back to Keras' layouts for the comparison
    results["mindspore"] = (y.transpose((0, 2, 3, 1)), loss, [g.transpose(2, 3, 1, 0) if g.ndim == 4 else g
                                                               for g in grads])
    return results


def agreement(result, reference):
    """What ``result`` shares with ``reference``, bit for bit."""
    (y, loss, grads), (ref_y, ref_loss, ref_grads) = result, reference
    if not (np.array_equal(np.asarray(y), np.asarray(ref_y)) and len(grads) == len(ref_grads)
            and all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(grads, ref_grads))):
        return "outputs or gradients DIFFER"
    if float(loss) == float(ref_loss):
        return f"outputs, loss and {len(grads)} gradients bitwise identical"
    if np.isclose(float(loss), float(ref_loss), rtol=1e-6, atol=0.0):
        # the L2 penalty summed over another weight layout: another float32 summation order
        return f"outputs and {len(grads)} gradients bitwise identical, loss equal to float32 rounding"
    return "loss DIFFERS"


def main():
    results = run()
    for style in ("tf.layers", "slim", "mindspore"):
        print(f"{style:>9} vs keras: {agreement(results[style], results['keras'])} "
              f"(loss {float(results[style][1]):.6f})")
    with sl.scopes.variable_store(), slim.arg_scope([slim.conv2d], kernel_size=3, stride=2):
        print()
        print(sl.scopes.explain(slim.conv2d, np.zeros((1, 16, 16, 1), "float32"), 8))


if __name__ == "__main__":
    main()
