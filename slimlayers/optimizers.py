"""Optimizers with Keras 3 names, defaults and update formulas (epsilon placement included).

Hyperparameters are cast to each variable's dtype before use and the update
is computed in that dtype, as Keras does on TensorFlow, so float32 training
follows the same arithmetic. Updates are written into the variable's array in
place when nothing else holds that array (checked with the reference count);
otherwise the variable gets a fresh array, so a Tensor that shares the old
value never changes under its owner.

Example:
    >>> import numpy as np, slimlayers as sl
    >>> v = sl.Variable([1.0, 2.0])
    >>> opt = sl.optimizers.SGD(learning_rate=0.1)
    >>> opt.apply_gradients([(np.array([1.0, 1.0], "float32"), v)])
    >>> v.numpy()
    array([0.9, 1.9], dtype=float32)
"""
from __future__ import annotations

import sys

import numpy as np

from .autodiff.tensor import Variable
from .validation import arg_error
from .registry import Registry


def _check_float(name, value, low=None, high=None, low_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise arg_error(name, "must be a number", value, TypeError)
    v = float(value)
    if not np.isfinite(v):
        raise arg_error(name, "must be finite", value)
    if low is not None and (v < low or (low_open and v == low)):
        raise arg_error(name, f"must be {'>' if low_open else '>='} {low}", value)
    if high is not None and v > high:
        raise arg_error(name, f"must be <= {high}", value)
    return v


def _owns_array(var):
    # getrefcount sees: the attribute, the argument of getrefcount. Anything more is a sharer.
    return sys.getrefcount(var._value) <= 2


def _write(var, new_value):
    """Give ``var`` the value ``new_value`` (a fresh array of its dtype and shape)."""
    var._value = new_value


class Optimizer:
    """Base class: per-variable slots, gradient clipping, decoupled weight decay, ``iterations``.

    Args:
        learning_rate: a float, or a callable ``schedule(step) -> float`` of the 0-based step.
        weight_decay: decoupled decay, ``var -= var · weight_decay · lr`` before the update.
        clipnorm / clipvalue / global_clipnorm: gradient clipping as in Keras.
        name: shown in configs.
    """

    _slot_names: tuple = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        if callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            self._learning_rate = _check_float("learning_rate", learning_rate, low=0.0)
        self.weight_decay = None if weight_decay is None else _check_float("weight_decay", weight_decay, 0.0)
        self.clipnorm = None if clipnorm is None else _check_float("clipnorm", clipnorm, 0.0, low_open=True)
        self.clipvalue = None if clipvalue is None else _check_float("clipvalue", clipvalue, 0.0, low_open=True)
        self.global_clipnorm = (None if global_clipnorm is None
                                else _check_float("global_clipnorm", global_clipnorm, 0.0, low_open=True))
        if sum(x is not None for x in (self.clipnorm, self.clipvalue, self.global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                             f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        self.name = name or type(self).__name__.lower()
        self.iterations = 0
        self._slots: dict[int, dict[str, np.ndarray]] = {}

    # -- learning rate -----------------------------------------------------------
    @property
    def learning_rate(self):
        """The learning rate used by the next step (a schedule is evaluated at ``iterations``)."""
        lr = self._learning_rate
        return float(lr(self.iterations)) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = value if callable(value) else _check_float("learning_rate", value, low=0.0)

    # -- applying ----------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply ``[(gradient, variable), ...]`` (Keras' form); ``None`` gradients are skipped."""
        pairs = [(g, v) for g, v in grads_and_vars]
        self.apply([g for g, _ in pairs], [v for _, v in pairs])

    def apply(self, grads, variables):
        """One optimisation step: ``variables[i]`` moves along ``-grads[i]``; increments ``iterations``."""
        grads = list(grads)
        variables = list(variables)
        if len(grads) != len(variables):
            raise ValueError(f"apply needs one gradient per variable; received {len(grads)} gradients for "
                             f"{len(variables)} variables.")
        pairs = []
        for g, v in zip(grads, variables):
            if g is None:
                continue
            if not isinstance(v, Variable):
                raise TypeError(f"Optimizers update sl.Variable objects; received {type(v).__name__}.")
            g = np.asarray(g)
            if g.shape != v.shape:
                raise ValueError(f"Gradient of shape {g.shape} does not match variable {v.name!r} "
                                 f"of shape {v.shape}.")
            pairs.append((g if g.dtype == v.dtype else g.astype(v.dtype), v))
        pairs = self._clip(pairs)
        lr = self.learning_rate
        step = self.iterations + 1
        for g, v in pairs:
            dt = v.dtype.type
            if self.weight_decay:
                _write(v, v._value - v._value * dt(self.weight_decay) * dt(lr))
            slots = self._slots.get(id(v))
            if slots is None:
                slots = self._slots[id(v)] = {n: np.zeros_like(v._value) for n in self._slot_names}
            self._update(v, g, slots, dt(lr), step)
        self.iterations = step

    def _clip(self, pairs):
        if self.clipvalue is not None:
            c = self.clipvalue
            return [(np.clip(g, -c, c), v) for g, v in pairs]
        if self.clipnorm is not None:
            return [(_clip_by_norm(g, self.clipnorm), v) for g, v in pairs]
        if self.global_clipnorm is not None and pairs:
            norm = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g, _ in pairs))
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
            return [(g * g.dtype.type(scale), v) for g, v in pairs]
        return pairs

    def _update(self, var, grad, slots, lr, step):
        raise NotImplementedError

    @staticmethod
    def _subtract(var, delta):
        """``var -= delta``, in place when the variable alone holds its array."""
        if _owns_array(var):
            np.subtract(var._value, delta, out=var._value)
        else:
            _write(var, var._value - delta)

    @staticmethod
    def _add(var, delta):
        if _owns_array(var):
            np.add(var._value, delta, out=var._value)
        else:
            _write(var, var._value + delta)

    def slot(self, var, name):
        """The slot array ``name`` (``"m"``, ``"v"``, ``"momentum"``…) kept for ``var``."""
        try:
            return self._slots[id(var)][name]
        except KeyError:
            raise KeyError(f"{type(self).__name__} has no slot {name!r} for variable {var.name!r} "
                           f"(slots: {list(self._slot_names)}; created at the first step).") from None

    # -- config ------------------------------------------------------------------
    def get_config(self):
        if callable(self._learning_rate):
            raise ValueError("Cannot serialize an optimizer whose learning_rate is a callable.")
        return {"name": self.name, "learning_rate": self._learning_rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        lr = self._learning_rate
        return f"{type(self).__name__}(learning_rate={lr!r})"


def _clip_by_norm(g, clipnorm):
    norm = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
    if norm <= clipnorm:
        return g
    return (g * g.dtype.type(clipnorm / norm)).astype(g.dtype, copy=False)


class SGD(Optimizer):
    """Gradient descent with optional (Nesterov) momentum — Keras 3 formulas.

    ``m = momentum·m - lr·g``; then ``var += m`` or, with Nesterov, ``var += momentum·m - lr·g``.
    Without momentum: ``var -= lr·g``.

    Example:
        >>> opt = sl.optimizers.SGD(learning_rate=0.1, momentum=0.9)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="SGD"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.momentum = _check_float("momentum", momentum, 0.0, 1.0)
        self.nesterov = bool(nesterov)
        self._slot_names = ("momentum",) if self.momentum else ()

    def _update(self, var, grad, slots, lr, step):
        if not self.momentum:
            self._subtract(var, grad * lr)
            return
        mu = var.dtype.type(self.momentum)
        m = slots["momentum"]
        m *= mu
        m -= grad * lr
        if self.nesterov:
            self._add(var, m * mu - grad * lr)
        else:
            self._add(var, m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam — Keras 3 formulas (epsilon outside the square root, bias correction folded into the rate).

    ``m += (g - m)(1 - β1)``; ``v += (g² - v)(1 - β2)``;
    ``α = lr·√(1 - β2^t) / (1 - β1^t)``; ``var -= α·m / (√v + ε)``.
    With ``amsgrad``, ``v̂ = max(v̂, v)`` replaces ``v`` in the denominator.

    Example:
        >>> opt = sl.optimizers.Adam(learning_rate=1e-3)
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adam"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.beta_1 = _check_float("beta_1", beta_1, 0.0, 1.0)
        self.beta_2 = _check_float("beta_2", beta_2, 0.0, 1.0)
        self.epsilon = _check_float("epsilon", epsilon, 0.0)
        self.amsgrad = bool(amsgrad)
        self._slot_names = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def _update(self, var, grad, slots, lr, step):
        dt = var.dtype.type
        one = dt(1)
        t = dt(step)
        alpha = lr * np.sqrt(one - dt(self.beta_2) ** t) / (one - dt(self.beta_1) ** t)
        m, v = slots["m"], slots["v"]
        # Keras computes `1 - beta` in Python (float64) and then casts: dt(1 - b), not dt(1) - dt(b).
        m += (grad - m) * dt(1 - self.beta_1)
        v += (np.square(grad) - v) * dt(1 - self.beta_2)
        if self.amsgrad:
            np.maximum(slots["v_hat"], v, out=slots["v_hat"])
            v = slots["v_hat"]
        self._subtract(var, (m * alpha) / (np.sqrt(v) + dt(self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class RMSprop(Optimizer):
    """RMSprop — Keras 3 formulas (epsilon inside the square root).

    ``v = ρ·v + (1 - ρ)·g²``; ``denominator = v + ε`` (centered: ``v - ḡ² + ε`` with
    ``ḡ = ρ·ḡ + (1 - ρ)·g``); ``increment = lr·g / √denominator``; with momentum
    ``m = momentum·m + increment`` and ``var -= m``, else ``var -= increment``.

    Example:
        >>> opt = sl.optimizers.RMSprop(learning_rate=1e-3)
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="rmsprop"):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name)
        self.rho = _check_float("rho", rho, 0.0, 1.0)
        self.momentum = _check_float("momentum", momentum, 0.0, 1.0)
        self.epsilon = _check_float("epsilon", epsilon, 0.0)
        self.centered = bool(centered)
        self._slot_names = ("velocity",) + (("momentum",) if self.momentum else ()) + \
            (("average_gradient",) if self.centered else ())

    def _update(self, var, grad, slots, lr, step):
        dt = var.dtype.type
        rho, one_minus_rho = dt(self.rho), dt(1 - self.rho)
        v = slots["velocity"]
        v *= rho
        v += one_minus_rho * np.square(grad)
        if self.centered:
            avg = slots["average_gradient"]
            avg *= rho
            avg += one_minus_rho * grad
            denominator = v - np.square(avg) + dt(self.epsilon)
        else:
            denominator = v + dt(self.epsilon)
        increment = lr * grad / np.sqrt(denominator)
        if self.momentum:
            m = slots["momentum"]
            m *= dt(self.momentum)
            m += increment
            self._subtract(var, m)
        else:
            self._subtract(var, increment)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}


_REGISTRY = Registry("optimizer", base=Optimizer)
_REGISTRY.register(names=["SGD", "sgd"])(SGD)
_REGISTRY.register(names=["Adam", "adam"])(Adam)
_REGISTRY.register(names=["RMSprop", "rmsprop"])(RMSprop)


def get(identifier):
    """An optimizer from a name (``"adam"``, ``"SGD"``…), a config dict or an ``Optimizer`` instance."""
    opt = _REGISTRY.get(identifier)
    if opt is None or not isinstance(opt, Optimizer):
        raise arg_error("optimizer", "must be a name such as 'adam', a config dict or an Optimizer",
                        identifier, TypeError)
    return opt


def serialize(optimizer):
    return _REGISTRY.serialize(optimizer)


def deserialize(config):
    return _REGISTRY.deserialize(config)


__all__ = ["Optimizer", "SGD", "Adam", "RMSprop", "get", "serialize", "deserialize"]
