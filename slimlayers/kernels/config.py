"""The one place where Numba compilation flags for slimlayers kernels live.

Why each flag:
- cache=True: compiled machine code is written next to the module (or, when the
  package directory is read-only, to Numba's user-wide cache dir, e.g.
  ~/.cache/numba or $NUMBA_CACHE_DIR), so a fresh process skips compilation.
- nogil=True: kernels never touch Python objects; other Python threads may run.
- error_model="numpy": integer // and % by a runtime value compile without a
  zero-division branch (which blocks vectorisation); our divisors are strides
  and sizes the caller guarantees to be >= 1.
- boundscheck=False: callers guarantee shapes; indexing is hot.
- fastmath=False: no reassociation, so every reduction is summed in the order
  the code spells out, independent of thread count (see STYLE.md). The GEMM
  tiles (gemm.py) fuse each multiply-add explicitly through _simd.py (one
  rounding per term, the order unchanged): 20-35 % faster than a separate
  multiply and add on the machine we measure on; the direct kernels' loops
  are not contracted.
- SIMD without NUMBA_SLP_VECTORIZE: Numba switches LLVM's SLP vectoriser off
  globally, and flipping numba.core.config at import would change every
  other Numba user's code in the process (and the cache does not record it).
  _simd.py instead emits the vector operations as intrinsics, which works
  for any tile width and any user environment.
- parallel=True only for the launchers of conv kernels (a prange over one
  call of a serial task kernel, see _tasks.py: compiling the tile code under
  parfor doubled the empty-cache compile time); helpers are inlined serial code.

Caveat: Numba's cache key covers the *defining* module (conv.py, gemm.py) and the
function's bytecode, not these flags nor the inlined intrinsics of _simd.py. After
editing this file or _simd.py, delete
slimlayers/kernels/__pycache__/*.nbi/*.nbc (or touch conv.py and gemm.py) or stale
machine code compiled with the old flags will be loaded.
"""

JIT = dict(cache=True, nogil=True, error_model="numpy",
           boundscheck=False, fastmath=False)
"""Serial helpers (inlined into the kernels)."""

PARALLEL_JIT = dict(JIT, parallel=True)
"""Launchers (and simple kernels): prange over independent output slices."""
