"""The interop module imports nothing optional until asked, and a missing library names its extra."""
import subprocess
import sys
from pathlib import Path

import pytest

from slimlayers.interop.optional import require

ROOT = Path(__file__).resolve().parent.parent


def test_missing_library_names_the_extra():
    with pytest.raises(ImportError, match=r'pip install "slimlayers\[onnx\]"'):
        require("onnx_no_such_module", "onnx")


def test_importing_slimlayers_interop_loads_no_optional_library():
    code = ("import sys, slimlayers as sl; sl.interop.to_torch; "
            "print(sorted(m for m in ('torch', 'keras', 'onnx', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
