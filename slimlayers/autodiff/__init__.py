"""A small reverse-mode autodiff: Tensor, Variable, GradientTape and differentiable primitives."""
from .tape import GradientTape, record, stop_recording, unbroadcast
from .tensor import Tensor, Variable, constant, convert

__all__ = ["GradientTape", "Tensor", "Variable", "constant", "convert", "record", "stop_recording",
           "unbroadcast"]
