"""sl.set_seed: same script, same bytes — across processes and Numba thread counts."""
import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np

import slimlayers as sl
from slimlayers.layers import Conv2D, Dense, Dropout, Flatten, Input

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent(f"""
    import hashlib, sys
    sys.path.insert(0, {ROOT!r})
    import slimlayers as sl
    from slimlayers.layers import Input, Conv2D, Conv2DTranspose, Dropout
    sl.set_seed(123)
    x, _ = sl.datasets.shapes(96, size=16)
    model = sl.models.Sequential([Input((16, 16, 1)), Conv2D(8, 3, strides=2, padding="same", activation="relu"),
                                  Dropout(0.2), Conv2DTranspose(1, 3, strides=2, padding="same",
                                                                activation="sigmoid")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, x, batch_size=32, epochs=2, verbose=0)
    h = hashlib.sha256()
    for w in model.get_weights():
        h.update(w.tobytes())
    print(h.hexdigest())
""")


def run(threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_two_processes_with_1_and_2_threads_end_with_identical_weights():
    assert run(1) == run(2)


def test_adding_a_layer_keeps_the_other_layers_initial_weights():
    sl.set_seed(7)
    small = sl.models.Sequential([Input((8, 8, 1)), Conv2D(4, 3, name="c1"), Flatten(name="f"),
                                  Dense(2, name="out")])
    sl.set_seed(7)
    big = sl.models.Sequential([Input((8, 8, 1)), Conv2D(4, 3, name="c1"), Conv2D(4, 1, padding="same", name="extra"),
                                Flatten(name="f"), Dense(2, name="out")])
    np.testing.assert_array_equal(small.get_layer("c1").kernel.numpy(), big.get_layer("c1").kernel.numpy())
    np.testing.assert_array_equal(small.get_layer("out").kernel.numpy(), big.get_layer("out").kernel.numpy())


def test_seed_controls_data_shuffling_and_dropout_in_process():
    def once():
        sl.set_seed(5)
        x, _ = sl.datasets.shapes(40, size=12)
        model = sl.models.Sequential([Input((12, 12, 1)), Flatten(), Dropout(0.5), Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
        model.fit(x, x.reshape(40, -1)[:, :1], batch_size=8, epochs=2, verbose=0)
        return b"".join(w.tobytes() for w in model.get_weights())
    assert hashlib.sha256(once()).digest() == hashlib.sha256(once()).digest()
