"""Models: ``Sequential``, functional ``Model(inputs, outputs)``, training, summary, safe save/load.

Example:
    >>> import slimlayers as sl
    >>> model = sl.models.Sequential([sl.layers.Input((4,)), sl.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> model.count_params()
    5
"""
from .functional import Functional
from .model import Model
from .saving import WeightsFileError, load_model
from .sequential import Sequential


def save_model(model, filepath):
    """``model.save(filepath)`` as a function (Keras' spelling)."""
    model.save(filepath)


__all__ = ["Functional", "Model", "Sequential", "WeightsFileError", "load_model", "save_model"]
