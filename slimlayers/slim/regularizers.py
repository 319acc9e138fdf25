"""TF-Slim regularizers: ``l1_regularizer``, ``l2_regularizer`` (with Slim's ½), ``l1_l2_regularizer``.

They return ordinary ``sl.regularizers`` objects, so the factor-2 difference
is visible in their repr: ``l2_regularizer(scale)`` computes
``scale * Σw² / 2`` and *is* ``sl.regularizers.L2(scale / 2)``.

Checks are TF-Slim's: an integer scale is a ``ValueError`` (``1`` is almost
always a typo for ``1e-?``), a negative one too; a scale of exactly 0 disables
the regularizer — the function then returns ``None`` ("no regularizer"
everywhere in slimlayers; TF-Slim returned ``lambda _: None``).

Example:
    >>> l2_regularizer(0.5)
    L2(l2=0.25)
    >>> float(l2_regularizer(0.5)([3.0, 4.0]))      # 0.5 * 25 / 2
    6.25
"""
from __future__ import annotations

import numbers

from .. import regularizers
from ..validation import arg_error

__all__ = ["l1_regularizer", "l2_regularizer", "l1_l2_regularizer"]


def _scale(name, value):
    """TF-Slim's checks; returns the scale as float (0.0 means "disabled")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise arg_error(name, "must be a non-negative float", value, TypeError)
    if isinstance(value, numbers.Integral):
        raise arg_error(name, "cannot be an integer (TF-Slim rule; write e.g. 1.0 or 1e-4)", value)
    if value < 0:
        raise arg_error(name, "setting a scale less than 0 on a regularizer is not allowed", value)
    return float(value)


def l1_regularizer(scale, scope=None):
    """``scale * Σ|w|`` (= ``sl.regularizers.L1(scale)``); ``scale == 0.0`` returns ``None``.

    Args:
        scale: non-negative float (not an int).
        scope: accepted for TF-Slim compatibility; unused.
    """
    scale = _scale("scale", scale)
    return regularizers.L1(scale) if scale else None


def l2_regularizer(scale, scope=None):
    """``scale * Σw² / 2`` (TF-Slim / ``tf.nn.l2_loss``) = ``sl.regularizers.L2(scale / 2)``.

    Args:
        scale: non-negative float (not an int); ``0.0`` returns ``None``.
        scope: accepted for TF-Slim compatibility; unused.
    """
    scale = _scale("scale", scale)
    return regularizers.L2(scale / 2) if scale else None


def l1_l2_regularizer(scale_l1=1.0, scale_l2=1.0, scope=None):
    """``scale_l1 * Σ|w| + scale_l2 * Σw² / 2`` (= ``L1L2(scale_l1, scale_l2 / 2)``).

    A zero scale drops its term (TF-Slim returns the other regularizer alone);
    both zero returns ``None``.
    """
    scale_l1 = _scale("scale_l1", scale_l1)
    scale_l2 = _scale("scale_l2", scale_l2)
    if not scale_l1:
        return l2_regularizer(scale_l2)
    if not scale_l2:
        return l1_regularizer(scale_l1)
    return regularizers.L1L2(l1=scale_l1, l2=scale_l2 / 2)
