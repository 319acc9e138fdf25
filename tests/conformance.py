"""Load recorded conformance cases and compare with their tolerance rule.

Two sets share the format: ``"conformance"`` (TensorFlow/Keras/Slim) and
``"conformance-mindspore"`` (the MindSpore face). Where a set's files are looked
for, first hit wins: ``$SLIMLAYERS_CONFORMANCE`` (``$SLIMLAYERS_CONFORMANCE_MINDSPORE``),
``<repo>/tests/data/<set>``, ``<repo>/../shared/<set>`` (CI: a fresh clone with
shared/ beside it), ``/work/shared/<set>``. Each set's README describes it.

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
TF_SET = "conformance"
MINDSPORE_SET = "conformance-mindspore"


def conformance_dir(name=TF_SET):
    """The first existing directory holding ``cases.json`` and ``arrays.npz`` of set ``name``, or None."""
    env = "SLIMLAYERS_" + name.upper().replace("-", "_")
    candidates = [os.environ.get(env), _REPO / "tests" / "data" / name, _REPO.parent / "shared" / name,
                  Path("/work/shared") / name]
    for c in candidates:
        if c and (Path(c) / "cases.json").is_file() and (Path(c) / "arrays.npz").is_file():
            return Path(c)
    return None


@functools.cache
def _load_all(name):
    root = conformance_dir(name)
    if root is None:
        env = "SLIMLAYERS_" + name.upper().replace("-", "_")
        raise FileNotFoundError(f"conformance cases {name!r} not found: set {env} to the directory "
                                "holding cases.json and arrays.npz")
    cases = json.loads((root / "cases.json").read_text())
    with np.load(root / "arrays.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    return cases, arrays


def load_cases(family_prefix, name=TF_SET):
    """``[(case, {array name: ndarray}), ...]`` for every case of set ``name`` whose family starts with
    ``family_prefix``."""
    cases, arrays = _load_all(name)
    out = []
    for case in cases:
        if case["family"].startswith(family_prefix):
            out.append((case, {n: arrays[f"{case['id']}/{n}"] for n in case.get("arrays", [])}))
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


def assert_sample_matches(values, expect, name="values"):
    """The MindSpore set's statistical test of initial values (its README, ``mindspore.init``).

    ``expect["dist"]`` is ``"constant"`` (every value equals ``float32(value)``), ``"uniform"``
    (within ``bound``, reaching ``±reach*bound``) or ``"normal"`` (max |v| in ``[reach, cap]`` std);
    mean and std within ``mean_atol`` / ``std_rtol``; ``bound`` caps |v| when given.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    if expect["dist"] == "constant":
        c = float(np.float32(expect["value"]))
        assert np.all(v == c), f"{name}: {int(np.sum(v != c))}/{v.size} values differ from the constant {c!r}"
        return
    mean, std, amax = float(v.mean()), float(v.std()), float(np.abs(v).max())
    assert abs(mean - expect["mean"]) <= expect["mean_atol"], f"{name}: mean {mean:.4g}"
    assert abs(std / expect["std"] - 1.0) <= expect["std_rtol"], \
        f"{name}: std {std:.5g}, expected {expect['std']:.5g} ({expect['formula']})"
    if "bound" in expect:
        assert amax <= expect["bound"] * (1 + 1e-6), f"{name}: max |value| {amax:.5g} > bound {expect['bound']:.5g}"
    if expect["dist"] == "uniform":
        reach = expect["reach"] * expect["bound"]
        assert v.max() >= reach and v.min() <= -reach, f"{name}: values span [{v.min():.5g}, {v.max():.5g}]"
    else:
        assert expect["reach"] * expect["std"] <= amax <= expect["cap"] * expect["std"], \
            f"{name}: max |value| {amax:.5g} = {amax / expect['std']:.2f} std"
