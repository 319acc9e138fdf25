"""Time the bench-shapes.md autoencoder training step: slimlayers vs PyTorch and Keras, and cold starts.

    PYTHONPATH=/work/main python3 benchmarks/train_step.py [--reps 15] [--threads 2] [--peers torch,tf] [--no-cold]

Model (batch 64, 28x28x1): Conv2D(32,3,s2,same,relu) -> Conv2D(64,3,s2,same,relu) ->
Conv2DTranspose(32,3,s2,same,relu) -> Conv2DTranspose(1,3,s2,same,sigmoid), MSE, Adam.
Steps of the libraries are interleaved (median of --reps); each peer (PyTorch; Keras 3 on
TensorFlow, default compile) runs in its own process, when importable. Cold start = wall time of a
fresh process that imports slimlayers, builds the model and runs one step, with the Numba
cache warm, and with an empty cache (NUMBA_CACHE_DIR = a fresh temporary directory, so
every kernel is compiled).
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from _common import PEERS, PeerProcesses, add_isa_argument, apply_isa, describe_cpu, setup, time_burst

BATCH = 64


def autoencoder_layers(L, Input):
    """The bench-shapes.md autoencoder from a Keras-style layers namespace (slimlayers or Keras)."""
    return [
        Input((28, 28, 1)),
        L.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        L.Conv2D(64, 3, strides=2, padding="same", activation="relu"),
        L.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu"),
        L.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
    ]


def slimlayers_step():
    """A zero-argument callable running one train_on_batch of the autoencoder."""
    import slimlayers as sl
    model = sl.models.Sequential(autoencoder_layers(sl.layers, sl.layers.Input))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((BATCH, 28, 28, 1), dtype=np.float32)
    return lambda: model.train_on_batch(x, x)


def torch_step(torch):
    """(one training step,) in PyTorch, channels_last."""
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
        nn.ConvTranspose2d(32, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid(),
    ).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(BATCH, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    loss_fn = nn.MSELoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), x)
        loss.backward()
        opt.step()
        return loss
    return (step,)


def keras_step(tf):
    """(one train_on_batch,) in Keras 3 on TensorFlow (default compile: XLA where Keras picks it)."""
    import keras
    model = keras.Sequential(autoencoder_layers(keras.layers, keras.Input))
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((BATCH, 28, 28, 1), dtype=np.float32)
    return (lambda: model.train_on_batch(x, x),)


PEER_STEPS = {"torch": "train_step:torch_step", "tf": "train_step:keras_step"}


_COLD = """
import time; t = time.perf_counter()
import sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2])
from train_step import slimlayers_step
step = slimlayers_step(); step()
print(time.perf_counter() - t)
"""


def cold_start(cache_dir=None):
    """Seconds for import + build + first step in a fresh process (cache_dir: NUMBA_CACHE_DIR)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    here = os.path.dirname(os.path.abspath(__file__))
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _COLD, repo, here], env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.split()[-1]), time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--pause", type=float, default=0.003)
    ap.add_argument("--peers", default=",".join(PEERS), help="peers to time when importable ('' for none)")
    ap.add_argument("--no-cold", action="store_true")
    add_isa_argument(ap)
    args = ap.parse_args()
    apply_isa(args.isa)
    setup(args.threads, [])
    peers = PeerProcesses([p for p in args.peers.split(",") if p], args.threads, PEER_STEPS)
    peers.build()
    step = slimlayers_step()
    for _ in range(3):
        step()
    names = ["slimlayers"] + [{"tf": "keras"}.get(n, n) for n in peers.versions]
    times = [[] for _ in names]
    for _ in range(args.reps):
        time.sleep(args.pause)
        times[0].extend(time_burst(step, 1))
        for i, name in enumerate(peers.versions, 1):
            times[i].append(peers.time(name, 0, args.pause))
    peers.close()
    med = [float(np.median(t)) * 1e3 for t in times]
    print(describe_cpu(args.isa))
    print(f"autoencoder train step, batch {BATCH}, float32, {args.threads} threads, median of {args.reps}")
    print("  " + " | ".join(f"{n} {m:.2f} ms" for n, m in zip(names, med)), end="")
    print(f" | ratio to the fastest peer {med[0] / min(med[1:]):.2f}" if len(med) > 1 else "")
    if not args.no_cold:
        warm = cold_start()
        with tempfile.TemporaryDirectory() as d:
            empty = cold_start(d)
        print("cold start (import + build + first step, in-process seconds / process wall seconds):")
        print(f"  warm Numba cache {warm[0]:.2f} / {warm[1]:.2f} s, empty cache {empty[0]:.2f} / {empty[1]:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
