"""Command line: migrate a TF-Slim model function to an explicit Keras (or slimlayers) module.

    python -m slimlayers.migrate package.module:function --input-shape 1,64,64,3 --out DIR
        [--target keras|slimlayers] [--dtype float32|float64] [--kwarg is_training=False ...]

Writes ``DIR/model.py`` (``build_model()``, ``load_model()``) and
``DIR/weights.npz``, and prints the table of every argument and its origin.
The function is imported from the current directory's path, as ``python -m``
does; it is called on zeros of the given shape (only the shape matters) and
the ``--kwarg`` values (Python literals).

Example:
    python -m slimlayers.migrate nets.dcgan:generator --input-shape 1,100 --out migrated \\
        --kwarg is_training=False
"""
from __future__ import annotations

import argparse
import ast
import importlib
import sys

import numpy as np


def _shape(text):
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated sizes such as 1,64,64,3; got {text!r}") from None
    if len(shape) < 2 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected a batch size and at least one more positive size; got {text!r}")
    return shape


def _kwarg(text):
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE; got {text!r}")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value  # a bare word is a string


def _function(spec):
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise SystemExit(f"error: expected module:function, got {spec!r}")
    sys.path.insert(0, "")  # the current directory, as `python -m` itself does
    module = importlib.import_module(module_name)
    fn = module
    for part in attr.split("."):
        fn = getattr(fn, part)
    return fn


def parser():
    p = argparse.ArgumentParser(prog="python -m slimlayers.migrate", description=__doc__.split("\n\n")[0])
    p.add_argument("function", help="the Slim model function, as module:function")
    p.add_argument("--input-shape", type=_shape, action="append", required=True,
                   help="shape of an input including the batch, e.g. 1,64,64,3 (repeat for more inputs)")
    p.add_argument("--out", required=True, help="directory for model.py and weights.npz")
    p.add_argument("--target", choices=("keras", "slimlayers"), default="keras")
    p.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    p.add_argument("--kwarg", type=_kwarg, action="append", default=[],
                   help="a keyword argument for the function, NAME=VALUE (a Python literal)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    from slimlayers.slim import migrate

    fn = _function(args.function)
    inputs = [np.zeros(shape, args.dtype) for shape in args.input_shape]
    try:
        migration = migrate(fn, *inputs, target=args.target, **dict(args.kwarg))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    path = migration.save(args.out)
    print(migration)
    print(f"\nwrote {path} and its weights.npz")
    return 0


if __name__ == "__main__":
    sys.exit(main())
