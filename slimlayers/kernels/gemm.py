"""Register-blocked implicit-GEMM kernels for convolutions with wide channel counts.

Same contract and arguments as the direct kernels in ``conv.py`` (see there).

Every kernel is a loop over *tiles*: MR output pixels x NR output channels
whose sums live in registers for the whole reduction (``_tile``). A tile sums
a list of *taps*; a tap is a small matrix product

    acc[p, j] += sum_k src[offs[t] + pix[p] + k*ks] * bmat[boffs[t] + k*ldb + j0 + j]

(``pix[p]``: offset of tile pixel p). The three kernels differ only in what the
taps are:
- forward: one tap per kernel row ``a`` (or tap ``(a, b)`` when dilated or
  grouped), k runs over input channels (and kernel columns, which are
  contiguous in an NHWC row when the column dilation is 1);
- input gradient: the output pixels of one row are split by column phase
  ``(ix + pl) % sw``; inside a phase consecutive pixels read consecutive
  ``dy`` pixels, so it is the same product with the transposed filter;
- filter gradient: "pixels" are 4 input channels, channels are output
  channels, k runs over the output pixels of one row of one image.

Why it is fast: the MR x NR accumulator block (16 vector registers) is reused
for every k with one broadcast of ``src`` per pixel and NV vector loads of
``bmat``; nothing is stored until the tile is finished. Taps that read
outside the input are avoided by skipping rows (uniform over a tile) and by
copying the input into a zero-padded-in-width buffer (columns vary inside a
tile). Tail pixels of a row re-read the last valid pixel (results discarded);
tail channels are zero-padded in the packed filter and masked on store.

Determinism: every output element is produced by one tile that sums taps,
then k, in an order fixed by the shapes; the filter gradient additionally
sums images in order n = 0, 1, ... . No result depends on the thread count.
"""
import threading

import numpy as np
from numba import njit, prange

from ._simd import lanes, lanes_of, stack_buffer, vec_load, vec_madd, vec_madd2, vec_store
from .config import JIT, PARALLEL_JIT

# Tile shapes (pixels x vectors of channels), 16 accumulator vectors each:
MR, NV = 4, 4   # wide: NR = NV * lanes = 64 float32 / 32 float64 channels
                # narrow (at most NR/2 written channels): 8 pixels x NV/2 vectors
_MR_MAX = 8
_ACC = MR * NV * 16  # stack elements of the accumulator block (float32)
TC = 4          # thin tiles: written channels per tile (MR x TC vector sums)
_MIN_TASKS = 32  # filter gradient: split channels until there are this many tasks


def block_width(dtype):
    """NR, the channels of one wide tile, for a numpy dtype."""
    from numba.np.numpy_support import from_dtype
    return NV * lanes_of(from_dtype(np.dtype(dtype)))


def tile_width(written, dtype):
    """Channels per tile for ``written`` channels: NR, or NR/2 (narrow tiles) when that suffices."""
    nr = block_width(dtype)
    return nr // 2 if written <= nr // 2 else nr


@njit(inline="always", **JIT)
def _tile(src, offs, boffs, ntaps, kn, ks, p0, pstride, npix,
          bmat, ldb, j0, dst, d0, dstride, ncol, accumulate, mr, nv):
    """dst[d0 + p*dstride + j] (+)= sum over taps t < ntaps and k < kn of
    src[offs[t] + p0 + p*pstride + k*ks] * bmat[boffs[t] + k*ldb + j0 + j]
    for p < npix <= mr, j < ncol <= nv*lanes (accumulate: add to what dst holds).

    mr and nv must be literal constants at every call site: LLVM then unrolls
    the p and v loops and keeps all mr*nv accumulator vectors in registers.
    """
    L = lanes(src)
    NR = nv * L
    acc = stack_buffer(_ACC, src)
    pix = stack_buffer(_MR_MAX, np.intp)
    for p in range(mr):
        pix[p] = p0 + min(p, npix - 1) * pstride
    for p in range(mr):
        for v in range(nv):
            n = min(max(ncol - v * L, 0), L) if accumulate and p < npix else 0
            vec_load(acc, (p * nv + v) * L, dst, d0 + p * dstride + v * L, n)
    for t in range(ntaps):
        so = offs[t]
        bo = boffs[t] + j0
        for k in range(kn):
            for p in range(mr):
                av = src[so + pix[p]]
                for v in range(nv):
                    vec_madd(acc, (p * nv + v) * L, av, bmat, bo + v * L)
            so += ks
            bo += ldb
    for p in range(mr):
        if p < npix:
            for v in range(nv):
                n = min(max(ncol - v * L, 0), L)
                vec_store(dst, d0 + p * dstride + v * L, acc, (p * nv + v) * L, n)


@njit(inline="always", **JIT)
def _valid_range(off, s, size, n_out):
    """[lo, hi): output indices o < n_out with 0 <= o*s + off < size."""
    lo = 0
    if off < 0:
        lo = (-off + s - 1) // s
    hi = (size - 1 - off) // s + 1  # floor division, also for negatives
    if hi > n_out:
        hi = n_out
    if hi < lo:
        hi = lo
    return lo, hi


@njit(inline="always", **JIT)
def _round_up(n, m):
    return (n + m - 1) // m * m


@njit(**JIT)
def _pack_filter(w, groups, nr, transpose):
    """w [KH, KW, Cg, Cout] -> [groups, KH, KW, K, Np], channels zero-padded to a multiple of nr.

    forward (transpose=False): K = Cg, N = Cout/groups; input gradient: K = Cout/groups, N = Cg.
    """
    KH, KW, Cg, Cout = w.shape
    Cog = Cout // groups
    kdim, ndim = (Cog, Cg) if transpose else (Cg, Cog)
    npad = _round_up(ndim, nr)
    wp = np.zeros((groups, KH, KW, kdim, npad), w.dtype)
    for g in range(groups):
        for a in range(KH):
            for b in range(KW):
                for c in range(Cg):
                    for co in range(Cog):
                        if transpose:
                            wp[g, a, b, co, c] = w[a, b, c, g * Cog + co]
                        else:
                            wp[g, a, b, c, co] = w[a, b, c, g * Cog + co]
    return wp


@njit(inline="always", **JIT)
def _copy_row(src, dst, r, col0):
    """dst[n, y, col0:col0+W'] = src[n, y] with zeros around (r = n*rows + y)."""
    rows = src.shape[1]
    n = r // rows
    y = r - n * rows
    drow = dst[n, y]
    srow = src[n, y]
    drow[:col0, :] = 0
    drow[col0:col0 + srow.shape[0], :] = srow
    drow[col0 + srow.shape[0]:, :] = 0


@njit(**PARALLEL_JIT)
def _fill_padded(x, xp, left):
    """xp [N, R, width, D] = x [N, R, C, D] placed at column ``left``, zeros around."""
    for r in prange(x.shape[0] * x.shape[1]):
        _copy_row(x, xp, r, left)


_SCRATCH = threading.local()
_SCRATCH_KEEP = 4  # padded buffers kept per thread (the shapes of the last few layers)


def padded_columns(x, left, width):
    """x itself when no padding is needed, else x in a zero-padded [N, R, width, D] buffer.

    The buffer is reused (per thread, per shape) by later calls: fresh memory costs
    about 0.1 ms/MB in page faults, more than the copy. Callers use it only during
    one kernel call.
    """
    if left == 0 and width == x.shape[2]:
        return x
    shape = (x.shape[0], x.shape[1], width, x.shape[3])
    cache = getattr(_SCRATCH, "buffers", None)
    if cache is None:
        cache = _SCRATCH.buffers = {}
    key = (shape, x.dtype.str)
    buf = cache.pop(key, None)
    if buf is None:
        buf = np.empty(shape, x.dtype)
        while len(cache) >= _SCRATCH_KEEP:
            cache.pop(next(iter(cache)))
    cache[key] = buf  # most recently used last
    _fill_padded(x, buf, left)
    return buf


# ----------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------
@njit(**PARALLEL_JIT)
def forward(xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups):
    """out = conv(x, w) from the column-padded input xp [N, H, Wp, Cin] (column ox*sw + b*dw
    of xp is the tap b of output column ox) and the packed filter wp (``_pack_filter``).

    Parallel over output rows (n, oy).
    """
    N, _, Wp, Cin = xp.shape
    _, KH, _, Cg, Cogp = wp.shape
    _, OH, OW, Cout = out.shape
    Cog = Cout // groups
    NR = NV * lanes(out)
    # kernel columns and channels of one tap row are contiguous (one long k) if dw == 1
    merge = dw == 1 and groups == 1
    kn = KW * Cg if merge else Cg
    nb = 1 if merge else KW
    xf = xp.reshape(-1)
    wf = wp.reshape(-1)
    of = out.reshape(-1)
    for r in prange(N * OH):
        n = r // OH
        oy = r - n * OH
        offs = np.empty(KH * nb, np.intp)
        boffs = np.empty(KH * nb, np.intp)
        for g in range(groups):
            nt = 0
            for a in range(KH):
                iy = oy * sh - pt + a * dh
                if iy < 0 or iy >= H:
                    continue
                for b in range(nb):
                    offs[nt] = ((n * H + iy) * Wp + b * dw) * Cin + g * Cg
                    boffs[nt] = ((g * KH + a) * KW + b) * Cg * Cogp
                    nt += 1
            obase = (n * OH + oy) * OW * Cout + g * Cog
            if Cogp % NR:  # packed to NR/2: narrow tiles
                _forward_row(xf, offs, boffs, nt, kn, sw * Cin, OW, wf, Cogp, of, obase, Cout, Cog, 8, NV // 2)
            else:
                _forward_row(xf, offs, boffs, nt, kn, sw * Cin, OW, wf, Cogp, of, obase, Cout, Cog, MR, NV)


@njit(inline="always", **JIT)
def _forward_row(xf, offs, boffs, nt, kn, pstride, OW, wf, Cogp, of, obase, Cout, Cog, mr, nv):
    nr = nv * lanes(of)
    for j0 in range(0, Cog, nr):
        for ox0 in range(0, OW, mr):
            _tile(xf, offs, boffs, nt, kn, 1, ox0 * pstride, pstride, min(mr, OW - ox0),
                  wf, Cogp, j0, of, obase + ox0 * Cout + j0, Cout, min(nr, Cog - j0), False, mr, nv)


# ----------------------------------------------------------------------------
# gradient w.r.t. the input (= transposed convolution forward)
# ----------------------------------------------------------------------------
@njit(**PARALLEL_JIT)
def backprop_input(dyp, ql, wt, dx, OW, sh, sw, dh, dw, pt, pl, groups):
    """dx = conv2d_backprop_input(dy, w) from dy column-padded by ql on the left (dyp
    [N, OH, OWp, Cout], zeros outside dy) and the transposed packed filter wt.

    Parallel over input rows (n, iy). Columns ix of one phase f = (ix + pl) % sw
    receive tap b only if (f - b*dw) % sw == 0, from output column
    ox = (ix + pl - b*dw) / sw, which advances by one per pixel of the phase.
    """
    N, OH, OWp, Cout = dyp.shape
    _, H, W, Cin = dx.shape
    _, KH, KW, Cog, Cgp = wt.shape
    Cg = Cin // groups
    NR = NV * lanes(dx)
    yf = dyp.reshape(-1)
    wf = wt.reshape(-1)
    df = dx.reshape(-1)
    for r in prange(N * H):
        n = r // H
        iy = r - n * H
        offs = np.empty(KH * KW, np.intp)
        boffs = np.empty(KH * KW, np.intp)
        for g in range(groups):
            for f in range(sw):
                ix0 = (f - pl) % sw  # first column of this phase
                if ix0 >= W:
                    continue
                nq = (W - ix0 + sw - 1) // sw
                nt = 0
                for a in range(KH):
                    t = iy + pt - a * dh
                    if t < 0 or t % sh != 0 or t // sh >= OH:
                        continue
                    for b in range(KW):
                        u = ix0 + pl - b * dw
                        if u % sw != 0:
                            continue
                        offs[nt] = ((n * OH + t // sh) * OWp + u // sw + ql) * Cout + g * Cog
                        boffs[nt] = ((g * KH + a) * KW + b) * Cog * Cgp
                        nt += 1
                dbase = ((n * H + iy) * W + ix0) * Cin + g * Cg
                if Cgp % NR:  # packed to NR/2: narrow tiles
                    _input_phase(yf, offs, boffs, nt, Cog, Cout, nq, wf, Cgp, df, dbase, sw * Cin, Cg, 8, NV // 2)
                else:
                    _input_phase(yf, offs, boffs, nt, Cog, Cout, nq, wf, Cgp, df, dbase, sw * Cin, Cg, MR, NV)


@njit(inline="always", **JIT)
def _input_phase(yf, offs, boffs, nt, Cog, Cout, nq, wf, Cgp, df, dbase, dstride, Cg, mr, nv):
    nr = nv * lanes(df)
    for j0 in range(0, Cg, nr):
        for q0 in range(0, nq, mr):
            _tile(yf, offs, boffs, nt, Cog, 1, q0 * Cout, Cout, min(mr, nq - q0),
                  wf, Cgp, j0, df, dbase + q0 * dstride + j0, dstride, min(nr, Cg - j0), False, mr, nv)


# ----------------------------------------------------------------------------
# gradient w.r.t. the filter
# ----------------------------------------------------------------------------
@njit(**PARALLEL_JIT)
def backprop_filter(x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, narrow):
    """dwt = conv2d_backprop_filter(x, dy) with dyp: dy whose groups are each zero-padded to a
    multiple of the tile width ([N, OH, OW, groups*Cogp]; dy itself when Cog is a multiple).
    narrow: tiles of NR/2 channels (Cog <= NR/2).

    Here the k axis of a tile runs over the output columns ox of one row, so a
    tap b simply sums its valid columns (no padded copy of x is needed).
    Parallel over tasks (group, tap a, tap b, block of input channels). A task
    runs over images n = 0, 1, ... and within an image over rows and columns,
    adding each image's sum to the previous ones: one image of dy stays in
    cache while the task's tiles read it.
    """
    N, H, W, Cin = x.shape
    _, OH, OW, ldd = dyp.shape
    KH, KW, Cg, Cout = dwt.shape
    Cogp = ldd // groups
    if N == 0 or OH == 0 or OW == 0:
        dwt[...] = 0
        return
    # channel blocks (multiples of MR) per task: enough tasks to keep every core busy
    ncb = (Cg + MR - 1) // MR
    if narrow:  # narrow tiles take 8 channels: keep task boundaries on multiples of 8
        ncb += ncb % 2
    per = ncb
    while groups * KH * KW * ((ncb + per - 1) // per) < _MIN_TASKS and per > 1:
        per = (per + 1) // 2
    if narrow:
        per += per % 2
    nchunk = (ncb + per - 1) // per
    xf = x.reshape(-1)
    yf = dyp.reshape(-1)
    wf = dwt.reshape(-1)
    for task in prange(groups * KH * KW * nchunk):
        g = task // (KH * KW * nchunk)
        a = (task // (KW * nchunk)) % KH
        b = (task // nchunk) % KW
        cb0 = (task % nchunk) * per
        cb1 = min(cb0 + per, ncb)
        lo, hi = _valid_range(b * dw - pl, sw, W, OW)
        offs = np.empty(OH, np.intp)
        boffs = np.empty(OH, np.intp)
        for n in range(N):
            nt = 0
            for oy in range(OH):
                iy = oy * sh - pt + a * dh
                if iy < 0 or iy >= H or lo == hi:
                    continue
                offs[nt] = ((n * H + iy) * W + lo * sw + b * dw - pl) * Cin + g * Cg
                boffs[nt] = ((n * OH + oy) * OW + lo) * ldd + g * Cogp
                nt += 1
            dbase = (a * KW + b) * Cg * Cout + g * Cog
            if narrow:
                _filter_block(xf, offs, boffs, nt, hi - lo, sw * Cin, cb0 * MR, min(cb1 * MR, Cg), yf, ldd,
                              wf, dbase, Cout, Cog, n > 0, 8, NV // 2)
            else:
                _filter_block(xf, offs, boffs, nt, hi - lo, sw * Cin, cb0 * MR, min(cb1 * MR, Cg), yf, ldd,
                              wf, dbase, Cout, Cog, n > 0, MR, NV)


@njit(inline="always", **JIT)
def _filter_block(xf, offs, boffs, nt, OW, ks, c0, c1, yf, ldd, wf, dbase, Cout, Cog, accumulate, mr, nv):
    nr = nv * lanes(wf)
    for j0 in range(0, Cog, nr):
        for c in range(c0, c1, mr):
            _tile(xf, offs, boffs, nt, OW, ks, c, 1, min(mr, c1 - c), yf, ldd, j0, wf,
                  dbase + c * Cout + j0, Cout, min(nr, Cog - j0), accumulate, mr, nv)


@njit(**PARALLEL_JIT)
def _pad_groups(dy, groups, cogp):
    """dy [N, OH, OW, groups*Cog] -> [N, OH, OW, groups*cogp], each group zero-padded."""
    N, OH, OW, Cout = dy.shape
    Cog = Cout // groups
    out = np.zeros((N, OH, OW, groups * cogp), dy.dtype)
    for r in prange(N * OH):
        n = r // OH
        oy = r - n * OH
        for ox in range(OW):
            for g in range(groups):
                out[n, oy, ox, g * cogp:g * cogp + Cog] = dy[n, oy, ox, g * Cog:(g + 1) * Cog]
    return out


# ----------------------------------------------------------------------------
# thin outputs (1-4 written channels per tile): dot products over the reduced axis
# ----------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _dot_step(acc, src, so, pix, bmat, bo, ldb, n, L):
    for p in range(MR):
        for j in range(TC):
            vec_madd2(acc, (p * TC + j) * L, src, so + pix[p], bmat, bo + j * ldb, n)


@njit(inline="always", **JIT)
def _dot_tile(src, offs, boffs, ntaps, kn, p0, pstride, npix, bmat, b0, ldb, dst, d0, dstride, ncol):
    """dst[d0 + p*dstride + j] = sum over taps t and k < kn of
    src[offs[t] + p0 + p*pstride + k] * bmat[boffs[t] + b0 + j*ldb + k]
    for p < npix, j < ncol <= TC. The k axis is the vector axis (MR*TC vector
    sums, each reduced lane by lane in a fixed order at the end)."""
    L = lanes(src)
    acc = stack_buffer(_ACC, src)
    pix = stack_buffer(MR, np.intp)
    for p in range(MR):
        pix[p] = p0 + min(p, npix - 1) * pstride
    for i in range(MR * TC * L):
        acc[i] = 0
    kfull = kn - kn % L
    for t in range(ntaps):
        so = offs[t]
        bo = boffs[t] + b0
        for k in range(0, kfull, L):
            _dot_step(acc, src, so + k, pix, bmat, bo + k, ldb, L, L)
        if kfull < kn:
            _dot_step(acc, src, so + kfull, pix, bmat, bo + kfull, ldb, kn - kfull, L)
    for p in range(MR):
        if p < npix:
            for j in range(TC):
                if j < ncol:
                    s = acc[(p * TC + j) * L]
                    for i in range(1, L):
                        s += acc[(p * TC + j) * L + i]
                    dst[d0 + p * dstride + j] = s


@njit(**JIT)
def _pack_thin(w, groups, transpose):
    """Filter rows for ``_dot_tile``, written channels zero-padded to a multiple of TC.

    forward: [groups, KH, Cog', KW, Cg] (kernel columns and channels contiguous per
    written channel); input gradient (transpose): [groups, KH, KW, Cg', Cog].
    """
    KH, KW, Cg, Cout = w.shape
    Cog = Cout // groups
    if transpose:
        wq = np.zeros((groups, KH, KW, _round_up(Cg, TC), Cog), w.dtype)
    else:
        wq = np.zeros((groups, KH, _round_up(Cog, TC), KW, Cg), w.dtype)
    for g in range(groups):
        for a in range(KH):
            for b in range(KW):
                for c in range(Cg):
                    for co in range(Cog):
                        if transpose:
                            wq[g, a, b, c, co] = w[a, b, c, g * Cog + co]
                        else:
                            wq[g, a, co, b, c] = w[a, b, c, g * Cog + co]
    return wq


@njit(**PARALLEL_JIT)
def forward_thin(xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups):
    """``forward`` for few output channels (wq from ``_pack_thin``); parallel over output rows."""
    N, _, Wp, Cin = xp.shape
    _, KH, Cogq, _, Cg = wq.shape
    _, OH, OW, Cout = out.shape
    Cog = Cout // groups
    merge = dw == 1 and groups == 1
    kn = KW * Cg if merge else Cg
    nb = 1 if merge else KW
    ldb = KW * Cg
    xf = xp.reshape(-1)
    wf = wq.reshape(-1)
    of = out.reshape(-1)
    for r in prange(N * OH):
        n = r // OH
        oy = r - n * OH
        offs = np.empty(KH * nb, np.intp)
        boffs = np.empty(KH * nb, np.intp)
        for g in range(groups):
            nt = 0
            for a in range(KH):
                iy = oy * sh - pt + a * dh
                if iy < 0 or iy >= H:
                    continue
                for b in range(nb):
                    offs[nt] = ((n * H + iy) * Wp + b * dw) * Cin + g * Cg
                    boffs[nt] = (g * KH + a) * Cogq * ldb + b * Cg
                    nt += 1
            for j0 in range(0, Cog, TC):
                for ox0 in range(0, OW, MR):
                    _dot_tile(xf, offs, boffs, nt, kn, ox0 * sw * Cin, sw * Cin, min(MR, OW - ox0),
                              wf, j0 * ldb, ldb, of, ((n * OH + oy) * OW + ox0) * Cout + g * Cog + j0,
                              Cout, min(TC, Cog - j0))


@njit(**PARALLEL_JIT)
def backprop_input_thin(dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups):
    """``backprop_input`` for few input channels (wq from ``_pack_thin(transpose=True)``)."""
    N, OH, OWp, Cout = dyp.shape
    _, H, W, Cin = dx.shape
    _, KH, KW, Cgq, Cog = wq.shape
    Cg = Cin // groups
    yf = dyp.reshape(-1)
    wf = wq.reshape(-1)
    df = dx.reshape(-1)
    for r in prange(N * H):
        n = r // H
        iy = r - n * H
        offs = np.empty(KH * KW, np.intp)
        boffs = np.empty(KH * KW, np.intp)
        for g in range(groups):
            for f in range(sw):
                ix0 = (f - pl) % sw
                if ix0 >= W:
                    continue
                nq = (W - ix0 + sw - 1) // sw
                nt = 0
                for a in range(KH):
                    t = iy + pt - a * dh
                    if t < 0 or t % sh != 0 or t // sh >= OH:
                        continue
                    for b in range(KW):
                        u = ix0 + pl - b * dw
                        if u % sw != 0:
                            continue
                        offs[nt] = ((n * OH + t // sh) * OWp + u // sw + ql) * Cout + g * Cog
                        boffs[nt] = ((g * KH + a) * KW + b) * Cgq * Cog
                        nt += 1
                for j0 in range(0, Cg, TC):
                    for q0 in range(0, nq, MR):
                        _dot_tile(yf, offs, boffs, nt, Cog, q0 * Cout, Cout, min(MR, nq - q0),
                                  wf, j0 * Cog, Cog, df, ((n * H + iy) * W + ix0 + q0 * sw) * Cin + g * Cg + j0,
                                  sw * Cin, min(TC, Cg - j0))
