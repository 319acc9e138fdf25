"""Procedural shapes, digits (optional scikit-learn), and the batching iterator."""
import builtins

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.datasets import SHAPE_NAMES, BatchIterator


def test_shapes_format_range_and_labels():
    x, y = sl.datasets.shapes(200, size=20, seed=0)
    assert x.shape == (200, 20, 20, 1) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert y.dtype == np.int64 and set(y.tolist()) == set(range(len(SHAPE_NAMES)))
    assert (x.reshape(200, -1).max(1) > 0.5).all()  # every image has a visible shape
    edges = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]])
    assert edges.max() == 0.0  # shapes stay inside the frame


def test_shape_classes_differ_in_a_visible_way():
    x, y = sl.datasets.shapes(700, size=28, seed=1)
    ink = x.reshape(len(x), -1).astype(bool).mean(1)
    filled, outline = ink[y == SHAPE_NAMES.index("square")], ink[y == SHAPE_NAMES.index("square_outline")]
    assert filled.mean() > 1.5 * outline.mean()


def test_shapes_seeding():
    a = sl.datasets.shapes(10, seed=3)[0]
    assert np.array_equal(a, sl.datasets.shapes(10, seed=3)[0])
    assert not np.array_equal(a, sl.datasets.shapes(10, seed=4)[0])
    sl.set_seed(9)
    b = sl.datasets.shapes(10)[0]
    sl.set_seed(9)
    assert np.array_equal(b, sl.datasets.shapes(10)[0])


def test_shapes_argument_errors():
    with pytest.raises(ValueError, match="size"):
        sl.datasets.shapes(3, size=4)
    with pytest.raises(TypeError, match="n"):
        sl.datasets.shapes("ten")


def test_digits_without_scikit_learn_says_how_to_get_it(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError("no sklearn")
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        sl.datasets.digits()


def test_digits_with_scikit_learn():
    pytest.importorskip("sklearn")
    (xt, yt), (xv, yv) = sl.datasets.digits(test_fraction=0.25, seed=0)
    assert xt.shape[1:] == (8, 8, 1) and len(xt) + len(xv) == 1797 and len(xv) == 449
    assert xt.dtype == np.float32 and 0 <= xt.min() and xt.max() <= 1 and set(yt.tolist()) == set(range(10))


def test_batch_iterator_covers_every_sample_once_and_is_seeded():
    x, y = np.arange(10), np.arange(10) * 2
    batches = list(BatchIterator(x, y, batch_size=4, seed=0))
    assert [len(b[0]) for b in batches] == [4, 4, 2]
    got = np.concatenate([b[0] for b in batches])
    assert sorted(got.tolist()) == list(range(10)) and not np.array_equal(got, x)
    assert np.array_equal(np.concatenate([b[1] for b in batches]), got * 2)
    again = np.concatenate([b[0] for b in BatchIterator(x, y, batch_size=4, seed=0)])
    assert np.array_equal(got, again)
    it = BatchIterator(x, y, batch_size=4, seed=0)
    assert not np.array_equal(np.concatenate([b[0] for b in it]), np.concatenate([b[0] for b in it]))
    assert len(it) == 3
    with pytest.raises(ValueError, match="same number of samples"):
        BatchIterator(x, y[:5])


def test_fit_accepts_a_batch_iterator():
    x, _ = sl.datasets.shapes(32, size=8, seed=0)
    model = sl.models.Sequential([sl.layers.Input((8, 8, 1)), sl.layers.Flatten(), sl.layers.Dense(64)])
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(BatchIterator(x, x.reshape(32, -1), batch_size=8, seed=0), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
