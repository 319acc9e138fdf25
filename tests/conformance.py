"""Load the recorded TensorFlow/Keras/Slim conformance cases and compare with their tolerance rule.

Where the case files are looked for, first hit wins:
``$SLIMLAYERS_CONFORMANCE``, ``<repo>/tests/data/conformance``,
``<repo>/../shared/conformance`` (CI: a fresh clone with shared/ beside it),
``/work/shared/conformance``. The format is described in that directory's README.

Example:
    cases = load_cases("activation")
    for case, arrays in cases:
        assert_close(fn(arrays["input"]), arrays["output"], case["tol"]["output"])
"""
from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np

_REPO = Path(__file__).resolve().parent.parent


def conformance_dir():
    """The first existing directory holding ``cases.json`` and ``arrays.npz``, or None."""
    candidates = [os.environ.get("SLIMLAYERS_CONFORMANCE"), _REPO / "tests" / "data" / "conformance",
                  _REPO.parent / "shared" / "conformance", "/work/shared/conformance"]
    for c in candidates:
        if c and (Path(c) / "cases.json").is_file() and (Path(c) / "arrays.npz").is_file():
            return Path(c)
    return None


@functools.lru_cache(maxsize=1)
def _load_all():
    root = conformance_dir()
    if root is None:
        raise FileNotFoundError("conformance cases not found: set SLIMLAYERS_CONFORMANCE to the directory "
                                "holding cases.json and arrays.npz")
    cases = json.loads((root / "cases.json").read_text())
    with np.load(root / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    return cases, arrays


def load_cases(family_prefix):
    """``[(case, {array name: ndarray}), ...]`` for every case whose family starts with ``family_prefix``."""
    cases, arrays = _load_all()
    out = []
    for case in cases:
        if case["family"].startswith(family_prefix):
            out.append((case, {name: arrays[f"{case['id']}/{name}"] for name in case.get("arrays", [])}))
    return out


def assert_close(got, expected, tol, check_dtype=True, name="output"):
    """README rule: same shape (and dtype unless ``check_dtype=False``), all finite, and elementwise
    ``|got - expected| <= atol + rtol*|expected|`` in float64 with ``[rtol, atol] = tol``."""
    rtol, atol = tol
    g = np.asarray(got)
    e = np.asarray(expected)
    assert g.shape == e.shape, f"{name}: shape {g.shape}, expected {e.shape}"
    if check_dtype:
        assert g.dtype == e.dtype, f"{name}: dtype {g.dtype}, expected {e.dtype}"
    g64, e64 = g.astype(np.float64), e.astype(np.float64)
    assert np.all(np.isfinite(g64)), f"{name}: {int(np.sum(~np.isfinite(g64)))} non-finite values"
    err = np.abs(g64 - e64)
    lim = atol + rtol * np.abs(e64)
    bad = err > lim
    if bad.any():
        i = np.unravel_index(int(np.argmax(err - lim)), err.shape) if err.ndim else ()
        raise AssertionError(f"{name}: {int(bad.sum())}/{bad.size} elements out of tolerance "
                             f"(rtol={rtol:g}, atol={atol:g}); worst at {i}: got {g64[i]!r}, expected {e64[i]!r}")
