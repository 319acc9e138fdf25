"""Two tiny Numba intrinsics that let a kernel keep a block of sums in registers.

Why they exist: LLVM only keeps a block of accumulators in registers when it
is a small stack buffer accessed at constant offsets (so SROA can promote it)
and the arithmetic on it is vector code. Numba disables LLVM's SLP vectoriser
(NUMBA_SLP_VECTORIZE=0, global, not settable per function), so a fully
unrolled 16- or 32-wide scalar loop stays scalar (2-7 GFLOP/s). Emitting the
vector operations ourselves removes that dependence on vectoriser heuristics:
any block width that is a multiple of ``lanes(dtype)`` works.

- ``stack_buffer(n, like)``: a 1-D array of ``n`` (a compile-time constant)
  elements of ``like.dtype`` (``like`` an array, or a numpy scalar type such
  as ``np.intp``) on the stack: no allocation; it must not escape.
- ``vec_madd(acc, i, a, b, j)``: ``acc[i:i+L] += a * b[j:j+L]`` as one
  L-lane fused multiply-add (L = ``lanes``: one vector register of the CPU Numba
  compiles for, ``VECTOR_BYTES``: 64 with AVX-512, 32 with AVX2). ``llvm.fmuladd``: one
  rounding (an FMA instruction) on every CPU that has FMA, which is every x86-64
  since 2013 and every AArch64; a separate multiply and add elsewhere. Fused is
  20-35 % faster on the benchmark shapes (measured on AMD Zen 4, where the
  separate multiply and add had looked free on paper) and is what TensorFlow's
  and PyTorch's CPU kernels do.

- ``vec_store(dst, i, acc, k, n)``: ``dst[i:i+n] = acc[k:k+n]`` for
  ``0 <= n <= L`` as one masked vector store (reads a whole vector of
  ``acc``; constant ``k`` keeps ``acc`` promotable to registers).
- ``vec_load(acc, k, src, i, n)``: ``acc[k:k+L] = src[i:i+n]`` padded with
  zeros (masked load; nothing outside ``src[i:i+n]`` is touched).

Dot products (a reduction along the vector axis) use vectors of a fixed
``SUM_BYTES`` = 64 bytes (S = ``sum_lanes`` lanes) on every CPU, since the
lanes are partial sums: a target-sized vector would change the summation
order, hence the bits, from one CPU to the next (LLVM splits them into two
ymm registers on AVX2):
- ``sum_clear(acc, k)``: ``acc[k:k+S] = 0``.
- ``sum_madd(acc, k, a, i, b, j, n)``: ``acc[k:k+S] += a[i:i+n] * b[j:j+n]``
  (fused like ``vec_madd``; lanes >= n add 0; masked loads, so nothing past
  ``n`` is read).
- ``sum_total(acc, k)``: ``acc[k] + acc[k+1] + ... + acc[k+S-1]`` summed as a fixed tree
  (halves folded onto each other: ``acc[k+i] + acc[k+i+S/2]``, then again on the S/2
  sums, ...): log2(S) vector adds instead of S-1 dependent scalar ones, in the same order
  on every call. One whole-vector read at
  a constant ``k`` keeps ``acc`` in registers; a loop of scalar reads may not be
  unrolled, and then ``acc`` is spilled to the stack on every multiply-add.
- ``load(a, i)``: ``a[i]`` without Numba's negative-index wraparound. Even with
  boundscheck off, ``a[i]`` for a signed ``i`` costs a shift, an and and an add
  (i += size if i < 0); in a tile's inner loop that was 3 extra instructions
  per pixel per k and made LLVM spill the pixel pointers to the stack (the
  measured speed-up was within this VM's noise; the loop is now clean).

All take the element offsets unchecked; callers guarantee the ranges.

Example (inside @njit):
    acc = stack_buffer(64, x)   # 64 elements of x.dtype
    vec_madd(acc, 0, x[0], w, 16)
"""
import platform

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

# CPUs LLVM knows by name that have AVX-512, for NUMBA_CPU_NAME with an empty NUMBA_CPU_FEATURES
# (then LLVM takes the named CPU's own features, which Numba does not list)
_AVX512_CPUS = ("skylake-avx512", "cascadelake", "cooperlake", "cannonlake", "icelake-client",
                "icelake-server", "tigerlake", "rocketlake", "sapphirerapids", "emeraldrapids",
                "graniterapids", "graniterapids-d", "diamondrapids", "znver4", "znver5", "knl", "knm")


def target_vector_file(cpu_name=None, features=None):
    """(bytes per vector register, number of vector registers) of the CPU Numba compiles for.

    AVX-512: (64, 32); AVX/AVX2: (32, 16); AArch64 NEON: (16, 32); other x86-64: (16, 16).
    Read from Numba's own choice (NUMBA_CPU_NAME / NUMBA_CPU_FEATURES, else the host's), which
    the compiled code and its cache entry are keyed on, so a build for another CPU
    (NUMBA_CPU_NAME=haswell NUMBA_CPU_FEATURES=) gets that CPU's tiles.

    >>> target_vector_file("haswell", "")
    (32, 16)
    """
    from numba.core import config
    from numba.core.codegen import get_host_cpu_features
    if cpu_name is None and features is None:
        cpu_name, features = config.CPU_NAME, config.CPU_FEATURES
        if features is None:
            features = get_host_cpu_features()
    feats = set((features or "").split(","))
    if platform.machine().lower() in ("aarch64", "arm64"):
        return 16, 32
    if "+avx512f" in feats or (not features and (cpu_name or "").lower() in _AVX512_CPUS):
        return 64, 32
    if "+avx" in feats or (not features and (cpu_name or "generic").lower() != "generic"):
        return 32, 16
    return 16, 16


VECTOR_BYTES, VECTOR_REGISTERS = target_vector_file()
SUM_BYTES = 64


def lanes_of(dtype, nbytes=VECTOR_BYTES):
    """Lanes of an nbytes vector for a numba float dtype (with AVX-512: 16 float32, 8 float64)."""
    return nbytes // (dtype.bitwidth // 8)


@intrinsic
def stack_buffer(typingctx, n, like):
    if not isinstance(n, types.IntegerLiteral):
        return None
    if isinstance(like, types.Array):
        dt = like.dtype
    elif isinstance(like, types.NumberClass):
        dt = like.instance_type
    else:
        return None
    size = n.literal_value
    arrty = types.Array(dt, 1, "C")

    def codegen(context, builder, sig, args):
        lty = context.get_value_type(dt)
        ptr = cgutils.alloca_once(builder, lty, size=size)
        ary = make_array(arrty)(context, builder)
        intp = context.get_value_type(types.intp)
        itemsize = context.get_abi_sizeof(lty)
        populate_array(ary, data=ptr, shape=[intp(size)], strides=[intp(itemsize)],
                       itemsize=intp(itemsize), meminfo=None)
        return ary._getvalue()

    return arrty(n, like), codegen


def _lane_count(like, nbytes):
    """The typing of ``lanes`` / ``sum_lanes``: a compile-time intp constant."""
    if not isinstance(like, types.Array):
        return None
    n = lanes_of(like.dtype, nbytes)

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, n)

    return types.intp(like), codegen


@intrinsic
def lanes(typingctx, like):
    """Compile-time constant vector lane count for ``like.dtype``."""
    return _lane_count(like, VECTOR_BYTES)


@intrinsic
def sum_lanes(typingctx, like):
    """Compile-time constant lane count of a ``SUM_BYTES`` vector for ``like.dtype``."""
    return _lane_count(like, SUM_BYTES)


@intrinsic
def load(typingctx, arr, i):
    if not isinstance(arr, types.Array):
        return None

    def codegen(context, builder, sig, args):
        arrv, iv = args
        data = make_array(sig.args[0])(context, builder, arrv).data
        return builder.load(builder.gep(data, [iv]), align=context.get_abi_sizeof(
            context.get_value_type(arr.dtype)))

    return arr.dtype(arr, types.intp), codegen


@intrinsic
def vec_madd(typingctx, acc, i, a, b, j):
    if not (isinstance(acc, types.Array) and isinstance(b, types.Array)
            and acc.dtype == b.dtype and a == acc.dtype):
        return None
    dt = acc.dtype
    n = lanes_of(dt)

    def codegen(context, builder, sig, args):
        accv, iv, av, bv, jv = args
        vty, align = _vector_type(context, dt, n)
        pa = make_array(sig.args[0])(context, builder, accv).data
        pb = make_array(sig.args[3])(context, builder, bv).data
        pa = builder.bitcast(builder.gep(pa, [iv]), vty.as_pointer())
        pb = builder.bitcast(builder.gep(pb, [jv]), vty.as_pointer())
        x = builder.load(pa, align=align)
        y = builder.load(pb, align=align)
        splat = builder.insert_element(ir.Constant(vty, ir.Undefined), av, ir.Constant(ir.IntType(32), 0))
        splat = builder.shuffle_vector(splat, ir.Constant(vty, ir.Undefined),
                                       ir.Constant(ir.VectorType(ir.IntType(32), n), [0] * n))
        builder.store(_fmuladd(builder, splat, y, x), pa, align=align)
        return context.get_dummy_value()

    return types.void(acc, types.intp, a, b, types.intp), codegen


def _vector_type(context, dt, nl):
    """(the LLVM vector type of nl lanes of dt, the element alignment used for its loads)."""
    lty = context.get_value_type(dt)
    return ir.VectorType(lty, nl), context.get_abi_sizeof(lty)


def _fmuladd(builder, a, b, c):
    """a * b + c, fused where the CPU has FMA (``llvm.fmuladd``)."""
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(a.type, [a.type] * 3),
                                        f"llvm.fmuladd.{_vec_name(a.type)}")
    return builder.call(fn, [a, b, c])


def _vec_name(vty):
    """LLVM intrinsic suffix of a float vector type, e.g. v16f32."""
    return f"v{vty.count}{vty.element.intrinsic_name}"


def _lane_mask(builder, n_lanes, count):
    """<n_lanes x i1>: lane < count (count an intp value)."""
    i64 = ir.IntType(64)
    lanes_v = ir.Constant(ir.VectorType(i64, n_lanes), list(range(n_lanes)))
    splat = builder.insert_element(ir.Constant(ir.VectorType(i64, n_lanes), ir.Undefined), count,
                                   ir.Constant(ir.IntType(32), 0))
    splat = builder.shuffle_vector(splat, ir.Constant(ir.VectorType(i64, n_lanes), ir.Undefined),
                                   ir.Constant(ir.VectorType(ir.IntType(32), n_lanes), [0] * n_lanes))
    return builder.icmp_signed("<", lanes_v, splat)


def _vec_ptr(context, builder, arrty, arr, index, vty):
    data = make_array(arrty)(context, builder, arr).data
    return builder.bitcast(builder.gep(data, [index]), vty.as_pointer())


@intrinsic
def vec_store(typingctx, dst, i, acc, k, n):
    if not (isinstance(dst, types.Array) and isinstance(acc, types.Array) and dst.dtype == acc.dtype):
        return None
    dt = acc.dtype
    nl = lanes_of(dt)

    def codegen(context, builder, sig, args):
        dstv, iv, accv, kv, nv = args
        vty, align = _vector_type(context, dt, nl)
        val = builder.load(_vec_ptr(context, builder, sig.args[2], accv, kv, vty), align=align)
        pd = _vec_ptr(context, builder, sig.args[0], dstv, iv, vty)
        fn = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [vty, pd.type, ir.IntType(32), ir.VectorType(ir.IntType(1), nl)]),
            f"llvm.masked.store.{_vec_name(vty)}.p0")
        builder.call(fn, [val, pd, ir.Constant(ir.IntType(32), align), _lane_mask(builder, nl, nv)])
        return context.get_dummy_value()

    return types.void(dst, types.intp, acc, types.intp, types.intp), codegen


@intrinsic
def vec_load(typingctx, acc, k, src, i, n):
    if not (isinstance(src, types.Array) and isinstance(acc, types.Array) and src.dtype == acc.dtype):
        return None
    dt = acc.dtype
    nl = lanes_of(dt)

    def codegen(context, builder, sig, args):
        accv, kv, srcv, iv, nv = args
        vty, align = _vector_type(context, dt, nl)
        val = _masked_load(context, builder, sig.args[2], srcv, iv, nv, vty, nl, align)
        builder.store(val, _vec_ptr(context, builder, sig.args[0], accv, kv, vty), align=align)
        return context.get_dummy_value()

    return types.void(acc, types.intp, src, types.intp, types.intp), codegen


def _masked_load(context, builder, arrty, arr, index, n, vty, nl, align):
    ptr = _vec_ptr(context, builder, arrty, arr, index, vty)
    fn = cgutils.get_or_insert_function(
        builder.module,
        ir.FunctionType(vty, [ptr.type, ir.IntType(32), ir.VectorType(ir.IntType(1), nl), vty]),
        f"llvm.masked.load.{_vec_name(vty)}.p0")
    return builder.call(fn, [ptr, ir.Constant(ir.IntType(32), align), _lane_mask(builder, nl, n),
                             ir.Constant(vty, [0.0] * nl)])


@intrinsic
def sum_madd(typingctx, acc, k, a, i, b, j, n):
    if not all(isinstance(t, types.Array) and t.dtype == acc.dtype for t in (acc, a, b)):
        return None
    dt = acc.dtype
    nl = lanes_of(dt, SUM_BYTES)

    def codegen(context, builder, sig, args):
        accv, kv, av, iv, bv, jv, nv = args
        vty, align = _vector_type(context, dt, nl)
        x = _masked_load(context, builder, sig.args[2], av, iv, nv, vty, nl, align)
        y = _masked_load(context, builder, sig.args[4], bv, jv, nv, vty, nl, align)
        pa = _vec_ptr(context, builder, sig.args[0], accv, kv, vty)
        builder.store(_fmuladd(builder, x, y, builder.load(pa, align=align)), pa, align=align)
        return context.get_dummy_value()

    return types.void(acc, types.intp, a, types.intp, b, types.intp, types.intp), codegen


@intrinsic
def sum_total(typingctx, acc, k):
    if not isinstance(acc, types.Array):
        return None
    dt = acc.dtype
    nl = lanes_of(dt, SUM_BYTES)

    def codegen(context, builder, sig, args):
        accv, kv = args
        vty, align = _vector_type(context, dt, nl)
        val = builder.load(_vec_ptr(context, builder, sig.args[0], accv, kv, vty), align=align)
        # fold halves: lanes i and i + w/2 are added, w = 16, 8, 4, 2 for float32 (a fixed
        # tree, 4 vector adds instead of 15 dependent scalar ones; the same order on every call and thread count)
        width = nl
        while width > 1:
            width //= 2
            i32 = ir.IntType(32)
            lo = builder.shuffle_vector(val, val, ir.Constant(ir.VectorType(i32, width), list(range(width))))
            hi = builder.shuffle_vector(val, val, ir.Constant(ir.VectorType(i32, width),
                                                                  list(range(width, 2 * width))))
            val = builder.fadd(lo, hi)
        return builder.extract_element(val, ir.Constant(ir.IntType(32), 0))

    return dt(acc, types.intp), codegen


@intrinsic
def sum_clear(typingctx, acc, k):
    if not isinstance(acc, types.Array):
        return None
    dt = acc.dtype
    nl = lanes_of(dt, SUM_BYTES)

    def codegen(context, builder, sig, args):
        accv, kv = args
        vty, align = _vector_type(context, dt, nl)
        builder.store(ir.Constant(vty, [0.0] * nl), _vec_ptr(context, builder, sig.args[0], accv, kv, vty),
                      align=align)
        return context.get_dummy_value()

    return types.void(acc, types.intp), codegen
