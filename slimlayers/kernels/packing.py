"""Operands laid out for the tiles of gemm.py: packed filters, column-padded inputs.

- ``pack_filter(w, groups, nr, transpose)``: [KH, KW, Cg, Cout] -> [groups, KH, P, KW, K, nr],
  the written channels (N) zero-padded to P panels of the tile width nr.
- ``pack_thin(w, groups, transpose)``: filter rows for the dot-product tiles.
- ``padded_columns(x, left, width)``: x inside a zero-padded-in-width buffer.
- ``pad_groups(dy, groups, cogp)``: each group's channels zero-padded to cogp.

The large copies (a 2 MB filter transposed for the input gradient took 0.6 ms in numpy,
14 % of bench shape i's forward; a 4 MB input copied into its padded buffer, 8 % of e's) run
as Numba ``prange`` kernels over both cores (``_tasks.launch_chunks``: plain loops, no
separate launcher needed). Each copies values: no result depends on them.

Example:
    wp = pack_filter(np.ones((3, 3, 8, 40), np.float32), 1, 32, False)   # [1, 3, 2, 3, 8, 32]
"""
import threading

import numpy as np
from numba import njit, prange

from ._tasks import chunk_bounds, launch_chunks
from .config import JIT, PARALLEL_JIT

TC_PACK = 4  # the thin kernels' packed filters pad written channels to a multiple of this
_BLOCK = 16  # transposed packing: 16 x 16 element blocks (one cache line of float32 each way)
_PARALLEL_COPY_BYTES = 1 << 18  # smaller operands: numpy (faster for them than a kernel call)


def round_up(n, m):
    return -(-n // m) * m


def grouped(w, groups, transpose):
    """w [KH, KW, Cg, Cout] as a [groups, KH, KW, K, N] view: K = Cg, N = Cout/groups
    (transpose: K = Cout/groups, N = Cg)."""
    KH, KW, Cg, Cout = w.shape
    wg = w.reshape(KH, KW, Cg, groups, Cout // groups).transpose(3, 0, 1, 2, 4)
    return wg.transpose(0, 1, 2, 4, 3) if transpose else wg


def pack_filter(w, groups, nr, transpose):
    """w [KH, KW, Cg, Cout] -> wp [groups, KH, P, KW, K, nr] with
    wp[g, a, p, b, k, j] = grouped(w)[g, a, b, k, p*nr + j] (zero past N, the written channels).

    forward (transpose=False): K = Cg, N = Cout/groups; input gradient: K = Cout/groups, N = Cg.
    A tile reads one panel p: its rows of nr channels lie one after another for all taps b and
    all k of a kernel row. With the channels of all panels in one row (stride P*nr), a 32 KB
    chunk of one panel used only the L1 sets of its part of the row: two panels of 64 float32
    channels ran at 200 GFLOP/s where one ran at 255 (bench shape i's input gradient, AVX-512).
    """
    KH, KW, Cg, Cout = w.shape
    k, n = (Cout // groups, Cg) if transpose else (Cg, Cout // groups)
    npanel = -(-n // nr)
    if w.nbytes < _PARALLEL_COPY_BYTES or not w.flags.c_contiguous:
        rows = np.zeros((groups, KH, KW, k, npanel * nr), w.dtype)
        rows[..., :n] = grouped(w, groups, transpose)
        return np.ascontiguousarray(rows.reshape(groups, KH, KW, k, npanel, nr).transpose(0, 1, 4, 2, 3, 5))
    wp = np.empty((groups, KH, npanel, KW, k, nr), w.dtype)
    launch_chunks(_pack_taps, groups * KH * KW, w, wp, transpose)
    return wp


def unpacked(wp, n):
    """The [groups, KH, KW, K, n] filter that ``pack_filter`` packed into wp (for tests)."""
    groups, KH, npanel, KW, k, nr = wp.shape
    return wp.transpose(0, 1, 3, 4, 2, 5).reshape(groups, KH, KW, k, npanel * nr)[..., :n]


@njit(**PARALLEL_JIT)
def _pack_taps(nchunks, ntasks, w, wp, transpose):
    """The taps (g, a, b) of ``pack_filter``, in nchunks contiguous chunks."""
    for chunk in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, chunk)
        _pack_tap_range(t0, t1, w, wp, transpose)


@njit(inline="always", **JIT)
def _pack_tap_range(t0, t1, w, wp, transpose):
    KH, KW, Cg, Cout = w.shape
    groups, _, npanel, _, K, nr = wp.shape
    Cog = Cout // groups
    for t in range(t0, t1):
        g = t // (KH * KW)
        a = (t // KW) % KH
        b = t % KW
        src = w[a, b]
        for p in range(npanel):
            dst = wp[g, a, p, b]
            n0 = p * nr
            nv = min(nr, (Cg if transpose else Cog) - n0)  # valid channels of the panel
            if not transpose:
                for c in range(K):
                    for j in range(nv):
                        dst[c, j] = src[c, g * Cog + n0 + j]
            else:
                # dst[j, c] = src[n0 + c, g*Cog + j], in blocks so both sides read and write whole lines
                for j0 in range(0, K, _BLOCK):
                    for c0 in range(0, nv, _BLOCK):
                        for j in range(j0, min(j0 + _BLOCK, K)):
                            for c in range(c0, min(c0 + _BLOCK, nv)):
                                dst[j, c] = src[n0 + c, g * Cog + j]
            for c in range(K):
                for j in range(nv, nr):
                    dst[c, j] = 0


def pack_thin(w, groups, transpose):
    """Filter rows for gemm's dot-product tiles, written channels zero-padded to a multiple of
    TC_PACK (numpy: these filters have few written channels, hence are small).

    forward: [groups, KH, Cog', KW, Cg] (kernel columns and channels contiguous per
    written channel); input gradient (transpose): [groups, KH, KW, Cg', Cog].
    """
    wg = grouped(w, groups, False)  # [g, KH, KW, Cg, Cog]
    if transpose:
        wq = np.zeros(wg.shape[:3] + (round_up(wg.shape[3], TC_PACK), wg.shape[4]), w.dtype)
        wq[:, :, :, :wg.shape[3]] = wg
    else:
        wg = wg.transpose(0, 1, 4, 2, 3)  # [g, KH, Cog, KW, Cg]
        wq = np.zeros(wg.shape[:2] + (round_up(wg.shape[2], TC_PACK),) + wg.shape[3:], w.dtype)
        wq[:, :, :wg.shape[2]] = wg
    return wq


_SCRATCH = threading.local()
_SCRATCH_KEEP = 4  # padded buffers kept per thread (the shapes of the last few layers)


def padded_columns(x, left, width):
    """x itself when no padding is needed, else x in a zero-padded [N, R, width, D] buffer.

    The buffer is reused (per thread, per shape and placement) by later calls: fresh memory
    costs about 0.1 ms/MB in page faults, more than the copy. Its zero columns are written
    once; each call copies only x. Callers use it only during one kernel call.
    """
    if left == 0 and width == x.shape[2]:
        return x
    shape = (x.shape[0], x.shape[1], width, x.shape[3])
    cache = getattr(_SCRATCH, "buffers", None)
    if cache is None:
        cache = _SCRATCH.buffers = {}
    key = (shape, left, x.shape[2], x.dtype.str)
    buf = cache.pop(key, None)
    if buf is None:
        buf = np.zeros(shape, x.dtype)
        while len(cache) >= _SCRATCH_KEEP:
            cache.pop(next(iter(cache)))
    cache[key] = buf  # most recently used last
    if x.nbytes < _PARALLEL_COPY_BYTES or not x.flags.c_contiguous:
        buf[:, :, left:left + x.shape[2]] = x
    else:
        launch_chunks(_copy_rows, x.shape[0] * x.shape[1], x, buf, left)
    return buf


@njit(**PARALLEL_JIT)
def _copy_rows(nchunks, ntasks, x, buf, left):
    """The rows n*R + r of x into columns left.. of buf (contiguous runs), in nchunks chunks."""
    _, R, W, D = x.shape
    xf = x.reshape(-1)
    bf = buf.reshape(-1)
    run = W * D
    width = buf.shape[2]
    for chunk in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, chunk)
        for t in range(t0, t1):
            dst = (t * width + left) * D
            # a slice assignment, not an element loop: 2x faster (the loop ran at ~16 GB/s per core,
            # 3 MB in 0.2 ms for bench shape b); numba 0.68 compiles it in +0.06 s
            bf[dst:dst + run] = xf[t * run:(t + 1) * run]


def pad_groups(dy, groups, cogp):
    """dy [N, OH, OW, groups*Cog] -> [N, OH, OW, groups*cogp], each group zero-padded."""
    N, OH, OW, Cout = dy.shape
    out = np.zeros((N, OH, OW, groups, cogp), dy.dtype)
    out[..., :Cout // groups] = dy.reshape(N, OH, OW, groups, Cout // groups)
    return out.reshape(N, OH, OW, groups * cogp)
