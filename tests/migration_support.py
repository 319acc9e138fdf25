"""The TF-Slim models of tests/data/migration/models.py in sl.slim, their recorded TF-Slim numbers, and helpers.

Example:
    fn, shape = sl_models()["vgg_block"]
    recorded = fixture("vgg_block")      # input, output, regularization_loss, variables
    y, losses = slim_run(fn, recorded.input, recorded.variables)
"""
from __future__ import annotations

import ast
import importlib.util
import types
from pathlib import Path

import numpy as np

import slimlayers as sl

DATA = Path(__file__).resolve().parent / "data" / "migration"
MODEL_NAMES = ("vgg_block", "dcgan_generator", "residual", "inception", "regularized")


def _load_models():
    spec = importlib.util.spec_from_file_location("migration_models", DATA / "models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OPS = types.SimpleNamespace(
    relu=sl.nn.relu, tanh=sl.nn.tanh, sigmoid=sl.nn.sigmoid, leaky_relu=sl.nn.leaky_relu,
    truncated_normal=lambda stddev: sl.initializers.TruncatedNormal(stddev=stddev),
    zeros=sl.initializers.Zeros,
    reshape=lambda x, shape: x.reshape(shape),
    concat=lambda values, axis: sl.layers.Concatenate(axis=axis)(values),
    variable_scope=sl.scopes.variable_scope,
)


def sl_models():
    """``{name: (model_fn, input_shape)}``, written against sl.slim."""
    return _load_models().build(sl.slim, OPS)


def fixture(name):
    """What real TF-Slim computed for model ``name`` (recorded by tests/data/migration/make_fixtures.py)."""
    with np.load(DATA / f"{name}.npz", allow_pickle=False) as data:
        variables = {k[len("var:"):]: data[k] for k in data.files if k.startswith("var:")}
        return types.SimpleNamespace(input=data["input"], output=data["output"],
                                     regularization_loss=float(data["regularization_loss"]), variables=variables)


def slim_run(model_fn, x, variables, **kwargs):
    """Run the sl.slim model eagerly with the given variable values: (output, regularization losses)."""
    with sl.scopes.variable_store():
        with sl.scopes.variable_scope("run", reuse=sl.scopes.AUTO_REUSE):
            model_fn(x, is_training=False, **kwargs)  # creates the variables
        for v in sl.scopes.get_variables():
            v.assign(variables[v.name[len("run/"):]])
        with sl.scopes.variable_scope("run", reuse=sl.scopes.AUTO_REUSE):
            y = model_fn(x, is_training=False, **kwargs)
        return np.asarray(y), [np.asarray(loss) for loss in sl.scopes.get_regularization_losses()]


def build(source):
    """Execute a migrated module's source and return its ``build_model()``."""
    namespace = {}
    exec(compile(source, "<migrated>", "exec"), namespace)
    return namespace["build_model"]()


def imported_modules(source):
    """Top-level packages a module's source imports."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add(node.module.split(".")[0])
    return out


def arg_comments(source):
    """``[(argument, value text, comment)]`` of every ``name=value,  # comment`` line of a migrated module."""
    out = []
    for line in source.splitlines():
        stripped = line.strip()
        if "=" in stripped and stripped.split("=", 1)[0].isidentifier() and not stripped.startswith("#") \
                and line.startswith(" " * 8):
            code, _, comment = stripped.partition("  # ")
            name, _, value = code.partition("=")
            out.append((name, value.rstrip(","), comment))
    return out
