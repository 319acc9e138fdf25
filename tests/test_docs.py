"""The code on the documentation pages runs as written, and prints what its ``# -> ...`` comments say."""
import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
EXPECTED = re.compile(r"^\s*print\(.*#\s*->\s*(.+?)\s*$")


def python_blocks(page):
    """The ```python blocks of ``docs/<page>``, in order (the pattern tests/test_readme.py uses)."""
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), re.S)


@pytest.mark.parametrize("page", ["mindspore.md"])
def test_page_code_runs_and_prints_what_it_says(page):
    namespace = {}  # one reader, one session: later blocks use earlier names
    blocks = python_blocks(page)
    assert blocks
    for block in blocks:
        expected = [m.group(1) for m in map(EXPECTED.match, block.splitlines()) if m]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"docs/{page}", "exec"), namespace)
        assert out.getvalue().splitlines() == expected, block


def test_mindspore_page_shows_the_seed_examples():
    text = "".join(python_blocks("mindspore.md"))
    for shape in ("(1, 64, 19, 53)", "(1, 64, 16, 50)", "(1, 64, 50, 152)"):
        assert f"# -> {shape}" in text
