"""arg_scope behaviour: TF-Slim's semantics where sound, the documented fixes where Slim is a trap."""
import asyncio
import inspect
import threading

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.scopes import (add_arg_scope, arg_scope, arg_scoped_arguments, current_arg_scope, explain,
                               has_arg_scope, recording)


@add_arg_scope
def op(x, a=1, b=2, c=3):
    return {"x": x, "a": a, "b": b, "c": c}


@add_arg_scope
def other(x, a=10):
    return {"x": x, "a": a}


def plain(x, a=1):
    return x


def _line():
    """Line number of the caller's next line (where a `with arg_scope` sits)."""
    return inspect.currentframe().f_back.f_lineno + 1


# -- Slim semantics kept ------------------------------------------------------------
def test_top_level_scope_is_empty_and_restored():
    assert dict(current_arg_scope()) == {}
    with arg_scope([op], a=5):
        assert dict(current_arg_scope()[op]) == {"a": 5}
    assert dict(current_arg_scope()) == {}


def test_nested_scopes_merge_and_inner_wins():
    with arg_scope([op], b=1, c=1):
        with arg_scope([op], c=7):
            assert op(0) == {"x": 0, "a": 1, "b": 1, "c": 7}
        assert op(0)["c"] == 1
    assert op(0) == {"x": 0, "a": 1, "b": 2, "c": 3}


def test_ops_not_listed_keep_outer_entries_and_never_leak():
    with arg_scope([op, other], a=4):
        with arg_scope([op], a=6):
            assert op(0)["a"] == 6
            assert other(0)["a"] == 4
    with arg_scope([other], a=99):
        assert op(0)["a"] == 1


def test_explicit_keyword_wins_over_scope():
    with arg_scope([op], a=5, b=6):
        assert op(0, a=9) == {"x": 0, "a": 9, "b": 6, "c": 3}


def test_positional_argument_wins_instead_of_type_error():
    # TF-Slim: TypeError("op() got multiple values for argument 'a'")
    with arg_scope([op], a=5, b=6):
        assert op(0, 7) == {"x": 0, "a": 7, "b": 6, "c": 3}
        assert op(0, 7, 8, 9) == {"x": 0, "a": 7, "b": 8, "c": 9}


def test_aliases_share_one_entry_and_other_functions_do_not():
    with arg_scope([sl.slim.conv2d], padding="VALID"):
        assert current_arg_scope()[sl.slim.convolution2d]["padding"] == "VALID"
        assert sl.slim.conv2d_transpose not in current_arg_scope()


def test_saved_scope_reentry_merges_over_current_scope():
    with arg_scope([op], a=5) as saved:
        pass
    with arg_scope(saved):
        assert op(0)["a"] == 5
    # Documented fix: TF-Slim *replaced* the current scope (b=8 would vanish); we merge, saved values win.
    with arg_scope([op], a=1, b=8):
        with arg_scope(saved):
            assert op(0) == {"x": 0, "a": 5, "b": 8, "c": 3}
    assert op(0)["a"] == 1


def test_empty_dict_clears_every_active_default_as_in_tf_slim():
    # TF-Slim pushes a dict scope as is (semantics.md §4.4), so `arg_scope({})` runs with no defaults.
    with arg_scope([op], a=5), arg_scope([other], a=6):
        with arg_scope({}) as inner:
            assert dict(inner) == {} and dict(current_arg_scope()) == {}
            assert op(0)["a"] == 1 and other(0)["a"] == 10
        assert op(0)["a"] == 5 and other(0)["a"] == 6


def test_saved_empty_scope_still_merges():
    with arg_scope([]) as empty:
        pass
    with arg_scope([op], a=5), arg_scope(empty):
        assert op(0)["a"] == 5


def test_no_arg_scope_runs_a_block_without_defaults():
    with arg_scope([op], a=5):
        with sl.scopes.no_arg_scope() as scope:
            assert dict(scope) == {} and op(0)["a"] == 1
        assert op(0)["a"] == 5
    with arg_scope([sl.layers.Dense], use_bias=False), sl.scopes.no_arg_scope():
        assert sl.layers.Dense(2).use_bias


def test_saved_scope_with_kwargs_is_rejected():
    with arg_scope([op], a=5) as saved:
        pass
    with pytest.raises(ValueError, match="kwargs must be empty"):
        with arg_scope(saved, a=1):
            pass


def test_saved_scope_accepts_slim_style_plain_dict():
    with arg_scope({op: {"c": 11}}):
        assert op(0)["c"] == 11


def test_scope_mapping_is_immutable():
    with arg_scope([op], a=5) as sc:
        with pytest.raises(TypeError):
            sc[op]["a"] = 6
        with pytest.raises(TypeError):
            sc[other] = {}
    assert op(0)["a"] == 1


def test_single_op_instead_of_list_is_type_error():
    with pytest.raises(TypeError, match="list_ops_or_scope"):
        with arg_scope(op, a=1):
            pass


def test_undecorated_op_is_rejected_with_a_formatted_message():
    with pytest.raises(ValueError) as err:
        with arg_scope([op, plain], a=1):
            pass
    message = str(err.value)
    assert "plain is not decorated with @add_arg_scope" in message
    assert "%s" not in message and not message.startswith("(")


def test_non_layer_class_is_rejected():
    class NotALayer:
        def __init__(self, a=1):
            pass

    with pytest.raises(ValueError, match="NotALayer"):
        with arg_scope([NotALayer], a=2):
            pass


# -- keys checked against the signature when the scope opens -------------------------
def test_typo_raises_when_scope_opens_with_close_match():
    with pytest.raises(ValueError) as err:
        with arg_scope([sl.slim.conv2d], paddin="VALID"):
            raise AssertionError("the with body must not run")
    assert "did you mean 'padding'" in str(err.value)
    assert "paddin" in str(err.value)


def test_key_must_fit_every_listed_op():
    with pytest.raises(ValueError, match="conv2d_transpose|convolution2d_transpose"):
        with arg_scope([sl.slim.conv2d, sl.slim.conv2d_transpose], rate=2):  # transpose has no `rate`
            pass


def test_unknown_key_message_lists_the_parameters_in_closed_parentheses():
    with pytest.raises(ValueError) as err:
        with arg_scope([op], d=1):
            pass
    assert str(err.value).endswith("has no parameter 'd' (it accepts x, a, b, c). Received: d=1")


@pytest.mark.parametrize("expected", [ValueError, TypeError])
def test_unknown_key_error_is_caught_as_slimlayers_or_tf_slim_error(expected):
    # TF-Slim raised TypeError("... got an unexpected keyword argument ...") at the call (semantics.md §4.4);
    # slimlayers raises earlier, when the scope opens, with an error that is both.
    for open_scope in (lambda: arg_scope([sl.slim.conv2d], paddin="VALID"),
                       lambda: arg_scope({op: {"d": 1}}),
                       lambda: arg_scope([sl.layers.Conv2D], kernel_regulariser=None)):
        with pytest.raises(expected) as err:
            with open_scope():
                raise AssertionError("the with body must not run")
        assert isinstance(err.value, sl.scopes.ScopeArgumentError)


def test_op_with_var_keywords_accepts_any_key():
    @add_arg_scope
    def loose(x, **kwargs):
        return kwargs

    with arg_scope([loose], anything=3):
        assert loose(0) == {"anything": 3}


# -- introspection --------------------------------------------------------------------
def test_has_arg_scope():
    assert has_arg_scope(op) and has_arg_scope(sl.slim.conv2d) and has_arg_scope(sl.layers.Conv2D)
    assert not has_arg_scope(plain) and not has_arg_scope(len)


def test_arg_scoped_arguments_from_signature():
    @add_arg_scope
    def with_locals(a, b=1, c=2, *args, d=5, **kw):
        local_one = a + b
        local_two = local_one * c
        return local_two

    assert arg_scoped_arguments(with_locals) == ("b", "c", "d")  # TF-Slim returned ()
    # TF-Slim lost stride/padding/data_format/activation_fn/normalizer_fn here:
    assert arg_scoped_arguments(sl.slim.conv2d_transpose) == (
        "stride", "padding", "data_format", "activation_fn", "normalizer_fn", "normalizer_params",
        "weights_initializer", "weights_regularizer", "biases_initializer", "biases_regularizer", "reuse",
        "trainable", "scope")
    assert "padding" in arg_scoped_arguments(sl.layers.Conv2D)
    with pytest.raises(ValueError):
        arg_scoped_arguments(plain)


def test_decorated_op_keeps_name_doc_and_signature():
    assert op.__name__ == "op"
    assert list(inspect.signature(sl.slim.conv2d).parameters)[:3] == ["inputs", "num_outputs", "kernel_size"]


# -- isolation ------------------------------------------------------------------------
def test_threads_do_not_see_each_others_scopes():
    barrier = threading.Barrier(2)
    seen = {}

    def worker(value):
        with arg_scope([op], a=value):
            barrier.wait()          # both scopes are open at the same time
            seen[value] = op(0)["a"]
            barrier.wait()
        seen[f"after{value}"] = op(0)["a"]

    threads = [threading.Thread(target=worker, args=(v,)) for v in (100, 200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {100: 100, 200: 200, "after100": 1, "after200": 1}


def test_new_thread_starts_without_the_parents_scope():
    out = []
    with arg_scope([op], a=42):
        t = threading.Thread(target=lambda: out.append(op(0)["a"]))
        t.start()
        t.join()
    assert out == [1]


def test_asyncio_tasks_do_not_see_each_others_scopes():
    async def task(value, log):
        with arg_scope([op], a=value):
            await asyncio.sleep(0)  # the other task runs inside its own scope here
            log.append((value, op(0)["a"]))
            await asyncio.sleep(0)
        log.append((value, op(0)["a"]))

    async def main():
        log = []
        await asyncio.gather(task(7, log), task(8, log))
        return log

    log = asyncio.run(main())
    assert sorted(log) == [(7, 1), (7, 7), (8, 1), (8, 8)]


# -- Keras-style classes ------------------------------------------------------------------
def test_keras_classes_take_constructor_defaults_from_scope():
    reg = sl.regularizers.L2(0.5)
    with arg_scope([sl.layers.Conv2D, sl.layers.Conv2DTranspose], padding="same", kernel_regularizer=reg):
        conv = sl.layers.Conv2D(4, 3)
        deconv = sl.layers.Conv2DTranspose(4, 3, strides=2)
        explicit = sl.layers.Conv2D(4, 3, padding="valid")
    assert conv.padding == deconv.padding == "same"
    assert conv.kernel_regularizer is reg and deconv.kernel_regularizer is reg
    assert explicit.padding == "valid"
    assert sl.layers.Conv2D(4, 3).padding == "valid"
    x = np.ones((1, 4, 4, 2), "float32")
    assert conv(x).shape == (1, 4, 4, 4) and deconv(x).shape == (1, 8, 8, 4)
    assert len(conv.losses) == 1


def test_keras_class_positional_argument_wins():
    with arg_scope([sl.layers.Conv2D], strides=2, padding="same"):
        layer = sl.layers.Conv2D(4, 3, 1)
    assert layer.strides == (1, 1) and layer.padding == "same"


def test_keras_class_keys_are_checked_including_inherited_layer_arguments():
    with pytest.raises(ValueError, match="did you mean 'kernel_regularizer'"):
        with arg_scope([sl.layers.Conv2D], kernel_regulariser=None):
            pass
    with arg_scope([sl.layers.Dense], dtype="float64", trainable=False):
        layer = sl.layers.Dense(2)
    assert layer.dtype == np.float64 and not layer.trainable


@add_arg_scope
class Base(sl.layers.Layer):
    def __init__(self, units=1, tag="base", **kwargs):
        super().__init__(**kwargs)
        self.units, self.tag = units, tag


@add_arg_scope
class Child(Base):
    def __init__(self, units=2, **kwargs):
        super().__init__(units=units, **kwargs)


@add_arg_scope
class Grandchild(Child):
    pass


def test_class_scope_applies_to_that_exact_class_only():
    with arg_scope([Base], tag="scoped", units=9):
        assert (Base().units, Base().tag) == (9, "scoped")
        child = Child()              # Base.__init__ runs through super(): must not pick up Base's scope
        assert (child.units, child.tag) == (2, "base")
        assert Grandchild().tag == "base"
    with arg_scope([Child], units=5, tag="child"):  # `tag` reaches Base through **kwargs: accepted
        assert (Child().units, Child().tag) == (5, "child")
        assert Base().units == 1 and Grandchild().units == 2
    with arg_scope([Grandchild], units=7):         # a class without its own __init__ works too
        assert Grandchild().units == 7 and Child().units == 2


def test_every_public_layer_class_is_marked_and_plain_subclasses_are_not():
    public = [getattr(sl.layers, n) for n in sl.layers.__all__]
    classes = [c for c in public
               if isinstance(c, type) and issubclass(c, sl.layers.Layer) and c is not sl.layers.Layer]
    assert len(classes) == 17 and all(has_arg_scope(c) for c in classes)

    class Unmarked(sl.layers.Conv2D):
        pass

    assert not has_arg_scope(Unmarked) and not has_arg_scope(sl.layers.Layer)
    with pytest.raises(ValueError, match="Unmarked is not decorated with @add_arg_scope"):
        with arg_scope([Unmarked], padding="same"):
            pass
    with arg_scope([sl.layers.Conv2D], padding="same"):  # exact class only: the subclass keeps its default
        assert Unmarked(1, 1).padding == "valid"


def test_add_arg_scope_on_a_class_returns_the_class_and_is_idempotent():
    @add_arg_scope
    class Tagged(sl.layers.Layer):
        def __init__(self, tag="plain", **kwargs):
            super().__init__(**kwargs)
            self.tag = tag

    init = Tagged.__init__
    assert add_arg_scope(Tagged) is Tagged and Tagged.__init__ is init
    assert list(inspect.signature(Tagged).parameters)[0] == "tag"
    with arg_scope([Tagged], tag="scoped"):
        layer = Tagged()
    assert layer.tag == "scoped" and explain(layer)["tag"].source == "scope"


def test_layer_class_scope_does_not_leak_into_slim_functions():
    with sl.scopes.variable_store():
        with arg_scope([sl.layers.Conv2D], padding="valid", kernel_regularizer=sl.regularizers.L2(1.0)):
            y = sl.slim.conv2d(np.ones((1, 5, 5, 1), "float32"), 2, 3, scope="c")
        assert y.shape == (1, 5, 5, 2)  # Slim's own default 'SAME'
        assert sl.scopes.get_regularization_losses() == []


def test_slim_reexports_are_the_same_objects():
    assert sl.slim.arg_scope is arg_scope and sl.slim.add_arg_scope is add_arg_scope


# -- provenance -----------------------------------------------------------------------------
def test_explain_layer_reports_sources_and_scope_line():
    line = _line()
    with arg_scope([sl.layers.Conv2D], padding="same", activation="relu"):
        layer = sl.layers.Conv2D(4, 3, strides=2)
    info = explain(layer)
    sources = info.sources()
    assert sources["filters"] == sources["kernel_size"] == sources["strides"] == "explicit"
    assert sources["padding"] == sources["activation"] == "scope"
    assert sources["use_bias"] == "default"
    assert info["padding"].origin == f"tests/test_arg_scope.py:{line}"
    records = {r["name"]: r for r in info.records}
    assert records["padding"]["value"] == "same" and records["strides"]["value"] == 2
    assert records["use_bias"]["value"] is True
    text = str(info)
    assert text.splitlines()[0] == "sl.layers.Conv2D"
    assert f"scope (tests/test_arg_scope.py:{line})" in text
    padding_row = next(row for row in text.splitlines() if row.split()[0] == "padding")
    assert "'same'" in padding_row


def test_explain_op_call_is_a_dry_run():
    calls = []

    @add_arg_scope
    def spy(x, a=1):
        calls.append(x)

    with arg_scope([spy], a=3):
        info = explain(spy, "input")
    assert calls == []
    assert [(r.name, r.value, r.source) for r in info] == [("x", "input", "explicit"), ("a", 3, "scope")]


def test_explain_reentered_scope_names_both_lines():
    first = _line()
    with arg_scope([op], a=5) as saved:
        pass
    second = _line()
    with arg_scope(saved):
        origin = explain(op, 0)["a"].origin
    assert origin == f"tests/test_arg_scope.py:{first} (re-entered at tests/test_arg_scope.py:{second})"


def test_explain_rejects_other_objects():
    with pytest.raises(TypeError):
        explain(plain, 1)


def test_recording_collects_every_scoped_call_once():
    x = np.ones((1, 4, 4, 1), "float32")
    with sl.scopes.variable_store(), arg_scope([sl.slim.conv2d], activation_fn=None):
        with recording() as calls:
            sl.slim.conv2d(x, 2, 3, scope="a")
            sl.layers.Dense(3)
    assert [c.op_name for c in calls] == ["sl.slim.convolution2d", "sl.layers.Dense"]
    assert calls[0]["activation_fn"].source == "scope"
    assert calls[0]["padding"].source == "default" and calls[0]["padding"].value == "SAME"
