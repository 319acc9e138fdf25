"""sl.interop.to_onnx: files that onnx.checker accepts and onnxruntime runs with the model's predictions."""
import numpy as np
import pytest

import slimlayers as sl
from conftest import optional
from interop_cases import CASES, FORMATS, IDS, Custom, branching_model, build, randomise

onnx = optional("onnx")
ort = optional("onnxruntime")
L = sl.layers


def run(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_onnxruntime_predicts_like_the_model(case, data_format, tmp_path):
    model, x = build(case, data_format)
    path = sl.interop.to_onnx(model, tmp_path / "model.onnx")
    np.testing.assert_allclose(run(path, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_graph_uses_onnx_operators_and_one_transpose_per_end(tmp_path):
    model, _ = build(CASES[0], "channels_last")
    model.add(L.Conv2DTranspose(2, 3, strides=2, padding="same"))
    proto = onnx.load(sl.interop.to_onnx(model, tmp_path / "m.onnx"))
    assert [n.op_type for n in proto.graph.node] == ["Transpose", "Conv", "ConvTranspose", "Transpose", "Identity"]
    assert proto.opset_import[0].version == 17
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_functional_graph_and_free_spatial_size(tmp_path):
    model, x = branching_model()
    path = sl.interop.to_onnx(model, tmp_path / "branch.onnx")
    np.testing.assert_allclose(run(path, x), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    inp = L.Input((None, None, 2))
    y = L.Conv2D(3, 3, strides=2, padding="same", activation="gelu")(inp)
    y = L.AveragePooling2D(3, 2, padding="same")(L.MaxPooling2D(3, 2, padding="same")(y))
    free = sl.models.Model(inp, L.Conv2DTranspose(2, 3, strides=2, padding="same", activation="mish")(y))
    randomise(free)
    for opset in (17, 20):
        path = sl.interop.to_onnx(free, tmp_path / f"free{opset}.onnx", opset=opset)
        for hw in [(11, 13), (16, 9)]:
            x = np.random.default_rng(0).standard_normal((1, *hw, 2)).astype("float32")
            np.testing.assert_allclose(run(path, x), free.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_to_onnx_refusals_name_the_layer(tmp_path):
    with pytest.raises(ValueError, match=r"layer 'wide' \(Dense\): to_onnx writes float32"):
        sl.interop.to_onnx(sl.models.Sequential([L.Input((3,), dtype="float64"),
                                                 L.Dense(2, dtype="float64", name="wide")]), tmp_path / "a.onnx")
    with pytest.raises(ValueError, match=r"layer 'mine' \(Custom\)"):
        sl.interop.to_onnx(sl.models.Sequential([L.Input((3,)), Custom(name="mine")]), tmp_path / "b.onnx")
    with pytest.raises(ValueError, match="`opset`: must be >= 13"):
        sl.interop.to_onnx(sl.models.Sequential([L.Input((3,)), L.Dense(1)]), tmp_path / "c.onnx", opset=11)
