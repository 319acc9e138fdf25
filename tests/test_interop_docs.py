"""docs/interop.md runs as written: train here, DDP in PyTorch, Keras, ONNX Runtime."""
import re
from pathlib import Path

from conftest import optional

DOC = (Path(__file__).resolve().parent.parent / "docs" / "interop.md").read_text()


def test_interop_walkthrough_runs(tmp_path, monkeypatch, capsys):
    for name in ("torch", "keras", "onnx", "onnxruntime"):
        optional(name)
    monkeypatch.chdir(tmp_path)  # the ONNX file lands here
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    assert len(blocks) == 5
    namespace = {}
    for block in blocks:  # one namespace: each step continues the previous one
        exec(compile(block, "docs/interop.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "Conv2DTranspose', 'Cropping2D']" in out
    assert (tmp_path / "autoencoder.onnx").exists()
