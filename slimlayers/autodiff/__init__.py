"""A small reverse-mode autodiff: Tensor, Variable, GradientTape and differentiable primitives.

Files, bottom up: ``tensor.py`` (Tensor, Variable) → ``tape.py`` (recording,
gradients) → ``ops.py`` (primitives) → ``operators.py`` (Tensor's ``+ - * @``…,
installed here).
"""
from . import operators
from .tape import GradientTape, record, stop_recording, unbroadcast
from .tensor import Tensor, Variable, constant, convert

operators.install()

__all__ = ["GradientTape", "Tensor", "Variable", "constant", "convert", "record", "stop_recording",
           "unbroadcast"]
