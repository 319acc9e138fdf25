"""save / load: bitwise round trips, atomic writes, and clear errors for bad files."""
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import slimlayers as sl
from slimlayers.layers import BatchNormalization, Conv2D, Conv2DTranspose, Dense, Flatten, Input
from slimlayers.models import WeightsFileError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(4)


def make_model(units=3):
    return sl.models.Sequential([Input((8, 8, 1)), Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                                 BatchNormalization(), Conv2DTranspose(1, 3, strides=2, padding="same"),
                                 Flatten(), Dense(units)])


def perturb(model):
    model.set_weights([np.abs(rng.normal(size=w.shape)).astype(w.dtype) for w in model.get_weights()])


def test_save_weights_load_weights_bitwise(tmp_path):
    a, b = make_model(), make_model()  # different global names, same structure
    perturb(a)
    path = tmp_path / "w.safetensors"
    a.save_weights(path)
    b.load_weights(path)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        assert wa.dtype == wb.dtype and wa.tobytes() == wb.tobytes()


def test_save_load_model_round_trip(tmp_path):
    model = make_model()
    perturb(model)
    path = str(tmp_path / "model.bin")  # any suffix
    model.save(path)
    again = sl.models.load_model(path)
    assert type(again) is sl.models.Sequential and again.name == model.name
    x = rng.normal(size=(2, 8, 8, 1)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    for wa, wb in zip(model.get_weights(), again.get_weights()):
        assert wa.tobytes() == wb.tobytes()


def test_functional_model_round_trip(tmp_path):
    inp = Input((4,))
    out = sl.layers.Concatenate()([Dense(2)(inp), Dense(3)(inp)])
    model = sl.models.Model(inp, out)
    perturb(model)
    model.save(tmp_path / "f.safetensors")
    again = sl.models.load_model(tmp_path / "f.safetensors")
    x = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_file_layout_is_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file
    model = make_model()
    model.save(tmp_path / "m.safetensors")
    tensors = load_file(str(tmp_path / "m.safetensors"))
    assert "conv2d/kernel" in tensors and "batch_normalization/moving_variance" in tensors
    n = struct.unpack("<Q", (tmp_path / "m.safetensors").read_bytes()[:8])[0]
    header = json.loads((tmp_path / "m.safetensors").read_bytes()[8:8 + n])
    config = json.loads(header["__metadata__"]["model_config"])
    assert config["class_name"] == "Sequential"


def test_truncated_corrupted_and_foreign_files(tmp_path):
    model = make_model()
    good = tmp_path / "good.safetensors"
    model.save_weights(good)
    data = good.read_bytes()
    flipped = bytearray(data)
    flipped[-5] ^= 0x10  # one bit inside the last array
    cases = {
        "bitflip": bytes(flipped),
        "empty": b"",
        "truncated_header": data[:20],
        "truncated_data": data[:-10],
        "garbage_header": data[:8] + b"\xff" * (len(data) - 8),
        "pickle": pickle.dumps({"conv2d/kernel": np.zeros(3)}),
        "npy": b"\x93NUMPY\x01\x00" + b"x" * 100,
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(content)
        with pytest.raises(WeightsFileError, match=name):  # the message names the file
            model.load_weights(path)
        with pytest.raises(WeightsFileError, match=name):
            sl.models.load_model(path)


def test_safetensors_from_elsewhere_is_refused(tmp_path):
    from safetensors.numpy import save_file
    path = str(tmp_path / "other.safetensors")
    save_file({"x": np.zeros(3, np.float32)}, path)
    with pytest.raises(WeightsFileError, match="not written by slimlayers"):
        make_model().load_weights(path)


def test_mismatched_model_names_the_first_bad_weight_and_changes_nothing(tmp_path):
    path = tmp_path / "w.safetensors"
    make_model(units=3).save_weights(path)
    other = make_model(units=5)
    before = other.get_weights()
    with pytest.raises(WeightsFileError, match=r"'dense/kernel' has shape \(64, 3\) in the file but \(64, 5\)"):
        other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))
    smaller = sl.models.Sequential([Input((8, 8, 1)), Conv2D(4, 3, strides=2, padding="same")])
    with pytest.raises(WeightsFileError, match="the file has weight 'batch_normalization/gamma'"):
        smaller.load_weights(path)
    with pytest.raises(WeightsFileError, match="holds only weights"):
        sl.models.load_model(path)


def test_failed_save_leaves_previous_file_and_no_temp(tmp_path, monkeypatch):
    model = make_model()
    path = tmp_path / "m.safetensors"
    model.save(path)
    before = path.read_bytes()
    perturb(model)

    def boom(fd):
        raise OSError("disk full")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        model.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.safetensors"]


def test_killed_save_leaves_previous_file_loadable(tmp_path):
    path = tmp_path / "m.safetensors"
    script = textwrap.dedent(f"""
        import os, sys, time
        sys.path.insert(0, {ROOT!r})
        import numpy as np, slimlayers as sl
        from slimlayers.layers import Input, Dense
        sl.set_seed(0)
        model = sl.models.Sequential([Input((64,)), Dense(256), Dense(64)])
        model.save({str(path)!r})
        model.set_weights([w + 1 for w in model.get_weights()])
        def hang(fd):  # the crash happens after the new bytes are written, before the rename
            print("saving", flush=True)
            time.sleep(60)
        os.fsync = hang
        model.save({str(path)!r})
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "saving"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    model = sl.models.load_model(path)
    sl.set_seed(0)
    fresh = sl.models.Sequential([Input((64,)), Dense(256), Dense(64)])
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)  # the first save, intact


def test_config_class_names_resolve_only_in_the_layer_catalog():
    from slimlayers.layers.catalog import LAYER_CLASSES, layer_class_name
    from slimlayers.models.config import deserialize_layer

    assert LAYER_CLASSES.lookup("Conv2DTranspose") is Conv2DTranspose
    assert layer_class_name(Conv2DTranspose) == "Conv2DTranspose"
    assert layer_class_name(type("MyLayer", (sl.layers.Layer,), {})) == "MyLayer"  # custom: its own name
    # neither a foreign package nor a non-layer name gets imported or resolved
    for name in ("os>system", "numpy>ndarray", "SymbolicTensor", "conv2d", "Input"):
        with pytest.raises(ValueError, match="Unknown layer class"):
            deserialize_layer({"class_name": name, "config": {}})
