"""slimlayers.kernels.conv against the naive loops in tests/naive.py."""
import os
import platform
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import naive  # noqa: E402

from slimlayers.kernels import conv as K, gemm  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@st.composite
def conv_cases(draw):
    """A random, valid conv configuration (shapes, strides, dilations, pads, groups, dtype)."""
    groups = draw(st.integers(1, 3))
    cin = groups * draw(st.integers(1, 4))
    # thin (1-3), medium and wide channel counts: wide ones (>= 16 float32 / 8 float64
    # written channels) take the GEMM tiles, including partial tiles (17, 40, 70)
    widths = [1, 2, 3, 5, 9, 12, 17, 40, 70]
    cog = draw(st.sampled_from(widths))
    cin = groups * draw(st.sampled_from(widths)) if draw(st.booleans()) else cin
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pads = ((draw(st.integers(0, 3)), draw(st.integers(0, 3))),
            (draw(st.integers(0, 3)), draw(st.integers(0, 3))))
    dkh, dkw = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    # input at least as large as the dilated kernel minus padding (output >= 1)
    h = draw(st.integers(max(1, dkh - sum(pads[0])), max(1, dkh - sum(pads[0])) + 7))
    w = draw(st.integers(max(1, dkw - sum(pads[1])), max(1, dkw - sum(pads[1])) + 7))
    n = draw(st.sampled_from([0, 1, 2, 3]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    return dict(n=n, h=h, w=w, cin=cin, cout=groups * cog, kh=kh, kw=kw, strides=(sh, sw),
                dilations=(dh, dw), pads=pads, groups=groups, dtype=dtype)


def _args(c):
    (pt, _), (pl, _) = c["pads"]
    return (c["strides"][0], c["strides"][1], c["dilations"][0], c["dilations"][1], pt, pl,
            c["groups"])


def _tol(dtype, terms):
    """Tolerance of the checks TF conformance uses (R = products per element)."""
    if dtype == np.float32:
        return dict(rtol=1e-4, atol=1e-5 * np.sqrt(max(terms, 1)))
    return dict(rtol=1e-11, atol=1e-12 * np.sqrt(max(terms, 1)))


def _arrays(c, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c["n"], c["h"], c["w"], c["cin"])).astype(c["dtype"])
    wt = rng.standard_normal((c["kh"], c["kw"], c["cin"] // c["groups"], c["cout"])).astype(c["dtype"])
    return x, wt


def _run_all(c, x, wt, dy=None):
    """Forward, input grad and filter grad from the kernels (outputs pre-filled with NaN)."""
    ref = naive.naive_conv2d(x, wt, c["strides"], c["pads"], c["dilations"], c["groups"])
    y = np.full(ref.shape, np.nan, c["dtype"])
    K.conv2d_forward(x, wt, y, *_args(c))
    if dy is None:
        dy = np.random.default_rng(1).standard_normal(ref.shape).astype(c["dtype"])
    dx = np.full(x.shape, np.nan, c["dtype"])
    K.conv2d_backprop_input(dy, wt, dx, *_args(c))
    dwt = np.full(wt.shape, np.nan, c["dtype"])
    K.conv2d_backprop_filter(x, dy, dwt, *_args(c))
    return ref, y, dy, dx, dwt


@settings(max_examples=150, deadline=None)
@given(conv_cases(), st.integers(0, 2**31))
def test_kernels_match_naive(c, seed):
    x, wt = _arrays(c, seed)
    for arr in _check_against_naive(c, x, wt):
        assert arr.dtype == c["dtype"]


def _check_against_naive(c, x, wt):
    ref, y, dy, dx, dwt = _run_all(c, x, wt)
    kh, kw, cg, cog = c["kh"], c["kw"], c["cin"] // c["groups"], c["cout"] // c["groups"]
    np.testing.assert_allclose(y, ref, **_tol(c["dtype"], kh * kw * cg))
    rdx = naive.naive_conv2d_backprop_input(dy, wt, (c["h"], c["w"]), c["strides"], c["pads"],
                                            c["dilations"], c["groups"])
    np.testing.assert_allclose(dx, rdx, **_tol(c["dtype"], kh * kw * cog))
    rdw = naive.naive_conv2d_backprop_filter(x, dy, (kh, kw), c["strides"], c["pads"],
                                             c["dilations"], c["groups"])
    np.testing.assert_allclose(dwt, rdw, **_tol(c["dtype"], y.shape[0] * y.shape[1] * y.shape[2]))
    return y, dx, dwt


@pytest.mark.parametrize("how", ["gemm", "thin", "direct"])
@settings(max_examples=40, deadline=None)
@given(c=conv_cases(), seed=st.integers(0, 2**31))
def test_every_strategy_matches_naive(how, c, seed):
    """Each implementation must be right for every shape, not only where the rule picks it."""
    original = K._strategy
    K._strategy = lambda written, reduced, dtype: how
    try:
        x, wt = _arrays(c, seed)
        _check_against_naive(c, x, wt)
    finally:
        K._strategy = original


def _random_dy(c, x, wt, seed):
    shape = naive.naive_conv2d(x, wt, c["strides"], c["pads"], c["dilations"], c["groups"]).shape
    return np.random.default_rng(seed + 1).standard_normal(shape).astype(c["dtype"])


def _gemm_with_each(module, name, values, kernel, a, b, out_shape, c):
    """``kernel(a, b, out)``'s outputs (out starts as nan) with the gemm kernels forced and
    ``module.name`` set to each value in turn."""
    original = K._strategy, getattr(module, name)
    K._strategy = lambda written, reduced, dtype: "gemm"
    try:
        results = []
        for value in values:
            setattr(module, name, value)
            out = np.full(out_shape, np.nan, c["dtype"])
            kernel(a, b, out, *_args(c))
            results.append(out)
        return results
    finally:
        K._strategy = original[0]
        setattr(module, name, original[1])


@settings(max_examples=60, deadline=None)
@given(c=conv_cases(), seed=st.integers(0, 2**31))
def test_input_gradient_unpadded_dy_matches_padded(c, seed):
    """The gemm input gradient reads dy unpadded (pixels at a row's ends summed apart) when dy
    is large: right for every geometry, and bitwise the sum of the column-padded path."""
    c = dict(c, n=max(c["n"], 1))
    x, wt = _arrays(c, seed)
    dy = _random_dy(c, x, wt, seed)
    results = _gemm_with_each(K, "_PAD_DY_BYTES", (0, 1 << 62), K.conv2d_backprop_input, dy, wt, x.shape, c)
    rdx = naive.naive_conv2d_backprop_input(dy, wt, (c["h"], c["w"]), c["strides"], c["pads"],
                                            c["dilations"], c["groups"])
    np.testing.assert_allclose(results[0], rdx, **_tol(c["dtype"], c["kh"] * c["kw"] * c["cout"] // c["groups"]))
    np.testing.assert_array_equal(results[0], results[1])


@settings(max_examples=60, deadline=None)
@given(c=conv_cases(), cg=st.sampled_from([1, 2]), kw=st.integers(2, 4), seed=st.integers(0, 2**31))
def test_filter_gradient_taps_as_rows_matches_channel_rows(c, cg, kw, seed):
    """A few input channels (a grey-scale image): the filter gradient's tile rows are a kernel row's
    taps, reading a column-padded x. Right for every geometry, and bitwise the channel-row sums."""
    c = dict(c, n=max(c["n"], 1), cin=cg * c["groups"], kw=kw, w=c["w"] + c["dilations"][1] * (kw - c["kw"]))
    c["w"] = max(c["w"], c["dilations"][1] * (kw - 1) + 1 - sum(c["pads"][1]), 1)
    x, wt = _arrays(c, seed)
    dy = _random_dy(c, x, wt, seed)
    assert gemm.taps_as_rows(kw, cg) == (kw * cg <= 4)
    results = _gemm_with_each(gemm, "taps_as_rows", (gemm.taps_as_rows, lambda KW, Cg: False),
                              K.conv2d_backprop_filter, x, dy, wt.shape, c)
    rdw = naive.naive_conv2d_backprop_filter(x, dy, (c["kh"], kw), c["strides"], c["pads"], c["dilations"],
                                             c["groups"])
    np.testing.assert_allclose(results[0], rdw, **_tol(c["dtype"], dy.shape[0] * dy.shape[1] * dy.shape[2]))
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_wide_tiles_every_row_width(dtype):
    """Rows of 1..20 pixels through the wide tiles (64 float32 / 32 float64 channels): on
    AVX-512 targets rows are cut into 6- and 4-pixel tiles (gemm._tall_next), with tails."""
    cout = 64 if dtype == np.float32 else 32
    for w in range(1, 21):
        for s in (1, 2):
            c = dict(n=1, h=3, w=w, cin=cout, cout=cout, kh=3, kw=3, strides=(1, s),
                     dilations=(1, 1), pads=((1, 1), (1, 1)), groups=1, dtype=dtype)
            x, wt = _arrays(c, w)
            _check_against_naive(c, x, wt)


def test_input_gradient_row_blocks():
    """A filter over gemm._BLOCK_FILTER_BYTES (here 1.3 MB float64) takes the row-blocked
    input-gradient passes; 36 rows: full and partial blocks for 1 or 2 threads."""
    for s in (1, 2):
        c = dict(n=3, h=12, w=7, cin=64, cout=160, kh=4, kw=4, strides=(s, s), dilations=(1, 1),
                 pads=((1, 2), (1, 2)), groups=1, dtype=np.float64)
        x, wt = _arrays(c, s)
        _check_against_naive(c, x, wt)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_blocked_passes_with_rows_without_taps(dtype):
    """Filters over gemm._BLOCK_FILTER_BYTES (here 1.15 MB float32) run in passes of one tap x
    one k-chunk over a block of rows: rows whose taps all fall in the padding (the first two
    here) must come out zero, rows with fewer taps must start at their own first tap, and the
    k tails (forward 750 = 5 x 128 + 110, input gradient 192 = 128 + 64 float32) and the
    partial last block of rows (28 = 16 + 12) must add up."""
    c = dict(n=2, h=9, w=7, cin=250, cout=192, kh=2, kw=3, strides=(1, 2), dilations=(1, 1),
             pads=((3, 3), (1, 2)), groups=1, dtype=dtype)
    x, wt = _arrays(c, 5)
    y, _, _ = _check_against_naive(c, x, wt)
    assert not y[:, :2].any()
    c = dict(c, cin=500, cout=384, groups=2, dilations=(2, 1), strides=(2, 1))
    _check_against_naive(c, *_arrays(c, 6))


@pytest.mark.parametrize("case", [
    # (n, h, w, cin, cout, k, s, pads): 1x1 taps, so rows of different images share tiles;
    # 8-pixel rows (paired into 6 + 6 + 4 tiles) whose border rows have other taps; a strided
    # 5-pixel case whose input-gradient phases group rows iy and iy + 2
    (3, 3, 5, 40, 64, 1, 1, ((0, 0), (0, 0))),
    (2, 6, 8, 64, 64, 3, 1, ((1, 1), (1, 1))),
    (2, 10, 10, 64, 70, 4, 2, ((1, 2), (1, 2))),
])
def test_row_groups_share_tiles(case):
    """Rows with the same taps are cut into tiles together (gemm._group_rows)."""
    n, h, w, cin, cout, k, s, pads = case
    c = dict(n=n, h=h, w=w, cin=cin, cout=cout, kh=k, kw=k, strides=(s, s), dilations=(1, 1),
             pads=pads, groups=1, dtype=np.float32)
    _check_against_naive(c, *_arrays(c, 7))


@settings(max_examples=40, deadline=None)
@given(conv_cases(), st.integers(0, 2**31))
def test_adjoint_identity(c, seed):
    """<conv(x), y> == <x, backprop_input(y)> (the transposed conv is the adjoint)."""
    c = dict(c, dtype=np.float64, n=max(c["n"], 1))
    x, wt = _arrays(c, seed)
    ref, y, dy, dx, _ = _run_all(c, x, wt)
    lhs = float(np.sum(y * dy))
    rhs = float(np.sum(x * dx))
    assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10 * np.sqrt(y.size + x.size))


def test_benchmark_like_shapes():
    """The big shapes of benchmarks/ (thin and wide channels, strided), reduced batch."""
    cases = [  # (h, w, cin, cout, k, s, pads)
        (28, 28, 1, 32, 3, 1, ((1, 1), (1, 1))),
        (28, 28, 32, 64, 3, 2, ((0, 1), (0, 1))),
        (64, 64, 3, 64, 4, 2, ((1, 1), (1, 1))),
        (28, 28, 1, 32, 3, 2, ((0, 1), (0, 1))),
        (64, 64, 3, 64, 4, 2, ((1, 1), (1, 1))),
        (50, 152, 64, 3, 5, 3, ((0, 0), (0, 0))),
    ]
    for h, w, cin, cout, k, s, pads in cases:
        c = dict(n=2, h=h, w=w, cin=cin, cout=cout, kh=k, kw=k, strides=(s, s), dilations=(1, 1),
                 pads=pads, groups=1, dtype=np.float32)
        x, wt = _arrays(c, 0)
        ref, y, dy, dx, dwt = _run_all(c, x, wt)
        np.testing.assert_allclose(y, ref, **_tol(np.float32, k * k * cin))
        rdx = naive.naive_conv2d_backprop_input(dy, wt, (h, w), (s, s), pads, (1, 1), 1)
        np.testing.assert_allclose(dx, rdx, **_tol(np.float32, k * k * cout))
        rdw = naive.naive_conv2d_backprop_filter(x, dy, (k, k), (s, s), pads, (1, 1), 1)
        np.testing.assert_allclose(dwt, rdw, **_tol(np.float32, y.size // cout))


_DETERMINISM_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from slimlayers.kernels import conv as K
    rng = np.random.default_rng(0)
    res = []
    # (n, h, w, cin, cout, k, s, d, pt, pl, groups): wide, thin-in, thin-out, grouped, 1x1,
    # RGB-like input into a wide layer (4 x 4 filter-gradient tiles)
    for n, h, w, cin, cout, k, s, d, pt, pl, g in [
            (3, 17, 13, 16, 24, 3, 1, 1, 1, 1, 1), (2, 20, 20, 1, 32, 3, 2, 1, 0, 1, 1),
            (2, 19, 21, 32, 3, 4, 2, 1, 1, 2, 1), (2, 11, 9, 12, 18, 3, 2, 2, 2, 1, 3),
            (5, 8, 8, 40, 40, 1, 1, 1, 0, 0, 1), (2, 9, 10, 64, 96, 3, 2, 1, 1, 1, 2),
            (2, 12, 11, 70, 130, 3, 1, 2, 2, 2, 1), (3, 9, 9, 64, 48, 4, 2, 1, 1, 1, 1),
            (2, 14, 13, 3, 70, 4, 2, 1, 1, 1, 1), (3, 12, 7, 64, 160, 4, 2, 1, 1, 1, 1),
            (2, 5, 6, 16, 1, 3, 1, 1, 1, 1, 1), (2, 9, 7, 96, 80, 2, 2, 1, 3, 1, 1)]:
        for dt in (np.float32, np.float64):
            x = rng.standard_normal((n, h, w, cin)).astype(dt)
            wt = rng.standard_normal((k, k, cin // g, cout)).astype(dt)
            oh = (h + 2 * pt - d * (k - 1) - 1) // s + 1
            ow = (w + 2 * pl - d * (k - 1) - 1) // s + 1
            y = np.empty((n, oh, ow, cout), dt)
            K.conv2d_forward(x, wt, y, s, s, d, d, pt, pl, g)
            dy = rng.standard_normal(y.shape).astype(dt)
            dx = np.empty_like(x)
            K.conv2d_backprop_input(dy, wt, dx, s, s, d, d, pt, pl, g)
            dwt = np.empty_like(wt)
            K.conv2d_backprop_filter(x, dy, dwt, s, s, d, d, pt, pl, g)
            res += [y, dx, dwt]
    np.save(sys.argv[1], np.concatenate([r.ravel().view(np.uint8) for r in res]))
""")


def test_bitwise_identical_across_thread_counts(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(_DETERMINISM_SCRIPT)
    outs = []
    for threads in ("1", "2"):
        out = tmp_path / f"out{threads}.npy"
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        subprocess.run([sys.executable, str(script), str(out), REPO], env=env, check=True)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 CPU names")
def test_bitwise_identical_across_instruction_sets(tmp_path):
    """The kernels compiled for Haswell (AVX2: 32-byte vectors, 16 registers, other tile
    shapes) compute the bits of the host's build (AVX-512 on the machines we measure on).
    (A CPU without FMA, NUMBA_CPU_NAME=generic, rounds each product separately: other bits.)"""
    script = tmp_path / "run.py"
    script.write_text(_DETERMINISM_SCRIPT)
    outs, widths = [], []
    for env in ({}, {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""}):
        env = dict(os.environ, **env)
        out = tmp_path / f"out{len(outs)}.npy"
        subprocess.run([sys.executable, str(script), str(out), REPO], env=env, check=True)
        outs.append(out.read_bytes())
        widths.append(subprocess.run(
            [sys.executable, "-c", "from slimlayers.kernels import _simd; print(_simd.VECTOR_BYTES)"],
            env=env, cwd=REPO, check=True, capture_output=True, text=True).stdout.strip())
    assert widths[1] == "32"
    assert outs[0] == outs[1]


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 CPU names")
def test_target_vector_file():
    from slimlayers.kernels._simd import target_vector_file
    assert target_vector_file("haswell", "") == (32, 16)
    assert target_vector_file("sapphirerapids", "") == (64, 32)
    assert target_vector_file("generic", "") == (16, 16)
    # an explicit feature list wins over the name, as it does for LLVM
    assert target_vector_file("haswell", "+avx,+avx2,+fma,+avx512f") == (64, 32)
    assert target_vector_file("skylake-avx512", "+avx,+avx2,-avx512f") == (32, 16)


def test_cache_works_from_read_only_package(tmp_path):
    """cache=True must not fail when the package directory is read-only:
    Numba then writes to NUMBA_CACHE_DIR (or its user-wide default)."""
    pkg = tmp_path / "ro" / "slimlayers"
    shutil.copytree(os.path.join(REPO, "slimlayers", "kernels"), pkg / "kernels",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "__init__.py").write_text("")
    for root, dirs, files in os.walk(tmp_path / "ro"):
        for name in dirs + files:
            os.chmod(os.path.join(root, name), 0o555)
    os.chmod(tmp_path / "ro", 0o555)
    code = textwrap.dedent("""
        import sys, numpy as np
        sys.path.insert(0, sys.argv[1])
        from slimlayers.kernels import conv as K
        x = np.ones((1, 3, 3, 1), np.float32); w = np.ones((2, 2, 1, 1), np.float32)
        y = np.empty((1, 2, 2, 1), np.float32)
        K.conv2d_forward(x, w, y, 1, 1, 1, 1, 0, 0, 1)
        assert (y == 4).all()
        # a wide case too (GEMM tiles, packing and padding helpers)
        x = np.ones((1, 3, 3, 64), np.float32); w = np.ones((2, 2, 64, 64), np.float32)
        y = np.empty((1, 4, 4, 64), np.float32)
        K.conv2d_forward(x, w, y, 1, 1, 1, 1, 1, 1, 1)
        assert y.max() == 256
        from numba.core.registry import CPUDispatcher
        disp = [f for m in (K, K.gemm) for f in vars(m).values() if isinstance(f, CPUDispatcher)]
        print(sum(sum(f.stats.cache_hits.values()) for f in disp),
              sum(sum(f.stats.cache_misses.values()) for f in disp))
    """)
    cache_dir = tmp_path / "cache"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir))
    try:
        runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path / "ro")], env=env,
                               check=True, capture_output=True, text=True).stdout.split()
                for _ in range(2)]
    finally:
        for root, _dirs, _files in os.walk(tmp_path / "ro"):
            os.chmod(root, 0o755)
    assert any(cache_dir.rglob("*.nbi")), "nothing was cached"
    hits, misses = (int(v) for v in runs[1])
    assert hits >= 1 and misses == 0, runs


@pytest.mark.parametrize("transpose", [False, True])
@pytest.mark.parametrize("groups", [1, 2])
def test_pack_filter_kernel_matches_numpy_layout(transpose, groups):
    """Large filters are packed by a Numba kernel: the same array as the numpy layout."""
    from slimlayers.kernels import packing
    rng = np.random.default_rng(3)
    w = rng.standard_normal((3, 2, 40, 2 * 30)).astype(np.float32)  # 58 KB: numpy
    big = rng.standard_normal((3, 2, 200, 2 * 90)).astype(np.float32)  # 864 KB: the kernel
    for arr in (w, big):
        got = packing.pack_filter(arr, groups, 32, transpose)
        view = packing.grouped(arr, groups, transpose)
        n = view.shape[4]
        assert got.shape == view.shape[:2] + (-(-n // 32),) + view.shape[2:4] + (32,)
        np.testing.assert_array_equal(packing.unpacked(got, n), view)
        for p in range(got.shape[2]):  # panel p holds channels p*32 .. p*32+31, then zeros
            np.testing.assert_array_equal(got[:, :, p, ..., :max(0, min(32, n - 32 * p))],
                                          view[..., 32 * p:32 * (p + 1)])
            assert not got[:, :, p, ..., max(0, n - 32 * p):].any()


def test_padded_columns_kernel_copy():
    from slimlayers.kernels import packing
    x = np.random.default_rng(4).standard_normal((3, 40, 50, 24)).astype(np.float32)  # 576 KB
    buf = packing.padded_columns(x, 2, 55)
    np.testing.assert_array_equal(buf[:, :, 2:52], x)
    assert not buf[:, :, :2].any() and not buf[:, :, 52:].any()
