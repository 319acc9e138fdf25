"""Small datasets that need no download: procedural shapes and scikit-learn's 8×8 digits.

``shapes`` draws filled and outlined circles, squares, triangles and bars at
random positions and scales: enough structure for an autoencoder or a
classifier to learn in seconds. ``digits`` is scikit-learn's bundled 8×8
digits (an optional extra).

Example:
    >>> import slimlayers as sl
    >>> x, y = sl.datasets.shapes(8, size=16, seed=0)
    >>> x.shape, x.dtype.name, sorted(set(y.tolist())) <= list(range(len(sl.datasets.SHAPE_NAMES)))
    ((8, 16, 16, 1), 'float32', True)
"""
from __future__ import annotations

import numpy as np

from .. import random as sl_random
from ..validation import arg_error, check_int

SHAPE_NAMES = ("circle", "circle_outline", "square", "square_outline", "triangle", "triangle_outline",
               "bar")


def _circle(yy, xx, cy, cx, r):
    return (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r


def _square(yy, xx, cy, cx, r):
    return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)


def _triangle(yy, xx, cy, cx, r):
    # apex at the top, base at the bottom: inside when below both slanted edges and above the base
    top, bottom = cy - r, cy + r
    half_width = (yy - top) / 2.0  # widens by 1 pixel per 2 rows
    return (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half_width)


def _outline(inside_fn, yy, xx, cy, cx, r, thickness):
    return inside_fn(yy, xx, cy, cx, r) & ~inside_fn(yy, xx, cy, cx, r - thickness)


def _draw(kind, size, rng):
    """One ``size × size`` image of shape ``kind`` with a random centre, scale and intensity."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    r = rng.uniform(0.18, 0.38) * size
    cy, cx = rng.uniform(r, size - 1 - r, size=2)  # the whole shape stays inside the frame
    thickness = max(1.0, size / 14)
    name = SHAPE_NAMES[kind]
    if name == "bar":
        half_len, half_thick = r, max(1.0, r / 4)
        if rng.random() < 0.5:
            mask = (np.abs(yy - cy) <= half_thick) & (np.abs(xx - cx) <= half_len)
        else:
            mask = (np.abs(xx - cx) <= half_thick) & (np.abs(yy - cy) <= half_len)
    else:
        base = {"circle": _circle, "square": _square, "triangle": _triangle}[name.split("_")[0]]
        if name.endswith("_outline"):
            mask = _outline(base, yy, xx, cy, cx, r, thickness)
        else:
            mask = base(yy, xx, cy, cx, r)
    intensity = rng.uniform(0.6, 1.0)
    return mask * intensity


def shapes(n, size=28, seed=None):
    """``n`` procedural grey images of simple shapes, with their class labels.

    Args:
        n: number of images.
        size: side length in pixels (>= 8).
        seed: int, numpy Generator, or None for the ``sl.set_seed`` stream ``"datasets/shapes"``.

    Returns:
        ``(x, y)``: ``x`` float32 in [0, 1] of shape ``(n, size, size, 1)`` (NHWC),
        ``y`` int64 labels indexing ``SHAPE_NAMES``.
    """
    n = check_int("n", n, 0)
    size = check_int("size", size, 8)
    rng = sl_random.resolve(seed, "datasets/shapes")
    labels = rng.integers(0, len(SHAPE_NAMES), size=n)
    x = np.empty((n, size, size, 1), np.float32)
    for i, kind in enumerate(labels):
        x[i, :, :, 0] = _draw(int(kind), size, rng)
    return x, labels.astype(np.int64)


def digits(test_fraction=0.2, seed=0):
    """scikit-learn's 1,797 8×8 digit images, scaled to [0, 1], NHWC, split into train and test.

    Needs scikit-learn (``pip install slimlayers[examples]``). Returns
    ``(x_train, y_train), (x_test, y_test)`` with ``x`` float32 ``(n, 8, 8, 1)``
    and ``y`` int64 labels 0–9; the split is a seeded shuffle.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("sl.datasets.digits() needs scikit-learn, which bundles the 8×8 digits data: "
                          "pip install scikit-learn (or pip install 'slimlayers[examples]').") from None
    if not 0.0 < float(test_fraction) < 1.0:
        raise arg_error("test_fraction", "must be strictly between 0 and 1", test_fraction)
    data = load_digits()
    x = (np.asarray(data.images, np.float32) / 16.0)[..., None]
    y = np.asarray(data.target, np.int64)
    order = sl_random.resolve(seed, "datasets/digits").permutation(len(x))
    n_test = int(round(len(x) * float(test_fraction)))
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])


__all__ = ["SHAPE_NAMES", "shapes", "digits"]
