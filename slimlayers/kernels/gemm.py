"""Register-blocked implicit-GEMM kernels for convolutions with wide channel counts.

Same contract and arguments as the direct kernels in ``conv.py`` (see there).

Every kernel is a loop over *tiles*: MR output pixels x NR output channels
whose sums live in registers for the whole reduction (``_tile``). A tile sums
a list of *taps*; a tap is a small matrix product

    acc[p, j] += sum_k src[offs[t] + spix[p] + k*ks] * bmat[boffs[t] + k*ldb + j0 + j]

(``spix[p]``: offset of tile pixel p). The three kernels differ only in what the
taps are:
- forward: one tap per kernel row ``a`` (or tap ``(a, b)`` when dilated or
  grouped), k runs over input channels (and kernel columns, which are
  contiguous in an NHWC row when the column dilation is 1);
- input gradient: the output pixels of one row are split by column phase
  ``(ix + pl) % sw``; inside a phase consecutive pixels read consecutive
  ``dy`` pixels, so it is the same product with the transposed filter;
- filter gradient: "pixels" are input channels, channels are output
  channels, k runs over the output pixels of one row of one image.

Why it is fast: the MR x NR accumulator block (12-24 vector registers, sized
for the target CPU) is reused for every k with one broadcast of ``src`` per
pixel and NV vector loads of ``bmat``; nothing is stored until the tile is
finished. Rows that read the same taps share tiles (two 8-pixel rows make
6 + 6 + 4 pixel tiles). A filter too large for L2 is applied in passes of
one L1-sized chunk over a block of rows; the filter gradient walks dy in
L1-sized chunks shared by every kernel column and channel block. Taps that
read outside the input are avoided by skipping rows (uniform over a row) and,
for columns (which vary inside a tile), by copying the input into a
zero-padded-in-width buffer (forward) or, in the input gradient of a large
dy, by summing the few pixels at a row's ends apart with their valid taps.
Tail pixels re-read the last valid pixel (results discarded); tail channels
are zero-padded in the packed filter and masked on store.

Determinism: every output element is produced by tiles that sum taps, then
k, in an order fixed by the shapes (passes continue the sum where the last
one stopped); the filter gradient sums images n = 0, 1, ..., then rows, then
columns. No result depends on the thread count, the tile shape or the CPU
(see _simd.py for the dot tiles' fixed-width sums).
"""
import functools

import numba
import numpy as np
from numba import literally, njit, prange

from ._simd import (
    SUM_BYTES, VECTOR_REGISTERS, lanes, lanes_of, load, stack_buffer, sum_clear, sum_lanes, sum_madd,
    sum_total, vec_load, vec_madd, vec_store,
)
from ._tasks import chunk_bounds, launch, launch_chunks, valid_range
from .config import JIT, PARALLEL_JIT

# Tile shapes (pixels x vectors of channels) follow the vector registers of the CPU Numba
# compiles for (_simd.target_vector_file). With 32 registers (AVX-512):
# - MR x NV = 8 x 2 (16 accumulator vectors; NR = 32 float32 / 16 float64 channels): every kernel
#   (FILTER_MR = 8 input channels per filter-gradient tile);
# - WIDE_MR x WIDE_NV = 4 x 4 (64 / 32 channels): forward and input gradient when a group
#   writes at least that many channels. Half the broadcasts per multiply-add: 15-25 %
#   faster than 8 x 2 on the 64..256-channel benchmark shapes (measured interleaved in
#   one process). Separate kernel functions, so a model without wide layers never
#   compiles them. The filter gradient uses 4 x 4 too when a group has <= 4 input
#   channels and >= 64 output channels (an RGB first layer: 3 of 4 tile rows used
#   instead of 3 of 8; 2x faster on bench shapes d and k).
# - TALL_MR x WIDE_NV = 6 x 4 (24 accumulator vectors): each filter vector is reused by 6
#   pixels instead of 4 (a third fewer filter loads per multiply-add; 24 + 4 + 1 of 32
#   registers). A row of pixels is cut into 6- and 4-pixel tiles so that even widths leave
#   no tile partly empty (16 = 6 + 6 + 4, 8 = 4 + 4, 14 = 6 + 4 + 4).
# - dot-product tiles: THIN_MR x TC = 4 x 4 sums, or THIN_SINGLE = 16 x 1 for one channel.
# With 16 registers (AVX2, SSE) the 8 x 2 block (16 accumulators, plus 2 filter vectors and a
# broadcast) spilled on every multiply-add (2-3x slower than now): there the forward and input
# gradient cut a row into 6 x 2 tiles (12 + 2 + 1 of 16 registers, the BLIS Haswell shape) and
# 4 x 2 ones (as the tall tiles above: 14 = 6 + 4 + 4, no partly empty tile), the filter
# gradient takes 6 input channels per tile, no 4 x 4 tiles, and the dot tiles hold 2 x 2 or
# 6 x 1 sums (a 64-byte sum takes two 32-byte registers). An element's summation order never
# depends on the tile shape (only on the fixed 64-byte sums of the dot tiles), so every CPU with
# FMA computes the same bits (tests compare the AVX2 and AVX-512 builds).
if VECTOR_REGISTERS >= 32:
    MR, NV, TALL = 8, 2, 8
    WIDE_MR, WIDE_NV, TALL_MR = 4, 4, 6
    FILTER_MR = 8
    THIN_MR, TC, THIN_SINGLE = 4, 4, 16
else:
    MR, NV, TALL = 4, 2, 6
    WIDE_MR, WIDE_NV, TALL_MR = 4, 2, 6  # the same as MR x NV: ``wide`` is never true
    FILTER_MR = 6
    THIN_MR, TC, THIN_SINGLE = 2, 2, 6
_ACC = 16 * 16  # stack elements of a dot tile's sums (16 sums of 16 float32)
_TILE_ACC = 24 * 16  # _tile's block: up to 24 vectors of 64 bytes
_PIX = 16       # tile pixels at most
_ROW_BLOCK = 16  # forward / input gradient: rows per block (grouped into tiles, see _block_tiles)
_BLOCK_FILTER_BYTES = 1 << 18  # larger filters: the rows of a block take turns on one k-chunk
_PANEL_BYTES = 32 << 10  # of this size at a time (_blocking); the filter gradient's dy chunks
_TASKS_PER_THREAD = 4  # filter gradient: split channels until each thread has this many tasks


def block_width(dtype):
    """NR, the channels of one MR x NV tile (8 x 2 or 4 x 2 vectors), for a numpy dtype."""
    return _block_width(np.dtype(dtype))


@functools.cache
def _block_width(dtype):
    # cached: asked three times per conv call, and numba's type lookup costs microseconds
    from numba.np.numpy_support import from_dtype
    return NV * lanes_of(from_dtype(dtype))


def wide(written, dtype):
    """Whether forward / input-gradient tiles writing ``written`` channels use the WIDE_MR x
    WIDE_NV shape (4 x 4 and 6 x 4; never on 16-register CPUs, where it is MR x NV itself)."""
    return (WIDE_MR, WIDE_NV) != (MR, NV) and written >= WIDE_NV * block_width(dtype) // NV


def gemm_worthwhile(written, dtype):
    """Whether ``written`` channels fill enough of a tile for the gemm kernels (>= 16 float32,
    8 float64: a fixed count, the same on every CPU, so every CPU takes the same path)."""
    return written * np.dtype(dtype).itemsize >= SUM_BYTES


def tile_width(written, dtype):
    """Channels of the tile that writes ``written`` channels (the packed filter's padding)."""
    return block_width(dtype) * (WIDE_NV // NV if wide(written, dtype) else 1)


@njit(inline="always", **JIT)
def _tile(src, offs, boffs, ntaps, kn, ks, spix, bmat, ldb, j0, dst, dpix, npix, ncol, accumulate, mr, nv):
    """dst[dpix[p] + j] (+)= sum over taps t < ntaps and k < kn of
    src[offs[t] + spix[p] + k*ks] * bmat[boffs[t] + k*ldb + j0 + j]
    for p < npix <= mr, j < ncol <= nv*lanes (accumulate: add to what dst holds).
    spix and dpix hold mr entries (those past npix repeat valid ones; results discarded).

    mr and nv must be literal constants at every call site: LLVM then unrolls
    the p and v loops and keeps all mr*nv accumulator vectors in registers.
    """
    L = lanes(src)
    acc = stack_buffer(_TILE_ACC, src)
    for p in range(mr):
        for v in range(nv):
            n = min(max(ncol - v * L, 0), L) if accumulate and p < npix else 0
            vec_load(acc, (p * nv + v) * L, dst, dpix[p] + v * L, n)
    for t in range(ntaps):
        so = offs[t]
        bo = boffs[t] + j0
        for _ in range(kn):
            for p in range(mr):
                av = load(src, so + spix[p])
                for v in range(nv):
                    vec_madd(acc, (p * nv + v) * L, av, bmat, bo + v * L)
            so += ks
            bo += ldb
    for p in range(mr):
        if p < npix:
            for v in range(nv):
                n = min(max(ncol - v * L, 0), L)
                vec_store(dst, dpix[p] + v * L, acc, (p * nv + v) * L, n)


@njit(inline="always", **JIT)
def _strided_pixels(spix, dpix, s0, sstride, d0, dstride, npix, mr):
    """spix[p] = s0 + p*sstride, dpix[p] = d0 + p*dstride for p < mr (p clamped to npix - 1)."""
    for p in range(mr):
        q = min(p, npix - 1)
        spix[p] = s0 + q * sstride
        dpix[p] = d0 + q * dstride


@njit(inline="always", **JIT)
def _tap_pixels(spix, dpix, KW, Cg, bstride, d0, dstride, mr):
    """The filter gradient's tile rows p = b*Cg + c < KW*Cg (kernel column b, channel c; p clamped):
    spix[p] = b*bstride + c, dpix[p] = d0 + p*dstride."""
    for p in range(mr):
        q = min(p, KW * Cg - 1)
        b = q // Cg
        spix[p] = b * bstride + q - b * Cg
        dpix[p] = d0 + q * dstride


@njit(inline="always", **JIT)
def _tall_next(rem, mr, tall):
    """Whether the next tile of a row with ``rem`` pixels left is a tall one (tall > mr pixels).

    Tall tiles while they stay full and the rest still splits into whole mr-pixel tiles where
    possible (mr = 4, tall = 6: 16 = 6 + 6 + 4, 14 = 6 + 4 + 4, 8 = 4 + 4, 32 = 4 x 6 + 2 x 4).
    Always False when tall == mr (the 8 x 2 tiles of 32-register targets).
    """
    return tall > mr and rem > mr and (rem % mr != 0 or rem >= 3 * mr)


@njit(**JIT)
def _blocking(ntap, kn, filter_row_bytes, panel_row_bytes):
    """(whole, k per pass) for a filter of ntap*kn rows of filter_row_bytes (all channel blocks
    of a group), panel_row_bytes of them in one channel block: the whole filter in one pass
    up to _BLOCK_FILTER_BYTES, else one chunk of _PANEL_BYTES of one tap per pass, kept in L1
    for all the tiles of a block of rows instead of streaming from L2 (or L3) for every tile.
    Measured (AVX-512, 2 MB L2 per core): i's 2 MB filter 1.3-1.9x faster blocked; e's and j's
    0.5 MB ones 5-15 % faster; c's and f's 147 KB ones 5-15 % slower blocked."""
    if ntap * kn * filter_row_bytes <= _BLOCK_FILTER_BYTES:
        return True, max(kn, 1)
    return False, max(_PANEL_BYTES // panel_row_bytes, 1)


# inlined into _group_rows (compiled once, so no cost per kernel): the input gradient groups
# rows once per segment of a phase; measured 2-7 % of g's and j's transposed-conv forward
@njit(inline="always", **JIT)
def _same_taps(offs, boffs, nts, ntap, i, j):
    """Whether rows i and j read the same filter blocks from inputs one constant offset apart
    (then their pixels can share tiles)."""
    if nts[i] != nts[j]:
        return False
    for t in range(nts[i]):
        if (boffs[j * ntap + t] != boffs[i * ntap + t]
                or offs[j * ntap + t] - offs[i * ntap + t] != offs[j * ntap] - offs[i * ntap]):
            return False
    return True


@njit(**JIT)
def _group_rows(offs, boffs, nts, nrow, ntap, npix, want, members, gstart):
    """Greedy groups of rows with the same taps (``_same_taps``), up to ``want`` pixels each:
    group g is rows members[gstart[g]:gstart[g + 1]], the first one's taps stand for all.
    Returns the number of groups."""
    ng = 0
    nm = 0
    for i in range(nrow):
        members[nrow + i] = 0  # second half of ``members``: 1 once grouped
    for i in range(nrow):
        if members[nrow + i]:
            continue
        gstart[ng] = nm
        members[nm] = i
        nm += 1
        size = npix
        for j in range(i + 1, nrow):
            if size >= want:
                break
            if not members[nrow + j] and _same_taps(offs, boffs, nts, ntap, i, j):
                members[nm] = j
                members[nrow + j] = 1
                nm += 1
                size += npix
        ng += 1
    gstart[ng] = nm
    return ng


@njit(inline="always", **JIT)
def _group_pixels(spix, dpix, q0, mr, size, npix, members, g0, offs, ntap, dbases, pstride, dstride, k0, j0):
    """Tile pixels q0 .. q0+mr of a row group (its rows' npix pixels one after another; past
    ``size``, the last pixel again): source offsets relative to the group's first row, k0
    added; output offsets with channel j0."""
    first = members[g0]
    m = q0 // npix  # one division per tile; then walk (no division per pixel: 25 cycles each)
    col = q0 - m * npix
    last = size - 1 - q0
    for p in range(mr):
        row = members[g0 + m]
        spix[p] = offs[row * ntap] - offs[first * ntap] + col * pstride + k0
        dpix[p] = dbases[row] + j0 + col * dstride
        if p < last:
            col += 1
            if col == npix:
                col = 0
                m += 1


@njit(**JIT)
def _row_block_workspace(rows, ntap):
    """The arrays ``_block_tiles`` works with for a block of ``rows`` rows of up to ``ntap`` taps:
    offs, boffs ([rows * ntap]), nts, dbases ([rows]), members ([2 * rows]), gstart
    ([rows + 1]), cursor ([rows])."""
    return (np.empty(rows * ntap, np.intp), np.empty(rows * ntap, np.intp), np.empty(rows, np.intp),
            np.empty(rows, np.intp), np.empty(2 * rows, np.intp), np.empty(rows + 1, np.intp),
            np.empty(rows, np.intp))


@njit(**JIT)
def _block_tiles(src, offs, boffs, nts, dbases, ng, ntap, whole, kn, kc, npix, pstride,
                 bmat, ldb, b0, j0, dst, dstride, ncol, members, gstart, cursor, mr, nv, tall):
    """Channels j0 .. j0+ncol of the rows of a block: row i sums its taps
    offs/boffs[i*ntap + t], t < nts[i], over k < kn into the npix tile pixels at
    dst[dbases[i] + j0 + p*dstride] (pixel p reads src at offs + p*pstride + k, the filter
    at bmat[boffs + b0 + k*ldb]: b0 selects the channel panel).

    The rows come in ng groups (``_group_rows``, members/gstart) whose pixels share tiles: two
    8-pixel rows fill 6 + 6 + 4 pixel tiles instead of 4 + 4 + 4 + 4. With ``whole`` one pass
    sums everything; else each pass takes one filter block (the smallest next one of any group: rows of
    different stride phases use different blocks) in chunks of kc k-values, for every group
    whose next tap it is. A group's first pass writes, later ones add: each element still sums
    its taps, then k, in order, the same bits as one pass. A row without taps gets zeros.
    """
    literally(mr)
    literally(nv)
    literally(tall)
    spix = stack_buffer(_PIX, np.intp)
    dpix = stack_buffer(_PIX, np.intp)
    for grp in range(ng):
        cursor[grp] = 0
    first_pass = True
    while True:
        nb = -1  # the filter block of this pass
        if not whole:
            for grp in range(ng):
                i = members[gstart[grp]]
                if cursor[grp] < nts[i] and (nb < 0 or boffs[i * ntap + cursor[grp]] < nb):
                    nb = boffs[i * ntap + cursor[grp]]
            if nb < 0 and not first_pass:
                break
        for k0 in range(0, max(kn, 1), kc):
            kk = min(kc, kn - k0)
            for grp in range(ng):
                g0 = gstart[grp]
                i = members[g0]
                nt = nts[i]
                c = cursor[grp]
                if whole:
                    tstart, tcount = 0, nt
                elif nt == 0:
                    if not first_pass or k0 > 0:
                        continue
                    tstart, tcount = 0, 0
                elif c < nt and boffs[i * ntap + c] == nb:
                    tstart, tcount = c, 1
                else:
                    continue
                accumulate = tstart > 0 or k0 > 0
                tb = i * ntap + tstart
                to = offs[tb:tb + tcount]
                bo = boffs[tb:tb + tcount]
                size = (gstart[grp + 1] - g0) * npix
                q0 = 0
                while q0 < size:
                    if _tall_next(size - q0, mr, tall):
                        _group_pixels(spix, dpix, q0, tall, size, npix, members, g0, offs, ntap, dbases, pstride,
                                      dstride, k0, j0)
                        _tile(src, to, bo, tcount, kk, 1, spix, bmat, ldb, b0 + k0 * ldb, dst, dpix,
                              min(tall, size - q0), ncol, accumulate, tall, nv)
                        q0 += tall
                    else:
                        _group_pixels(spix, dpix, q0, mr, size, npix, members, g0, offs, ntap, dbases, pstride,
                                      dstride, k0, j0)
                        _tile(src, to, bo, tcount, kk, 1, spix, bmat, ldb, b0 + k0 * ldb, dst, dpix,
                              min(mr, size - q0), ncol, accumulate, mr, nv)
                        q0 += mr
        if whole or nb < 0:
            break
        for grp in range(ng):
            i = members[gstart[grp]]
            if cursor[grp] < nts[i] and boffs[i * ntap + cursor[grp]] == nb:
                cursor[grp] += 1
        first_pass = False


# ----------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------
def forward(xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups):
    """out = conv(x, w) from the column-padded input xp [N, H, Wp, Cin] (column ox*sw + b*dw
    of xp is the tap b of output column ox) and the packed filter wp (``packing.pack_filter`` with
    ``tile_width``).

    Parallel over output rows (n, oy).
    """
    if wide(out.shape[3] // groups, out.dtype):
        launch_chunks(_forward_rows_wide, out.shape[0] * out.shape[1], xp, wp, out, H, sh,
               sw, dh, dw, pt, KW, groups)
    else:
        launch_chunks(_forward_rows, out.shape[0] * out.shape[1], xp, wp, out, H, sh, sw, dh,
               dw, pt, KW, groups)


@njit(**JIT)
def _forward_taps(offs, boffs, t0, n, oy, g, H, Wp, Cin, Cg, KH, nb, sh, dh, dw, pt, a_stride, b_stride):
    """The taps (a, b < nb) of output row oy of image n, group g, whose input row lies in the
    input: offs[t0 + t] = flat offset of the tap's first input pixel in the column-padded
    input, boffs[t0 + t] = (g*KH + a)*a_stride + b*b_stride (its filter block). Returns how many."""
    nt = 0
    for a in range(KH):
        iy = oy * sh - pt + a * dh
        if iy < 0 or iy >= H:
            continue
        for b in range(nb):
            offs[t0 + nt] = ((n * H + iy) * Wp + b * dw) * Cin + g * Cg
            boffs[t0 + nt] = (g * KH + a) * a_stride + b * b_stride
            nt += 1
    return nt


@njit(inline="always", **JIT)
def _forward_body(r0, r1, xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups, mr, nv, tall):
    """Output rows r0 <= n*OH + oy < r1 of ``forward`` with mr x nv-vector tiles (and tall x nv
    ones, see ``_tall_next``)."""
    N, _, Wp, Cin = xp.shape
    _, KH, npanel, KW, Cg, _ = wp.shape
    _, OH, OW, Cout = out.shape
    Cog = Cout // groups
    # kernel columns and channels of one tap row are contiguous (one long k) if dw == 1
    merge = dw == 1 and groups == 1
    kn = KW * Cg if merge else Cg
    nb = 1 if merge else KW
    ntap = KH * nb
    xf = xp.reshape(-1)
    wf = wp.reshape(-1)
    of = out.reshape(-1)
    nr = nv * lanes(of)  # = wp.shape[5]
    whole, kc = _blocking(ntap, kn, npanel * nr * of.itemsize, nr * of.itemsize)
    rows = _ROW_BLOCK
    offs, boffs, nts, dbases, members, gstart, cursor = _row_block_workspace(rows, ntap)
    for rb in range(r0, r1, rows):
        nrow = min(rows, r1 - rb)
        for g in range(groups):
            for i in range(nrow):
                n = (rb + i) // OH
                oy = rb + i - n * OH
                nts[i] = _forward_taps(offs, boffs, i * ntap, n, oy, g, H, Wp, Cin, Cg, KH, nb, sh, dh, dw, pt,
                                       npanel * KW * Cg * nr, Cg * nr)
                dbases[i] = (n * OH + oy) * OW * Cout + g * Cog
            ng = _group_rows(offs, boffs, nts, nrow, ntap, OW, 2 * tall + mr, members, gstart)
            for j0 in range(0, Cog, nr):
                _block_tiles(xf, offs, boffs, nts, dbases, ng, ntap, whole, kn, kc, OW, sw * Cin,
                             wf, nr, j0 * KW * Cg, j0, of, Cout, min(nr, Cog - j0), members, gstart, cursor, mr, nv,
                             tall)


@njit(**PARALLEL_JIT)
def _forward_rows(nchunks, ntasks, xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _forward_body(r0, r1, xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups, MR, NV, TALL)


@njit(**PARALLEL_JIT)
def _forward_rows_wide(nchunks, ntasks, xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _forward_body(r0, r1, xp, wp, out, H, sh, sw, dh, dw, pt, KW, groups, WIDE_MR, WIDE_NV, TALL_MR)


# ----------------------------------------------------------------------------
# gradient w.r.t. the input (= transposed convolution forward)
# ----------------------------------------------------------------------------
def backprop_input(dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups):
    """dx = conv2d_backprop_input(dy, w) from the transposed packed filter wt and dy, or dy
    column-padded by ql on the left (dyp [N, OH, OWp, Cout], zeros outside dy; ql = 0: dy).

    Parallel over input rows (n, iy). Columns ix of one phase f = (ix + pl) % sw
    receive tap b only if (f - b*dw) % sw == 0, from output column
    ox = (ix + pl - b*dw) / sw, which advances by one per pixel of the phase.
    The few pixels at either end of a phase for which some tap's ox lies outside dyp are
    summed separately, each with its valid taps only (``_phase_interior``), so dy need not be
    copied into a zero-padded buffer (the copy cost 8 % of bench shape g's forward).
    """
    if wide(dx.shape[3] // groups, dx.dtype):
        launch_chunks(_input_rows_wide, dx.shape[0] * dx.shape[1], dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups)
    else:
        launch_chunks(_input_rows, dx.shape[0] * dx.shape[1], dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups)


@njit(**JIT)
def _phase_taps(offs, boffs, cols, n, iy, ix0, g, OH, OWp, Cout, Cog, ql, KH, KW, sh, sw, dh, dw, pt, pl,
                a_stride, b_stride):
    """The taps (a, b) that land on input row iy, columns ix0 + q*sw (one stride phase), of group g.

    Writes, for each such tap, the flat offset of its dy pixel for q = 0 (``offs``; dy padded by
    ql columns on the left to OWp columns), that pixel's column in dy (``cols``, without the
    padding; q adds q) and the offset of its packed filter block (``boffs``:
    (g*KH + a)*a_stride + b*b_stride); returns how many.
    """
    nt = 0
    for a in range(KH):
        t = iy + pt - a * dh
        if t < 0 or t % sh != 0 or t // sh >= OH:
            continue
        for b in range(KW):
            u = ix0 + pl - b * dw
            if u % sw != 0:
                continue
            cols[nt] = u // sw
            offs[nt] = ((n * OH + t // sh) * OWp + u // sw + ql) * Cout + g * Cog
            boffs[nt] = (g * KH + a) * a_stride + b * b_stride
            nt += 1
    return nt


@njit(**JIT)
def _phase_interior(ix0, nq, lo, hi, KW, sw, dw, pl):
    """[qlo, qhi): the pixels q < nq of the stride phase starting at column ix0 for which every
    tap of the phase reads a column lo <= ox < hi; qlo == qhi when there are none."""
    qlo = 0
    qhi = nq
    for b in range(KW):
        u = ix0 + pl - b * dw
        if u % sw == 0:
            qlo = max(qlo, lo - u // sw)
            qhi = min(qhi, hi - u // sw)
    qlo = min(qlo, nq)
    return qlo, max(qhi, qlo)


@njit(inline="always", **JIT)
def _segment(seg, qlo, qhi):
    """Pixels [qa, qb) of segment seg of a phase: [0, qlo) one by one, [qlo, qhi) together (if
    not empty), then the rest one by one."""
    inner = 1 if qhi > qlo else 0
    if seg < qlo:
        return seg, seg + 1
    if inner and seg == qlo:
        return qlo, qhi
    qa = qhi + seg - qlo - inner
    return qa, qa + 1


@njit(inline="always", **JIT)
def _segment_taps(offs, boffs, t0, all_offs, all_boffs, cols, nt, qa, qb, lo, hi, Cout):
    """The taps (of ``_phase_taps``' nt) whose dy columns stay in [lo, hi) for pixels qa <= q < qb,
    written from t0 on with offsets for q = qa; returns how many."""
    k = 0
    for t in range(nt):
        if cols[t] + qa >= lo and cols[t] + qb <= hi:
            offs[t0 + k] = all_offs[t] + qa * Cout
            boffs[t0 + k] = all_boffs[t]
            k += 1
    return k


@njit(inline="always", **JIT)
def _input_body(r0, r1, dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups, mr, nv, tall):
    """Input rows r0 <= n*H + iy < r1 of ``backprop_input`` with mr x nv-vector tiles."""
    N, OH, OWp, Cout = dyp.shape
    _, H, W, Cin = dx.shape
    _, KH, npanel, KW, Cog, _ = wt.shape
    Cg = Cin // groups
    ntap = KH * KW
    yf = dyp.reshape(-1)
    wf = wt.reshape(-1)
    df = dx.reshape(-1)
    nr = nv * lanes(df)  # = wt.shape[5]
    whole, kc = _blocking(ntap, Cog, npanel * nr * df.itemsize, nr * df.itemsize)
    rows = _ROW_BLOCK
    offs, boffs, nts, dbases, members, gstart, cursor = _row_block_workspace(rows, ntap)
    # each row's taps for the whole phase (a segment's are picked from them) and their dy columns
    all_offs, all_boffs, all_nts = np.empty(rows * ntap, np.intp), np.empty(rows * ntap, np.intp), np.empty_like(nts)
    cols = np.empty(rows * ntap, np.intp)
    for rb in range(r0, r1, rows):
        nrow = min(rows, r1 - rb)
        for g in range(groups):
            for f in range(sw):
                ix0 = (f - pl) % sw  # first column of this phase
                if ix0 >= W:
                    continue
                nq = (W - ix0 + sw - 1) // sw
                for i in range(nrow):
                    n = (rb + i) // H
                    iy = rb + i - n * H
                    all_nts[i] = _phase_taps(all_offs[i * ntap:], all_boffs[i * ntap:], cols[i * ntap:], n, iy, ix0,
                                             g, OH, OWp, Cout, Cog, ql, KH, KW, sh, sw, dh, dw, pt, pl,
                                             npanel * KW * Cog * nr, Cog * nr)
                qlo, qhi = _phase_interior(ix0, nq, -ql, OWp - ql, KW, sw, dw, pl)
                for seg in range(qlo + (1 if qhi > qlo else 0) + nq - qhi):
                    qa, qb = _segment(seg, qlo, qhi)
                    for i in range(nrow):
                        n = (rb + i) // H
                        iy = rb + i - n * H
                        nts[i] = _segment_taps(offs, boffs, i * ntap, all_offs[i * ntap:], all_boffs[i * ntap:],
                                               cols[i * ntap:], all_nts[i], qa, qb, -ql, OWp - ql, Cout)
                        dbases[i] = ((n * H + iy) * W + ix0 + qa * sw) * Cin + g * Cg
                    ng = _group_rows(offs, boffs, nts, nrow, ntap, qb - qa, 2 * tall + mr, members, gstart)
                    for j0 in range(0, Cg, nr):
                        _block_tiles(yf, offs, boffs, nts, dbases, ng, ntap, whole, Cog, kc, qb - qa, Cout,
                                     wf, nr, j0 * KW * Cog, j0, df, sw * Cin, min(nr, Cg - j0), members, gstart,
                                     cursor, mr, nv, tall)


@njit(**PARALLEL_JIT)
def _input_rows(nchunks, ntasks, dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _input_body(r0, r1, dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups, MR, NV, TALL)


@njit(**PARALLEL_JIT)
def _input_rows_wide(nchunks, ntasks, dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _input_body(r0, r1, dyp, ql, wt, dx, sh, sw, dh, dw, pt, pl, groups, WIDE_MR, WIDE_NV, TALL_MR)


# ----------------------------------------------------------------------------
# gradient w.r.t. the filter
# ----------------------------------------------------------------------------
def filter_tile(Cg, Cog, dtype):
    """(input channels, vectors of output channels) of the filter-gradient tile: WIDE_MR x
    WIDE_NV (4 x 4) for a few input channels and wide outputs (an RGB input: 3 of 4 tile rows
    used, where 8 x 2 used 3 of 8; 2x faster on bench shapes d and k), else FILTER_MR x NV.
    (A 6 x 4 tile for wide outputs measured within noise of 8 x 2, at +2 s of compilation.)"""
    if wide(Cog, dtype) and Cg <= WIDE_MR:
        return WIDE_MR, WIDE_NV
    return FILTER_MR, NV


def filter_tile_width(Cg, Cog, dtype):
    """Output channels of the filter-gradient tile (dy's per-group padding)."""
    return block_width(dtype) * filter_tile(Cg, Cog, dtype)[1] // NV


def taps_as_rows(KW, Cg):
    """Whether the filter gradient's tile rows are the (kernel column, input channel) pairs of a
    kernel row, not input channels: when a row's KW * Cg pairs fit the smallest tile (4 rows on
    every CPU, so every CPU takes the same path). A grey-scale input's 3 x 3 kernel then fills 3
    rows of a tile instead of 1 (bench shape h's and the autoencoder's first layer: 2.1x faster
    in 8 x 2 tiles; 2.6x in 4 x 2 ones, which cost 1.3 s more of first compilation)."""
    return 1 < KW and KW * Cg <= WIDE_MR


def backprop_filter(x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, tap_rows):
    """dwt = conv2d_backprop_filter(x, dy) with dyp: dy whose groups are each zero-padded to a
    multiple of ``filter_tile_width`` ([N, OH, OW, groups*Cogp]; dy itself when Cog is a multiple).
    With ``tap_rows`` (``taps_as_rows``), x must be column-padded (``pl`` zero columns on the left,
    so that every tap of every output column reads inside it) and ``pl`` is not used.

    Here the k axis of a tile runs over the output columns ox of one row, so a
    tap b simply sums its valid columns (no padded copy of x is needed, except when the tile rows
    are taps: they share one k range, the padded columns adding exact zeros).
    Parallel over tasks (group, kernel row a, block of input channels). A task runs over
    images n = 0, 1, ... and within an image over chunks of output rows, adding to the
    sums so far; a chunk of dy (<= _PANEL_BYTES per channel block) stays in L1 while every
    kernel column b and input-channel block of the task reads it.
    """
    N, OH, OW = dyp.shape[:3]
    KH, KW, Cg, Cout = dwt.shape
    if N == 0 or OH == 0 or OW == 0:
        dwt[...] = 0
        return
    mr, nv = filter_tile(Cg, Cog, dwt.dtype)
    # channel blocks (multiples of mr) per task: enough tasks to keep every core busy
    ncb = (Cg + mr - 1) // mr
    per = ncb
    # (fewer, larger tasks share each chunk of dy among more channel blocks; a task's sums never
    # depend on the split)
    while groups * KH * ((ncb + per - 1) // per) < _TASKS_PER_THREAD * numba.get_num_threads() and per > 1:
        per = (per + 1) // 2
    nchunk = (ncb + per - 1) // per
    kernel, parallel = _FILTER_KERNELS[mr, nv]
    launch(kernel, parallel, groups * KH * nchunk, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, 0 if tap_rows else pl,
           groups, ncb, per, nchunk, tap_rows)


@njit(inline="always", **JIT)
def _filter_body(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows, mr, nv):
    """Tasks t0 <= t < t1 (group, kernel row a, chunk of mr-channel blocks) of ``backprop_filter``
    (tap_rows: ``taps_as_rows``, one task per group and kernel row)."""
    N, H, W, Cin = x.shape
    _, OH, OW, ldd = dyp.shape
    KH, KW, Cg, Cout = dwt.shape
    Cogp = ldd // groups
    xf = x.reshape(-1)
    yf = dyp.reshape(-1)
    wf = dwt.reshape(-1)
    rows = np.empty(OH, np.intp)
    offs = np.empty(OH, np.intp)
    boffs = np.empty(OH, np.intp)
    spix = stack_buffer(_PIX, np.intp)
    dpix = stack_buffer(_PIX, np.intp)
    nr = nv * lanes(wf)
    chunk = max(_PANEL_BYTES // (OW * nr * wf.itemsize), 1)  # output rows of dy per chunk
    for task in range(t0, t1):
        g = task // (KH * nchunk)
        a = (task // nchunk) % KH
        cb0 = (task % nchunk) * per
        c0 = cb0 * mr
        c1 = min(min(cb0 + per, ncb) * mr, Cg)
        for n in range(N):
            nrow = 0
            for oy in range(OH):
                iy = oy * sh - pt + a * dh
                if 0 <= iy < H:
                    rows[nrow] = oy
                    nrow += 1
            for j0 in range(0, Cog, nr):
                ncol = min(nr, Cog - j0)
                # images, then rows, then columns: each element sums in the order of one pass
                for r0 in range(0, max(nrow, 1), chunk):
                    r1 = min(r0 + chunk, nrow)
                    # tap rows: one pass (b = 0) over every column of the column-padded x (pl = 0)
                    for b in range(1 if tap_rows else KW):
                        lo, hi = (0, OW) if tap_rows else valid_range(b * dw - pl, sw, W, OW)
                        for t in range(r1 - r0):
                            oy = rows[r0 + t]
                            offs[t] = ((n * H + oy * sh - pt + a * dh) * W + lo * sw + b * dw - pl) * Cin + g * Cg
                            boffs[t] = ((n * OH + oy) * OW + lo) * ldd + g * Cogp
                        dbase = (a * KW + b) * Cg * Cout + g * Cog + j0
                        for c in range(c0, c1, mr):
                            if tap_rows:
                                npix = KW * Cg
                                _tap_pixels(spix, dpix, KW, Cg, dw * Cin, dbase, Cout, mr)
                            else:
                                npix = min(mr, c1 - c)
                                _strided_pixels(spix, dpix, c, 1, dbase + c * Cout, Cout, npix, mr)
                            _tile(xf, offs, boffs, r1 - r0, hi - lo, sw * Cin, spix, yf, ldd, j0, wf, dpix, npix,
                                  ncol, n > 0 or r0 > 0, mr, nv)


@njit(**JIT)
def _filter_tasks(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows):
    _filter_body(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows, FILTER_MR, NV)


@njit(**JIT)
def _filter_tasks_thin(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows):
    _filter_body(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows, WIDE_MR,
                 WIDE_NV)


@njit(**PARALLEL_JIT)
def _filter_tasks_parallel(nchunks, ntasks, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per,
                           nchunk, tap_rows):
    for c in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, c)
        _filter_tasks(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows)


@njit(**PARALLEL_JIT)
def _filter_tasks_thin_parallel(nchunks, ntasks, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per,
                                nchunk, tap_rows):
    for c in prange(nchunks):
        t0, t1 = chunk_bounds(ntasks, nchunks, c)
        _filter_tasks_thin(t0, t1, x, dyp, Cog, dwt, sh, sw, dh, dw, pt, pl, groups, ncb, per, nchunk, tap_rows)


_FILTER_KERNELS = {  # by filter_tile (on 16-register CPUs only the 6 x 2 shape is used)
    (WIDE_MR, WIDE_NV): (_filter_tasks_thin, _filter_tasks_thin_parallel),
    (FILTER_MR, NV): (_filter_tasks, _filter_tasks_parallel),
}


# ----------------------------------------------------------------------------
# thin outputs (1-4 written channels per tile): dot products over the reduced axis
# ----------------------------------------------------------------------------
@njit(inline="always", **JIT)
def _dot_step(acc, src, so, pix, bmat, bo, ldb, n, L, mr, tc):
    for p in range(mr):
        for j in range(tc):
            sum_madd(acc, (p * tc + j) * L, src, so + pix[p], bmat, bo + j * ldb, n)


@njit(inline="always", **JIT)
def _dot_tile(src, offs, boffs, ntaps, kn, p0, pstride, npix, bmat, b0, ldb, dst, d0, dstride, ncol, mr, tc):
    """dst[d0 + p*dstride + j] = sum over taps t and k < kn of
    src[offs[t] + p0 + p*pstride + k] * bmat[boffs[t] + b0 + j*ldb + k]
    for p < npix <= mr, j < ncol <= tc (literal constants at every call site, mr * tc <= 16).
    The k axis is the vector axis (mr * tc vector sums, each reduced in a fixed order at the end)."""
    L = sum_lanes(src)
    acc = stack_buffer(_ACC, src)
    pix = stack_buffer(_PIX, np.intp)
    for p in range(mr):
        pix[p] = p0 + min(p, npix - 1) * pstride
    for q in range(mr * tc):
        sum_clear(acc, q * L)  # whole vectors: keeps acc in registers
    kfull = kn - kn % L
    for t in range(ntaps):
        so = offs[t]
        bo = boffs[t] + b0
        for k in range(0, kfull, L):
            _dot_step(acc, src, so + k, pix, bmat, bo + k, ldb, L, L, mr, tc)
        if kfull < kn:
            _dot_step(acc, src, so + kfull, pix, bmat, bo + kfull, ldb, kn - kfull, L, mr, tc)
    for p in range(mr):
        for j in range(tc):
            s = sum_total(acc, (p * tc + j) * L)
            if p < npix and j < ncol:
                dst[d0 + p * dstride + j] = s


def _thin_single(written):
    """Whether a thin tile writes one channel: 16 pixels x 1 channel instead of 4 x 4 (a
    grey-scale output, e.g. an autoencoder's last layer, used 1 of 4 tile columns: 2-3x slower)."""
    return written == 1


@njit(**JIT)
def _dot_row(src, offs, boffs, nt, kn, npix, pstride, bmat, ldb, dst, dbase, dstride, ncols, mr, tc):
    """The dot tiles of one row (or stride phase of a row): for p < npix, j < ncols,
    dst[dbase + p*dstride + j] = sum over taps t < nt and k < kn of
    src[offs[t] + p*pstride + k] * bmat[boffs[t] + j*ldb + k]. Compiled once per literal
    tile shape and shared by the forward and input-gradient thin kernels."""
    literally(mr)
    literally(tc)
    for j0 in range(0, ncols, tc):
        for q0 in range(0, npix, mr):
            _dot_tile(src, offs, boffs, nt, kn, q0 * pstride, pstride, min(mr, npix - q0), bmat, j0 * ldb, ldb,
                      dst, dbase + q0 * dstride + j0, dstride, min(tc, ncols - j0), mr, tc)


def forward_thin(xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups):
    """``forward`` for few output channels (wq from ``packing.pack_thin``); parallel over output rows."""
    launch_chunks(_forward_thin_rows_single if _thin_single(out.shape[3] // groups) else _forward_thin_rows,
                  out.shape[0] * out.shape[1], xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups)


@njit(inline="always", **JIT)
def _forward_thin_body(r0, r1, xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups, mr, tc):
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
    offs = np.empty(KH * nb, np.intp)
    boffs = np.empty(KH * nb, np.intp)
    for r in range(r0, r1):
        n = r // OH
        oy = r - n * OH
        for g in range(groups):
            nt = _forward_taps(offs, boffs, 0, n, oy, g, H, Wp, Cin, Cg, KH, nb, sh, dh, dw, pt, Cogq * ldb, Cg)
            _dot_row(xf, offs, boffs, nt, kn, OW, sw * Cin, wf, ldb, of, (n * OH + oy) * OW * Cout + g * Cog,
                     Cout, Cog, mr, tc)


@njit(**PARALLEL_JIT)
def _forward_thin_rows(nchunks, ntasks, xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _forward_thin_body(r0, r1, xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups, THIN_MR, TC)


@njit(**PARALLEL_JIT)
def _forward_thin_rows_single(nchunks, ntasks, xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _forward_thin_body(r0, r1, xp, wq, out, H, sh, sw, dh, dw, pt, KW, groups, THIN_SINGLE, 1)


def backprop_input_thin(dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups):
    """``backprop_input`` for few input channels (wq from ``packing.pack_thin(transpose=True)``)."""
    launch_chunks(_input_thin_rows_single if _thin_single(dx.shape[3] // groups) else _input_thin_rows,
                  dx.shape[0] * dx.shape[1], dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups)


@njit(inline="always", **JIT)
def _input_thin_body(r0, r1, dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups, mr, tc):
    N, OH, OWp, Cout = dyp.shape
    _, H, W, Cin = dx.shape
    _, KH, KW, Cgq, Cog = wq.shape
    Cg = Cin // groups
    yf = dyp.reshape(-1)
    wf = wq.reshape(-1)
    df = dx.reshape(-1)
    offs = np.empty(KH * KW, np.intp)
    boffs = np.empty(KH * KW, np.intp)
    cols = np.empty(KH * KW, np.intp)
    for r in range(r0, r1):
        n = r // H
        iy = r - n * H
        for g in range(groups):
            for f in range(sw):
                ix0 = (f - pl) % sw
                if ix0 >= W:
                    continue
                nq = (W - ix0 + sw - 1) // sw
                nt = _phase_taps(offs, boffs, cols, n, iy, ix0, g, OH, OWp, Cout, Cog, ql, KH, KW, sh, sw, dh,
                                 dw, pt, pl, KW * Cgq * Cog, Cgq * Cog)
                _dot_row(yf, offs, boffs, nt, Cog, nq, Cout, wf, Cog, df, ((n * H + iy) * W + ix0) * Cin + g * Cg,
                         sw * Cin, Cg, mr, tc)


@njit(**PARALLEL_JIT)
def _input_thin_rows(nchunks, ntasks, dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _input_thin_body(r0, r1, dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups, THIN_MR, TC)


@njit(**PARALLEL_JIT)
def _input_thin_rows_single(nchunks, ntasks, dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups):
    for c in prange(nchunks):
        r0, r1 = chunk_bounds(ntasks, nchunks, c)
        _input_thin_body(r0, r1, dyp, ql, wq, dx, OW, sh, sw, dh, dw, pt, pl, groups, THIN_SINGLE, 1)
