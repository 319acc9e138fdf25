"""Set-up shared by the benchmark scripts (run as `python benchmarks/<script>.py`).

Peers are optional: each is used only when importable, never a slimlayers dependency.
"""
import math
import os

PEERS = ("torch", "tf")

ISA_LIMITS = {
    "native": {},
    # slimlayers compiled for Haswell (AVX2 + FMA; the empty feature list makes LLVM take the
    # named CPU's own, instead of the host's AVX-512), oneDNN (PyTorch and TensorFlow) and
    # OpenBLAS (the sgemm reference) held to AVX2 as well
    "avx2": {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": "", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "OPENBLAS_CORETYPE": "Haswell"},
}


def add_isa_argument(parser):
    parser.add_argument("--isa", choices=tuple(ISA_LIMITS), default="native",
                        help="instruction sets every library may use: 'native' (the best of this CPU) or "
                             "'avx2' (every library limited to AVX2, also on an AVX-512 machine)")


def apply_isa(isa):
    """Set the environment that limits every library to ``isa``; call before Numba is imported
    (the peers' processes inherit it)."""
    os.environ.update(ISA_LIMITS[isa])


def describe_cpu(isa):
    """'Intel(R) Xeon(R) Processor, 2 CPUs, slimlayers compiled for rocketlake (64-byte vectors)'."""
    import numba.core.config as config
    from llvmlite import binding

    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    from slimlayers.kernels import _simd

    target = config.CPU_NAME or binding.get_host_cpu_name()
    limit = os.environ.get("ONEDNN_MAX_CPU_ISA")
    return (f"{model}, {os.cpu_count()} CPUs; ISA {isa}: slimlayers compiled for {target} "
            f"({_simd.VECTOR_BYTES}-byte vectors, {_simd.VECTOR_REGISTERS} registers)"
            + (f", ONEDNN_MAX_CPU_ISA={limit}" if limit else ""))


def setup(threads, wanted=PEERS):
    """Give Numba and every importable peer in ``wanted`` ``threads`` threads.

    Returns ``{name: module}`` for the peers found ("torch": torch, "tf": tensorflow).
    """
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    found = {}
    if "tf" in wanted:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            import tensorflow as tf
        except ImportError:
            pass
        else:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
            found["tf"] = tf
    if "torch" in wanted:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(threads)
            found["torch"] = torch
    return found


def time_burst(fn, burst):
    """Seconds of each of ``burst`` back-to-back calls of ``fn``."""
    import time

    times = []
    for _ in range(burst):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


class PeerProcesses:
    """Each importable peer in a process of its own, timing one call whenever asked.

    Why processes: PyTorch's OpenMP pool, TensorFlow's Eigen pool and Numba's pool
    in one process (two cores) slowed each other 2-10x. Here only one library runs
    at a time and the others sleep on a pipe, so calls can still be interleaved.

    ``factories`` maps a peer name to ``"module:function"``; ``function(*args, module)``
    returns a tuple of zero-argument callables, timed by index.
    """

    def __init__(self, names, threads, factories):
        import multiprocessing as mp
        import sys

        ctx = mp.get_context("spawn")
        self.conns, self.versions = {}, {}
        for name in names:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(child, name, threads, factories[name], sys.path), daemon=True)
            proc.start()
            version = parent.recv()
            if version is None:
                proc.join()
                continue
            self.conns[name] = parent
            self.versions[name] = version

    def describe(self):
        """'torch 2.13.0+cpu, tf 2.21.0' (or 'no peer installed')."""
        return ", ".join(f"{name} {v}" for name, v in self.versions.items()) or "no peer installed"

    def build(self, *args):
        """Every peer builds its callables for ``args`` (and runs each twice to warm up)."""
        for conn in self.conns.values():
            conn.send(("build", args))
        for conn in self.conns.values():
            conn.recv()

    def time(self, name, index, pause, burst=1):
        """Seconds of each of ``burst`` back-to-back calls of callable ``index`` in peer ``name``,
        after ``pause`` seconds of sleep (the previous library's spinning threads go idle)."""
        import time

        time.sleep(pause)
        self.conns[name].send(("time", index, burst))
        return self.conns[name].recv()

    def close(self):
        for conn in self.conns.values():
            conn.send(("stop",))


def _serve(conn, name, threads, factory, path):
    import importlib
    import sys

    sys.path[:] = path
    found = setup(threads, [name])
    if name not in found:
        conn.send(None)
        return
    conn.send(found[name].__version__)
    module, function = factory.split(":")
    make = getattr(importlib.import_module(module), function)
    fns = ()
    while True:
        msg = conn.recv()
        if msg[0] == "build":
            fns = make(*msg[1], found[name])
            for f in fns:
                f()
                f()
            conn.send(True)
        elif msg[0] == "time":
            conn.send(time_burst(fns[msg[1]], msg[2]))
        else:
            return
