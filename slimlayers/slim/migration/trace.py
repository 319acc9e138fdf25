"""Run a Slim model function once on symbolic inputs and keep what happened.

Every array argument becomes an ``sl.layers.Input`` of the same shape (the
batch too, so Python code that reads ``net.shape`` sees real sizes) and
dtype; every other argument is passed through. The Slim functions then build
their layers on symbolic tensors — a functional graph — while
``sl.scopes.recording()`` keeps each call's resolved arguments and where each
came from.

Example:
    >>> run = trace(lambda x: sl.slim.conv2d(x, 4, 3), (np.zeros((1, 8, 8, 3), "float32"),), {})
    >>> run.outputs[0].shape, run.calls[-1].op_name
    ((1, 8, 8, 4), 'sl.slim.convolution2d')
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np

from ... import scopes
from ...layers import Input, SymbolicTensor
from ...layers.symbolic import created_tensors


@dataclass
class Trace:
    """What one symbolic run of a model function left behind."""

    function_name: str
    inputs: list          # SymbolicTensors, one per array argument
    outputs: list         # SymbolicTensors the function returned
    single_output: bool
    calls: list           # sl.scopes Explanations: Slim calls and layer constructions, in call order
    tensors: list         # every SymbolicTensor created, in creation order


def _is_array(value):
    return (isinstance(value, np.ndarray) or (hasattr(value, "shape") and hasattr(value, "dtype")
                                              and hasattr(value, "numpy"))) and len(value.shape) >= 1


def _symbolic(name, value):
    dtype = np.float64 if np.dtype(value.dtype) == np.float64 else np.float32
    shape = tuple(int(s) for s in value.shape)
    return Input(shape[1:], batch_size=shape[0], dtype=dtype, name=name)


def _argument_names(model_fn, args, kwargs):
    """The parameter name of each positional argument (``input``, ``input_1``… when unknown)."""
    try:
        bound = inspect.signature(model_fn).bind_partial(*args, **kwargs)
        names = {id(v): n for n, v in bound.arguments.items()}
        params = list(inspect.signature(model_fn).parameters.values())
        if any(p.kind == p.VAR_POSITIONAL for p in params[:len(args)]):
            raise TypeError  # *args: no names
        return [p.name for p in params[:len(args)]], names
    except (TypeError, ValueError):
        return [f"input_{i}" if i else "input" for i in range(len(args))], {}


def function_name(model_fn):
    name = getattr(model_fn, "__name__", None) or getattr(getattr(model_fn, "func", None), "__name__", None)
    return name if name and name != "<lambda>" else "model"


def trace(model_fn, args, kwargs):
    """Call ``model_fn(*args, **kwargs)`` with symbolic inputs in place of the arrays; return a ``Trace``.

    Raises:
        ValueError: the function failed on symbolic tensors (numpy code inside
            the graph, an operation with no layer form, …), naming the last
            Slim call, or returned something other than symbolic tensors.
    """
    if not callable(model_fn):
        raise TypeError(f"sl.slim.migrate: model_fn must be callable; received {model_fn!r}.")
    positional_names, _ = _argument_names(model_fn, args, kwargs)
    name = function_name(model_fn)
    with scopes.variable_store(), scopes.recording() as calls, created_tensors() as tensors:
        inputs, sym_args, sym_kwargs = [], [], {}
        for pname, value in zip(positional_names, args):
            sym_args.append(_symbolic(pname, value) if _is_array(value) else value)
            if _is_array(value):
                inputs.append(sym_args[-1])
        for key, value in kwargs.items():
            sym_kwargs[key] = _symbolic(key, value) if _is_array(value) else value
            if _is_array(value):
                inputs.append(sym_kwargs[key])
        if not inputs:
            raise ValueError(f"sl.slim.migrate: no example array among the arguments of {name}(): pass at "
                             f"least one input array, e.g. migrate({name}, np.zeros((1, 64, 64, 3), 'float32')).")
        try:
            result = model_fn(*sym_args, **sym_kwargs)
        except Exception as err:  # noqa: BLE001 - any failure on symbolic tensors is reported as one
            raise ValueError(f"sl.slim.migrate could not trace {name}(): {_where(calls, tensors)} it raised "
                             f"{type(err).__name__}: {err} — only sl.slim functions, sl.layers layers and "
                             f"`+` / `.reshape` between them have a graph form (an activation between layers "
                             f"is sl.layers.Activation('relu')(net)); numpy code or other operations inside "
                             f"the model cannot be migrated.") from err
    for call in calls:
        given = next((r["value"] for r in call.records if r["name"] == "inputs"), None)
        if call.op_name.startswith("sl.slim.") and given is not None and not isinstance(given, SymbolicTensor):
            raise ValueError(f"sl.slim.migrate: {_call_label(call)} in {name}() was called on a "
                             f"{type(given).__name__}, not on a tensor computed from the model's inputs (numpy "
                             f"code inside the graph?); only layer operations can be migrated.")
    outputs, single = _outputs(name, result)
    return Trace(name, inputs, outputs, single, list(calls), list(tensors))


def _where(calls, tensors):
    slim_calls = [c for c in calls if c.op_name.startswith("sl.slim.")]
    if not slim_calls:
        return "before its first Slim call,"
    last = tensors[-1].layer.name if tensors else "?"
    return f"after Slim call {_call_label(slim_calls[-1])} (last layer built: {last!r}),"


def _call_label(call):
    scope = next((r["value"] for r in call.records if r["name"] == "scope"), None)
    return f"{call.op_name}(scope={scope!r})" if scope else call.op_name


def _outputs(name, result):
    if isinstance(result, SymbolicTensor):
        return [result], True
    if isinstance(result, (list, tuple)) and result and all(isinstance(t, SymbolicTensor) for t in result):
        return list(result), False
    if isinstance(result, tuple) and result and isinstance(result[0], SymbolicTensor):
        raise ValueError(f"sl.slim.migrate: {name}() returned a tuple with {type(result[1]).__name__} beside "
                         f"the tensor (TF-Slim nets return (net, end_points)); migrate the model's outputs "
                         f"only, e.g. migrate(lambda x: {name}(x)[0], ...).")
    raise ValueError(f"sl.slim.migrate: {name}() must return the model's output tensor (or a list of them), "
                     f"computed from its inputs; it returned {type(result).__name__}.")
