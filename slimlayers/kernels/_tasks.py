"""How the kernels go parallel: a serial task kernel and a tiny ``prange`` launcher.

Each kernel is written as ``kernel(t0, t1, *args)``: a serial function that
processes tasks ``t0 <= t < t1`` (output rows, or filter-gradient blocks);
tasks write disjoint outputs, so how they are split over threads never
changes a result. Its launcher is the only ``parallel=True`` function:

    @njit(**PARALLEL_JIT)
    def _kernel_parallel(nchunks, ntasks, *args):    # args spelled out
        for c in prange(nchunks):
            t0, t1 = chunk_bounds(ntasks, nchunks, c)
            kernel(t0, t1, ...)

Why not ``prange`` over the tasks inside the kernel itself: Numba's parfor
passes run over the whole inlined tile code and compile the loop body a
second time, about doubling the compile time of a kernel (with an empty
cache that was half of a training step's 19 s start). A launcher whose body
is one call costs ~1 s to compile and keeps Numba's threading layer (whose
workers start a region in a few microseconds; Python threads took ~0.1 ms).

``launch`` calls the serial kernel directly when one chunk suffices (one
thread, or one task), so single-threaded use never compiles a launcher.

When the heavy code is a separately compiled function rather than inlined
(gemm's row kernels call ``_block_tiles``, compiled once per tile shape), the
kernel is the ``prange`` function itself and ``launch_chunks`` calls it, with
one chunk on one thread: one compilation instead of a serial kernel plus a
launcher that links and re-optimises it (1.1 s less for an autoencoder's first
step). With inlined tile code the parfor passes would cost more than they save.

Example:
    launch(_rows, _rows_parallel, n_rows, x, out)
    launch_chunks(_rows_in_chunks, n_rows, x, out)
"""
import numba
from numba import njit

from .config import JIT


@njit(inline="always", **JIT)
def chunk_bounds(ntasks, nchunks, c):
    """[t0, t1): chunk c of ntasks split into nchunks contiguous near-equal chunks."""
    return ntasks * c // nchunks, ntasks * (c + 1) // nchunks


def launch(kernel, parallel_kernel, ntasks, *args):
    """kernel(0, ntasks, *args), or parallel_kernel(nchunks, ntasks, *args) with one chunk per thread."""
    nchunks = min(numba.get_num_threads(), ntasks)
    if nchunks <= 1:
        kernel(0, ntasks, *args)
    else:
        parallel_kernel(nchunks, ntasks, *args)


def launch_chunks(parallel_kernel, ntasks, *args):
    """parallel_kernel(nchunks, ntasks, *args) with one chunk per thread (one chunk on one thread)."""
    parallel_kernel(max(min(numba.get_num_threads(), ntasks), 1), ntasks, *args)


@njit(inline="always", **JIT)
def valid_range(off, s, size, n_out):
    """[lo, hi): the output indices o < n_out whose input index o*s + off lies in [0, size).

    Every kernel uses it to skip the padded border of a row without a branch per pixel.
    """
    lo = 0
    if off < 0:
        lo = (-off + s - 1) // s
    hi = (size - 1 - off) // s + 1  # floor division, also for negatives
    if hi > n_out:
        hi = n_out
    if hi < lo:
        hi = lo
    return lo, hi
