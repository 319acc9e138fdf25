"""NHWC 2-D convolution kernels (forward, input gradient, filter gradient).

The public entry points ``conv2d_forward``, ``conv2d_backprop_input`` and
``conv2d_backprop_filter`` (bottom of this file) pick one implementation per
call by a simple rule on the channel counts (``_strategy``):
- "gemm": register-blocked implicit GEMM (``gemm.py``) when the written
  channels fill at least a quarter of a tile (>= 16 float32 / 8 float64);
- "thin": dot products over the reduced channel axis (``gemm.py``) when few
  channels are written from many (e.g. an RGB or grey-scale output);
- "direct": the loops below, for everything small.
All three give the same contract; tests check each on every shape.

Contract shared by the three kernels (see docs of each):
    x [N, H, W, Cin]   w [KH, KW, Cin // groups, Cout]   y [N, OH, OW, Cout]
    y[n, oy, ox, g*Cog + co] = sum_{a, b, c} xpad[n, oy*sh + a*dh, ox*sw + b*dw, g*Cg + c]
                                             * w[a, b, c, g*Cog + co]
    xpad = x shifted down by pt rows and right by pl columns, zeros outside x.
All arrays C-contiguous and of one float dtype; every kernel overwrites its
whole output. Sizes are runtime values: one compilation per dtype.

Performance design of the direct kernels (why the loops look like this):
- The innermost loop always runs over a contiguous channel vector of the
  array being written, so LLVM's loop vectoriser turns it into SIMD code.
- The loop just outside it walks over *different* output pixels. Updating the
  same vector twice in a row would chain every iteration through a
  store->load forward (~10 cycles); alternating pixels keeps the pipes full.
- When the written channel count is tiny (1-3, e.g. an RGB or grey-scale
  output) vectorising over it is useless; those cases use dot products over
  the (larger) reduced channel axis instead ("thin" paths).

Determinism: each task (see _tasks.py) owns a disjoint slice of the output and
sums its terms in an order fixed by the shapes alone, so results are bitwise
identical for any NUMBA_NUM_THREADS.
"""
import numpy as np
from numba import njit, prange

from . import gemm, packing
from ._tasks import chunk_bounds, launch, valid_range
from .config import JIT, PARALLEL_JIT

# Example (the public entry points take preallocated outputs):
#     x = np.ones((1, 5, 5, 1), "float32"); w = np.ones((3, 3, 1, 1), "float32")
#     y = np.empty((1, 3, 3, 1), "float32"); conv2d_forward(x, w, y, 1, 1, 1, 1, 0, 0, 1)

# Below this many written channels per group, vectorising over them does not
# pay and the "thin" dot-product paths are used (if the reduced axis is wider).
_THIN = 8
# The filter gradient reduces over every output pixel; pixels are dealt
# round-robin to this many partial sums (a fixed number, never the thread
# count) to break the dependency chain when a tap has one input channel.
_SPLIT = 4
# Input gradient: a dy at least this large is not copied into a column-padded buffer (the gemm
# kernel sums the pixels at a row's ends apart). Measured on bench shapes: the copy took 8 % of
# g's forward (400 KB); for l's 10 KB dy the separate end pixels cost more than the copy.
_PAD_DY_BYTES = 64 << 10


# ----------------------------------------------------------------------------
# shared helpers
# ----------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _dot(a, b):
    """sum(a * b) with 4 interleaved partial sums (fixed order, breaks the
    add latency chain); a and b are 1-D of equal length."""
    n = a.shape[0]
    s0 = a.dtype.type(0)
    s1 = s0
    s2 = s0
    s3 = s0
    m = n - n % 4
    for i in range(0, m, 4):
        s0 += a[i] * b[i]
        s1 += a[i + 1] * b[i + 1]
        s2 += a[i + 2] * b[i + 2]
        s3 += a[i + 3] * b[i + 3]
    for i in range(m, n):
        s0 += a[i] * b[i]
    return (s0 + s1) + (s2 + s3)


def _swap_last_axes(w):
    """[KH, KW, A, B] -> contiguous [KH, KW, B, A]."""
    return np.ascontiguousarray(w.transpose(0, 1, 3, 2))


# ----------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------
def direct_forward(x, w, out, sh, sw, dh, dw, pt, pl, groups):
    """out[N, OH, OW, Cout] = conv(x, w) (cross-correlation, zero padding).

    Parallel over output rows (n, oy); each row sums taps a, b, then input
    channels, in that order.
    """
    Cg, Cout = w.shape[2:]
    thin = Cout // groups < _THIN and Cg > Cout // groups
    wt = _swap_last_axes(w) if thin else w[:, :, :0, :0].copy()
    launch(_direct_forward_rows, _direct_forward_rows_parallel, out.shape[0] * out.shape[1], x, w, wt, out,
           sh, sw, dh, dw, pt, pl, groups, thin)


@njit(**JIT)
def _direct_forward_rows(r0, r1, x, w, wt, out, sh, sw, dh, dw, pt, pl, groups, thin):
    """Output rows r0 <= n*OH + oy < r1 of ``direct_forward`` (wt: w [KH, KW, Cout, Cg] if thin)."""
    N, H, W, Cin = x.shape
    KH, KW, Cg, Cout = w.shape
    OH = out.shape[1]
    OW = out.shape[2]
    Cog = Cout // groups
    for r in range(r0, r1):
        n = r // OH
        oy = r - n * OH
        orow = out[n, oy]
        orow[:, :] = 0
        for a in range(KH):
            iy = oy * sh - pt + a * dh
            if iy < 0 or iy >= H:
                continue
            xrow = x[n, iy]
            for b in range(KW):
                off = b * dw - pl
                lo, hi = valid_range(off, sw, W, OW)
                for g in range(groups):
                    if thin:
                        for ox in range(lo, hi):
                            xv = xrow[ox * sw + off, g * Cg:(g + 1) * Cg]
                            for co in range(g * Cog, (g + 1) * Cog):
                                orow[ox, co] += _dot(xv, wt[a, b, co])
                    else:
                        for c in range(Cg):
                            ci = g * Cg + c
                            wr = w[a, b, c, g * Cog:(g + 1) * Cog]
                            for ox in range(lo, hi):
                                xv = xrow[ox * sw + off, ci]
                                op = orow[ox, g * Cog:(g + 1) * Cog]
                                for co in range(Cog):
                                    op[co] += xv * wr[co]


@njit(**PARALLEL_JIT)
def _direct_forward_rows_parallel(nchunks, ntasks, x, w, wt, out, sh, sw, dh, dw, pt, pl, groups, thin):
    for c in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, c)
        _direct_forward_rows(t0, t1, x, w, wt, out, sh, sw, dh, dw, pt, pl, groups, thin)


# ----------------------------------------------------------------------------
# gradient w.r.t. the input (= transposed convolution forward)
# ----------------------------------------------------------------------------
def direct_backprop_input(dy, w, dx, sh, sw, dh, dw, pt, pl, groups):
    """dx[N, H, W, Cin] = d sum(conv2d_forward(x, w) * dy) / dx.

    Gather form, parallel over input rows (n, iy): row iy receives tap a from
    output row oy = (iy + pt - a*dh) / sh when that is an integer in range;
    within a row, tap b of output column ox lands on ix = ox*sw + b*dw - pl.
    Terms are summed over a, b, then output channels.
    """
    Cg, Cout = w.shape[2:]
    thin = Cg < _THIN and Cout // groups > Cg
    # vector path reads w[a, b, :, co] along ci: make that contiguous
    wt = w[:, :, :0, :0].copy() if thin else _swap_last_axes(w)
    launch(_direct_input_rows, _direct_input_rows_parallel, dx.shape[0] * dx.shape[1], dy, w, wt, dx, sh, sw,
           dh, dw, pt, pl, groups, thin)


@njit(**JIT)
def _direct_input_rows(r0, r1, dy, w, wt, dx, sh, sw, dh, dw, pt, pl, groups, thin):
    """Input rows r0 <= n*H + iy < r1 of ``direct_backprop_input``."""
    N, H, W, Cin = dx.shape
    KH, KW, Cg, Cout = w.shape
    OH = dy.shape[1]
    OW = dy.shape[2]
    Cog = Cout // groups
    for r in range(r0, r1):
        n = r // H
        iy = r - n * H
        drow = dx[n, iy]
        drow[:, :] = 0
        for a in range(KH):
            t = iy + pt - a * dh
            if t < 0 or t % sh != 0 or t // sh >= OH:
                continue
            dyrow = dy[n, t // sh]
            for b in range(KW):
                off = b * dw - pl
                lo, hi = valid_range(off, sw, W, OW)
                for g in range(groups):
                    if thin:
                        for ox in range(lo, hi):
                            dv = dyrow[ox, g * Cog:(g + 1) * Cog]
                            for c in range(Cg):
                                drow[ox * sw + off, g * Cg + c] += _dot(
                                    dv, w[a, b, c, g * Cog:(g + 1) * Cog])
                    else:
                        for co in range(g * Cog, (g + 1) * Cog):
                            wr = wt[a, b, co]
                            for ox in range(lo, hi):
                                dv = dyrow[ox, co]
                                dp = drow[ox * sw + off, g * Cg:(g + 1) * Cg]
                                for c in range(Cg):
                                    dp[c] += dv * wr[c]


@njit(**PARALLEL_JIT)
def _direct_input_rows_parallel(nchunks, ntasks, dy, w, wt, dx, sh, sw, dh, dw, pt, pl, groups, thin):
    for c in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, c)
        _direct_input_rows(t0, t1, dy, w, wt, dx, sh, sw, dh, dw, pt, pl, groups, thin)


# ----------------------------------------------------------------------------
# gradient w.r.t. the filter
# ----------------------------------------------------------------------------
def direct_backprop_filter(x, dy, dwt, sh, sw, dh, dw, pt, pl, groups):
    """dwt[KH, KW, Cin//groups, Cout] = d sum(conv2d_forward(x, w) * dy) / dw.

    A reduction over all N*OH*OW output pixels. Parallel over independent
    tasks (tap a, tap b, block of input channels); each task sums its pixels in
    (n, oy, ox) order into _SPLIT round-robin partial sums, combined in a fixed
    order. Nothing depends on the thread count.
    """
    KH, KW, Cg, Cout = dwt.shape
    # enough tasks to keep every core busy even for 1x1 kernels
    cblk = Cg
    while KH * KW * ((Cg + cblk - 1) // cblk) < 32 and cblk > 16:
        cblk = (cblk + 1) // 2
    ncb = (Cg + cblk - 1) // cblk
    launch(_direct_filter_tasks, _direct_filter_tasks_parallel, KH * KW * ncb, x, dy, dwt, sh, sw, dh, dw, pt,
           pl, groups, cblk, ncb)


@njit(**JIT)
def _direct_filter_tasks(t0, t1, x, dy, dwt, sh, sw, dh, dw, pt, pl, groups, cblk, ncb):
    """Tasks t0 <= t < t1 (tap a, tap b, block of input channels) of ``direct_backprop_filter``."""
    N, H, W, Cin = x.shape
    OH = dy.shape[1]
    OW = dy.shape[2]
    KH, KW, Cg, Cout = dwt.shape
    Cog = Cout // groups
    thin = Cog < _THIN and Cg > Cog
    for task in range(t0, t1):
        a = task // (KW * ncb)
        b = (task // ncb) % KW
        c0 = (task % ncb) * cblk
        c1 = min(c0 + cblk, Cg)
        nc = c1 - c0
        off = b * dw - pl
        lo, hi = valid_range(off, sw, W, OW)
        # partial sums: [split, c, co] (vector path) or [split, co, c] (thin)
        if thin:
            acc = np.zeros((_SPLIT, Cout, nc), dwt.dtype)
        else:
            acc = np.zeros((_SPLIT, nc, Cout), dwt.dtype)
        for n in range(N):
            for oy in range(OH):
                iy = oy * sh - pt + a * dh
                if iy < 0 or iy >= H:
                    continue
                xrow = x[n, iy]
                dyrow = dy[n, oy]
                for ox in range(lo, hi):
                    q = ox % _SPLIT
                    xp = xrow[ox * sw + off]
                    dp = dyrow[ox]
                    for g in range(groups):
                        if thin:
                            xv = xp[g * Cg + c0:g * Cg + c1]
                            for co in range(g * Cog, (g + 1) * Cog):
                                dv = dp[co]
                                ar = acc[q, co]
                                for c in range(nc):
                                    ar[c] += dv * xv[c]
                        else:
                            dv = dp[g * Cog:(g + 1) * Cog]
                            for c in range(nc):
                                xv = xp[g * Cg + c0 + c]
                                ar = acc[q, c, g * Cog:(g + 1) * Cog]
                                for co in range(Cog):
                                    ar[co] += xv * dv[co]
        for c in range(nc):
            for co in range(Cout):
                if thin:
                    s = acc[0, co, c]
                    for q in range(1, _SPLIT):
                        s += acc[q, co, c]
                else:
                    s = acc[0, c, co]
                    for q in range(1, _SPLIT):
                        s += acc[q, c, co]
                dwt[a, b, c0 + c, co] = s


@njit(**PARALLEL_JIT)
def _direct_filter_tasks_parallel(nchunks, ntasks, x, dy, dwt, sh, sw, dh, dw, pt, pl, groups, cblk, ncb):
    for c in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, c)
        _direct_filter_tasks(t0, t1, x, dy, dwt, sh, sw, dh, dw, pt, pl, groups, cblk, ncb)


# ----------------------------------------------------------------------------
# public entry points: pick the implicit-GEMM or the direct kernel
# ----------------------------------------------------------------------------
def _strategy(written, reduced, dtype):
    """'gemm' when the written channels fill a good part of a tile, 'thin' (dot products
    over the reduced axis) when few channels are written from many, else 'direct'."""
    if gemm.gemm_worthwhile(written, dtype):
        return "gemm"
    if reduced >= 8:
        return "thin"
    return "direct"


def _column_padded(x, pl, OW, sw, KW, dw):
    """x zero-padded in width (pl columns on the left) so that every tap b of every output column
    ox reads inside it: column ox*sw + b*dw."""
    return packing.padded_columns(x, pl, max(pl + x.shape[2], (OW - 1) * sw + (KW - 1) * dw + 1))


def conv2d_forward(x, w, out, sh, sw, dh, dw, pt, pl, groups):
    """out[N, OH, OW, Cout] = conv(x, w) (cross-correlation, zero padding)."""
    N, H, W, Cin = x.shape
    KH, KW, Cg, Cout = w.shape
    OW = out.shape[2]
    reduced = KW * Cg if dw == 1 and groups == 1 else Cg
    how = _strategy(Cout // groups, reduced, x.dtype)
    if how == "direct":
        return direct_forward(x, w, out, sh, sw, dh, dw, pt, pl, groups)
    xp = _column_padded(x, pl, OW, sw, KW, dw)
    if how == "thin":
        gemm.forward_thin(xp, packing.pack_thin(w, groups, False), out, H, sh, sw, dh, dw, pt, KW, groups)
    else:
        wp = packing.pack_filter(w, groups, gemm.tile_width(Cout // groups, x.dtype), False)
        gemm.forward(xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups)


def conv2d_backprop_input(dy, w, dx, sh, sw, dh, dw, pt, pl, groups):
    """dx[N, H, W, Cin] = d sum(conv2d_forward(x, w) * dy) / dx."""
    N, H, W, Cin = dx.shape
    KH, KW, Cg, Cout = w.shape
    OW = dy.shape[2]
    how = _strategy(Cg, Cout // groups, dx.dtype)
    if how == "direct":
        return direct_backprop_input(dy, w, dx, sh, sw, dh, dw, pt, pl, groups)
    # every tap of a column-padded dy reads inside it; the gemm kernel can instead sum the
    # pixels at the ends of a row apart, which beats copying all but a small dy
    if how == "gemm" and dy.nbytes >= _PAD_DY_BYTES:
        dyp, ql = dy, 0
    else:
        ql = max(0, -((pl - (KW - 1) * dw) // sw))
        dyp = packing.padded_columns(dy, ql, ql + max(OW, (W - 1 + pl) // sw + 1))
    if how == "thin":
        gemm.backprop_input_thin(dyp, ql, packing.pack_thin(w, groups, True), dx, OW, sh, sw, dh, dw, pt, pl, groups)
    else:
        wt = packing.pack_filter(w, groups, gemm.tile_width(Cg, dx.dtype), True)
        gemm.backprop_input(dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups)


def conv2d_backprop_filter(x, dy, dwt, sh, sw, dh, dw, pt, pl, groups):
    """dwt[KH, KW, Cin//groups, Cout] = d sum(conv2d_forward(x, w) * dy) / dw."""
    N, H, W, Cin = x.shape
    KH, KW, Cg, Cout = dwt.shape
    Cog = Cout // groups
    if _strategy(Cog, Cg, x.dtype) != "gemm":
        return direct_backprop_filter(x, dy, dwt, sh, sw, dh, dw, pt, pl, groups)
    nr = gemm.filter_tile_width(Cg, Cog, x.dtype)
    dyp = dy if Cog % nr == 0 else packing.pad_groups(dy, groups, (Cog + nr - 1) // nr * nr)
    tap_rows = gemm.taps_as_rows(KW, Cg)
    if tap_rows:
        x = _column_padded(x, pl, dy.shape[2], sw, KW, dw)
    gemm.backprop_filter(x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, tap_rows)
