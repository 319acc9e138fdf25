"""Fixtures shared by several test modules."""
import importlib
import importlib.util
import os
from pathlib import Path

import pytest

import slimlayers as sl


@pytest.fixture
def fresh_store():
    """A new, empty variable store (as a new tf.Graph was), so variable names never collide across tests."""
    with sl.scopes.variable_store() as store:
        yield store


@pytest.fixture
def load_example():
    """``load_example("autoencoder")`` imports examples/autoencoder.py as a module (without running main)."""
    root = Path(__file__).resolve().parent.parent / "examples"

    def load(name):
        spec = importlib.util.spec_from_file_location(f"{name}_example", root / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    return load


# Keras 3 picks its backend when first imported; the interop tests run it on PyTorch (no TensorFlow here).
os.environ.setdefault("KERAS_BACKEND", "torch")


def optional(name):
    """Import an optional library for a test module: on CI (CI=true) a missing one fails loudly, elsewhere
    the module is skipped."""
    if os.environ.get("CI") == "true":
        return importlib.import_module(name)
    return pytest.importorskip(name)
