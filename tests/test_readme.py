"""README's code runs as written, and .ci/run runs README's test command verbatim."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_readme_python_blocks_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "(1, 9, 9, 1)" in capsys.readouterr().out


def test_ci_runs_the_readme_test_command():
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert len(quick_start) == 2
    assert quick_start[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_quick_start_demo_installs_what_writes_the_picture():
    quick_start = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1).strip().splitlines()
    assert quick_start[0] == 'pip install ".[examples]" && python examples/autoencoder.py'
    extras = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^examples = \[.*"matplotlib', extras, re.M)
    assert re.search(r'^test = \[.*"keras>=3".*"torch>=2.1".*"onnx".*"onnxruntime"', extras, re.M)
