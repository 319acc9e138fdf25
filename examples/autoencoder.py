"""Train a convolutional autoencoder on shapes, MNIST or Fashion-MNIST, save it, reload it, show what it learned.

The encoder halves the image twice with strided convolutions (28 → 14 → 7);
the decoder doubles it back with transposed convolutions (7 → 14 → 28). The
summary's "Spatial" column shows that arithmetic layer by layer.

Run:
    python examples/autoencoder.py                 # procedural shapes, no download; ~10 s on 2 cores
    python examples/autoencoder.py --epochs 20 --out /tmp/ae
    python examples/autoencoder.py --data mnist    # Keras' cache or one download (11 MB)
    python examples/autoencoder.py --data fashion --train 60000 --test 10000
    python examples/autoencoder.py --data mnist --data-path ~/Downloads/mnist.npz

Writes ``autoencoder.safetensors`` (config + weights) and, when matplotlib is
installed, ``autoencoder.png`` (inputs above, reconstructions below) into --out.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

import slimlayers as sl
from slimlayers.layers import Conv2D, Conv2DTranspose, Input


def build_autoencoder():
    """The benchmark autoencoder: Conv2D(32)/Conv2D(64) down, Conv2DTranspose(32)/Conv2DTranspose(1) up."""
    return sl.models.Sequential([
        Input((28, 28, 1)),
        Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ], name="autoencoder")


def load_images(data, n_train, n_test, path=None):
    """``n_train`` training and ``n_test`` test images, float32 in [0, 1], shape ``(n, 28, 28, 1)``.

    ``data`` is "shapes" (drawn on the fly), "mnist" or "fashion" (the first images of Keras' splits).
    """
    if data == "shapes":
        return sl.datasets.shapes(n_train)[0], sl.datasets.shapes(n_test)[0]
    dataset = {"mnist": sl.datasets.mnist, "fashion": sl.datasets.fashion_mnist}[data]
    (x_train, _), (x_test, _) = dataset.load_data(path)
    return to_unit_float(x_train[:n_train]), to_unit_float(x_test[:n_test])


def to_unit_float(images):
    """uint8 ``(n, 28, 28)`` → float32 ``(n, 28, 28, 1)`` in [0, 1]: NHWC with one grey channel."""
    return images[..., None].astype(np.float32) / 255.0


def save_grid(path, inputs, reconstructions, n=8):
    """A PNG with ``n`` inputs on the top row and their reconstructions below; False without matplotlib."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, n, figsize=(1.4 * n, 3.0))
    for i in range(n):
        for row, images in enumerate((inputs, reconstructions)):
            axes[row, i].imshow(images[i, :, :, 0], cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("input", loc="left", fontsize=9)
    axes[1, 0].set_title("reconstruction", loc="left", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("shapes", "mnist", "fashion"), default="shapes",
                        help="procedural shapes (default, needs nothing), MNIST or Fashion-MNIST")
    parser.add_argument("--data-path", default=None,
                        help="mnist/fashion: a Keras .npz or a directory of the IDX .gz files "
                             "(default: Keras' cache, slimlayers' cache, else download)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train", type=int, default=3000, help="number of training images")
    parser.add_argument("--test", type=int, default=500, help="number of test images")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="autoencoder_output", help="directory for the model file and PNG")
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)
    if args.data_path is not None and args.data == "shapes":
        parser.error("--data-path needs --data mnist or --data fashion")

    sl.set_seed(args.seed)  # weights, shuffling and the shapes themselves are reproducible
    try:
        x_train, x_test = load_images(args.data, args.train, args.test, args.data_path)
    except sl.datasets.DownloadError as err:  # offline: the message says how to get the files by hand
        raise SystemExit(f"{err}\n(--data shapes needs no download.)") from None
    print(f"{args.data}: {len(x_train)} training and {len(x_test)} test images")

    model = build_autoencoder()
    model.summary()
    model.compile(optimizer=sl.optimizers.Adam(learning_rate=2e-3), loss="mse")
    start = time.perf_counter()
    model.fit(x_train, x_train, batch_size=64, epochs=args.epochs, validation_data=(x_test, x_test),
              verbose=args.verbose)
    print(f"trained in {time.perf_counter() - start:.1f} s")

    reconstructions = model.predict(x_test, verbose=0)
    mse = float(np.mean((reconstructions - x_test) ** 2))
    baseline = float(np.mean((x_train.mean(axis=0) - x_test) ** 2))
    print(f"test reconstruction MSE: {mse:.5f}   mean-image baseline: {baseline:.5f}   "
          f"({baseline / mse:.1f}x better)")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "autoencoder.safetensors")
    model.save(path)
    reloaded = sl.models.load_model(path)
    same = np.array_equal(reloaded.predict(x_test, verbose=0), reconstructions)
    print(f"saved to {path}; reloaded model gives {'identical' if same else 'DIFFERENT'} predictions")
    if not same:
        raise SystemExit("reload check failed")

    png = os.path.join(args.out, "autoencoder.png")
    if save_grid(png, x_test, reconstructions):
        print(f"wrote {png} (inputs on top, reconstructions below)")
    else:
        print("install matplotlib (pip install matplotlib, or pip install 'slimlayers[examples]') "
              f"to get a picture of inputs vs reconstructions in {png}")
    return mse, baseline


if __name__ == "__main__":
    main()
