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
  the code spells out, independent of thread count (see STYLE.md).
  fastmath={"contract"} (FMA only, deterministic) is not measured reliably
  yet (one attempt was swamped by this VM's run-to-run noise), so it stays off.
- parallel=True only for the top-level kernels (one parallel level); helpers
  are inlined serial code.

Caveat: Numba's cache key covers the *defining* module (conv.py) and the
function's bytecode, not these flags. After editing this file, delete
slimlayers/kernels/__pycache__/*.nbi/*.nbc (or touch conv.py) or stale
machine code compiled with the old flags will be loaded.
"""

JIT = dict(cache=True, nogil=True, error_model="numpy",
           boundscheck=False, fastmath=False)
"""Serial helpers (inlined into the kernels)."""

PARALLEL_JIT = dict(JIT, parallel=True)
"""Top-level kernels: prange over independent output slices."""
