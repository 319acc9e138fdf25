"""sl.slim.migrate without Keras: the slimlayers target round trip, origins, refusals, save, CLI."""
import functools
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import slimlayers as sl
from migration_support import (DATA, MODEL_NAMES, arg_comments, build, fixture, imported_modules, sl_models,
                               slim_run)
from slimlayers.slim.migration.order import keras_layer_order
from slimlayers.slim.migration.rules import SOURCES, slim_kind

slim = sl.slim
ROOT = Path(__file__).resolve().parent.parent


def _migrate(name, target="slimlayers"):
    fn, shape = sl_models()[name]
    return slim.migrate(fn, np.zeros(shape, "float32"), is_training=False, target=target)


# -- numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_slimlayers_target_computes_exactly_what_the_slim_model_computes(name):
    fn, _ = sl_models()[name]
    recorded = fixture(name)
    m = _migrate(name)
    model = build(m.source)
    model.set_weights(m.weights_from(recorded.variables))
    y, losses = slim_run(fn, recorded.input, recorded.variables)
    assert np.array_equal(np.asarray(model(recorded.input)), y)
    assert sorted(float(v) for v in model.losses) == sorted(float(v) for v in losses)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_slimlayers_target_gives_tf_slims_numbers(name):
    recorded = fixture(name)
    m = _migrate(name)
    model = build(m.source)
    model.set_weights(m.weights_from(recorded.variables))
    np.testing.assert_allclose(np.asarray(model(recorded.input)), recorded.output, rtol=1e-5, atol=2e-5)
    np.testing.assert_allclose(sum(float(v) for v in model.losses), recorded.regularization_loss, rtol=1e-5)


def test_weights_are_the_fresh_slim_variables_in_the_built_models_order():
    m = _migrate("residual")
    model = build(m.source)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in m.weights]
    model.set_weights(m.weights)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), m.weights))
    assert set(m.variable_names) == set(fixture("residual").variables)
    assert m.variable_names[:2] == ["stem/weights", "stem/biases"]


@pytest.mark.parametrize("target", ["keras", "slimlayers"])
def test_source_imports_only_the_target_and_numpy(target):
    for name in MODEL_NAMES:
        assert imported_modules(_migrate(name, target).source) == {target, "numpy"}


# -- explicitness ---------------------------------------------------------------------------
def _layer_blocks(source):
    """``{layer name: {argument: (value text, comment)}}`` of a migrated module."""
    blocks, current = {}, []
    for line in source.splitlines():
        if re.match(r"^ {4}\S.*layers\.\w+\($", line):
            current = []
        current.append(line)
        if line.startswith("    )"):
            args = {n: (v, c) for n, v, c in arg_comments("\n".join(current))}
            if "name" in args:
                blocks[args["name"][0].strip("'")] = args
    return blocks


def _slim_calls(fn, shape):
    with sl.scopes.variable_store(), sl.scopes.recording() as calls:
        fn(sl.layers.Input(shape[1:], batch_size=shape[0]), is_training=False)
    return [c for c in calls if slim_kind(c.op_name)]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_hidden_slim_argument_is_written_out_with_its_origin(name):
    fn, shape = sl_models()[name]
    blocks = _layer_blocks(_migrate(name, "keras").source)
    models_lines = (DATA / "models.py").read_text().splitlines()
    checked = 0
    for call in _slim_calls(fn, shape):
        kind = slim_kind(call.op_name)
        records = {r["name"]: r for r in call.records}
        scope = records["scope"]["value"]
        candidates = [b for n, b in blocks.items() if scope and (n == scope or n.endswith("_" + scope))]
        block = candidates[0] if len(candidates) == 1 else None
        for keras_arg, slim_args in SOURCES[kind].items():
            hidden = [records[a] for a in slim_args if a in records and records[a]["source"] != "explicit"]
            if not hidden or block is None:
                continue
            value, comment = block[keras_arg]
            for record in hidden:
                label = "slim default" if record["source"] == "default" else f"arg_scope at {record['origin']}"
                assert label in comment, (name, scope, keras_arg, comment)
                if record["source"] == "scope":
                    line = int(record["origin"].rsplit(":", 1)[1])
                    assert "arg_scope(" in models_lines[line - 1]
                checked += 1
    assert checked > 10


def test_vgg_block_nested_scopes_overrides_and_conversions():
    blocks = _layer_blocks(_migrate("vgg_block", "keras").source)
    lines = (DATA / "models.py").read_text().splitlines()
    outer = next(i for i, s in enumerate(lines, 1) if "activation_fn=ops.relu," in s)
    inner = next(i for i, s in enumerate(lines, 1) if 'padding="SAME", weights_regularizer' in s)
    conv = blocks["conv1_conv1_1"]
    assert conv["padding"] == ("'same'", f"arg_scope at migration/models.py:{inner}")
    assert conv["kernel_regularizer"][0] == "regularizers.L2(l2=0.001 / 2)"  # the inner scope overrides
    assert conv["kernel_regularizer"][1].startswith(f"arg_scope at migration/models.py:{inner}")
    assert conv["activation"] == ("'relu'", f"arg_scope at migration/models.py:{outer} (activation_fn=relu)")
    assert conv["strides"] == ("(1, 1)", "slim default (stride=1)")
    assert blocks["conv3"]["padding"] == ("'valid'", "")  # explicit at the call: no comment
    assert blocks["fc4"]["kernel_regularizer"][0] == "regularizers.L2(l2=0.0005 / 2)"  # outer scope only
    assert blocks["fc5"]["activation"] == ("None", "")
    assert blocks["fc5"]["bias_regularizer"][0] == "regularizers.L1(l1=0.01)"
    assert blocks["pool1"]["strides"] == ("(2, 2)", "slim default (stride=2)")
    assert blocks["dropout4"]["rate"][0] == "1 - 0.5"
    assert "conv2_conv2_2" in blocks and "conv1_conv1_2" in blocks  # stack and repeat scopes


def test_batch_norm_defaults_and_normalizer_params_are_unpacked():
    blocks = _layer_blocks(_migrate("dcgan_generator", "keras").source)
    bn, dense = blocks["project_BatchNorm"], blocks["project"]
    assert bn["momentum"][0] == "0.9" and "via normalizer_params" in bn["momentum"][1]
    assert bn["center"] == ("True", "slim default")
    assert dense["use_bias"][0] == "False" and "normalizer_fn replaces the bias" in dense["use_bias"][1]
    assert dense["activation"][0] == "None"
    assert blocks["project_activation"]["activation"][0] == "'relu'"
    assert blocks["deconv2"]["output_padding"][0] == "None"
    residual = _layer_blocks(_migrate("residual", "keras").source)
    assert residual["block1_bn1"]["scale"][0] == "True" and "arg_scope at" in residual["block1_bn1"]["scale"][1]
    assert residual["block1_bn1"]["momentum"] == ("0.999", "slim default (decay=0.999); Slim decay")


def test_the_table_names_each_slim_call_layer_argument_value_and_origin():
    text = str(_migrate("vgg_block", "keras"))
    assert text.splitlines()[1].split() == ["Slim", "call", "Keras", "layer", "argument", "value", "origin"]
    row = next(line for line in text.splitlines() if line.startswith("slim.conv2d 'conv1/conv1_1'"))
    assert "Conv2D 'conv1_conv1_1'" in row and "filters" in row
    assert re.search(r"padding\s+'same'\s+arg_scope at migration/models.py:\d+", text)
    assert "(is_training)" in str(_migrate("dcgan_generator"))


# -- refusals ---------------------------------------------------------------------------------
def _conv(x, **kwargs):
    return slim.conv2d(x, 2, 3, **kwargs)


REFUSED = {
    "numpy code": (lambda x: _conv(np.tanh(_conv(x))), "numpy code"),
    "numpy input": (lambda x: _conv(np.ones((1, 8, 8, 3), "float32")), "convolution2d"),
    "regularizer lambda": (lambda x: _conv(x, weights_regularizer=lambda w: (w ** 2).sum()), "weights_regularizer"),
    "initializer lambda": (lambda x: _conv(x, weights_initializer=lambda s, dtype=None: np.zeros(s)),
                           "weights_initializer"),
    "activation lambda": (lambda x: _conv(x, activation_fn=lambda t: t), "activation_fn"),
    "unknown normalizer": (lambda x: _conv(x, normalizer_fn=lambda t, **kw: t), "normalizer_fn"),
    "batch_norm training": (lambda x: _conv(x, normalizer_fn=slim.batch_norm), "is_training=True"),
    "dropout training": (lambda x: slim.dropout(_conv(x)), "is_training=True"),
    "scalar product": (lambda x: _conv(x) * 2.0, "graph form"),
    "function on a tensor": (lambda x: sl.nn.relu(_conv(x) + _conv(x)), "sl.layers.Activation"),
    "end points": (lambda x: (_conv(x), {}), "end_points"),
    "array initializer": (lambda x: slim.conv2d(x, 64, 3, weights_initializer=sl.initializers.Constant(
        np.ones((3, 3, 3, 64)))), "data, not code"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_what_keras_cannot_express_is_refused_naming_the_slim_call(case):
    fn, words = REFUSED[case]
    with pytest.raises(ValueError, match="sl.slim.migrate") as err:
        slim.migrate(fn, np.zeros((1, 8, 8, 3), "float32"))
    assert words in str(err.value)


def test_refusal_names_the_call_and_where_the_hidden_value_came_from():
    def model(x):
        with slim.arg_scope([slim.batch_norm], decay=0.9):
            return slim.conv2d(x, 2, 3, scope="c7", normalizer_fn=slim.batch_norm)

    with pytest.raises(ValueError, match=r"slim.batch_norm 'c7/BatchNorm' \(normalizer_fn of 'c7'\) runs with "
                                         r"is_training=True \(slim default\)"):
        slim.migrate(model, np.zeros((1, 8, 8, 3), "float32"))


def test_bad_arguments():
    with pytest.raises(ValueError, match="target"):
        slim.migrate(lambda x: _conv(x), np.zeros((1, 8, 8, 3), "float32"), target="torch")
    with pytest.raises(ValueError, match="no example array"):
        slim.migrate(lambda n: None, 3)
    m = slim.migrate(lambda x: _conv(x, scope="c"), np.zeros((1, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="Missing variables"):
        m.weights_from({"c/weights": m.weights[0]})
    with pytest.raises(ValueError, match="shape"):
        m.weights_from({"c/weights:0": m.weights[0], "c/biases:0": np.zeros(3)})


# -- graph forms ------------------------------------------------------------------------------
def _round_trip(fn, *arrays, **kwargs):
    """Migrate to slimlayers, load the fresh weights, and compare with the eager Slim model: exactly."""
    m = slim.migrate(fn, *arrays, target="slimlayers", **kwargs)
    model = build(m.source)
    model.set_weights(m.weights)
    values = dict(zip(m.variable_names, m.weights))
    with sl.scopes.variable_store():
        with sl.scopes.variable_scope("run", reuse=sl.scopes.AUTO_REUSE):
            fn(*arrays, **kwargs)
        for v in sl.scopes.get_variables():
            if v.name[len("run/"):] in values:  # an unused layer is not in the migrated model
                v.assign(values[v.name[len("run/"):]])
        with sl.scopes.variable_scope("run", reuse=sl.scopes.AUTO_REUSE):
            expected = fn(*arrays, **kwargs)
    got = model(list(arrays) if len(arrays) > 1 else arrays[0])
    if isinstance(expected, (list, tuple)):
        for a, b in zip(got, expected):
            assert np.array_equal(np.asarray(a), np.asarray(b))
    else:
        assert np.array_equal(np.asarray(got), np.asarray(expected))
    return m


def test_a_reused_scope_is_one_shared_layer():
    def model(x):
        y = slim.conv2d(x, 3, 3, scope="shared")
        return slim.conv2d(y, 3, 3, scope="shared", reuse=True)

    m = _round_trip(model, np.random.default_rng(0).standard_normal((1, 6, 6, 3)).astype("float32"))
    assert m.source.count("layers.Conv2D(") == 1 and "shared_layer(" in m.source
    assert m.variable_names == ["shared/weights", "shared/biases"]
    assert "#   one layer for 2 calls: they share its variables (reuse)" in m.source


def test_nchw_becomes_channels_first():
    def model(x):
        with slim.arg_scope([slim.conv2d, slim.max_pool2d, slim.batch_norm], data_format="NCHW"):
            net = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, normalizer_params={"is_training": False})
            net = slim.max_pool2d(net, 2)
            net = slim.conv2d_transpose(net, 2, 3, stride=2, data_format="NCHW")
        return slim.fully_connected(slim.flatten(net), 5)

    m = _round_trip(model, np.random.default_rng(1).standard_normal((2, 3, 8, 8)).astype("float32"))
    blocks = _layer_blocks(m.source)
    assert blocks["Conv"]["data_format"][0] == "'channels_first'"
    assert blocks["Conv_BatchNorm"]["axis"][0] == "1"
    assert blocks["Flatten"]["data_format"][0] == "'channels_last'"  # Slim flattens in memory order
    assert "shape=(3, 8, 8)" in m.source


def test_float64_two_inputs_two_outputs_concat_and_add():
    def model(a, b):
        left = slim.fully_connected(a, 4, scope="left")
        right = slim.fully_connected(b, 4, activation_fn=sl.nn.tanh, scope="right")
        both = sl.layers.Concatenate(axis=-1, name="both")([left, right])
        return [slim.fully_connected(both, 2, scope="out"), left + right]

    rng = np.random.default_rng(2)
    m = _round_trip(model, rng.standard_normal((3, 5)), rng.standard_normal((3, 6)))
    assert "dtype='float64'" in m.source and "outputs=[out, add]" in m.source
    assert "name='both'" in m.source


def test_a_leaky_relu_with_arguments_becomes_a_layer():
    act = functools.partial(sl.nn.leaky_relu, negative_slope=0.1)

    def model(x):
        net = slim.conv2d(x, 2, 3, activation_fn=act, scope="c")
        return slim.batch_norm(net, activation_fn=act, is_training=False, scope="bn")

    m = _round_trip(model, np.random.default_rng(3).standard_normal((1, 5, 5, 2)).astype("float32"))
    assert m.source.count("layers.LeakyReLU(") == 2 and "negative_slope=0.1," in m.source


def test_unused_calls_and_branches_from_one_input_keep_their_own_arguments():
    def model(x):
        slim.conv2d(x, 5, 1)                              # Conv: never used
        a = slim.conv2d(x, 2, 1, padding="VALID")         # Conv_1
        b = slim.conv2d(x, 2, 1, activation_fn=None)      # Conv_2
        return a + b

    m = _round_trip(model, np.random.default_rng(4).standard_normal((1, 4, 4, 3)).astype("float32"))
    blocks = _layer_blocks(m.source)
    assert set(blocks) == {"Conv_1", "Conv_2", "add"}
    assert blocks["Conv_1"]["padding"] == ("'valid'", "") and blocks["Conv_2"]["activation"] == ("None", "")


# -- order ------------------------------------------------------------------------------------
def test_keras_layer_order_is_by_depth_then_first_visit():
    # in -> a -> b -> add <- c <- in: a has depth 2, b and c depth 1; the walk from add reaches b before c
    assert keras_layer_order(1, [[0], [1], [0], [2, 3]], [0, 1, 2, 3, 4], [4]) == [0, 1, 2, 3, 4]
    # the shortcut listed first: it is visited first
    assert keras_layer_order(1, [[0], [1], [0], [3, 2]], [0, 1, 2, 3, 4], [4]) == [0, 1, 3, 2, 4]


# -- save and the command line ------------------------------------------------------------------
def _import(path):
    spec = importlib.util.spec_from_file_location(f"migrated_{abs(hash(str(path)))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_save_writes_model_py_and_weights_npz_that_load_model_reads(tmp_path):
    recorded = fixture("inception")
    m = _migrate("inception")
    path = m.save(tmp_path / "out", weights=m.weights_from(recorded.variables))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["model.py", "weights.npz"]
    with np.load(tmp_path / "out" / "weights.npz", allow_pickle=False) as saved:
        assert len(saved.files) == len(m.weights)
    model = _import(path).load_model()
    np.testing.assert_allclose(np.asarray(model(recorded.input)), recorded.output, rtol=1e-5, atol=2e-5)


def test_command_line_writes_the_module(tmp_path):
    (tmp_path / "nets.py").write_text(
        "import slimlayers as sl\n"
        "def generator(z, is_training=True):\n"
        "    with sl.slim.arg_scope([sl.slim.conv2d_transpose], normalizer_fn=sl.slim.batch_norm,\n"
        "                           normalizer_params={'is_training': is_training}):\n"
        "        net = sl.slim.fully_connected(z, 32).reshape((-1, 2, 2, 8))\n"
        "        return sl.slim.conv2d_transpose(net, 3, 3, stride=2)\n")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "slimlayers.migrate", "nets:generator", "--input-shape", "1,6",
                          "--out", "out", "--target", "slimlayers", "--kwarg", "is_training=False"],
                         cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "Conv2d_transpose_BatchNorm" in run.stdout
    model = _import(tmp_path / "out" / "model.py").load_model()
    assert np.asarray(model(np.zeros((1, 6), "float32"))).shape == (1, 4, 4, 3)
    refused = subprocess.run([sys.executable, "-m", "slimlayers.migrate", "nets:generator", "--input-shape", "1,6",
                              "--out", "out2"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert refused.returncode == 1 and "is_training=True" in refused.stderr


# -- the symbolic operations the trace relies on -------------------------------------------------
def test_symbolic_tensors_record_add_and_reshape_as_layers_and_refuse_numpy():
    x = sl.layers.Input((4, 4, 2), dtype="float64")
    y = sl.layers.Dense(2, dtype="float64")(x)
    total = x + y
    assert type(total.layer).__name__ == "Add" and total.inputs == [x, y] and total.dtype == np.float64
    flat = total.reshape((-1, 32))
    assert type(flat.layer).__name__ == "Reshape" and flat.shape == (None, 32)
    with pytest.raises(ValueError, match="keeps the batch axis"):
        total.reshape((-1, 8))
    with pytest.raises(TypeError, match="has no values"):
        np.asarray(total)
    with pytest.raises(TypeError):
        total + 1.0
    model = sl.models.Model(x, flat)
    value = np.random.default_rng(0).standard_normal((3, 4, 4, 2))
    expected = (value + np.asarray(model.layers[1](value))).reshape(3, 32)
    np.testing.assert_allclose(np.asarray(model(value)), expected)


def test_slim_activation_after_a_normalizer_is_a_layer_only_when_symbolic():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype("float32")
    with sl.scopes.variable_store():
        y = slim.conv2d(x, 4, 3, normalizer_fn=slim.batch_norm, normalizer_params={"is_training": False})
        assert isinstance(y, sl.Tensor) and float(np.asarray(y).min()) >= 0.0
        s = slim.conv2d(sl.layers.Input((5, 5, 3)), 4, 3, normalizer_fn=slim.batch_norm,
                        normalizer_params={"is_training": False})
        assert s.layer.name == "Conv_1/activation" and type(s.layer).__name__ == "Activation"


# -- docs/migration.md --------------------------------------------------------------------------
def _page_excerpts(fence):
    text = (ROOT / "docs" / "migration.md").read_text()
    return re.findall(rf"```{fence}\n(.*?)```", text, re.S)


def test_migration_page_shows_the_source_and_the_table_migrate_writes():
    from test_docs import run_page

    migration = run_page("migration.md")["migration"]
    source = next(block for block in _page_excerpts("py") if "def build_model" in block)
    for chunk in source.split("    # ...\n"):
        assert chunk.rstrip("\n") in migration.source
    table = _page_excerpts("text")[0]
    for chunk in table.split("...\n"):
        assert chunk.rstrip("\n") in str(migration)


def test_a_frozen_layers_penalty_is_flagged_keras_leaves_it_out():
    m = slim.migrate(lambda x: slim.fully_connected(x, 2, trainable=False, scope="f",
                                                    weights_regularizer=slim.l2_regularizer(0.5)),
                     np.zeros((1, 3), "float32"))
    value, comment = _layer_blocks(m.source)["f"]["kernel_regularizer"]
    assert value == "regularizers.L2(l2=0.5 / 2)" and "Keras 3's model.losses does not" in comment


def test_keras_style_layers_inside_the_model_keep_their_scoped_arguments():
    def model(x):
        with slim.arg_scope([sl.layers.Conv2D], padding="same", activation="relu"):
            net = sl.layers.Conv2D(4, 3, name="keras_style")(x)
        return slim.conv2d(net, 2, 1, scope="slim_style")

    m = slim.migrate(model, np.zeros((1, 5, 5, 3), "float32"))  # its weights live in the layer, not the store
    conv = _layer_blocks(m.source)["keras_style"]
    assert conv["padding"][0] == "'same'" and conv["padding"][1].startswith("arg_scope at tests/test_migrate.py:")
    assert conv["strides"] == ("(1, 1)", "sl.layers default") and conv["filters"] == ("4", "")
    assert m.variable_names[:2] == ["keras_style/kernel", "keras_style/bias"]


@pytest.mark.parametrize("name", ["vgg_block", "residual"])
def test_after_the_same_seed_the_weights_are_those_the_slim_model_starts_with(name):
    fn, shape = sl_models()[name]
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    sl.set_seed(7)
    m = slim.migrate(fn, x, is_training=False, target="slimlayers")
    sl.set_seed(7)
    with sl.scopes.variable_store():
        expected = np.asarray(fn(x, is_training=False))
    model = build(m.source)
    model.set_weights(m.weights)
    assert np.array_equal(np.asarray(model(x)), expected)
