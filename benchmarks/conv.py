"""Time the bench-shapes.md conv suite: slimlayers vs PyTorch and TensorFlow CPU (if importable).

    PYTHONPATH=/work/main python3 benchmarks/conv.py [--reps 9] [--threads 2] [--only a,b,g] [--peers torch,tf]

Forward and forward+backward (forward + grad input + grad filter), float32,
NHWC, median of --reps repetitions after warm-up, the libraries' calls
interleaved so all see the same machine state. The ratio is slimlayers over the
best peer of that row. Peers are optional and never dependencies of slimlayers
(see benchmarks/README.md for a side venv).
"""
import argparse
import os
import sys
import time

import numpy as np

from _common import PEERS, PeerProcesses, add_isa_argument, apply_isa, describe_cpu, geomean, setup, time_burst

# id, op, N, H, W, Cin, Cout, k, stride, padding  (bench-shapes.md)
SHAPES = [
    ("a", "conv2d", 32, 28, 28, 1, 32, 3, 1, "SAME"),
    ("b", "conv2d", 32, 28, 28, 32, 64, 3, 2, "SAME"),
    ("c", "conv2d", 32, 14, 14, 64, 64, 3, 1, "SAME"),
    ("d", "conv2d", 16, 64, 64, 3, 64, 4, 2, "SAME"),
    ("e", "conv2d", 16, 32, 32, 64, 128, 4, 2, "SAME"),
    ("f", "conv2d", 8, 32, 32, 32, 32, 3, 1, "SAME"),   # dilation 2, see _dilation
    ("g", "conv2d_transpose", 32, 7, 7, 64, 32, 3, 2, "SAME"),
    ("h", "conv2d_transpose", 32, 14, 14, 32, 1, 3, 2, "SAME"),
    ("i", "conv2d_transpose", 16, 8, 8, 256, 128, 4, 2, "SAME"),
    ("j", "conv2d_transpose", 16, 16, 16, 128, 64, 4, 2, "SAME"),
    ("k", "conv2d_transpose", 16, 32, 32, 64, 3, 4, 2, "SAME"),
    ("l", "conv2d_transpose", 1, 16, 50, 3, 64, 5, 3, "VALID"),
]


def _dilation(shape):
    return 2 if shape[0] == "f" else 1


def geometry(shape):
    """Forward-conv view of a benchmark row (TF semantics, semantics.md §0.2/§0.3).

    Returns dict with x_shape (op input), y_shape (op output), w_shape
    ([k, k, fwd_in, fwd_out], the TF filter array for both ops), stride,
    dilation, pt/pl (forward-conv top/left padding) and flops.
    """
    sid, op, n, h, w, cin, cout, k, s, pad = shape
    d = _dilation(shape)
    dk = d * (k - 1) + 1
    if op == "conv2d":
        if pad == "SAME":
            oh, ow = -(-h // s), -(-w // s)
            ph = max((oh - 1) * s + dk - h, 0)
            pw = max((ow - 1) * s + dk - w, 0)
        else:
            oh, ow, ph, pw = (h - dk) // s + 1, (w - dk) // s + 1, 0, 0
        flops = 2 * n * oh * ow * cout * cin * k * k
        return dict(x_shape=(n, h, w, cin), y_shape=(n, oh, ow, cout), w_shape=(k, k, cin, cout),
                    s=s, d=d, pt=ph // 2, pl=pw // 2, pads=((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)),
                    flops=flops)
    # transposed: input (n, h, w, cin) -> output (n, oh, ow, cout); forward-conv filter [k,k,cout,cin]
    if pad == "SAME":
        oh, ow = h * s, w * s
    else:
        oh, ow = (h - 1) * s + dk, (w - 1) * s + dk
    ph = max((h - 1) * s + dk - oh, 0) if pad == "SAME" else 0
    pw = max((w - 1) * s + dk - ow, 0) if pad == "SAME" else 0
    flops = 2 * n * h * w * cin * cout * k * k
    return dict(x_shape=(n, h, w, cin), y_shape=(n, oh, ow, cout), w_shape=(k, k, cout, cin),
                s=s, d=d, pt=ph // 2, pl=pw // 2, pads=((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)),
                flops=flops)


def slimlayers_fns(shape):
    """(forward, forward+backward) zero-argument callables for one benchmark row, through the
    public ops (``sl.nn.conv2d`` / ``sl.nn.conv2d_transpose``; fwd+bwd under a GradientTape
    with dy as the output gradient), so per-call Python overhead is included."""
    import slimlayers as sl

    g = geometry(shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(g["x_shape"], dtype=np.float32)
    w = rng.standard_normal(g["w_shape"], dtype=np.float32)
    dy = rng.standard_normal(g["y_shape"], dtype=np.float32)
    s, d, pad = g["s"], g["d"], shape[9]
    xt, wt = sl.constant(x), sl.constant(w)
    if shape[1] == "conv2d":
        def op(a, b):
            return sl.nn.conv2d(a, b, s, pad, dilations=d)
    else:
        def op(a, b):
            return sl.nn.conv2d_transpose(a, b, g["y_shape"], s, pad, dilations=d)

    def fwd():
        return op(x, w)

    def fwdbwd():
        with sl.GradientTape() as tape:
            tape.watch([xt, wt])
            y = op(xt, wt)
        return tape.gradient(y, [xt, wt], output_gradients=dy)

    return fwd, fwdbwd


def kernel_fns(shape):
    """Like ``slimlayers_fns`` but calling slimlayers.kernels directly (no Python op layer);
    the difference to ``slimlayers_fns`` is the op's per-call overhead."""
    from slimlayers.kernels import conv as K

    g = geometry(shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(g["x_shape"], dtype=np.float32)
    w = rng.standard_normal(g["w_shape"], dtype=np.float32)
    dy = rng.standard_normal(g["y_shape"], dtype=np.float32)
    a = (g["s"], g["s"], g["d"], g["d"], g["pt"], g["pl"], 1)
    apply, adjoint = K.conv2d_forward, K.conv2d_backprop_input
    if shape[1] != "conv2d":
        apply, adjoint = adjoint, apply

    def fwd():
        y = np.empty(g["y_shape"], np.float32)
        apply(x, w, y, *a)
        return y

    def fwdbwd():
        y = fwd()
        dx = np.empty(x.shape, np.float32)
        adjoint(dy, w, dx, *a)
        dw = np.empty(w.shape, np.float32)
        if shape[1] == "conv2d":
            K.conv2d_backprop_filter(x, dy, dw, *a)
        else:
            K.conv2d_backprop_filter(dy, x, dw, *a)
        return y, dx, dw
    return fwd, fwdbwd


def sgemm_gflops(threads):
    """np.matmul float32 GFLOP/s (1024^3, best of 5) in a child process with BLAS limited to
    ``threads`` threads (BLAS worker threads spinning in this process would slow Numba)."""
    import subprocess
    code = ("import numpy as np, time\n"
            "a = np.random.rand(1024, 1024).astype(np.float32); b = a.T.copy(); a @ b\n"
            "t = min((lambda s: (a @ b, time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(5))\n"
            "print(2 * 1024 ** 3 / t / 1e9)")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return float(out.stdout) if out.returncode == 0 else float("nan")


def torch_fns(shape, torch):
    """Same computations in PyTorch (channels_last), or None if torch is missing."""
    F = torch.nn.functional
    g = geometry(shape)
    n, h, w_, cin = g["x_shape"]
    s, d = g["s"], g["d"]
    k = shape[7]
    x = torch.randn(n, cin, h, w_).contiguous(memory_format=torch.channels_last)
    _, oh, ow, cout = g["y_shape"]
    dy = torch.randn(n, cout, oh, ow).contiguous(memory_format=torch.channels_last)
    if shape[1] == "conv2d":
        wt = torch.randn(cout, cin, k, k).contiguous(memory_format=torch.channels_last)
        (pt, pb), (pl, pr) = g["pads"]

        def op(xx, ww):
            if pt or pb or pl or pr:
                xx = F.pad(xx, (pl, pr, pt, pb))
            return F.conv2d(xx, ww, stride=s, dilation=d)
    else:
        wt = torch.randn(cin, cout, k, k).contiguous(memory_format=torch.channels_last)
        # timing-equivalent padding (exact TF SAME crop would be a slice, §9)
        dk = d * (k - 1) + 1
        p = (sum(g["pads"][0]) + 1) // 2
        op_h = oh - ((h - 1) * s - 2 * p + dk)

        def op(xx, ww):
            return F.conv_transpose2d(xx, ww, stride=s, padding=p, output_padding=op_h, dilation=d)

    def fwd():
        with torch.no_grad():
            return op(x, wt)

    xg = x.clone().requires_grad_(True)
    wg = wt.clone().requires_grad_(True)

    def fwdbwd():
        xg.grad = None
        wg.grad = None
        y = op(xg, wg)
        y.backward(dy)
        return y

    return fwd, fwdbwd


def tf_fns(shape, tf):
    """Same computations in TensorFlow (NHWC, each wrapped in a tf.function)."""
    g = geometry(shape)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal(g["x_shape"], dtype=np.float32))
    w = tf.constant(rng.standard_normal(g["w_shape"], dtype=np.float32))
    dy = tf.constant(rng.standard_normal(g["y_shape"], dtype=np.float32))
    s, d, pad = g["s"], g["d"], shape[9]
    if shape[1] == "conv2d":
        def op(a, b):
            return tf.nn.conv2d(a, b, s, pad, dilations=d)
    else:
        def op(a, b):
            return tf.nn.conv2d_transpose(a, b, g["y_shape"], s, pad, dilations=d)

    fwd = tf.function(lambda: op(x, w))

    @tf.function
    def fwdbwd():
        with tf.GradientTape() as tape:
            tape.watch([x, w])
            y = op(x, w)
        # y returned too: otherwise grappler prunes the forward conv (its gradients do not need y)
        return y, tape.gradient(y, [x, w], output_gradients=dy)

    return fwd, fwdbwd


PEER_FNS = {"torch": "conv:torch_fns", "tf": "conv:tf_fns"}


def _time(fn, pause, burst):
    time.sleep(pause)
    return time_burst(fn, burst)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated shape ids")
    ap.add_argument("--peers", default=",".join(PEERS), help="peers to time when importable ('' for none)")
    ap.add_argument("--kernels", action="store_true",
                    help="call slimlayers.kernels directly instead of the public sl.nn ops")
    ap.add_argument("--burst", type=int, default=3,
                    help="back-to-back calls per turn of each library (its thread pool warm, as in a "
                         "training loop); the median is over reps * burst calls")
    ap.add_argument("--pause", type=float, default=0.003,
                    help="seconds of sleep before each timed call, so the other library's spinning "
                         "worker threads (OpenMP, Eigen) have gone idle; see README.md before raising it")
    add_isa_argument(ap)
    args = ap.parse_args()
    apply_isa(args.isa)
    import numba

    setup(args.threads, [])
    peers = PeerProcesses([p for p in args.peers.split(",") if p], args.threads, PEER_FNS)
    shapes = [sh for sh in SHAPES if not args.only or sh[0] in args.only.split(",")]
    rows = []
    for shape in shapes:
        g = geometry(shape)
        mine = (kernel_fns if args.kernels else slimlayers_fns)(shape)
        peers.build(shape)
        res = []
        for which in (0, 1):
            for _ in range(2):  # warm-up (compilation, caches)
                mine[which]()
            runs = [lambda f=mine[which]: _time(f, args.pause, args.burst)]
            runs += [lambda n=name, w=which: peers.time(n, w, args.pause, args.burst) for name in peers.versions]
            times = [[] for _ in runs]
            for _ in range(args.reps):
                for i, run in enumerate(runs):
                    times[i].extend(run())
            res.append([float(np.median(t)) for t in times])
        rows.append((shape, g["flops"], res))
    peers.close()
    print(describe_cpu(args.isa))
    print(f"numba {numba.__version__} threading layer: {numba.threading_layer()} | {peers.describe()}"
          f" (each peer in its own process)")
    gemm_rate = sgemm_gflops(args.threads)
    print(f"np.matmul float32 1024^3, {args.threads} threads: {gemm_rate:.1f} GFLOP/s "
          f"(goal for c, e, i, j: >= {0.75 * gemm_rate:.1f}, 75 %)")

    def line(*cols):
        print(" ".join(f"{c:>10}" for c in cols))

    for which, title, mult in ((0, "forward", 1), (1, "forward+backward (fwd + grad input + grad filter)", 3)):
        print(f"\n== {title}, float32, {args.threads} threads, median of {args.reps} x {args.burst} ==")
        line("id", "op", "ms", "GFLOP/s", *(f"{name} ms" for name in peers.versions), "ratio")
        ratios = []
        for shape, flops, res in rows:
            t = res[which]
            cols = [f"{v * 1e3:.3f}" for v in t[1:]]
            ratio = t[0] / min(t[1:]) if len(t) > 1 else None
            if ratio is not None:
                ratios.append(ratio)
            line(shape[0], shape[1][:10], f"{t[0]*1e3:.3f}", f"{mult * flops / t[0] / 1e9:.1f}", *cols,
                 "-" if ratio is None else f"{ratio:.2f}")
        if ratios:
            print(f"geomean ratio (slimlayers / best peer, lower is better): {geomean(ratios):.2f}, "
                  f"worst {max(ratios):.2f}")


if __name__ == "__main__":
    sys.exit(main())
